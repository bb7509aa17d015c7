"""The simulator's claim status answers: a 277 for each 276, from what the payer knows.

``lookup`` maps our patient control number (REF*EJ) to a :class:`PayerClaim` — the status
the simulated payer has for that claim — or ``None`` when it has never seen it. Every
inquiry gets an answer in its own 2200D/2200E loop, echoing the trace, the patient control
number and the dates of service::

    known = {"PC1001": PayerClaim("F1", "65", date(2026, 12, 1), paid_amount=Decimal("120.00"),
                                  check_number="CHK10042", check_date=date(2026, 12, 1))}
    x277 = answer_276(x276, known.get)

A claim the payer does not know is answered ``STC*D0:35`` (data search unsuccessful: claim
not found), dated the day of the answer and without amounts, as the guide asks (X12 RFI
1614): the coordinator then resends the claim or checks the subscriber's data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeAlias

from pydantic import ValidationError

from edigateway.domain.acknowledgments import StatusCode
from edigateway.domain.claim_status import NOT_FOUND, ClaimStatusAnswer, StatusInquiry
from edigateway.errors import ConfigurationError
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x276_005010X212 import read_276
from edigateway.x12.x277_005010X212 import write_277


@dataclass(frozen=True, slots=True)
class PayerClaim:
    """What the simulated payer knows about one claim (STC01 category/status and the rest
    of the claim-level STC); ``total_charge`` defaults to the inquiry's (AMT*T3)."""

    category: str
    status: str
    status_date: date
    entity: str | None = None
    paid_amount: Decimal | None = None
    adjudication_date: date | None = None
    check_number: str | None = None
    check_date: date | None = None
    payer_claim_control_number: str | None = None
    total_charge: Decimal | None = None
    more_statuses: tuple[StatusCode, ...] = ()


ClaimLookup: TypeAlias = Callable[[str], PayerClaim | None]
"""A patient control number → what the payer knows (``None``: never seen)."""


def nothing_known(patient_control_number: str) -> PayerClaim | None:
    """The default look-up: the payer has no claim at all (every answer is D0:35)."""
    del patient_control_number
    return None


def answer_inquiry(
    inquiry: StatusInquiry, known: PayerClaim | None, today: date
) -> ClaimStatusAnswer:
    """The answer to one inquiry, given what the payer knows (``None``: not found)."""
    common = {
        "trace_number": inquiry.trace_number,
        "payer": inquiry.payer,
        "receiver": inquiry.receiver,
        "provider": inquiry.provider,
        "subscriber": inquiry.subscriber.name,
        "member_id": inquiry.subscriber.member_id,
        "member_id_qualifier": inquiry.subscriber.id_qualifier,
        "patient": inquiry.patient.name if inquiry.patient is not None else None,
        "patient_control_number": inquiry.patient_control_number,
        "service_start": inquiry.service_start,
        "service_end": inquiry.service_end,
    }
    if known is None:
        return ClaimStatusAnswer.model_validate(
            {**common, "statuses": [NOT_FOUND], "status_date": today}
        )
    try:
        first = StatusCode(
            category_code=known.category, status_code=known.status, entity_code=known.entity
        )
        return ClaimStatusAnswer.model_validate(
            {
                **common,
                "statuses": [first, *known.more_statuses[:2]],
                "status_date": known.status_date,
                "total_charge": known.total_charge
                if known.total_charge is not None
                else inquiry.total_charge,
                "paid_amount": known.paid_amount,
                "adjudication_date": known.adjudication_date,
                "check_number": known.check_number,
                "check_date": known.check_date,
                "payer_claim_control_number": known.payer_claim_control_number
                or inquiry.payer_claim_control_number,
            }
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise ConfigurationError(
            f"the simulator's record for claim {inquiry.patient_control_number} does not "
            f"make an answer: {where}: {problem['msg']}"
        ) from exc


def answer_276(text: str, lookup: ClaimLookup, params: InterchangeParams | None = None) -> str:
    """The 277 answering every inquiry of the 276 ``text`` (see module docstring).

    Without ``params`` the answer's envelope mirrors the request's: sender and receiver
    swapped, the same control numbers and time, so the same 276 always gets the same 277.
    """
    parsed = read_276(text.encode("utf-8", "surrogateescape"), name="276")
    envelope = params or _mirror(parsed.params)
    today = envelope.created.date()
    answers = [answer_inquiry(i, lookup(i.patient_control_number), today) for i in parsed.inquiries]
    return write_277(answers, envelope)


def _mirror(request: InterchangeParams) -> InterchangeParams:
    return InterchangeParams(
        sender_qualifier=request.receiver_qualifier,
        sender_id=request.receiver_id,
        receiver_qualifier=request.sender_qualifier,
        receiver_id=request.sender_id,
        gs_sender_code=request.gs_receiver_code,
        gs_receiver_code=request.gs_sender_code,
        interchange_control_number=request.interchange_control_number,
        group_control_number=request.group_control_number,
        first_transaction_control_number=request.first_transaction_control_number,
        created=request.created,
        usage_indicator=request.usage_indicator,
        delimiters=request.delimiters,
        line_breaks=request.line_breaks,
    )
