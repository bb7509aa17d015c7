"""The validation adapter: verdicts, locations, and no tracebacks whatever pyx12 does."""

from __future__ import annotations

from pathlib import Path

import pytest

from edigateway.x12.validation import Validator

REPO = Path(__file__).resolve().parents[3]
SAMPLE = (REPO / "fixtures" / "x12" / "minimal.837d").read_text()


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return Validator(mappings_dir=REPO / "mappings", cache_dir=tmp_path_factory.mktemp("c"))


def test_minimal_claim_is_valid(validator: Validator):
    verdict = validator.validate_text(SAMPLE, "minimal.837d")
    assert verdict.to_json() == {"file": "minimal.837d", "transaction": "837D",
                                 "version": "005010X224A2", "valid": True, "status": "valid",
                                 "errors": []}


def test_bom_crlf_and_indentation_change_nothing(validator: Validator):
    noisy = "\ufeff" + SAMPLE.replace("~\n", "~\r\n    ")
    assert validator.validate_text(noisy).valid


def test_bad_qualifier_is_located(validator: Validator):
    verdict = validator.validate_text(SAMPLE.replace("TOO*JP*30*M:O:D", "TOO*JP*30*M:O:X"))
    (finding,) = verdict.errors
    assert (finding.segment_id, finding.loop, finding.element) == ("TOO", "2400", "TOO03-03")
    lines = SAMPLE.splitlines()
    assert lines[finding.segment_index - 1].startswith("TOO*")  # type: ignore[operator]


def test_unknown_segment_qualifier_is_located(validator: Validator):
    verdict = validator.validate_text(SAMPLE.replace("SV3*AD:", "SV3*ZZ:"))
    assert [(f.segment_id, f.loop) for f in verdict.errors][:1] == [("SV3", "2400")]
    assert "not found" in verdict.errors[0].message


def test_missing_required_segment(validator: Validator):
    text = "".join(s for s in SAMPLE.splitlines(keepends=True) if not s.startswith("N4*SPRING"))
    verdict = validator.validate_text(text)
    assert verdict.status == "invalid"
    assert any("N4" in f.message for f in verdict.errors)


def test_non_ascii_is_reported_and_the_rest_still_validated(validator: Validator):
    verdict = validator.validate_text(SAMPLE.replace("MAPLE STREET", "MAPLÉ STREET", 1))
    assert [f.code for f in verdict.errors] == ["ENCODING"]


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
    verdict = validator.validate_text(SAMPLE)
    assert verdict.status == "invalid"
    assert verdict.errors[0].code == "ENGINE"
    assert "Cannot create AK2" in verdict.errors[0].message


def test_map_folder_is_rebuilt_when_our_maps_change(tmp_path: Path):
    mappings = tmp_path / "mappings"
    (mappings / "pyx12").mkdir(parents=True)
    for name in ("maps.xml", "837.5010.X224.A2.xml"):
        (mappings / "pyx12" / name).write_bytes((REPO / "mappings" / "pyx12" / name).read_bytes())
    first = Validator(mappings, tmp_path / "cache").map_path()
    with (mappings / "pyx12" / "maps.xml").open("a") as extra:
        extra.write("<!-- changed -->\n")
    second = Validator(mappings, tmp_path / "cache").map_path()
    assert first != second
    assert (second / "837.5010.X224.A2.xml").exists()
