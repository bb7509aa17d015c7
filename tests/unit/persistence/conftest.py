"""Rows the repository tests build on: a practice, a payer and claims, written directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from edigateway.persistence.tables import ClaimRow, Payer, Practice
from tests.factories import NOW

AddClaim = Callable[..., int]


@pytest.fixture
def add_claim() -> AddClaim:
    """``add_claim(session, pcn, state=…, superseded_by=…, payer_number=…)`` → its ID (one
    practice and payer, made on first use)."""

    def add(
        session: Session,
        pcn: str,
        *,
        state: str = "submitted",
        superseded_by: int | None = None,
        payer_number: str | None = None,
    ) -> int:
        practice = session.scalars(select(Practice)).first()
        if practice is None:
            practice = Practice(name="MAPLE", npi="1456789019", created_at=NOW)
            session.add(practice)
            session.flush()
            session.add(Payer(practice_id=practice.id, payer_id="P1", name="PAYER"))
            session.flush()
        payer = session.scalars(select(Payer)).one()
        row = ClaimRow(
            practice_id=practice.id,
            payer_id=payer.id,
            patient_control_number=pcn,
            kind="837D",
            frequency="1",
            payer_claim_control_number=payer_number,
            total_charge=Decimal("100.00"),
            first_service_date=date(2026, 10, 1),
            submitted_on=date(2026, 10, 2),
            state=state,
            state_changed_at=NOW,
            superseded_by_id=superseded_by,
            document_sha256="0" * 64,
            document="{}",
            created_at=NOW,
        )
        session.add(row)
        session.flush()
        return row.id

    return add
