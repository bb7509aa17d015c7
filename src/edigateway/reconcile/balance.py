"""Balancing an 835 before anything is posted: the payer's arithmetic must hold to the cent.

Three levels, as the 005010X221A1 guide defines them:

* service  — ``SVC02 − Σ line CAS = SVC03``
* claim    — ``CLP03 − Σ claim CAS − Σ line CAS = CLP04`` (interest reported in ``AMT*I``
  may be added on top of that difference, as some payers include it in ``CLP04``)
* payment  — ``Σ CLP04 − Σ PLB = BPR02`` (negated when BPR03 is ``D``, a debit)

A remittance that fails any of these is not posted at all; the problem names the segment
(position, ID, loop and element) so a coordinator can show the payer exactly where its file
is wrong: ``SVC03`` in loop 2110 for a line, ``CLP04`` or ``CLP03`` in loop 2100 for a
claim, ``BPR02`` in the header for the payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from edigateway.domain.remittances import ClaimPayment, ProviderAdjustment, Remittance

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Imbalance:
    """One arithmetic check that failed, and the element the payer's file got wrong.

    ``segment_id``, ``loop`` and ``element`` name the amount that does not fit the others
    (the guide's loop names; ``HEADER`` for Table 1, where BPR is); ``source_position`` is
    that segment's position (ISA = 1), ``None`` when the remittance was not read from X12.
    """

    level: Literal["service", "claim", "payment"]
    source_position: int | None
    patient_control_number: str | None
    expected: Decimal
    actual: Decimal
    message: str
    segment_id: Literal["SVC", "CLP", "BPR"]
    loop: Literal["2110", "2100", "HEADER"]
    element: Literal["SVC03", "CLP03", "CLP04", "BPR02"]


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
            problems.append(
                Imbalance(
                    "service",
                    service.source_position,
                    pcn,
                    expected,
                    service.paid,
                    f"claim {pcn} service {number} ({service.procedure_code}): charge "
                    f"{service.charge} − adjustments = {expected}, but the payer says it paid "
                    f"{service.paid} (SVC03)",
                    "SVC",
                    "2110",
                    "SVC03",
                )
            )
    expected = claim.charge - claim_adjustment_total(claim)
    interest = claim.interest or ZERO
    if claim.paid not in (expected, expected + interest):
        problems.append(_claim_imbalance(claim, expected, interest))
    return problems


def _claim_imbalance(claim: ClaimPayment, expected: Decimal, interest: Decimal) -> Imbalance:
    """Which CLP amount to blame when ``CLP03 − Σ CAS ≠ CLP04``.

    With service lines, line-level adjustments are ``Σ SVC02 − Σ SVC03`` (each line having
    balanced), so the check reads ``CLP03 − Σ SVC02 + Σ SVC03 − Σ claim CAS = CLP04``. When
    the payment agrees with the lines (``CLP04 = Σ SVC03 − Σ claim CAS``, interest allowed
    on top) it is the charge that does not: ``CLP03 ≠ Σ SVC02``. Otherwise the payment
    CLP04 is what does not add up (always, for a claim without lines).
    """
    pcn = claim.patient_control_number
    if claim.services:
        lines_paid = _sum([s.paid for s in claim.services]) - _sum(
            [a.amount for a in claim.adjustments]
        )
        lines_charge = _sum([s.charge for s in claim.services])
        if claim.paid in (lines_paid, lines_paid + interest) and claim.charge != lines_charge:
            return Imbalance(
                "claim",
                claim.source_position,
                pcn,
                lines_charge,
                claim.charge,
                f"claim {pcn}: charge {claim.charge} − adjustments = {expected}, but the "
                f"payer says it paid {claim.paid}; the payment agrees with the service lines, "
                f"the charge (CLP03) does not: the lines' charges add up to {lines_charge}",
                "CLP",
                "2100",
                "CLP03",
            )
    return Imbalance(
        "claim",
        claim.source_position,
        pcn,
        expected,
        claim.paid,
        f"claim {pcn}: charge {claim.charge} − adjustments = {expected}, but the payer "
        f"says it paid {claim.paid} (CLP04)",
        "CLP",
        "2100",
        "CLP04",
    )


def check_payment(
    remittance: Remittance, claims_paid: Decimal, provider_adjustments: list[ProviderAdjustment]
) -> list[Imbalance]:
    """The payment-level check, from running totals (a streaming reader keeps no claims).

    ``claims_paid`` is Σ CLP04 of the remittance. The check total BPR02 is what is blamed
    (at the remittance's position, its BPR): the claims and PLB entries were read and
    located one by one, and the payer states the total it sent.
    """
    plb = _sum([p.amount for p in provider_adjustments])
    payment = remittance.payment_amount
    if remittance.credit_debit == "D":
        payment = -payment
    if claims_paid - plb == payment:
        return []
    return [
        Imbalance(
            "payment",
            remittance.source_position,
            None,
            claims_paid - plb,
            payment,
            f"payment {remittance.trace_number}: claims paid {claims_paid} − provider adjustments "
            f"{plb} = {claims_paid - plb}, but the payment amount (BPR02) is {payment}",
            "BPR",
            "HEADER",
            "BPR02",
        )
    ]


def check_remittance(remittance: Remittance) -> list[Imbalance]:
    """Every check for one payment; an empty list means it balances."""
    problems = [p for claim in remittance.claims for p in check_claim(claim)]
    paid = _sum([c.paid for c in remittance.claims])
    return problems + check_payment(remittance, paid, remittance.provider_adjustments)
