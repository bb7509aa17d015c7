"""Balancing an 835 before anything is posted: the payer's arithmetic must hold to the cent.

Three levels, as the 005010X221A1 guide defines them:

* service  — ``SVC02 − Σ line CAS = SVC03``
* claim    — ``CLP03 − Σ claim CAS − Σ line CAS = CLP04`` (interest reported in ``AMT*I``
  may be added on top of that difference, as some payers include it in ``CLP04``)
* payment  — ``Σ CLP04 − Σ PLB = BPR02`` (negated when BPR03 is ``D``, a debit)

A remittance that fails any of these is not posted at all; the problem names the segment
position so a coordinator can show the payer exactly where its file is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edigateway.domain.remittances import ClaimPayment, ProviderAdjustment, Remittance

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Imbalance:
    """One arithmetic check that failed."""

    level: str
    source_position: int | None
    patient_control_number: str | None
    expected: Decimal
    actual: Decimal
    message: str


def _sum(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO)


def claim_adjustment_total(claim: ClaimPayment) -> Decimal:
    """Σ of claim-level and line-level adjustments of a claim."""
    return _sum([a.amount for a in claim.adjustments]) + _sum(
        [a.amount for s in claim.services for a in s.adjustments]
    )


def check_claim(claim: ClaimPayment) -> list[Imbalance]:
    """Service- and claim-level checks for one CLP loop."""
    problems: list[Imbalance] = []
    pcn = claim.patient_control_number
    for number, service in enumerate(claim.services, start=1):
        expected = service.charge - _sum([a.amount for a in service.adjustments])
        if expected != service.paid:
            problems.append(Imbalance(
                "service", service.source_position, pcn, expected, service.paid,
                f"claim {pcn} service {number} ({service.procedure_code}): charge "
                f"{service.charge} − adjustments = {expected}, but the payer says it paid "
                f"{service.paid}"))
    expected = claim.charge - claim_adjustment_total(claim)
    interest = claim.interest or ZERO
    if claim.paid not in (expected, expected + interest):
        problems.append(Imbalance(
            "claim", claim.source_position, pcn, expected, claim.paid,
            f"claim {pcn}: charge {claim.charge} − adjustments = {expected}, but the payer "
            f"says it paid {claim.paid}"))
    return problems


def check_payment(remittance: Remittance, claims_paid: Decimal,
                  provider_adjustments: list[ProviderAdjustment],
                  position: int | None = None) -> list[Imbalance]:
    """The payment-level check, from running totals (a streaming reader keeps no claims).

    ``claims_paid`` is Σ CLP04 of the remittance; ``position`` the segment to blame
    (the SE, when the totals are only known there).
    """
    plb = _sum([p.amount for p in provider_adjustments])
    payment = remittance.payment_amount
    if remittance.credit_debit == "D":
        payment = -payment
    if claims_paid - plb == payment:
        return []
    return [Imbalance(
        "payment", position or remittance.source_position, None, claims_paid - plb, payment,
        f"payment {remittance.trace_number}: claims paid {claims_paid} − provider adjustments "
        f"{plb} = {claims_paid - plb}, but the payment amount (BPR02) is {payment}")]


def check_remittance(remittance: Remittance) -> list[Imbalance]:
    """Every check for one payment; an empty list means it balances."""
    problems = [p for claim in remittance.claims for p in check_claim(claim)]
    paid = _sum([c.paid for c in remittance.claims])
    return problems + check_payment(remittance, paid, remittance.provider_adjustments)
