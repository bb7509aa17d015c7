"""835 payments as one practice sees them: those paying it (payee NPI) or its claims; and
the received files that carried them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, or_, select

from edigateway.domain.postings import PostingKind
from edigateway.errors import NotFoundError
from edigateway.persistence.tables import (
    ClaimRow,
    InboundFileRow,
    PostingRow,
    Practice,
    ProviderAdjustmentRow,
    RemittanceClaimRow,
    RemittanceFileRow,
    RemittanceRow,
    SubmissionClaimRow,
    SubmissionRow,
)
from edigateway.services.access import record
from edigateway.services.practice_claims import transmission

if TYPE_CHECKING:
    from datetime import date, datetime
    from decimal import Decimal

    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import ColumnElement

    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller, Transmission


def paying_practice(practice_id: int) -> ColumnElement[bool]:
    """A payment (:class:`RemittanceRow`) is the practice's: it pays the practice (payee
    NPI) or one of its claims."""
    claims = select(ClaimRow.id).where(ClaimRow.practice_id == practice_id)
    npi = select(Practice.npi).where(Practice.id == practice_id).scalar_subquery()
    return or_(
        RemittanceRow.payee_id == npi,
        RemittanceRow.id.in_(
            select(RemittanceClaimRow.remittance_id).where(RemittanceClaimRow.claim_id.in_(claims))
        ),
    )


@dataclass(frozen=True, slots=True)
class RemittanceSummary:
    """One payment (835 transaction) as a practice lists it. ``credit_debit`` (BPR03, C or
    D) is stored as the parsed 835 gave it."""

    id: int
    trace_number: str
    payer_name: str
    payer_id: str | None
    payment_amount: Decimal
    credit_debit: str
    payment_method: str
    payment_date: date | None
    claims: int
    posted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Posting:
    """One amount posted from a payment, traced to its 835 segment."""

    claim_id: int | None
    line_number: int | None
    kind: PostingKind
    amount: Decimal
    group_code: str | None
    reason_code: str | None
    remark_codes: list[str]
    reference: str | None
    source_position: int | None


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB amount of a payment: money taken or given outside any claim."""

    reason: str
    reference: str | None
    amount: Decimal
    fiscal_period_end: date | None
    source_position: int | None


@dataclass(frozen=True, slots=True)
class RemittanceDetail(RemittanceSummary):
    """A payment with what it posted to the practice's claims and its PLB ledger."""

    postings: list[Posting]
    provider_adjustments: list[ProviderAdjustment]


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A received 835 as a practice may see it: the envelope and its own payments' IDs.
    ``status`` is the inbound file's (:data:`~edigateway.services.received.InboundStatus`)."""

    id: int
    received_at: datetime
    kind: Literal["835"]
    file_name: str
    sender_id: str | None
    interchange_control_number: str | None
    status: str
    sha256: str
    remittance_ids: list[int]


def _summary(session: Session, row: RemittanceRow) -> RemittanceSummary:
    claims = (
        session.scalar(
            select(func.count())
            .select_from(RemittanceClaimRow)
            .where(RemittanceClaimRow.remittance_id == row.id)
        )
        or 0
    )
    received = session.scalar(
        select(RemittanceFileRow.received_at).where(RemittanceFileRow.id == row.file_id)
    )
    return RemittanceSummary(
        id=row.id,
        trace_number=row.trace_number,
        payer_name=row.payer_name,
        payer_id=row.payer_id,
        payment_amount=row.payment_amount,
        credit_debit=row.credit_debit,
        payment_method=row.payment_method,
        payment_date=row.payment_date,
        claims=claims,
        posted_at=received,
    )


@dataclass(frozen=True, slots=True)
class RemittanceFilter:
    """What a list of payments may be narrowed to; every field is optional."""

    claim_id: int | None = None
    payer_id: str | None = None
    paid_from: date | None = None
    paid_to: date | None = None
    trace_number: str | None = None
    updated_since: datetime | None = None

    def where(self, practice_id: int) -> list[ColumnElement[bool]]:
        """The conditions, beside the practice's own scope. A claim filter names one of
        the practice's claims (another practice's ID finds nothing, like a missing one);
        ``updated_since`` compares the time the payment was posted (a posted payment never
        changes: a reversal arrives as a payment of its own)."""
        conditions = [paying_practice(practice_id)]
        if self.claim_id is not None:
            conditions.append(
                RemittanceRow.id.in_(
                    select(RemittanceClaimRow.remittance_id).where(
                        RemittanceClaimRow.claim_id == self.claim_id,
                        RemittanceClaimRow.claim_id.in_(
                            select(ClaimRow.id).where(ClaimRow.practice_id == practice_id)
                        ),
                    )
                )
            )
        if self.payer_id is not None:
            conditions.append(RemittanceRow.payer_id == self.payer_id)
        if self.paid_from is not None:
            conditions.append(RemittanceRow.payment_date >= self.paid_from)
        if self.paid_to is not None:
            conditions.append(RemittanceRow.payment_date <= self.paid_to)
        if self.trace_number is not None:
            conditions.append(RemittanceRow.trace_number == self.trace_number)
        if self.updated_since is not None:
            conditions.append(
                RemittanceRow.file_id.in_(
                    select(RemittanceFileRow.id).where(
                        RemittanceFileRow.received_at >= self.updated_since
                    )
                )
            )
        return conditions


