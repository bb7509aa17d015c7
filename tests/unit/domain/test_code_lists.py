"""The shared X12 code lists: one claim status table for the 277CA and the 277, one service
type table for the 270 and the 271, and unknown codes still readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edigateway.domain import acknowledgments, claim_status
from edigateway.domain.acknowledgments import StatusCode
from edigateway.domain.claim_status import describe_status
from edigateway.domain.code_lists import (
    BENEFIT_QUANTITIES,
    CLAIM_STATUS_CATEGORIES,
    CLAIM_STATUS_CODES,
    SERVICE_TYPES,
    TIME_PERIODS,
)

REFERENCE = Path(__file__).resolve().parents[3] / "tools" / "grammar_audit" / "reference"


def _reference_codes(guide: str, loop: str, ref: str) -> set[str]:
    document = json.loads((REFERENCE / f"{guide}.stupidedi.json").read_text())
    for candidate in document["loops"]:
        if candidate["id"] != loop:
            continue
        for segment in candidate["segments"]:
            for element in segment.get("elements", []):
                if element["ref"] == ref:
                    return set(element["codes"])
    raise AssertionError(f"{guide} {loop} {ref} not in the reference")


def test_277ca_and_277_read_one_table():
    assert acknowledgments.CLAIM_STATUS_CATEGORIES is claim_status.STATUS_CATEGORIES  # type: ignore[attr-defined]
    assert acknowledgments.CLAIM_STATUS_CODES is claim_status.STATUS_CODES  # type: ignore[attr-defined]
    expected = (
        {f"A{n}" for n in range(9)}
        | {"D0"}
        | {f"E{n}" for n in range(5)}
        | {f"F{n}" for n in range(5)}
        | {f"P{n}" for n in range(6)}
        | {f"R{n}" for n in range(17)} - {"R2"}
    )
    assert expected <= set(CLAIM_STATUS_CATEGORIES)
    assert len(CLAIM_STATUS_CODES) > 50


@pytest.mark.parametrize(
    ("category", "status", "words"),
    [
        ("F2", "65", "finalized: denied"),
        ("A3", "187", "date(s) of service"),
        ("R16", "21", "eligibility verification"),
        ("E1", "0", "system status"),
    ],
)
def test_277ca_describes_what_only_the_277_table_knew(category: str, status: str, words: str):
    described = StatusCode(category_code=category, status_code=status).description
    assert words in described.lower()
    assert words in describe_status(StatusCode(category_code=category, status_code=status)).lower()


def test_unknown_codes_are_said_to_be_unknown_not_refused():
    described = StatusCode(category_code="A3", status_code="999").description
    assert "code 999 (not in our table" in described
    assert "[A3:999]" in described
    assert "code 999 (not in our table" in describe_status(
        StatusCode(category_code="A3", status_code="999")
    )


@pytest.mark.parametrize(
    ("guide", "loop", "ref"),
    [
        ("270_X279A1", "2110C", "EQ01"),
        ("271_X279A1", "2110C", "EB03"),
        ("271_X279A1", "2110D", "EB03"),
    ],
)
def test_every_service_type_the_guide_allows_has_a_name(guide: str, loop: str, ref: str):
    assert _reference_codes(guide, loop, ref) <= set(SERVICE_TYPES)


def test_every_time_period_and_quantity_qualifier_has_a_name():
    assert _reference_codes("271_X279A1", "2110C", "EB06") <= set(TIME_PERIODS)
    assert _reference_codes("271_X279A1", "2110C", "HSD05") <= set(TIME_PERIODS)
    assert _reference_codes("271_X279A1", "2110D", "EB09") <= set(BENEFIT_QUANTITIES)
    assert TIME_PERIODS["29"] == "remaining"
    assert BENEFIT_QUANTITIES["S7"] == "age, high value"
