"""Reading segments and delimiters the way real partner files arrive."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest

from edigateway.errors import (
    DelimiterInDataError,
    UnsupportedX12Error,
    X12StructureError,
    X12SyntaxError,
)
from edigateway.x12.envelope import (
    FUNCTIONAL_GROUPS,
    SUPPORTED,
    Delimiters,
    EnvelopeReader,
    InterchangeParams,
    SegmentWriter,
    answer_interchange,
    interchange_date,
    interchange_time,
    isa_segment,
    iter_segments,
    read_delimiters,
    read_segments,
    sniff_header,
)

ISA = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
    "*261122*1200*^*00501*000000001*0*T*:~"
)


def _params(**overrides: object) -> InterchangeParams:
    values: dict[str, object] = {
        "sender_qualifier": "ZZ",
        "sender_id": "SENDER",
        "receiver_qualifier": "ZZ",
        "receiver_id": "RECEIVER",
        "gs_sender_code": "S",
        "gs_receiver_code": "R",
        "interchange_control_number": 1,
        "group_control_number": 1,
        "first_transaction_control_number": 1,
        "created": datetime(2026, 11, 22, 12, 0),
    }
    values.update(overrides)
    return InterchangeParams(**values)  # type: ignore[arg-type]


def test_isa_written_is_fixed_width_and_reads_back():
    isa = isa_segment(_params()) + "~"
    assert len(isa) == 106
    assert isa == ISA
    assert read_delimiters(isa) == Delimiters("*", ":", "^", "~")


def test_segments_with_bom_crlf_and_indentation():
    text = "\ufeff" + ISA + "\r\n  GS*HC*S*R~\r\n\tST*837*0001~\nSE*2*0001~"
    segments = list(iter_segments(io.StringIO(text)))
    assert [s.id for s in segments] == ["ISA", "GS", "ST", "SE"]
    assert [s.position for s in segments] == [1, 2, 3, 4]
    assert segments[1].element(1) == "HC"
    assert segments[2].element(9) == ""


def test_other_separators_are_taken_from_the_isa():
    isa = ISA.replace("*", "|").replace(":~", "}\x1d").replace("^", "!")
    text = isa + "GS|HC|A}B\x1dST|837|0001\x1d"
    segments = list(iter_segments(io.StringIO(text)))
    assert segments[1].components(2) == ["A", "B"]
    assert segments[2].element(2) == "0001"


def test_segments_spanning_read_chunks():
    body = "".join(f"REF*6R*{i:06d}~\n" for i in range(20_000))
    segments = list(iter_segments(io.StringIO(ISA + "\n" + body)))
    assert len(segments) == 20_001
    assert segments[-1].element(2) == "019999"
    assert segments[-1].position == 20_001


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", None),
        ("GS*HC*S*R~", "does not start with an ISA"),
        ("ISA*00*short~", "truncated"),
        (ISA.replace("*:~", "**~"), "not 106 fixed-width"),
    ],
)
def test_unreadable_interchanges(text, message):
    if message is None:
        assert list(iter_segments(io.StringIO(text))) == []
        return
    with pytest.raises(X12SyntaxError, match=message):
        list(iter_segments(io.StringIO(text)))


def test_bad_segment_identifier_is_located():
    with pytest.raises(X12SyntaxError, match="segment 3") as info:
        list(iter_segments(io.StringIO(ISA + "GS*HC~!!*X~")))
    assert info.value.location.segment_index == 3


def test_writer_refuses_delimiters_in_data_and_names_the_element():
    writer = SegmentWriter(Delimiters())
    writer.loop, writer.claim = "2010BA", "PC1"
    with pytest.raises(DelimiterInDataError) as info:
        writer.segment("NM1", "IL", "1", "SMITH*JONES")
    assert info.value.location.element == "NM103"
    assert info.value.location.loop == "2010BA"
    assert "claim PC1" in str(info.value)
    assert "'*'" in str(info.value)


def test_writer_drops_trailing_empty_elements_and_components():
    writer = SegmentWriter(Delimiters(), line_breaks=False)
    writer.segment("SV3", ["AD", "D2150", ""], "100", "", None, "")
    assert writer.text() == "SV3*AD:D2150*100~"


def test_sniff_header_says_4010_is_unsupported(tmp_path):
    path = tmp_path / "old.837"
    path.write_text(
        ISA.replace("00501", "00401") + "GS*HC*S*R*20261122*1200*1*X*004010X097A1~ST*837*0001~"
    )
    with pytest.raises(UnsupportedX12Error, match="004010X097A1 is not supported"):
        sniff_header(path)


def test_sniff_header_reads_5010(tmp_path):
    path = tmp_path / "new.837"
    path.write_text(ISA + "GS*HC*S*R*20261122*1200*1*X*005010X224A2~ST*837*0001~")
    header = sniff_header(path)
    assert (header.transaction, header.gs_version) == ("837", "005010X224A2")


def test_sniff_header_refuses_a_group_that_does_not_fit_its_transaction(tmp_path):
    """One statement of what is wrong (before: "no map for 276 … edigateway validates
    276/277"), at GS01, naming both elements and the group expected."""
    path = tmp_path / "status.276"
    path.write_text(ISA + "GS*HI*S*R*20261122*1200*1*X*005010X212~ST*276*0001*005010X212~")
    with pytest.raises(X12StructureError) as caught:
        sniff_header(path)
    assert (
        caught.value.location.segment_index,
        caught.value.location.segment_id,
        caught.value.location.element,
    ) == (2, "GS", "GS01")
    assert caught.value.message.startswith(
        "GS01 'HI' does not fit ST01 '276': claim status inquiries (276) go in a functional "
        "group with GS01 'HR', and GS01 'HI' is the group for services reviews (278)"
    )
    assert "supported" not in caught.value.message


def test_every_transaction_we_read_is_in_the_group_its_st01_needs():
    assert all(FUNCTIONAL_GROUPS[st01] == gs01 for gs01, st01, _version in SUPPORTED)


def test_sniff_header_knows_where_gs_and_st_are(tmp_path):
    path = tmp_path / "new.837"
    path.write_text(ISA + "GS*HC*S*R*20261122*1200*1*X*005010X224A2~ST*837*0001~")
    header = sniff_header(path)
    assert (header.gs_position, header.st_position) == (2, 3)


def _interchange(
    se01: str = "3", ge01: str = "1", iea01: str = "1", iea02: str = "000000001"
) -> bytes:
    return (
        ISA + "GS*HC*S*R*20261122*1200*1*X*005010X224A2~ST*837*0001*005010X224A2~"
        f"BHT*0019*00*1*20261122*1200*CH~SE*{se01}*0001~GE*{ge01}*1~"
        f"IEA*{iea01}*{iea02}~"
    ).encode()


def _envelope(data: bytes, *, trailers: bool) -> EnvelopeReader:
    reader = EnvelopeReader("f.x12", trailers=trailers)
    for seg in read_segments(data, "f.x12"):
        reader.feed(seg)
    reader.finish()
    return reader


def test_trailers_false_leaves_se_and_ge_to_the_999_but_checks_the_interchange():
    """A clearinghouse answers the interchange (TA1) before the groups (999): SE01 and GE01
    are not the TA1's business, IEA01/IEA02 are."""
    wrong = _interchange(se01="9", ge01="2")
    with pytest.raises(X12StructureError) as info:
        _envelope(wrong, trailers=True)
    assert info.value.location.element == "SE01"
    assert _envelope(wrong, trailers=False).first_isa is not None
    with pytest.raises(X12StructureError) as info:
        _envelope(_interchange(iea01="2"), trailers=False)
    assert (info.value.location.segment_id, info.value.location.element) == ("IEA", "IEA01")
    warned = _envelope(_interchange(iea02="000000009"), trailers=False).warnings
    assert [w.location.element for w in warned] == ["IEA02"]
    with pytest.raises(X12StructureError, match="ends without its IEA"):
        _envelope(_interchange().rsplit(b"IEA", 1)[0], trailers=False)


def test_answer_interchange_repeats_isa13_isa09_and_isa10():
    isa = next(iter(read_segments(_interchange())))
    ack = answer_interchange(isa, "R", "021", date(2026, 12, 1))
    assert (
        ack.interchange_control_number,
        ack.interchange_date,
        ack.interchange_time,
        ack.ack_code,
        ack.note_code,
    ) == ("000000001", date(2026, 11, 22), time(12, 0), "R", "021")
    bad = next(iter(read_segments(_interchange().replace(b"*261122*1200*", b"*261399*9999*"))))
    ack = answer_interchange(bad, "R", "014", date(2026, 12, 1))
    assert (ack.interchange_date, ack.interchange_time) == (date(2026, 12, 1), time(0, 0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("261122", None),
        ("2611", "not a YYMMDD date"),
        ("261341", "not a calendar date"),
        ("26112a", "not a YYMMDD date"),
    ],
)
def test_interchange_date(text: str, message: str | None):
    if message is None:
        assert interchange_date(text) == date(2026, 11, 22)
    else:
        with pytest.raises(ValueError, match=message):
            interchange_date(text)
    assert interchange_time("2359") == time(23, 59)
    with pytest.raises(ValueError, match="not a time of day"):
        interchange_time("2460")
