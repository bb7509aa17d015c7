"""The 271 writer (the simulator's real-time answer): benefits written and read back are
the same benefits, and what it writes passes our 271 map."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from edigateway.domain.common import PersonName
from edigateway.domain.eligibility import (
    DentalBenefits,
    EligibilityInquiry,
    InquiryPayer,
    InquiryPerson,
    InquiryProvider,
)
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x271_005010X279A1 import read_271, write_271
from tests.factories import REPO

FOLDERS = sorted(p for p in (REPO / "fixtures" / "eligibility").iterdir() if p.is_dir())
PARAMS = InterchangeParams(
    "ZZ",
    "SIMULATOR",
    "ZZ",
    "MAPLEDENTAL",
    "SIMULATOR",
    "MAPLEDENTAL",
    5,
    5,
    1,
    datetime(2026, 11, 23, 10, 0),
)


def _inquiry_for(b: DentalBenefits) -> EligibilityInquiry:
    subscriber = b.subscriber or PersonName(last_name="UNKNOWN")
    dependent = None
    if b.patient is not None and b.patient != b.subscriber:
        dependent = InquiryPerson(name=b.patient, relationship="19")
    return EligibilityInquiry(
        trace_number=b.trace_number or "T1",
        payer=InquiryPayer(payer_id=b.payer_id or "P1", name=b.payer_name or "PAYER"),
        provider=InquiryProvider(organization_name="MAPLE STREET DENTAL", npi="1456789019"),
        subscriber=InquiryPerson(name=subscriber, member_id=b.member_id or "M1"),
        dependent=dependent,
    )


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_benefits_survive_write_and_read(folder: Path, validator: Validator):
    (benefits,) = read_271(folder / "response.271").benefits
    text = write_271([(_inquiry_for(benefits), benefits)], PARAMS)
    (again,) = read_271(text.encode(), name="w.271").benefits
    assert again == benefits
    verdict = validator.validate_text(text, "w.271")
    assert verdict.status == "valid", verdict.errors
