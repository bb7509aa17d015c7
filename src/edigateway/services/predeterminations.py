"""Predeterminations and the treatment claimed after them: the payer's number carried on the
claim (REF*G3), and the payer's estimate set beside what it actually paid, line by line.

A predetermination (837D CLM19 = PB) is answered in an 835 with CLP02 = 25: per line the
estimated benefit (SVC03) with its contractual and patient-share adjustments, CLP07 the
payer's predetermination number, nothing paid. When the treatment is claimed, the claim
should carry that number in 2300 REF*G3 so the payer pays it as estimated: the coordinator
may give it (``predetermination_number``); when they do not, the claim store fills it in
from the practice's answered predetermination for the same patient, payer and procedures
(:func:`~edigateway.services.predetermination_numbers.link`). Once the claim is paid,
:func:`estimate_vs_actual` compares each line.

The estimate is read from the predetermination's CLP02 = 25 answer as posted (the
remittance rows), so it needs nothing the posting does not already keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.errors import NotFoundError
from edigateway.persistence.tables import (
    ClaimRow,
    RemittanceAdjustmentRow,
    RemittanceClaimRow,
    RemittanceLineRow,
)
from edigateway.services.access import record
from edigateway.services.claim_store import open_document
from edigateway.services.predetermination_numbers import PRICED_ONLY

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.claims import Claim
    from edigateway.persistence.database import Database


ZERO = Decimal("0.00")
NOT_PAYMENTS = ("22", PRICED_ONLY)
"""CLP02 values that are no payment of the claim: a reversal, a predetermination's pricing."""


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """One line as a payer adjudicated or priced it: what it allowed, paid (or would pay)
    and left the patient."""

    allowed: Decimal
    insurance: Decimal
    patient: Decimal


@dataclass(frozen=True, slots=True)
class LineComparison:
    """One claim line: the predetermination's estimate and, once paid, the payment."""

    line_number: int
    procedure_code: str
    charge: Decimal
    estimate: LineAmounts | None
    actual: LineAmounts | None


@dataclass(frozen=True, slots=True)
class EstimateVsActual:
    """A claim's predetermination (our claim ID, the payer's number) and its lines."""

    predetermination_id: int
    predetermination_number: str
    lines: tuple[LineComparison, ...]

    @property
    def estimated_insurance(self) -> Decimal:
        """What the payer said it would pay, over the lines it priced."""
        return sum((c.estimate.insurance for c in self.lines if c.estimate), ZERO)

    @property
    def paid(self) -> Decimal:
        """What the payer paid on the claim's lines (reversals netted)."""
        return sum((c.actual.insurance for c in self.lines if c.actual), ZERO)


def estimate_vs_actual(session: Session, row: ClaimRow) -> EstimateVsActual | None:
    """The predetermination estimate of the claim ``row`` per line beside what the payer
    paid on it; None when the claim carries no predetermination number we answered. For
    a predetermination itself: the payer's estimate of each of its lines (nothing is paid
    on a predetermination), None until the payer answered it."""
    claim = open_document(session, row)
    if claim.is_predetermination:
        return _own_estimate(session, row, claim)
    if not claim.predetermination_number:
        return None
    found = session.execute(
        select(ClaimRow, RemittanceClaimRow)
        .join(RemittanceClaimRow, RemittanceClaimRow.claim_id == ClaimRow.id)
        .where(
            ClaimRow.practice_id == row.practice_id,
            ClaimRow.kind == "predetermination",
            RemittanceClaimRow.status == PRICED_ONLY,
            RemittanceClaimRow.payer_claim_control_number == claim.predetermination_number,
        )
        .order_by(RemittanceClaimRow.id.desc())
    ).first()
    if found is None:
        return None
    planned_row, priced = found
    planned = open_document(session, planned_row)
    estimates = _by_line(session, [priced.id])
    paid_ids = list(
        session.scalars(
            select(RemittanceClaimRow.id).where(
                RemittanceClaimRow.claim_id == row.id,
                RemittanceClaimRow.status.not_in(NOT_PAYMENTS),
                RemittanceClaimRow.reversed_by_id.is_(None),
            )
        )
    )
    actuals = _by_line(session, paid_ids)
    used: set[int] = set()
    lines = []
    for number, line in enumerate(claim.lines, start=1):
        plan_line = next(
            (
                n
                for n, p in enumerate(planned.lines, start=1)
                if n not in used
                and p.procedure_code == line.procedure_code
                and _teeth(p.teeth) == _teeth(line.teeth)
            ),
            None,
        ) or next(
            (
                n
                for n, p in enumerate(planned.lines, start=1)
                if n not in used and p.procedure_code == line.procedure_code
            ),
            None,
        )
        if plan_line is not None:
            used.add(plan_line)
        lines.append(
            LineComparison(
                line_number=number,
                procedure_code=line.procedure_code,
                charge=line.charge,
                estimate=estimates.get(plan_line) if plan_line is not None else None,
                actual=actuals.get(number),
            )
        )
    return EstimateVsActual(planned_row.id, claim.predetermination_number, tuple(lines))


