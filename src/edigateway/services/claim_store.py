"""Storing claims as submitted, and reading them back for posting and follow-up.

``import_claims`` is idempotent: importing the same claim again returns the stored row
(``unchanged``); a replacement (frequency 7) or void (8) with the same patient control
number is stored beside the original and supersedes it; an original (1) whose content
differs from the stored one is refused — the coordinator must send a replacement, or the
835 could not be matched unambiguously.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.domain.claims import Claim
from edigateway.domain.edits import ensure_clean
from edigateway.errors import InputError
from edigateway.persistence.tables import (
    ClaimLineRow,
    ClaimRow,
    ClaimStateRow,
    Payer,
    Practice,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date, datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.claims import ClaimBatch
    from edigateway.persistence.database import Database

DEFAULT_TIMELY_FILING_DAYS = 365
"""Used for a payer until someone sets its contract's limit (many dental plans: 12 months)."""

OPEN_STATES = frozenset({"submitted", "accepted", "partially_paid", "denied", "reversed"})


@dataclass(frozen=True, slots=True)
class ImportedClaim:
    """One claim's outcome of an import."""

    id: int
    patient_control_number: str
    status: str  # "stored" | "unchanged"


def _document(claim: Claim) -> tuple[str, str]:
    text = claim.model_dump_json(exclude_defaults=True)
    return text, hashlib.sha256(text.encode()).hexdigest()


def _practice(session: Session, claim: Claim, now: datetime) -> Practice:
    provider = claim.billing_provider
    row = session.scalars(select(Practice).where(Practice.npi == provider.npi)).first()
    if row is None:
        name = provider.organization_name or (
            f"{provider.person.first_name or ''} {provider.person.last_name}".strip()
            if provider.person else provider.npi)
        row = Practice(name=name[:60], npi=provider.npi, tin=provider.tax_id, created_at=now)
        session.add(row)
        session.flush()
    return row


def _payer(session: Session, claim: Claim) -> Payer:
    row = session.scalars(select(Payer).where(Payer.payer_id == claim.payer.payer_id)).first()
    if row is None:
        row = Payer(payer_id=claim.payer.payer_id, name=claim.payer.name,
                    timely_filing_days=DEFAULT_TIMELY_FILING_DAYS)
        session.add(row)
        session.flush()
    return row


def import_claims(db: Database, batch: ClaimBatch, *, now: datetime,
                  state: str = "submitted") -> list[ImportedClaim]:
    """Store every claim of ``batch`` (after the clean-claim edits) in one transaction."""
    ensure_clean(batch, today=now.date())
    with db.transaction() as session:
        return [store_claim(session, claim, now=now, state=state) for claim in batch.claims]


def store_claim(session: Session, claim: Claim, *, now: datetime,
                state: str = "submitted") -> ImportedClaim:
    """Store one claim inside the caller's transaction (see module docstring)."""
    pcn = claim.patient_control_number
    text, digest = _document(claim)
    practice = _practice(session, claim, now)
    existing = session.scalars(
        select(ClaimRow).where(ClaimRow.practice_id == practice.id,
                               ClaimRow.patient_control_number == pcn,
                               ClaimRow.superseded_by_id.is_(None))).first()
    if existing is not None and existing.document_sha256 == digest:
        return ImportedClaim(existing.id, pcn, "unchanged")
    if existing is not None and claim.frequency == "1":
        msg = (f"claim {pcn} was already imported (id {existing.id}) with different content; "
               "send the change as a replacement (frequency 7) or void it (8)")
        raise InputError(msg)
    row = ClaimRow(
        practice_id=practice.id, payer_id=_payer(session, claim).id,
        patient_control_number=pcn, kind=claim.kind, frequency=claim.frequency,
        payer_claim_control_number=claim.payer_claim_control_number,
        total_charge=claim.total_charge,
        first_service_date=min((d for d in _service_dates(claim)), default=None),
        submitted_on=now.date(), state=state, state_changed_at=now, document_sha256=digest,
        document=text, created_at=now)
    session.add(row)
    session.flush()
    session.add_all(ClaimLineRow(
        claim_id=row.id, line_number=number, procedure_code=line.procedure_code,
        charge=line.charge, service_date=line.service_date or claim.service_date,
        line_control_number=line.line_control_number,
        teeth=",".join(t.tooth for t in line.teeth) or None)
        for number, line in enumerate(claim.lines, start=1))
    session.add(ClaimStateRow(claim_id=row.id, previous_state=None, state=state,
                              changed_at=now, reason="imported as submitted"))
    if existing is not None:
        existing.superseded_by_id = row.id
        new_state = "voided" if claim.frequency == "8" else "replaced"
        session.add(ClaimStateRow(claim_id=existing.id, previous_state=existing.state,
                                  state=new_state, changed_at=now,
                                  reason=f"superseded by claim {row.id} (frequency "
                                  f"{claim.frequency})"))
        existing.state, existing.state_changed_at = new_state, now
    return ImportedClaim(row.id, pcn, "stored")


def _service_dates(claim: Claim) -> Iterator[date]:
    for line in claim.lines:
        when = line.service_date or claim.service_date
        if when is not None:
            yield when


def load_claims(session: Session, pcns: Iterable[str], practice_npi: str | None = None
                ) -> dict[str, tuple[ClaimRow, Claim]]:
    """Our current (not superseded) claims by patient control number.

    When ``practice_npi`` names a practice we know, only its claims count; otherwise any
    practice's (the embedded default serves one practice).
    """
    wanted = list(dict.fromkeys(pcns))
    if not wanted:
        return {}
    query = select(ClaimRow).where(ClaimRow.patient_control_number.in_(wanted),
                                   ClaimRow.superseded_by_id.is_(None))
    if practice_npi:
        practice = session.scalars(select(Practice.id).where(Practice.npi == practice_npi)
                                   ).first()
        if practice is not None:
            query = query.where(ClaimRow.practice_id == practice)
    result: dict[str, tuple[ClaimRow, Claim]] = {}
    for row in session.scalars(query):
        result[row.patient_control_number] = (row, Claim.model_validate_json(row.document))
    return result
