"""835 payments as one practice sees them: those paying it (payee NPI) or its claims."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from edigateway.errors import NotFoundError
from edigateway.persistence.tables import (
    ClaimRow,
    PostingRow,
    Practice,
    ProviderAdjustmentRow,
    RemittanceClaimRow,
    RemittanceRow,
    SubmissionClaimRow,
    SubmissionRow,
)
from edigateway.services.access import record
from edigateway.services.practice_claims import transmission

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import ColumnElement

    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller


def _mine(practice_id: int) -> ColumnElement[bool]:
    claims = select(ClaimRow.id).where(ClaimRow.practice_id == practice_id)
    npi = select(Practice.npi).where(Practice.id == practice_id).scalar_subquery()
    return or_(RemittanceRow.payee_id == npi, RemittanceRow.id.in_(
        select(RemittanceClaimRow.remittance_id).where(RemittanceClaimRow.claim_id.in_(claims))))


def _summary(session: Session, row: RemittanceRow) -> dict[str, Any]:
    claims = session.scalar(select(func.count()).select_from(RemittanceClaimRow).where(
        RemittanceClaimRow.remittance_id == row.id)) or 0
    return {"id": row.id, "trace_number": row.trace_number, "payer_name": row.payer_name,
            "payer_id": row.payer_id, "payment_amount": row.payment_amount,
            "credit_debit": row.credit_debit, "payment_method": row.payment_method,
            "payment_date": row.payment_date, "claims": claims}


def list_remittances(db: Database, caller: Caller, *, limit: int, offset: int, now: datetime
                     ) -> tuple[list[dict[str, Any]], int]:
    """A page of the practice's payments, newest first."""
    query = select(RemittanceRow).where(_mine(caller.practice_id))
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(RemittanceRow.id.desc()).offset(offset)
                               .limit(limit))
        items = [_summary(session, r) for r in rows]
        record(session, actor=caller.actor, practice_id=caller.practice_id, action="read",
               resource="remittance_list", resource_id=None, at=now,
               remote_addr=caller.remote_addr)
        return items, total


def get_remittance(db: Database, caller: Caller, remittance_id: int, *, now: datetime
                   ) -> dict[str, Any]:
    """One payment with every posting (this practice's claims only) and its PLB ledger."""
    with db.transaction() as session:
        row = session.scalars(select(RemittanceRow).where(
            RemittanceRow.id == remittance_id, _mine(caller.practice_id))).first()
        if row is None:
            raise NotFoundError(f"no remittance {remittance_id}")
        mine = select(ClaimRow.id).where(ClaimRow.practice_id == caller.practice_id)
        postings = [{
            "claim_id": p.claim_id, "line_number": p.line_number, "kind": p.kind,
            "amount": p.amount, "group_code": p.group_code, "reason_code": p.reason_code,
            "remark_codes": [c for c in p.remark_codes.split(",") if c],
            "reference": p.reference, "source_position": p.source_position}
            for p in session.scalars(select(PostingRow).where(
                PostingRow.remittance_id == row.id,
                or_(PostingRow.claim_id.in_(mine), PostingRow.claim_id.is_(None)))
                .order_by(PostingRow.id))]
        plb = [{"reason": p.reason, "reference": p.reference, "amount": str(p.amount),
                "fiscal_period_end": p.fiscal_period_end, "source_position": p.source_position}
               for p in session.scalars(select(ProviderAdjustmentRow).where(
                   ProviderAdjustmentRow.remittance_id == row.id))]
        record(session, actor=caller.actor, practice_id=caller.practice_id, action="read",
               resource="remittance", resource_id=str(remittance_id), at=now,
               remote_addr=caller.remote_addr)
        return {**_summary(session, row), "postings": postings, "provider_adjustments": plb}


def list_transmissions(db: Database, caller: Caller, *, limit: int, offset: int
                       ) -> tuple[list[dict[str, Any]], int]:
    """Files sent with this practice's claims, newest first, with their ack status."""
    mine = select(SubmissionClaimRow.submission_id).where(SubmissionClaimRow.claim_id.in_(
        select(ClaimRow.id).where(ClaimRow.practice_id == caller.practice_id)))
    query = select(SubmissionRow).where(SubmissionRow.id.in_(mine))
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(SubmissionRow.id.desc()).offset(offset)
                               .limit(limit))
        return [transmission(r) for r in rows], total