def _own_estimate(session: Session, row: ClaimRow, claim: Claim) -> EstimateVsActual | None:
    """A predetermination's lines with the payer's latest CLP02 = 25 pricing of them."""
    priced = session.scalars(
        select(RemittanceClaimRow)
        .where(RemittanceClaimRow.claim_id == row.id, RemittanceClaimRow.status == PRICED_ONLY)
        .order_by(RemittanceClaimRow.id.desc())
    ).first()
    if priced is None or not priced.payer_claim_control_number:
        return None
    estimates = _by_line(session, [priced.id])
    lines = tuple(
        LineComparison(
            line_number=number,
            procedure_code=line.procedure_code,
            charge=line.charge,
            estimate=estimates.get(number),
            actual=None,
        )
        for number, line in enumerate(claim.lines, start=1)
    )
    return EstimateVsActual(row.id, priced.payer_claim_control_number, lines)


def _teeth(teeth: Iterable[object]) -> list[str]:
    return sorted(str(getattr(t, "tooth", t)) for t in teeth)


def _by_line(session: Session, remittance_claim_ids: list[int]) -> dict[int, LineAmounts]:
    """Per claim line number: allowed (charge less contractual and other non-patient
    adjustments), insurance (SVC03) and patient share (PR), summed over the answers."""
    if not remittance_claim_ids:
        return {}
    lines = {
        line.id: line
        for line in session.scalars(
            select(RemittanceLineRow).where(
                RemittanceLineRow.remittance_claim_id.in_(remittance_claim_ids),
                RemittanceLineRow.claim_line_number.is_not(None),
            )
        )
    }
    adjustments = session.scalars(
        select(RemittanceAdjustmentRow).where(
            RemittanceAdjustmentRow.remittance_line_id.in_(list(lines))
        )
    )
    patient: dict[int, Decimal] = {}
    written_off: dict[int, Decimal] = {}
    for adj in adjustments:
        into = patient if adj.group_code == "PR" else written_off
        key = adj.remittance_line_id or 0
        into[key] = into.get(key, ZERO) + adj.amount
    amounts: dict[int, LineAmounts] = {}
    for line_id, line in lines.items():
        number = line.claim_line_number or 0
        before = amounts.get(number, LineAmounts(ZERO, ZERO, ZERO))
        amounts[number] = LineAmounts(
            allowed=before.allowed + line.charge - written_off.get(line_id, ZERO),
            insurance=before.insurance + line.paid,
            patient=before.patient + patient.get(line_id, ZERO),
        )
    return amounts


def compare(
    db: Database,
    *,
    practice_id: int,
    claim_id: int,
    actor: str,
    now: datetime,
    remote_addr: str | None = None,
) -> EstimateVsActual:
    """:func:`estimate_vs_actual` of one of the practice's claims (the read is audited);
    :class:`NotFoundError` for another practice's claim, or a claim that is neither an
    answered predetermination nor carries the number of one (REF*G3)."""
    found = find(
        db,
        practice_id=practice_id,
        claim_id=claim_id,
        actor=actor,
        now=now,
        remote_addr=remote_addr,
    )
    if found is None:
        raise NotFoundError(
            f"claim {claim_id} carries no predetermination number the payer answered "
            "(REF*G3 of a predetermination priced with CLP02 = 25)"
        )
    return found


def find(
    db: Database,
    *,
    practice_id: int,
    claim_id: int,
    actor: str,
    now: datetime,
    remote_addr: str | None = None,
) -> EstimateVsActual | None:
    """:func:`compare` for a page that shows the comparison when there is one: None (and
    no audit row) when the claim has no answered predetermination; another practice's
    claim is still :class:`NotFoundError`."""
    with db.transaction() as session:
        row = session.scalars(
            select(ClaimRow).where(ClaimRow.id == claim_id, ClaimRow.practice_id == practice_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no claim {claim_id}")
        found = estimate_vs_actual(session, row)
        if found is None:
            return None
        record(
            session,
            actor=actor,
            practice_id=practice_id,
            action="read",
            resource="claim_estimate",
            resource_id=str(claim_id),
            at=now,
            remote_addr=remote_addr,
            detail="estimate vs actual",
        )
        return found