def list_remittances(
    db: Database,
    caller: Caller,
    *,
    limit: int,
    offset: int,
    now: datetime,
    only: RemittanceFilter | None = None,
) -> tuple[list[RemittanceSummary], int]:
    """A page of the practice's payments, newest first (narrowed by ``only``)."""
    query = select(RemittanceRow).where(*(only or RemittanceFilter()).where(caller.practice_id))
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(RemittanceRow.id.desc()).offset(offset).limit(limit))
        items = [_summary(session, r) for r in rows]
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="read",
            resource="remittance_list",
            resource_id=None,
            at=now,
            remote_addr=caller.remote_addr,
        )
        return items, total


def get_remittance(
    db: Database, caller: Caller, remittance_id: int, *, now: datetime
) -> RemittanceDetail:
    """One payment with every posting (this practice's claims only) and its PLB ledger."""
    with db.transaction() as session:
        row = session.scalars(
            select(RemittanceRow).where(
                RemittanceRow.id == remittance_id, paying_practice(caller.practice_id)
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no remittance {remittance_id}")
        mine = select(ClaimRow.id).where(ClaimRow.practice_id == caller.practice_id)
        postings = [
            Posting(
                claim_id=p.claim_id,
                line_number=p.line_number,
                kind=PostingKind(p.kind),
                amount=p.amount,
                group_code=p.group_code,
                reason_code=p.reason_code,
                remark_codes=[c for c in p.remark_codes.split(",") if c],
                reference=p.reference,
                source_position=p.source_position,
            )
            for p in session.scalars(
                select(PostingRow)
                .where(
                    PostingRow.remittance_id == row.id,
                    or_(PostingRow.claim_id.in_(mine), PostingRow.claim_id.is_(None)),
                )
                .order_by(PostingRow.id)
            )
        ]
        plb = [
            ProviderAdjustment(
                reason=p.reason,
                reference=p.reference,
                amount=p.amount,
                fiscal_period_end=p.fiscal_period_end,
                source_position=p.source_position,
            )
            for p in session.scalars(
                select(ProviderAdjustmentRow).where(ProviderAdjustmentRow.remittance_id == row.id)
            )
        ]
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="read",
            resource="remittance",
            resource_id=str(remittance_id),
            at=now,
            remote_addr=caller.remote_addr,
        )
        summary = _summary(session, row)
        return RemittanceDetail(
            **{f.name: getattr(summary, f.name) for f in fields(RemittanceSummary)},
            postings=postings,
            provider_adjustments=plb,
        )


def list_transmissions(
    db: Database, caller: Caller, *, limit: int, offset: int
) -> tuple[list[Transmission], int]:
    """Files sent with this practice's claims, newest first, with their ack status."""
    mine = select(SubmissionClaimRow.submission_id).where(
        SubmissionClaimRow.claim_id.in_(
            select(ClaimRow.id).where(ClaimRow.practice_id == caller.practice_id)
        )
    )
    query = select(SubmissionRow).where(SubmissionRow.id.in_(mine))
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(SubmissionRow.id.desc()).offset(offset).limit(limit))
        return [transmission(r) for r in rows], total


def list_received_files(
    db: Database, caller: Caller, *, limit: int, offset: int
) -> tuple[list[ReceivedFile], int]:
    """Received files that carried one of the practice's payments, newest first.

    Only 835s can be attributed to a practice: a received 835 is stored once (by content
    hash) in ``inbound_files`` and posted into ``remittance_files`` with the same hash,
    whose remittances are the practice's when they pay it or its claims
    (:func:`paying_practice`). A TA1, 999 or 277CA answers a submission, but which one is
    decided while it is applied and not
    recorded with the file, so envelope-level files are listed to no practice (the
    gateway's operator sees them with ``claims poll`` and the work queue). What a practice
    sees of a file it shares with another practice (one 835 paying both) is the envelope
    only — name, time, sender, control number, status, hash — and its own payments' IDs;
    never the file's problem text, which may name another practice's claims.
    """
    posted = (
        select(RemittanceFileRow.sha256, RemittanceRow.id)
        .join(RemittanceRow, RemittanceRow.file_id == RemittanceFileRow.id)
        .where(paying_practice(caller.practice_id))
    )
    query = select(InboundFileRow).where(
        InboundFileRow.kind == "835", InboundFileRow.sha256.in_(select(posted.subquery().c.sha256))
    )
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(
            session.scalars(query.order_by(InboundFileRow.id.desc()).offset(offset).limit(limit))
        )
        payments: dict[str, list[int]] = {}
        for sha256, remittance_id in session.execute(
            posted.where(RemittanceFileRow.sha256.in_([r.sha256 for r in rows])).order_by(
                RemittanceRow.id
            )
        ):
            payments.setdefault(sha256, []).append(remittance_id)
        return [
            ReceivedFile(
                id=r.id,
                received_at=r.received_at,
                kind="835",
                file_name=r.remote_name,
                sender_id=r.sender_id,
                interchange_control_number=r.interchange_control_number,
                status=r.status,
                sha256=r.sha256,
                remittance_ids=payments.get(r.sha256, []),
            )
            for r in rows
        ], total
