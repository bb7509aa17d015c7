"""Each clean-claim edit: a clean claim passes, one change makes exactly that edit fail."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from edigateway.domain.claims import Claim, ClaimBatch
from edigateway.domain.edits import check_batch, check_claim, ensure_clean, npi_is_valid
from edigateway.errors import CleanClaimError
from tests.factories import REPO

TODAY = date(2026, 11, 22)


def _load(name: str) -> dict[str, Any]:
    return json.loads((REPO / "fixtures" / "claims" / name).read_text())["claims"][0]


def _edits(document: dict[str, Any]) -> list[str]:
    return sorted({f.edit_id for f in check_claim(Claim.model_validate(document), today=TODAY)})


Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Change:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return change


CASES: list[tuple[str, str, Change]] = [
    ("E001", "01_filling_amalgam_mod.json", _set("billing_provider.npi", "1234567890")),
    (
        "E001",
        "25_line_control_numbers_and_rendering_per_line.json",
        _set("lines.0.rendering_provider.npi", "1111111111"),
    ),
    ("E002", "01_filling_amalgam_mod.json", _set("patient_control_number", "A" * 21)),
    ("E010", "01_filling_amalgam_mod.json", _set("total_charge", "196.00")),
    ("E012", "01_filling_amalgam_mod.json", _set("lines.0.procedure_code", "D0099")),
    ("E020", "01_filling_amalgam_mod.json", _set("lines.0.teeth.0.tooth", "33")),
    ("E021", "01_filling_amalgam_mod.json", _set("lines.0.teeth.0.surfaces", ["M", "M"])),
    ("E022", "01_filling_amalgam_mod.json", _set("lines.0.teeth.0.surfaces", [])),
    ("E023", "03_extraction_simple.json", _set("lines.2.teeth", [])),
    ("E030", "07_quadrant_scaling.json", _set("lines.0.oral_cavity_areas", [])),
    ("E031", "09_complete_dentures.json", _set("lines.0.oral_cavity_areas", ["10"])),
    ("E040", "06_crown_replacement.json", _set("lines.0.prior_placement_date", None)),
    ("E040", "06_crown_replacement.json", _set("lines.0.prior_placement_date", "2026-09-03")),
    ("E041", "19_comprehensive_exam_fmx.json", _set("lines.2.prosthesis", "I")),
    ("E050", "01_filling_amalgam_mod.json", _set("lines.0.service_date", "2026-12-01")),
    ("E051", "01_filling_amalgam_mod.json", _set("subscriber.date_of_birth", "2026-10-07")),
    ("E052", "01_filling_amalgam_mod.json", _set("lines.0.service_date", None)),
    ("E053", "12_predetermination_crown_buildup.json", _set("service_date", "2026-10-01")),
    ("E060", "13_replacement_claim.json", _set("payer_claim_control_number", None)),
    ("E060", "01_filling_amalgam_mod.json", _set("payer_claim_control_number", "P1")),
    ("E070", "11_ortho_comprehensive.json", _set("orthodontics.months_remaining", 30)),
    ("E071", "11_ortho_comprehensive.json", _set("orthodontics", None)),
    (
        "E080",
        "17_secondary_with_primary_adjudication.json",
        _set("other_payers.0.responsibility", "S"),
    ),
    ("E081", "01_filling_amalgam_mod.json", _set("payer_responsibility", "S")),
    (
        "E082",
        "17_secondary_with_primary_adjudication.json",
        _set("lines.1.adjudications.0.payer_id", "OTHER"),
    ),
    (
        "E083",
        "17_secondary_with_primary_adjudication.json",
        _set("other_payers.0.paid_amount", "541.00"),
    ),
    (
        "E084",
        "17_secondary_with_primary_adjudication.json",
        _set("lines.1.adjudications.0.paid", "41.00"),
    ),
    ("E085", "06_crown_replacement.json", _set("attachments.0.control_number", None)),
    ("E086", "01_filling_amalgam_mod.json", _set("subscriber.address", None)),
    ("E013", "16_spouse_dependent.json", _set("patient.name.last_name", "MUÑOZ")),
    ("E013", "01_filling_amalgam_mod.json", _set("lines.0.description", "FILLING \u2013 MOD")),
    ("E014", "01_filling_amalgam_mod.json", _set("diagnoses", [{"code": "K02.52"}])),
    (
        "E014",
        "01_filling_amalgam_mod.json",
        _set("diagnoses", [{"code": c} for c in ("K0252", "K0253", "K081", "K0401", "K0530")]),
    ),
    ("E015", "01_filling_amalgam_mod.json", _set("lines.0.diagnosis_pointers", [1])),
    ("E015", "01_filling_amalgam_mod.json", _set("lines.0.diagnosis_pointers", [1, 2, 3, 4, 5])),
]


@pytest.mark.parametrize(
    ("edit", "fixture", "change"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_edit_fails_only_for_its_fault(edit: str, fixture: str, change: Change):
    document = _load(fixture)
    assert _edits(document) == []
    change(document)
    found = _edits(document)
    assert edit in found
    assert len(found) <= 2, found  # the fault, and at most one edit it implies


def test_messages_speak_to_coordinators():
    document = _load("01_filling_amalgam_mod.json")
    document["lines"][0]["teeth"][0]["tooth"] = "33"
    (failure,) = check_claim(Claim.model_validate(document), today=TODAY)
    assert failure.path == "lines.0.teeth.0.tooth"
    assert "not a valid tooth number" in failure.message
    assert str(failure).startswith("[E020] claim MSD1001 lines.0.teeth.0.tooth:")


def test_duplicate_patient_control_numbers_in_a_batch():
    claim = Claim.model_validate(_load("01_filling_amalgam_mod.json"))
    failures = check_batch(ClaimBatch(claims=[claim, claim]), today=TODAY)
    assert [f.edit_id for f in failures] == ["E003"]


def test_ensure_clean_lists_every_failure():
    document = _load("01_filling_amalgam_mod.json")
    document["total_charge"] = "1.00"
    document["billing_provider"]["npi"] = "1234567890"
    with pytest.raises(CleanClaimError) as info:
        ensure_clean(ClaimBatch(claims=[Claim.model_validate(document)]), today=TODAY)
    assert sorted(f.edit_id for f in info.value.failures) == ["E001", "E010"]


@pytest.mark.parametrize(
    ("npi", "ok"),
    [
        ("1234567893", True),
        ("1245319599", True),
        ("1234567890", False),
        ("123456789", False),
        ("12345678AB", False),
    ],
)
def test_npi_luhn(npi: str, ok: bool):
    assert npi_is_valid(npi) is ok


def test_text_outside_x12_is_refused_naming_the_field():
    document = _load("16_spouse_dependent.json")
    document["patient"]["name"]["last_name"] = "MUÑOZ"
    (failure,) = check_claim(Claim.model_validate(document), today=TODAY)
    assert (failure.edit_id, failure.path) == ("E013", "patient.name.last_name")
    assert "U+00D1" in failure.message


def test_pointers_must_name_a_listed_diagnosis_once():
    document = _load("01_filling_amalgam_mod.json")
    document["diagnoses"] = [{"code": "K0252"}, {"code": "S025XXA"}]
    document["lines"][0]["diagnosis_pointers"] = [2, 1]
    assert _edits(document) == []
    document["lines"][0]["diagnosis_pointers"] = [2, 2, 3]
    messages = [f.message for f in check_claim(Claim.model_validate(document), today=TODAY)]
    assert any("same diagnosis twice" in m for m in messages)
    assert any("diagnosis 3 is named by the line but the claim lists 2" in m for m in messages)
