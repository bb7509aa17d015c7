"""The validation adapter: verdicts, locations, SNIP types, every pyx12 finding kept, and no
tracebacks whatever pyx12 does."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from edigateway.x12.validation import CDT_FORMAT_ONLY, PYX12_SNIP_TYPES, Validator
from tests.factories import REPO

SAMPLE = (REPO / "fixtures" / "x12" / "minimal.837d").read_text()
ERA = (REPO / "fixtures" / "era" / "01_full_pay" / "era.835").read_text()
TODAY = date(2026, 11, 22)


def _found(validator: Validator, text: str, **kwargs: object) -> list[tuple[object, ...]]:
    verdict = validator.validate_text(text, "t.x12", today=TODAY, **kwargs)  # type: ignore[arg-type]
    return [(f.segment_id, f.element, f.code, f.snip_type) for f in verdict.errors]


def test_minimal_claim_is_valid(validator: Validator):
    verdict = validator.validate_text(SAMPLE, "minimal.837d", today=TODAY)
    assert verdict.to_json() == {
        "file": "minimal.837d",
        "transaction": "837D",
        "version": "005010X224A2",
        "valid": True,
        "status": "valid",
        "errors": [],
        "notes": [CDT_FORMAT_ONLY],
    }


def test_bom_and_crlf_change_nothing(validator: Validator):
    noisy = "\ufeff" + SAMPLE.replace("~\n", "~\r\n")
    assert validator.validate_text(noisy, today=TODAY).valid


@pytest.mark.parametrize(
    ("change", "first", "words"),
    [
        (lambda t: t.replace("~\n", "~\n    "), 2, "white space before 33 segment(s)"),
        (lambda t: t.replace("~\nBHT", "~\n~\nBHT"), 3, "1 empty segment(s)"),
        (lambda t: t.replace("*CH~", "*CH  ~"), 4, "white space before the terminator"),
        (lambda t: t.rstrip().removesuffix("~"), 34, "no segment terminator"),
        (lambda t: "\n" + t, 1, "characters before the ISA"),
    ],
)
def test_layout_x12_does_not_allow_is_reported(validator: Validator, change, first, words):
    """pyx12 (and x12valid) refuse these on the raw bytes; our reader forgives them."""
    verdict = validator.validate_text(change(SAMPLE), today=TODAY)
    (finding,) = [f for f in verdict.errors if f.code == "LAYOUT"]
    assert (finding.segment_index, finding.snip_type) == (first, 1)
    assert words in finding.message


def test_bad_code_is_located_by_pyx12_and_by_our_code_set_rule(validator: Validator):
    verdict = validator.validate_text(
        SAMPLE.replace("TOO*JP*30*M:O:D", "TOO*JP*30*M:O:X"), today=TODAY
    )
    by_code = {f.code: f for f in verdict.errors}
    assert (
        by_code["7"].segment_id,
        by_code["7"].loop,
        by_code["7"].element,
        by_code["7"].snip_type,
    ) == ("TOO", "2400", "TOO03-03", 2)
    assert (by_code["V102"].element, by_code["V102"].loop, by_code["V102"].snip_type) == (
        "TOO03",
        "2400",
        5,
    )
    lines = SAMPLE.splitlines()
    assert lines[by_code["7"].segment_index - 1].startswith("TOO*")  # type: ignore[operator]


def test_unknown_segment_qualifier_is_located(validator: Validator):
    verdict = validator.validate_text(SAMPLE.replace("SV3*AD:", "SV3*ZZ:"), today=TODAY)
    assert [(f.segment_id, f.loop) for f in verdict.errors][:1] == [("SV3", "2400")]
    assert "not found" in verdict.errors[0].message


def test_missing_required_segment(validator: Validator):
    text = "".join(s for s in SAMPLE.splitlines(keepends=True) if not s.startswith("N4*SPRING"))
    verdict = validator.validate_text(text, today=TODAY)
    assert verdict.status == "invalid"
    assert any("N4" in f.message for f in verdict.errors)


def test_non_ascii_is_reported_and_the_rest_still_validated(validator: Validator):
    verdict = validator.validate_text(
        SAMPLE.replace("MAPLE STREET", "MAPLÉ STREET", 1), today=TODAY
    )
    assert [(f.code, f.snip_type) for f in verdict.errors] == [("ENCODING", 1)]


def test_4010_is_unsupported_and_garbage_unreadable(validator: Validator, tmp_path: Path):
    old = SAMPLE.replace("005010X224A2", "004010X097A1").replace("*00501*", "*00401*")
    assert validator.validate_text(old).status == "unsupported"
    assert validator.validate_text("hello, world").status == "unreadable"
    missing = validator.validate_file(tmp_path / "nope.837")
    assert (missing.status, missing.errors[0].code) == ("unreadable", "IO")


def test_engine_failure_becomes_a_verdict(validator: Validator, monkeypatch: pytest.MonkeyPatch):
    import pyx12.x12n_document

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Cannot create AK2")

    monkeypatch.setattr(pyx12.x12n_document, "x12n_document", explode)
    verdict = validator.validate_text(SAMPLE, today=TODAY)
    assert verdict.status == "invalid"
    assert verdict.errors[0].code == "ENGINE"
    assert "Cannot create AK2" in verdict.errors[0].message


def test_pyx12_failure_without_findings_is_never_valid(
    validator: Validator, monkeypatch: pytest.MonkeyPatch
):
    import pyx12.x12n_document

    monkeypatch.setattr(pyx12.x12n_document, "x12n_document", lambda **_: False)
    verdict = validator.validate_text(SAMPLE, today=TODAY)
    assert [f.code for f in verdict.errors] == ["PYX12"]


# --------------------------------------------------------------------------- envelope
# Each of these came back `valid` while x12valid said Failure: pyx12 files envelope element
# errors on its ISA/GS/ST nodes, and loses envelope segment errors (too many elements).


def _se_count(text: str, delta: int) -> str:
    return re.sub(r"SE\*(\d+)", lambda m: f"SE*{int(m.group(1)) + delta}", text)


ENVELOPE_FAULTS = [
    ("ISA09 date", lambda t: t.replace("*261121*0900*", "*261399*0900*"), "ISA", "ISA09", 1),
    ("ISA10 time", lambda t: t.replace("*261121*0900*", "*261121*2599*"), "ISA", "ISA10", 1),
    ("ISA15 code", lambda t: t.replace("*0*T*:~", "*0*Q*:~"), "ISA", "ISA15", 2),
    ("GS04 date", lambda t: t.replace("*20261121*0900*1*X", "*20261321*0900*1*X"), "GS", "GS04", 1),
    ("GS05 time", lambda t: t.replace("*20261121*0900*1*X", "*20261121*2590*1*X"), "GS", "GS05", 1),
    (
        "extra GS element",
        lambda t: t.replace("*X*005010X224A2~", "*X*005010X224A2*9~"),
        "GS",
        None,
        1,
    ),
    (
        "extra ST element",
        lambda t: t.replace("ST*837*0001*005010X224A2~", "ST*837*0001*005010X224A2*X~"),
        "ST",
        None,
        1,
    ),
    (
        "missing ST03",
        lambda t: t.replace("ST*837*0001*005010X224A2~", "ST*837*0001~"),
        "ST",
        "ST03",
        2,
    ),
    ("SE01 count", lambda t: _se_count(t, 1), "SE", "SE01", 3),
    ("SE02 number", lambda t: re.sub(r"SE\*(\d+)\*0001", r"SE*\1*0002", t), "SE", "SE02", 1),
    ("extra SE element", lambda t: re.sub(r"SE\*(\d+)\*0001", r"SE*\1*0001*9", t), "SE", None, 1),
    ("GE01 count", lambda t: t.replace("GE*1*1~", "GE*2*1~"), "GE", "GE01", 3),
    ("GE02 number", lambda t: t.replace("GE*1*1~", "GE*1*2~"), "GE", "GE02", 1),
    ("IEA01 count", lambda t: t.replace("IEA*1*", "IEA*2*"), "IEA", "IEA01", 3),
    ("IEA02 number", lambda t: t.replace("IEA*1*000000001", "IEA*1*000000002"), "IEA", "IEA02", 1),
    (
        "extra IEA element",
        lambda t: t.replace("IEA*1*000000001", "IEA*1*000000001*9"),
        "IEA",
        None,
        1,
    ),
]


@pytest.mark.parametrize(
    ("name", "change", "segment", "element", "snip"),
    ENVELOPE_FAULTS,
    ids=[f[0] for f in ENVELOPE_FAULTS],
)
def test_envelope_faults_are_found_where_they_are(
    validator: Validator, name, change, segment, element, snip
):
    text = change(SAMPLE)
    assert text != SAMPLE
    verdict = validator.validate_text(text, today=TODAY)
    assert verdict.status == "invalid", name
    lines = text.splitlines()
    hits = [f for f in verdict.errors if (f.segment_id, f.element) == (segment, element)]
    assert hits, verdict.errors
    assert hits[0].snip_type == snip
    assert lines[hits[0].segment_index - 1].startswith(segment)  # type: ignore[operator]


def test_st03_on_an_835_is_found(validator: Validator):
    verdict = validator.validate_text(ERA.replace("ST*835*0001~", "ST*835*0001*005010X221A1~"))
    assert [(f.segment_id, f.element) for f in verdict.errors] == [("ST", "ST03")]


def test_every_pyx12_code_has_a_snip_type_of_one_or_two_or_a_count():
    assert set(PYX12_SNIP_TYPES.values()) == {1, 2, 3}
    counts = {key for key, snip in PYX12_SNIP_TYPES.items() if snip == 3}
    assert counts == {("isa", "021"), ("gs", "5"), ("st", "4")}


# --------------------------------------------------------------------------- levels


def test_level_keeps_snip_types_up_to_it(validator: Validator):
    text = SAMPLE.replace("TOO*JP*30*", "TOO*JP*99*").replace(
        "CLM*MSD1001*195*", "CLM*MSD1001*196*"
    )
    assert [f[2:] for f in _found(validator, text)] == [("E020", 5), ("E010", 3)]
    assert [f[2:] for f in _found(validator, text, level=4)] == [("E010", 3)]
    verdict = validator.validate_text(text, today=TODAY, level=2)
    assert (verdict.status, verdict.errors, verdict.notes) == ("valid", (), ())


# --------------------------------------------------------------------------- 835 balancing


@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        (
            lambda t: t.replace("SVC*AD:D0120*65*65**1", "SVC*AD:D0120*65*60**1"),
            "V120",
            ("SVC", "SVC03", "2110"),
        ),
        (
            lambda t: t.replace("CLP*ERA101*1*175*175*", "CLP*ERA101*1*175*170*"),
            "V121",
            ("CLP", "CLP04", "2100"),
        ),
        (lambda t: t.replace("BPR*I*175*", "BPR*I*180*"), "V122", ("BPR", "BPR02", "HEADER")),
    ],
)
def test_835_balancing_is_the_posting_engines(validator: Validator, change, code, where):
    verdict = validator.validate_text(change(ERA))
    ours = [f for f in verdict.errors if f.code == code]
    assert ours, verdict.errors
    assert (ours[0].segment_id, ours[0].element, ours[0].loop, ours[0].snip_type) == (*where, 3)


def test_835_code_lists(validator: Validator):
    text = ERA.replace("REF*6R*ERA101-1~", "CAS*CO*ZZ9*0~REF*6R*ERA101-1~")
    text = text.replace("AMT*B6*65~", "AMT*B6*65~LQ*HE*ZZ123~").replace("SE*24", "SE*26")
    assert [f[1:] for f in _found(validator, text)] == [("CAS02", "V106", 5), ("LQ02", "V107", 5)]


def test_a_carc_not_yet_in_effect_is_flagged(validator: Validator):
    text = ERA.replace("REF*6R*ERA101-1~", "CAS*CO*251*0~REF*6R*ERA101-1~")
    text = text.replace("SE*24", "SE*25")
    assert [f[2:] for f in _found(validator, text)] == []
    old = text.replace("*20261112~", "*20100105~")
    (finding,) = [f for f in validator.validate_text(old).errors if f.code == "V106"]
    assert "takes effect on 2012-09-30" in finding.message
