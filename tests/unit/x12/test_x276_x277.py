"""276/277 claim status (005010X212): our files round-trip and pass our maps, the corpus gets
a verdict per file, broken input is refused with its location, and the simulator answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from edigateway.domain.acknowledgments import StatusCode
from edigateway.domain.claim_status import (
    ClaimStatusAnswer,
    StatusInquiry,
    describe_status,
    status_outcome,
)
from edigateway.errors import (
    ConfigurationError,
    DelimiterInDataError,
    InputError,
    UnsupportedX12Error,
    X12Error,
    X12StructureError,
)
from edigateway.sim.claim_status import PayerClaim, answer_276, nothing_known
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x276_005010X212 import read_276, write_276
from edigateway.x12.x277_005010X212 import read_277, write_277
from tests.factories import CORPUS

PARAMS = InterchangeParams(
    "ZZ",
    "MAPLEDENTAL",
    "ZZ",
    "DELTADENTAL",
    "MAPLEDENTAL",
    "DELTADENTAL",
    4101,
    4101,
    1,
    datetime(2026, 12, 3, 8, 15),
)
ANSWER_PARAMS = InterchangeParams(
    "ZZ",
    "DELTADENTAL",
    "ZZ",
    "MAPLEDENTAL",
    "DELTADENTAL",
    "MAPLEDENTAL",
    9001,
    9001,
    1,
    datetime(2026, 12, 3, 8, 16),
)

PAYER = {"payer_id": "DDPA1", "name": "DELTA DENTAL"}
RECEIVER = {"name": "MAPLE DENTAL GROUP", "etin": "MAPLE01"}
PRACTICE = {"organization_name": "MAPLE DENTAL GROUP", "identifier": "1234567893"}
DENTIST = {"person": {"last_name": "NGUYEN", "first_name": "LINH"}, "identifier": "1987654328"}
SUBSCRIBER = {
    "name": {"last_name": "OKONKWO", "first_name": "SAMUEL"},
    "member_id": "PDP300412",
    "date_of_birth": "1962-07-04",
    "gender": "M",
}
CHILD = {
    "name": {"last_name": "OKONKWO", "first_name": "AMARA"},
    "date_of_birth": "2014-03-09",
    "gender": "F",
}


def _inquiry(trace: str, pcn: str, **extra: Any) -> StatusInquiry:
    return StatusInquiry.model_validate(
        {
            "trace_number": trace,
            "payer": PAYER,
            "receiver": RECEIVER,
            "provider": PRACTICE,
            "subscriber": SUBSCRIBER,
            "patient_control_number": pcn,
            "total_charge": "150.00",
            "service_start": "2026-11-02",
            **extra,
        }
    )


def _inquiries() -> list[StatusInquiry]:
    return [
        _inquiry(
            "CS-1",
            "PC1001",
            payer_claim_control_number="PAYER-77",
            clearinghouse_trace_number="CH-9",
            group_number="G100",
        ),
        _inquiry(
            "CS-2",
            "PC1002",
            patient=CHILD,
            service_end="2026-11-04",
            total_charge="1210.50",
            lines=[
                {
                    "procedure_code": "D2740",
                    "charge": "1100.50",
                    "units": "1",
                    "line_control_number": "PC1002-1",
                    "service_start": "2026-11-02",
                },
                {
                    "procedure_code": "D0220",
                    "charge": "110.00",
                    "service_start": "2026-11-02",
                    "service_end": "2026-11-04",
                },
            ],
        ),
        # the subscriber's own claim after the dependent's: a new 2000D keeps the order
        _inquiry("CS-3", "PC1003", total_charge="95"),
        _inquiry("CS-4", "PC1004", provider=DENTIST),
    ]


def _answer(trace: str, pcn: str | None, **extra: Any) -> ClaimStatusAnswer:
    return ClaimStatusAnswer.model_validate(
        {
            "trace_number": trace,
            "payer": PAYER,
            "receiver": RECEIVER,
            "provider": PRACTICE,
            "subscriber": SUBSCRIBER["name"],
            "member_id": SUBSCRIBER["member_id"],
            "patient_control_number": pcn,
            "status_date": "2026-12-01",
            "statuses": [{"category_code": "P1", "status_code": "20"}],
            **extra,
        }
    )


def _answers() -> list[ClaimStatusAnswer]:
    return [
        _answer(
            "CS-1",
            "PC1001",
            statuses=[{"category_code": "F1", "status_code": "65"}],
            total_charge="150",
            paid_amount="120",
            adjudication_date="2026-11-28",
            check_date="2026-12-01",
            check_number="CHK10042",
            payer_claim_control_number="PAYER-77",
            service_start="2026-11-02",
        ),
        _answer(
            "CS-2",
            "PC1002",
            patient=CHILD["name"],
            total_charge="1210.50",
            statuses=[
                {"category_code": "F2", "status_code": "65"},
                {"category_code": "F2", "status_code": "88", "entity_code": "QC"},
            ],
            more_reports=[
                {
                    "codes": [{"category_code": "R4", "status_code": "294"}],
                    "status_date": "2026-11-30",
                }
            ],
            service_start="2026-11-02",
            service_end="2026-11-04",
            lines=[
                {
                    "procedure_code": "D2740",
                    "charge": "1100.50",
                    "paid_amount": "0",
                    "units": "1",
                    "statuses": [{"category_code": "F2", "status_code": "88"}],
                    "status_date": "2026-11-28",
                    "line_control_number": "PC1002-1",
                    "service_start": "2026-11-02",
                }
            ],
        ),
        _answer("CS-3", None, statuses=[{"category_code": "D0", "status_code": "35"}]),
        _answer("CS-4", "PC1004", provider=DENTIST),
    ]


# --------------------------------------------------------------------------- round trips


def test_276_round_trip_is_valid_equal_and_byte_identical(validator: Validator):
    inquiries = _inquiries()
    text = write_276(inquiries, PARAMS)
    verdict = validator.validate_text(text, "x.276")
    assert (verdict.transaction, verdict.version) == ("276/277", "005010X212")
    assert verdict.status == "valid", verdict.errors
    parsed = read_276(text.encode(), name="x.276")
    assert parsed.inquiries == inquiries
    assert write_276(parsed.inquiries, parsed.params) == text


def test_276_levels_follow_the_guide():
    lines = write_276(_inquiries(), PARAMS).split("~\n")
    assert lines[3] == "BHT*0010*13*000004101*20261203*0815"
    hls = [ln for ln in lines if ln.startswith("HL*")]
    assert hls == [
        "HL*1**20*1",
        "HL*2*1*21*1",
        "HL*3*2*19*1",
        "HL*4*3*22*1",
        "HL*5*4*23",
        "HL*6*3*22*0",
        "HL*7*2*19*1",
        "HL*8*7*22*0",
    ]
    child = lines.index("HL*5*4*23")
    assert lines[child + 1 : child + 4] == [
        "DMG*D8*20140309*F",
        "NM1*QC*1*OKONKWO*AMARA",
        "TRN*1*CS-2",
    ]
    assert "DTP*472*RD8*20261102-20261104" in lines
    assert "SVC*AD:D2740*1100.5*****1" in lines
    assert "NM1*1P*1*NGUYEN*LINH****XX*1987654328" in lines


def test_276_sends_no_identifier_for_a_dependent(validator: Validator):
    """2100E NM108/NM109 are not used (X12 RFI 1907: a patient with an own ID is the
    subscriber). Before, the writer sent ``NM1*QC*1*OKONKWO*AMARA****MI*DEP-7``, which our
    X212 map refuses; now such a patient is refused where the ID would have gone."""
    inquiry = _inquiry("CS-9", "PC1009", patient={**CHILD, "member_id": "DEP-7"})
    with pytest.raises(X12StructureError, match="RFI 1907") as info:
        write_276([inquiry], PARAMS)
    loc = info.value.location
    assert (loc.segment_index, loc.segment_id, loc.loop, loc.element) == (
        16,
        "NM1",
        "2100E",
        "NM109",
    )
    assert "PC1009" in info.value.message
    text = write_276(_inquiries(), PARAMS).replace(
        "NM1*QC*1*OKONKWO*AMARA~", "NM1*QC*1*OKONKWO*AMARA****MI*DEP-7~"
    )
    found = validator.validate_text(text, "dependent-id.276").errors
    assert [(f.segment_id, f.loop, f.element) for f in found][:1] == [("NM1", "2100E", "NM108")]


def test_277_round_trip_is_valid_equal_and_byte_identical(validator: Validator):
    answers = _answers()
    text = write_277(answers, ANSWER_PARAMS)
    verdict = validator.validate_text(text, "x.277")
    assert verdict.status == "valid", verdict.errors
    parsed = read_277(text.encode(), name="x.277")
    assert parsed.answers == answers
    assert parsed.level_statuses == []
    assert write_277(parsed.answers, parsed.params) == text
    lines = text.split("~\n")
    assert "STC*F1:65*20261201**150*120*20261128**20261201*CHK10042" in lines
    assert "STC*F2:65*20261201**1210.5******F2:88:QC" in lines
    assert "STC*D0:35*20261201" in lines
    assert "SVC*AD:D2740*1100.5*0****1" in lines


def test_answers_say_what_to_do():
    paid, denied, missing, pending = _answers()
    assert (paid.outcome, denied.outcome, missing.outcome, pending.outcome) == (
        "paid",
        "denied",
        "not_found",
        "pending",
    )
    assert missing.message == (
        "Data search unsuccessful: no claim matches the request: claim/encounter not found [D0:35]"
    )
    assert "(patient)" in denied.message
    assert [status_outcome(c) for c in ("R4", "E1", "A7", "A2", "F3F", "ZZ")] == [
        "information_requested",
        "request_error",
        "rejected",
        "acknowledged",
        "finalized",
        "unknown",
    ]
    assert "Q9 (not in our table" in describe_status(
        StatusCode(category_code="Q9", status_code="1")
    )


def test_models_refuse_what_the_guide_cannot_carry():
    with pytest.raises(ValueError, match="date_of_birth"):
        _inquiry("T", "PC1", patient={"name": {"last_name": "A"}})
    with pytest.raises(ValueError, match="not an NPI"):
        _inquiry("T", "PC1", provider={"organization_name": "X", "identifier": "12345"})
    with pytest.raises(ValueError, match="service_end is before"):
        _inquiry("T", "PC1", service_end="2026-11-01")


def test_nothing_to_write_is_refused():
    with pytest.raises(InputError, match="at least one inquiry"):
        write_276([], PARAMS)
    with pytest.raises(InputError, match="at least one claim answer"):
        write_277([], ANSWER_PARAMS)


def test_writing_refuses_a_delimiter_and_names_the_claim():
    bad = _inquiry("CS-9", "PC1009", subscriber={**SUBSCRIBER, "name": {"last_name": "O*NEIL"}})
    with pytest.raises(DelimiterInDataError, match="PC1009") as info:
        write_276([bad], PARAMS)
    assert info.value.location.element == "NM103"


# --------------------------------------------------------------------------- corpus

_FAKE_NPI = ("invalid", "is not a valid NPI")  # 1666666661 … fail the NPI check digit (SNIP 5)
CORPUS_VERDICTS: dict[str, tuple[str, str]] = {
    "276/lfh__claim-level-status.276": _FAKE_NPI,
    "276/lfh__claim-level-status-ncpdp.276": _FAKE_NPI,
    "276/lfh__information-receiver-level-status.276": _FAKE_NPI,
    "276/lfh__provider-level-status.276": _FAKE_NPI,
    # ISA12 00401 with GS08 005010X279 (and ST03 005010X212): not a 5010 276
    "276/oopfactory__Example1_IG.txt": ("unsupported", "ISA12 00401"),
    "277/lfh__claim-level-status.277": _FAKE_NPI,
    "277/lfh__claim-level-status-ncpdp.277": _FAKE_NPI,
    "277/lfh__information-receiver-level-status.277": ("valid", ""),
    "277/lfh__provider-level-status.277": _FAKE_NPI,
    # STC03 action code (WQ) and STC12 free text are 277CA habits; X212 does not use them
    "277/imsweb__x12_277_x212.txt": ("invalid", "(STC12) is marked as Not Used"),
}

# What our readers make of them: how many claims, or the located error they refuse with.
CORPUS_READS: dict[str, int | tuple[str, str]] = {
    "276/lfh__claim-level-status.276": ("NM1", "166666666' is not an NPI"),
    "276/lfh__claim-level-status-ncpdp.276": ("TRN", "patient_control_number (REF*EJ)"),
    "276/lfh__information-receiver-level-status.276": 1,
    "276/lfh__provider-level-status.276": ("TRN", "total_charge (AMT*T3)"),
    "276/oopfactory__Example1_IG.txt": ("ISA", "'00401' is not supported"),
    "277/lfh__claim-level-status.277": ("NM1", "166666666' is not an NPI"),
    "277/lfh__claim-level-status-ncpdp.277": ("STC", "NCPDP reject codes"),
    "277/lfh__information-receiver-level-status.277": 0,
    "277/lfh__provider-level-status.277": 1,
    "277/imsweb__x12_277_x212.txt": 8,
}


def _corpus_files() -> set[str]:
    return {
        f"{p.parent.name}/{p.name}"
        for folder in ("276", "277")
        for p in (CORPUS / folder).iterdir()
        if p.is_file()
    }


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not found")


@needs_corpus
def test_every_claim_status_file_is_listed():
    assert _corpus_files() == set(CORPUS_VERDICTS) == set(CORPUS_READS)


@needs_corpus
@pytest.mark.parametrize("name", sorted(CORPUS_VERDICTS))
def test_corpus_verdicts(name: str, validator: Validator):
    status, phrase = CORPUS_VERDICTS[name]
    verdict = validator.validate_file(CORPUS / name)
    assert verdict.status == status, verdict.errors[:5]
    if phrase:
        assert any(phrase in f.message for f in verdict.errors), verdict.errors[:5]


@needs_corpus
@pytest.mark.parametrize("name", sorted(CORPUS_READS))
def test_corpus_reads(name: str):
    expected = CORPUS_READS[name]
    path = CORPUS / name

    def read() -> int:
        if name.startswith("276/"):
            return len(read_276(path, name=name).inquiries)
        return len(read_277(path).answers)

    if isinstance(expected, int):
        assert read() == expected
        return
    segment, phrase = expected
    with pytest.raises(X12Error) as info:
        read()
    assert info.value.location.segment_id == segment
    assert phrase in str(info.value)


@needs_corpus
def test_request_level_statuses_are_read():
    parsed = read_277(CORPUS / "277/lfh__provider-level-status.277")
    (status,) = parsed.level_statuses
    assert (status.level, status.provider is not None) == ("provider", True)
    assert status.message == (
        "Response not possible: error on the submitted request data: "
        "entity not approved as an electronic submitter "
        "(billing provider) [E0:24:85]"
    )
    (receiver,) = read_277(CORPUS / "277/lfh__information-receiver-level-status.277").level_statuses
    assert (receiver.level, receiver.trace_number) == ("receiver", "ABC276XXX")


# --------------------------------------------------------------------------- located errors


def _276() -> str:
    return write_276(_inquiries(), PARAMS)


def _277() -> str:
    return write_277(_answers(), ANSWER_PARAMS)


@pytest.mark.parametrize(
    ("old", "new", "where", "phrase"),
    [
        ("AMT*T3*150~\nDTP*472*D8*20261102", "AMT*T3*150~\nDTP*472*D8*20261332", None, None),
        ("REF*EJ*PC1003~\n", "", ("TRN", "2200D", None), "patient_control_number (REF*EJ)"),
        ("HL*6*3*22*0", "HL*6*5*22*0", ("HL", "2000D", "HL02"), "HL*19"),
        ("AMT*T3*95~", "AMT*T3*9X5~", ("AMT", "2200D", "AMT02"), "not a number"),
        ("SVC*AD:D0220*110", "SVC*D0220*110", ("SVC", "2210E", "SVC01"), "qualifier"),
        ("TRN*1*CS-2", "TRN*2*CS-2", ("TRN", "2200E", "TRN01"), "is not 1"),
        ("NM1*41*2", "NM1*42*2", ("NM1", "2100B", "NM101"), "is not 41"),
        (
            "AMT*T3*95~",
            "AMT*T3*95~\nPER*IC*X*TE*5555551212~",
            ("PER", "2200D", None),
            "PER is not a segment of the 276",
        ),
    ],
)
def test_broken_276_is_refused_with_its_location(old: str, new: str, where: Any, phrase: Any):
    text = _276()
    assert old in text
    with pytest.raises(X12StructureError) as info:
        read_276(text.replace(old, new, 1).encode(), name="bad.276")
    loc = info.value.location
    assert loc.file == "bad.276"
    assert loc.segment_index is not None
    if where is None:  # the bad date: element DTP03 of the first claim
        assert (loc.segment_id, loc.loop, loc.element) == ("DTP", "2200D", "DTP03")
        return
    assert (loc.segment_id, loc.loop, loc.element) == where
    assert phrase in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "where", "phrase"),
    [
        ("STC*D0:35*20261201", "STC*D0:35", ("STC", "2200D", "STC02"), "status date"),
        ("STC*D0:35", "STC*D035", ("STC", "2200D", "STC01"), "category:status"),
        (
            "SVC*AD:D2740*1100.5*0",
            "SVC*AD:D2740*1100.5*",
            ("SVC", "2220E", "SVC03"),
            "SVC03 (an amount) is missing",
        ),
        ("BHT*0010*08", "BHT*0010*13", ("BHT", "BHT", "BHT02"), "is not 08"),
        ("STC*F1:65*20261201", "STC*F1:65*20261232", ("STC", "2200D", "STC02"), "calendar"),
        ("REF*1K*PAYER-77", "REF*ZZ*PAYER-77", ("REF", "2200D", "REF01"), "1K, BLT, EJ"),
    ],
)
def test_broken_277_is_refused_with_its_location(old: str, new: str, where: Any, phrase: str):
    text = _277()
    assert old in text
    with pytest.raises(X12StructureError) as info:
        read_277(text.replace(old, new, 1).encode(), name="bad.277")
    loc = info.value.location
    assert (loc.segment_id, loc.loop, loc.element) == where
    assert loc.segment_index is not None
    assert phrase in str(info.value)


def test_truncated_and_miscounted_277_are_refused():
    text = _277()
    with pytest.raises(X12StructureError, match="truncated"):
        read_277(text[: text.index("SE*")].encode(), name="cut.277")
    se = next(ln for ln in text.split("~\n") if ln.startswith("SE*"))
    with pytest.raises(X12StructureError) as info:
        read_277(text.replace(se, "SE*3*0001").encode(), name="count.277")
    assert info.value.location.element == "SE01"


def test_a_270_is_not_read_as_a_276():
    text = _276().replace("GS*HR", "GS*HS")
    with pytest.raises(X12StructureError, match="functional group 'HS' is not HR"):
        read_276(text.encode())
    old = _276().replace("*00501*", "*00401*", 1)
    with pytest.raises(UnsupportedX12Error, match="ISA12 00501"):
        read_276(old.encode())


@pytest.mark.parametrize(
    ("text_of", "old", "new", "phrase"),
    [
        (_276, "NM1*IL*1*", "NM1*ZZ*1*", "NM1"),
        (_276, "AMT*T3*95", "AMT*T4*95", "AMT*T4 not found"),
        (_277, "STC*D0:35*20261201", "STC*D0:35", "STC02"),
        (
            _277,
            "BHT*0010*08*000009001*20261203*0816*DG",
            "BHT*0010*08*000009001*20261203*0816",
            "BHT06",
        ),
    ],
)
def test_our_maps_find_what_is_wrong(
    text_of: Any, old: str, new: str, phrase: str, validator: Validator
):
    text = text_of()
    assert old in text
    verdict = validator.validate_text(text.replace(old, new, 1), "bad")
    assert verdict.status == "invalid"
    assert any(phrase in f"{f.segment_id} {f.element} {f.message}" for f in verdict.errors)


# --------------------------------------------------------------------------- simulator


def test_simulator_answers_known_and_unknown_claims(validator: Validator):
    known = {
        "PC1001": PayerClaim(
            "F1",
            "65",
            date(2026, 12, 1),
            paid_amount=Decimal("120.00"),
            adjudication_date=date(2026, 11, 28),
            check_number="CHK10042",
            check_date=date(2026, 12, 1),
            payer_claim_control_number="PAYER-77",
        )
    }
    text = answer_276(_276(), known.get)
    verdict = validator.validate_text(text, "sim.277")
    assert verdict.status == "valid", verdict.errors
    answers = read_277(text.encode()).answers
    assert [a.trace_number for a in answers] == ["CS-1", "CS-2", "CS-3", "CS-4"]
    paid = answers[0]
    assert (paid.outcome, paid.total_charge, paid.paid_amount, paid.check_number) == (
        "paid",
        Decimal("150.00"),
        Decimal("120.00"),
        "CHK10042",
    )
    assert paid.payer_claim_control_number == "PAYER-77"
    for missing in answers[1:]:
        assert missing.statuses == [StatusCode(category_code="D0", status_code="35")]
        assert (missing.total_charge, missing.status_date) == (None, date(2026, 12, 3))
    assert answers[1].patient is not None
    assert answers[1].patient.first_name == "AMARA"
    # the envelope mirrors the request's: a reply from the payer to the practice
    assert text.startswith("ISA*00*          *00*          *ZZ*DELTADENTAL    *ZZ*MAPLEDENTAL")


def test_simulator_default_knows_nothing_and_bad_records_are_named():
    answers = read_277(answer_276(_276(), nothing_known).encode()).answers
    assert {a.outcome for a in answers} == {"not_found"}
    broken = {"PC1001": PayerClaim("??", "65", date(2026, 12, 1))}
    with pytest.raises(ConfigurationError, match="PC1001"):
        answer_276(_276(), broken.get)
