"""An ERA's page in the dashboard (:class:`EraPage`): the balance proof, each posting with
its claim's number and codes in words, the PLB ledger, and the payments that matched no
claim — those only to the practice the payment is made out to."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from edigateway.persistence.tables import (
    ClaimRow,
    Practice,
    ProviderAdjustmentRow,
    RemittanceClaimRow,
    RemittanceRow,
)
from edigateway.services.dashboard import Explained, explain
from edigateway.services.practice_remittances import (
    Posting,
    ProviderAdjustment,
    RemittanceSummary,
    get_remittance,
)

if TYPE_CHECKING:
    from edigateway.codelists import CodeLists
    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class EraPosting:
    """One posting of a payment with its claim's number (not a database ID) and each of
    its codes (group-CARC, RARCs) explained."""

    claim_id: int | None
    claim_number: str | None
    line_number: int | None
    kind: str
    amount: Decimal
    meanings: tuple[Explained, ...]
    source_position: int | None


@dataclass(frozen=True, slots=True)
class UnmatchedPayment:
    """A claim payment (CLP) of the ERA that matched no claim of ours."""

    patient_control_number: str
    status: str
    charge: Decimal
    paid: Decimal
    payer_claim_control_number: str | None
    source_position: int | None


@dataclass(frozen=True, slots=True)
class EraPage(RemittanceSummary):
    """A payment as its page shows it: the balance proof, postings, PLB ledger and the
    payments that matched no claim (only to the payee practice)."""

    postings: tuple[EraPosting, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    claims_paid: Decimal
    plb_total: Decimal
    balance: Decimal
    signed_payment: Decimal
    balanced: bool
    matched: int
    unmatched: tuple[UnmatchedPayment, ...]


def era_page(
    db: Database, caller: Caller, remittance_id: int, codes: CodeLists, *, now: datetime
) -> EraPage:
    """A payment with its balance proof (BPR02 = Σ paid − Σ PLB), each posting with its
    claim's number and its CARC/RARC in words, and the payments (CLPs) that matched no
    claim of ours — listed only to the practice the payment is made out to (payee NPI):
    a practice that sees the ERA because one of its claims is in it does not see the
    payee's other patients."""
    detail = get_remittance(db, caller, remittance_id, now=now)
    with db.transaction() as session:
        claims_paid = session.scalar(
            select(func.coalesce(func.sum(RemittanceClaimRow.paid), 0)).where(
                RemittanceClaimRow.remittance_id == remittance_id
            )
        )
        plb = session.scalar(
            select(func.coalesce(func.sum(ProviderAdjustmentRow.amount), 0)).where(
                ProviderAdjustmentRow.remittance_id == remittance_id
            )
        )
        matched = session.scalar(
            select(func.count())
            .select_from(RemittanceClaimRow)
            .where(
                RemittanceClaimRow.remittance_id == remittance_id,
                RemittanceClaimRow.claim_id.is_not(None),
            )
        )
        ids = {p.claim_id for p in detail.postings if p.claim_id is not None}
        numbers = dict(
            session.execute(
                select(ClaimRow.id, ClaimRow.patient_control_number).where(
                    ClaimRow.id.in_(ids), ClaimRow.practice_id == caller.practice_id
                )
            ).all()
        )
        payee = session.scalar(
            select(RemittanceRow.payee_id).where(RemittanceRow.id == remittance_id)
        )
        ours = payee is not None and payee == session.scalar(
            select(Practice.npi).where(Practice.id == caller.practice_id)
        )
        unmatched = (
            ()
            if not ours
            else tuple(
                UnmatchedPayment(
                    patient_control_number=c.patient_control_number,
                    status=c.status,
                    charge=c.charge,
                    paid=c.paid,
                    payer_claim_control_number=c.payer_claim_control_number,
                    source_position=c.source_position,
                )
                for c in session.scalars(
                    select(RemittanceClaimRow)
                    .where(
                        RemittanceClaimRow.remittance_id == remittance_id,
                        RemittanceClaimRow.claim_id.is_(None),
                    )
                    .order_by(RemittanceClaimRow.id)
                )
            )
        )
    paid_total = (
        Decimal(claims_paid) / 100 if isinstance(claims_paid, int) else claims_paid
    ) or ZERO
    plb_total = (Decimal(plb) / 100 if isinstance(plb, int) else plb) or ZERO
    balance = paid_total - plb_total
    signed = detail.payment_amount if detail.credit_debit == "C" else -detail.payment_amount
    summary = {f.name: getattr(detail, f.name) for f in fields(RemittanceSummary)}
    return EraPage(
        **summary,
        postings=tuple(
            EraPosting(
                claim_id=p.claim_id,
                claim_number=numbers.get(p.claim_id) if p.claim_id is not None else None,
                line_number=p.line_number,
                kind=p.kind,
                amount=p.amount,
                meanings=_meanings(p, codes),
                source_position=p.source_position,
            )
            for p in detail.postings
        ),
        provider_adjustments=tuple(detail.provider_adjustments),
        claims_paid=paid_total,
        plb_total=plb_total,
        balance=balance,
        signed_payment=signed,
        balanced=balance.quantize(Decimal("0.01")) == signed,
        matched=matched or 0,
        unmatched=unmatched,
    )


def _meanings(posting: Posting, codes: CodeLists) -> tuple[Explained, ...]:
    """A posting's group-CARC (or bare CARC) and RARCs, each explained."""
    adjustment = (
        [f"{posting.group_code}-{posting.reason_code}"]
        if posting.group_code and posting.reason_code
        else [posting.reason_code]
        if posting.reason_code
        else []
    )
    return tuple(Explained(c, explain(c, codes)) for c in [*adjustment, *posting.remark_codes])
