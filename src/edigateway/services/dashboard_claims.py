"""A claim's page in the dashboard (:class:`ClaimPage`): the claim as submitted, one
timeline, what the payer paid beside the practice's and the payer's estimates, the ledger,
held payments, attachments, appeals and the actions it offers, gathered from the same
services as the API and told what the user may read."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from edigateway.domain.attachments import REPORT_TYPES
from edigateway.persistence.tables import (
    ClaimEstimateRow,
    PostingRow,
)
from edigateway.services import (
    appeals,
    attachments,
    claim_actions,
    era_review,
    ledger,
    practice_claims,
    predeterminations,
)
from edigateway.services.practice_claims import ClaimSummary, HistoryStep, Transmission

if TYPE_CHECKING:
    from collections.abc import Mapping

    from edigateway.domain.claims import Claim
    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller

ZERO = Decimal("0.00")
PATIENT_KINDS = ("deductible", "coinsurance", "copay", "patient_other")


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One step of a claim's timeline: a state change or a file it went out in."""

    at: datetime
    what: str
    detail: str


@dataclass(frozen=True, slots=True)
class PostedAmount:
    """One amount an ERA posted to the claim (held ones included: the page says what
    the payer sent), traced to its 835 segment."""

    line_number: int | None
    kind: str
    amount: Decimal
    group_code: str | None
    reason_code: str | None
    remark_codes: str
    remittance_id: int | None
    source_position: int | None


@dataclass(frozen=True, slots=True)
class EstimateComparison:
    """The practice's own estimate for the claim (``POST /v1/claims/{id}/estimate``)
    beside what the payer paid and left the patient."""

    estimated_insurance: Decimal
    estimated_patient: Decimal
    paid: Decimal
    patient: Decimal
    insurance_difference: Decimal
    patient_difference: Decimal
    estimated_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimPage(ClaimSummary):
    """A claim as its page shows it: the claim as submitted, one timeline (states and
    files), what the payer paid and the estimates beside it, the ledger, held payments,
    attachments, appeals and the actions it offers now. What the caller may not see is
    left empty (``paid``, ``comparison``, ``money`` ``None``; no postings or held
    payments): :func:`claim_page` is told what the caller may read."""

    claim: Claim
    history: tuple[HistoryStep, ...]
    transmissions: tuple[Transmission, ...]
    events: tuple[TimelineEvent, ...]
    postings: tuple[PostedAmount, ...]
    paid: Decimal | None
    comparison: EstimateComparison | None
    predetermination: predeterminations.EstimateVsActual | None
    remittance_ids: tuple[int, ...]
    can_change: bool
    actions: claim_actions.ClaimActions
    settleable: bool
    money: ledger.ClaimMoney | None
    held: tuple[era_review.PendingPayment, ...]
    attachments: tuple[attachments.AttachmentInfo, ...]
    appeals: tuple[appeals.AppealInfo, ...]
    report_types: Mapping[str, str]

    def document(self) -> dict[str, Any]:
        """A fresh copy of the claim's JSON document (the editor and the replacement form
        change their copy)."""
        return self.claim.model_dump(mode="json", exclude_defaults=True)


def claim_page(
    db: Database,
    caller: Caller,
    claim_id: int,
    *,
    now: datetime,
    payments: bool,
    estimates: bool,
) -> ClaimPage:
    """A claim, its lines and one timeline: states, transmissions, postings. What the payer
    paid (postings, ledger, held payments, estimate vs actual) only with ``payments`` (the
    caller may read remittances); the practice's own estimate beside it also needs
    ``estimates``. The payer's predetermination estimate per line (the use case of
    ``GET /v1/claims/{id}/predetermination``) is shown to whoever reads the claim, as the
    API does."""
    detail = practice_claims.get(db, caller, claim_id, now=now)
    with db.transaction() as session:
        rows = list(
            session.scalars(
                select(PostingRow).where(PostingRow.claim_id == claim_id).order_by(PostingRow.id)
            )
        )
        estimated = session.scalars(
            select(ClaimEstimateRow)
            .where(ClaimEstimateRow.claim_id == claim_id)
            .order_by(ClaimEstimateRow.id.desc())
        ).first()
    paid = sum((p.amount for p in rows if p.kind == "paid"), ZERO)
    patient = sum((p.amount for p in rows if p.kind in PATIENT_KINDS), ZERO)
    events = sorted(
        [
            *(
                TimelineEvent(h.at, f"{h.from_ or 'new'} → {h.to}", h.reason)
                for h in detail.history
            ),
            *(
                TimelineEvent(
                    t.created_at,
                    f"{t.kind} {t.file_name}",
                    f"{t.status}, acknowledgment {t.ack_status or '—'}",
                )
                for t in detail.transmissions
            ),
        ],
        key=lambda e: e.at,
    )
    comparison = (
        None
        if estimated is None or not (payments and estimates)
        else EstimateComparison(
            estimated_insurance=estimated.total_insurance,
            estimated_patient=estimated.total_patient,
            paid=paid,
            patient=patient,
            insurance_difference=paid - estimated.total_insurance,
            patient_difference=patient - estimated.total_patient,
            estimated_at=estimated.created_at,
        )
    )
    books = ledger.claim_books(db, claim_id, practice_id=caller.practice_id)
    held = (
        tuple(
            p
            for p in era_review.pending(db, practice_id=caller.practice_id)
            if p.claim_id == claim_id
        )
        if payments
        else ()
    )
    summary = {f.name: getattr(detail, f.name) for f in fields(ClaimSummary)}
    return ClaimPage(
        **summary,
        claim=detail.claim,
        history=detail.history,
        transmissions=detail.transmissions,
        events=tuple(events),
        postings=tuple(_posted(p) for p in rows) if payments else (),
        paid=paid if payments else None,
        comparison=comparison,
        predetermination=predeterminations.find(
            db,
            practice_id=caller.practice_id,
            claim_id=claim_id,
            actor=caller.actor,
            now=now,
            remote_addr=caller.remote_addr,
        ),
        remittance_ids=(
            tuple(sorted({p.remittance_id for p in rows if p.remittance_id is not None}))
            if payments
            else ()
        ),
        can_change=bool(detail.payer_claim_control_number) and detail.superseded_by_id is None,
        actions=claim_actions.available(db, caller, claim_id),
        settleable=books.settleable,
        money=books.money if payments else None,
        held=held,
        attachments=tuple(attachments.attachments_of(db, caller, claim_id)),
        appeals=tuple(appeals.appeals_of(db, caller, claim_id=claim_id)),
        report_types=REPORT_TYPES,
    )


def _posted(row: PostingRow) -> PostedAmount:
    return PostedAmount(
        line_number=row.line_number,
        kind=row.kind,
        amount=row.amount,
        group_code=row.group_code,
        reason_code=row.reason_code,
        remark_codes=row.remark_codes,
        remittance_id=row.remittance_id,
        source_position=row.source_position,
    )
