"""Build the secondary claim from the primary payer's remittance (coordination of benefits).

When the primary's 835 arrives for a patient with a second plan, the secondary claim is the
same treatment sent to the second payer, carrying what the primary did: its payment
(2320 AMT*D), what it left the patient (2320 AMT*EAF, remaining patient liability: the
secondary pays at most that), claim-level adjustments (2320 CAS), and per line how it paid
(2430 SVD, CAS, DTP*573). The primary becomes an "other payer" on the new claim and the
secondary plan's subscriber becomes the subscriber.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from edigateway.domain.claims import (
    Adjustment,
    Claim,
    LineAdjudication,
    OtherPayer,
    Patient,
    Subscriber,
)
from edigateway.domain.common import Address
from edigateway.domain.remittances import ClaimPayment
from edigateway.errors import NoSecondaryPayerError
from edigateway.reconcile.plan import match_lines

ZERO = Decimal("0.00")


SECONDARY_SUFFIX = "-S"
"""The secondary claim of ``<pcn>`` is ``<pcn>-S``: how the two are tied."""


def secondary_control_number(pcn: str) -> str:
    """Our patient control number for the secondary claim of ``pcn``."""
    return f"{pcn}{SECONDARY_SUFFIX}"


def build_secondary(primary: Claim, payments: Sequence[ClaimPayment], adjudicated: date) -> Claim:
    """The secondary claim for ``primary`` given the primary payer's claim payments.

    ``payments`` are the (non-reversed) CLP loops of the primary payer for this claim; the
    primary's totals are their sums. Raises :class:`NoSecondaryPayerError` when the claim
    lists no secondary (``responsibility == "S"``) payer.
    """
    secondary = next((o for o in primary.other_payers if o.responsibility == "S"), None)
    if secondary is None:
        raise NoSecondaryPayerError(
            f"claim {primary.patient_control_number} has no secondary payer"
        )
    subscriber, patient = _parties(primary, secondary)
    primary_payer = OtherPayer(
        responsibility="P",
        relationship="18" if primary.patient is None else primary.patient.relationship,
        filing_indicator=primary.filing_indicator,
        group_number=primary.subscriber.group_number,
        group_name=primary.subscriber.group_name,
        subscriber_name=primary.subscriber.name,
        subscriber_member_id=primary.subscriber.member_id,
        payer=primary.payer,
        paid_amount=sum((p.paid for p in payments), ZERO),
        remaining_patient_liability=remaining_patient_liability(payments),
        adjudication_date=adjudicated,
        claim_adjustments=[
            Adjustment(group=a.group, reason=a.reason, amount=a.amount, quantity=a.quantity)
            for p in payments
            for a in p.adjustments
        ],
    )
    adjudications: dict[int, list[LineAdjudication]] = {}
    for payment in payments:
        for service, number in zip(
            payment.services, match_lines(primary, payment.services), strict=True
        ):
            if number is None:
                continue
            adjudications.setdefault(number, []).append(
                LineAdjudication(
                    payer_id=primary.payer.payer_id,
                    paid=service.paid,
                    procedure_code=service.procedure_code,
                    quantity=int(service.units_paid) if service.units_paid else 1,
                    adjustments=[
                        Adjustment(
                            group=a.group, reason=a.reason, amount=a.amount, quantity=a.quantity
                        )
                        for a in service.adjustments
                    ],
                    adjudication_date=adjudicated,
                )
            )
    lines = [
        line.model_copy(update={"adjudications": adjudications.get(number, [])})
        for number, line in enumerate(primary.lines, start=1)
    ]
    others = [primary_payer] + [o for o in primary.other_payers if o is not secondary]
    return Claim.model_validate(
        {
            **primary.model_dump(),
            "patient_control_number": secondary_control_number(primary.patient_control_number),
            "frequency": "1",
            "payer_claim_control_number": None,
            "payer_responsibility": "S",
            "filing_indicator": secondary.filing_indicator,
            "payer": secondary.payer.model_dump(),
            "subscriber": subscriber.model_dump(),
            "patient": patient.model_dump() if patient else None,
            "other_payers": [o.model_dump() for o in others],
            "lines": [line.model_dump() for line in lines],
        }
    )


def remaining_patient_liability(payments: Sequence[ClaimPayment]) -> Decimal:
    """AMT*EAF: what the primary left the patient to pay — its patient-responsibility (PR)
    adjustments, at claim and line level, over its (non-reversed) payments of the claim.
    The secondary pays at most this much."""
    return sum((a.amount for p in payments for a in p.adjustments if a.group == "PR"), ZERO) + sum(
        (a.amount for p in payments for s in p.services for a in s.adjustments if a.group == "PR"),
        ZERO,
    )


def _parties(primary: Claim, secondary: OtherPayer) -> tuple[Subscriber, Patient | None]:
    """Subscriber and patient as the secondary plan sees them."""
    born: date | None
    gender: str | None
    address: Address | None
    if primary.patient is not None:
        name, born, gender, address = (
            primary.patient.name,
            primary.patient.date_of_birth,
            primary.patient.gender,
            primary.patient.address,
        )
    else:
        sub = primary.subscriber
        name, born, gender, address = sub.name, sub.date_of_birth, sub.gender, sub.address
    if secondary.relationship == "18":
        return Subscriber(
            name=secondary.subscriber_name,
            member_id=secondary.subscriber_member_id,
            date_of_birth=born,
            gender=gender,
            address=address,
            group_number=secondary.group_number,
            group_name=secondary.group_name,
        ), None
    subscriber = Subscriber(
        name=secondary.subscriber_name,
        member_id=secondary.subscriber_member_id,
        group_number=secondary.group_number,
        group_name=secondary.group_name,
    )
    if born is None or gender is None or address is None:
        raise NoSecondaryPayerError(
            f"claim {primary.patient_control_number}: the patient's date of birth, gender and "
            "address are needed for the secondary claim"
        )
    return subscriber, Patient.model_validate(
        {
            "name": name,
            "relationship": secondary.relationship,
            "date_of_birth": born,
            "gender": gender,
            "address": address,
        }
    )
