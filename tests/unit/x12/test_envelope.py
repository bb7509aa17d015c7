"""Reading segments and delimiters the way real partner files arrive."""

from __future__ import annotations

import io
from datetime import datetime

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
    InterchangeParams,
    SegmentWriter,
    isa_segment,
    iter_segments,
    read_delimiters,
    sniff_header,
)

ISA = ("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
       "*261122*1200*^*00501*000000001*0*T*:~")


def _params(**overrides: object) -> InterchangeParams:
    values: dict[str, object] = {
        "sender_qualifier": "ZZ", "sender_id": "SENDER", "receiver_qualifier": "ZZ",
        "receiver_id": "RECEIVER", "gs_sender_code": "S", "gs_receiver_code": "R",
        "interchange_control_number": 1, "group_control_number": 1,
        "first_transaction_control_number": 1, "created": datetime(2026, 11, 22, 12, 0),
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
    path.write_text(ISA.replace("00501", "00401") + "GS*HC*S*R*20261122*1200*1*X*004010X097A1~"
                    "ST*837*0001~")
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
    assert (caught.value.location.segment_index, caught.value.location.segment_id,
            caught.value.location.element) == (2, "GS", "GS01")
    assert caught.value.message.startswith(
        "GS01 'HI' does not fit ST01 '276': claim status inquiries (276) go in a functional "
        "group with GS01 'HR', and GS01 'HI' is the group for services reviews (278)")
    assert "supported" not in caught.value.message


def test_every_transaction_we_read_is_in_the_group_its_st01_needs():
    assert all(FUNCTIONAL_GROUPS[st01] == gs01 for gs01, st01, _version in SUPPORTED)


def test_sniff_header_knows_where_gs_and_st_are(tmp_path):
    path = tmp_path / "new.837"
    path.write_text(ISA + "GS*HC*S*R*20261122*1200*1*X*005010X224A2~ST*837*0001~")
    header = sniff_header(path)
    assert (header.gs_position, header.st_position) == (2, 3)
