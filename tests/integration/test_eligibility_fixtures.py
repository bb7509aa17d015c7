"""Our dental 271 fixtures: each reads into the DentalBenefits its expected.json describes
(hand-written), and its treatment plan estimates to the hand-computed figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edigateway.domain.eligibility import Category, DentalBenefits, TreatmentPlan
from edigateway.estimates.engine import estimate
from edigateway.x12.validation import Validator
from edigateway.x12.x271_005010X279A1 import read_271
from tests.factories import REPO

FOLDERS = sorted(p for p in (REPO / "fixtures" / "eligibility").iterdir() if p.is_dir())


def _pair(acc: Any) -> list[str | None] | None:
    if acc is None:
        return None
    return [
        str(acc.amount) if acc.amount is not None else None,
        str(acc.remaining) if acc.remaining is not None else None,
    ]


def _coinsurance(b: DentalBenefits, field: str) -> dict[str, str]:
    """Category → ``field`` of the first plan that states it (as the estimate reads them)."""
    got: dict[str, str] = {}
    for c in b.categories:
        if getattr(c, field) is not None:
            got.setdefault(c.category.value, str(getattr(c, field)))
    return got


def _coinsurance_by_plan(b: DentalBenefits) -> dict[str | None, dict[str, str]]:
    got: dict[str | None, dict[str, str]] = {}
    for c in b.categories:
        if c.coinsurance_in_network is not None:
            got.setdefault(c.plan, {})[c.category.value] = str(c.coinsurance_in_network)
    return got


def _deductible_met(b: DentalBenefits) -> str | None:
    acc = b.accumulator("deductible", "35")
    return str(acc.met) if acc and acc.met is not None else None


def _first_name(b: DentalBenefits, key: str) -> str | None:
    name = getattr(b, key)
    return name.first_name if name else None


READ: dict[str, Callable[[DentalBenefits], Any]] = {
    "coinsurance": lambda b: _coinsurance(b, "coinsurance_in_network"),
    "coinsurance_by_plan": _coinsurance_by_plan,
    "maximums_by_plan": lambda b: {a.plan: str(a.amount) for a in b.maximums},
    "deductibles_by_network": lambda b: {
        a.network: str(a.amount) for a in b.deductibles if a.service_types == ["35"]
    },
    "age_limits": lambda b: [a.text for a in b.age_limits],
    "frequency_counts": lambda b: [[f.count, f.remaining] for f in b.frequencies],
    "copay": lambda b: {
        c.category.value: str(c.copay_in_network)
        for c in b.categories
        if c.copay_in_network is not None
    },
    "deductible_individual": lambda b: _pair(b.accumulator("deductible", "35")),
    "deductible_family": lambda b: _pair(b.accumulator("deductible", "35", level="family")),
    "deductible_met": _deductible_met,
    "annual_maximum": lambda b: _pair(b.accumulator("maximum", "35")),
    "orthodontic_maximum": lambda b: _pair(b.accumulator("maximum", "38", period="lifetime")),
    "frequencies": lambda b: [f.text for f in b.frequencies],
    "waiting_periods": lambda b: len(b.waiting_periods),
    "rejections": lambda b: [
        {"code": r.code, "level": r.level, "retry": r.retry, "follow_up": r.follow_up}
        for r in b.rejections
    ],
    "patient": lambda b: _first_name(b, "patient"),
    "subscriber": lambda b: _first_name(b, "subscriber"),
    "plan_begin": lambda b: str(b.plan_begin),
    "plan_end": lambda b: str(b.plan_end),
}
"""expected.json's keys that are not a field of DentalBenefits read as it is → how to read
them (any other ``coinsurance…`` key is that field per category)."""


def _summary(b: DentalBenefits, wanted: dict[str, Any]) -> dict[str, Any]:
    """The fields expected.json names, from the benefits read."""
    got: dict[str, Any] = {}
    for key in wanted:
        if key in READ:
            got[key] = READ[key](b)
        elif key.startswith("coinsurance"):
            got[key] = _coinsurance(b, key)
        else:
            got[key] = getattr(b, key)
    return got


def test_there_are_ten_dental_271s():
    assert len(FOLDERS) >= 10


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_271_reads_as_expected(folder: Path):
    expected = json.loads((folder / "expected.json").read_text())["benefits"]
    (benefits,) = read_271(folder / "response.271").benefits
    assert _summary(benefits, expected) == expected


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_estimate_matches_hand_computation(folder: Path):
    expected = json.loads((folder / "expected.json").read_text())["estimate"]
    (benefits,) = read_271(folder / "response.271").benefits
    plan = TreatmentPlan.model_validate_json((folder / "plan.json").read_text())
    result = estimate(benefits, plan)
    got = [
        {
            "procedure_code": ln.procedure_code,
            "allowed": str(ln.allowed.amount),
            "deductible": str(ln.deductible.amount),
            "coinsurance": str(ln.coinsurance.amount),
            "insurance": str(ln.insurance.amount),
            "patient": str(ln.patient.amount),
            "flags": ln.flags,
        }
        for ln in result.lines
    ]
    assert got == expected["lines"]
    assert (str(result.total_allowed), str(result.total_insurance), str(result.total_patient)) == (
        expected["total_allowed"],
        expected["total_insurance"],
        expected["total_patient"],
    )
    for line in result.lines:
        for figure in (
            line.allowed,
            line.deductible,
            line.coinsurance,
            line.insurance,
            line.patient,
        ):
            assert figure.rule


def test_not_stated_is_not_guessed():
    folder = REPO / "fixtures" / "eligibility" / "10_active_only"
    (benefits,) = read_271(folder / "response.271").benefits  # active coverage only
    assert benefits.category(Category.BASIC) is None
    assert benefits.deductibles == []
    assert benefits.maximums == []
    assert benefits.orthodontic_age_limit is None


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_271_fixture_is_valid_for_our_map(folder: Path, validator: Validator):
    verdict = validator.validate_file(folder / "response.271")
    assert (verdict.transaction, verdict.version) == ("271", "005010X279A1")
    assert verdict.status == "valid", verdict.errors
