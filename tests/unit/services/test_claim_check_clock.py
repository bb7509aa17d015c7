"""``POST /v1/claims/validate``'s use case dates the 837D's "no future dates" edit by the
gateway's clock, like the clean-claim edits and the envelope, not by the machine's date."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from edigateway.domain.claims import Claim
from edigateway.services.control_numbers import MemoryControlNumbers
from edigateway.services.practice_claims import check
from edigateway.x12.validation import Validator
from tests.factories import claim_document, settings_for


def _claim_of(day: str) -> Claim:
    document = claim_document("01_filling_amalgam_mod")
    for line in document["lines"]:
        line["service_date"] = day
    return Claim.model_validate(document)


def test_a_claim_dated_today_by_the_gateway_clock_is_valid(tmp_path: Path, validator: Validator):
    clock = datetime(2090, 1, 3, 9, 0)  # years after the machine's date
    checked = check(
        _claim_of("2090-01-02"),
        settings=settings_for(tmp_path),
        draft_numbers=MemoryControlNumbers(),
        validator=validator,
        clock=lambda: clock,
    )
    assert checked.clean
    assert checked.x12_valid, checked.x12_errors


def test_a_claim_after_the_gateway_clock_is_refused(tmp_path: Path, validator: Validator):
    clock = datetime(2026, 10, 1, 9, 0)  # before the fixture's 2026-10-06 visit
    checked = check(
        _claim_of("2026-10-06"),
        settings=settings_for(tmp_path),
        draft_numbers=MemoryControlNumbers(),
        validator=validator,
        clock=lambda: clock,
    )
    assert not (checked.clean and checked.x12_valid)
