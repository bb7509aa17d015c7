"""ERA review and settling by hand (issue 15, items 6-7): payments a guard held or the
payer's ERA policy keeps for approval, approving or dismissing them, writing off or closing
what a payer left on a claim, and the ERA automation policy per payer. The same use cases
as ``edigateway era``, ``payers set-policy`` and ``claims write-off/close``
(:mod:`edigateway.services.era_review`)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel

from edigateway.api.deps import (
    GatewayDep,
    IdempotencyKey,
    JsonBody,
    PayerPath,
    PrincipalDep,
    RowId,
    answer,
    idempotent,
    scope,
)
from edigateway.api.era_models import (
    CloseRequest,
    Decided,
    DismissRequest,
    EraPolicies,
    PendingPayment,
    PolicyRequest,
    Settled,
    WriteOffRequest,
)
from edigateway.api.examples import examples
from edigateway.api.problems import responses
from edigateway.services import era_review
from edigateway.services.practice_claims import Caller

if TYPE_CHECKING:
    from collections.abc import Callable

    from edigateway.bootstrap import Gateway
    from edigateway.services.access import Principal

M = TypeVar("M", bound=BaseModel)

router = APIRouter(tags=["era"])
Reader = Annotated[Caller, scope("remittances:read")]
Reviewer = Annotated[Caller, scope("workqueue:write")]
ClaimWriter = Annotated[Caller, scope("claims:write")]


def _decide(
    gateway: Gateway,
    principal: Principal,
    caller: Caller,
    key: str | None,
    request_body: dict[str, object],
    model: type[M],
    decision: Callable[[era_review.Acting], object],
) -> Response:
    """Run one decision of the review routes once per ``Idempotency-Key``
    (:func:`idempotent`): ``decision`` made by the API key's caller, now, answered 200
    with ``model``."""
    return idempotent(
        gateway,
        principal,
        key,
        request_body,
        lambda: (
            200,
            answer(model, decision(era_review.acting(caller, now=gateway.clock(), kind="key"))),
        ),
    )


@router.get("/era/pending", response_model=list[PendingPayment], operation_id="listPendingPayments")
def list_pending(caller: Reader, gateway: GatewayDep) -> list[PendingPayment]:
    """Claim payments written but not posted, oldest first: held by a guard (a duplicate,
    an over-payment, a replacement paid while the original's payment stands, money on a
    predetermination, another payer's 835 …) or awaiting approval under the payer's ERA
    policy. None of them counts in a ledger until approved."""
    return [
        answer(PendingPayment, p)
        for p in era_review.pending(gateway.database, practice_id=caller.practice_id)
    ]


@router.post(
    "/era/pending/{payment_id:int}/approve",
    response_model=Decided,
    operation_id="approvePendingPayment",
    responses=responses(404, 409),
)
def approve_payment(
    payment_id: RowId,
    caller: Reviewer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Post a held or awaiting claim payment: its postings count, the claim moves to the
    state the payment decided and its work items close (audited, with who). Of two
    approvals at once, one posts it. 409 when it was decided already, or when posting it
    would settle the claim past what was billed or the treatment past its charge by every
    payer together (dismiss it then)."""
    return _decide(
        gateway,
        principal,
        caller,
        idempotency_key,
        {"approve": payment_id},
        Decided,
        lambda by: era_review.approve(gateway.database, payment_id, **by),
    )


@router.post(
    "/era/pending/{payment_id:int}/dismiss",
    response_model=Decided,
    operation_id="dismissPendingPayment",
    responses=responses(404, 409),
)
def dismiss_payment(
    payment_id: RowId,
    caller: Reviewer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    request: Annotated[
        DismissRequest | None,
        Body(openapi_examples=examples("why", {"reason": "the same check sent twice"})),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Keep a held or awaiting claim payment unposted for good (a true duplicate, a
    payment meant for another practice); its rows stay as evidence, the claim's history
    notes it and its work items close. 409 when it was decided already."""
    reason = request.reason if request else ""
    return _decide(
        gateway,
        principal,
        caller,
        idempotency_key,
        {"dismiss": payment_id, "reason": reason},
        Decided,
        lambda by: era_review.dismiss(gateway.database, payment_id, reason=reason, **by),
    )


@router.post(
    "/claims/{claim_id:int}/write-off",
    response_model=Settled,
    operation_id="writeOffClaim",
    tags=["claims"],
    responses=responses(404, 409),
)
def write_off_claim(
    claim_id: RowId,
    caller: ClaimWriter,
    principal: PrincipalDep,
    gateway: GatewayDep,
    request: Annotated[
        WriteOffRequest | None,
        Body(
            openapi_examples=examples(
                "part of a denial", {"amount": "45.00", "note": "not worth appealing"}
            )
        ),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Write off what the payer left on an answered claim (paid in part, denied, reversed
    or appealed): all that is outstanding, or ``amount``. With nothing left the claim is
    ``written_off`` and its denial work items close. 409 when nothing is outstanding or
    the payer has not answered; 422 for an amount above what is outstanding. Send an
    ``Idempotency-Key`` to retry safely (a partial write-off repeated is another one)."""
    body = request or WriteOffRequest()
    amount = Decimal(body.amount) if body.amount is not None else None
    return _decide(
        gateway,
        principal,
        caller,
        idempotency_key,
        {"write_off": claim_id, "amount": body.amount, "note": body.note},
        Settled,
        lambda by: era_review.write_off(
            gateway.database, claim_id, amount=amount, note_text=body.note, **by
        ),
    )


@router.post(
    "/claims/{claim_id:int}/close",
    response_model=Settled,
    operation_id="closeClaim",
    tags=["claims"],
    responses=responses(404, 409),
)
def close_claim(
    claim_id: RowId,
    caller: ClaimWriter,
    principal: PrincipalDep,
    gateway: GatewayDep,
    request: Annotated[
        CloseRequest | None,
        Body(openapi_examples=examples("why", {"note": "not covered: the patient pays"})),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Close an answered claim the payer will pay no more on: what is outstanding becomes
    the patient's to pay and the claim is ``closed``; its denial work items close. 409
    when nothing is outstanding or the payer has not answered."""
    note = request.note if request else ""
    return _decide(
        gateway,
        principal,
        caller,
        idempotency_key,
        {"close": claim_id, "note": note},
        Settled,
        lambda by: era_review.close(gateway.database, claim_id, note_text=note, **by),
    )


@router.get("/era/policies", response_model=EraPolicies, operation_id="getEraPolicies")
def get_policies(caller: Reader, gateway: GatewayDep) -> EraPolicies:
    """The practice's default ERA policy and every payer's."""
    return answer(
        EraPolicies, era_review.policies(gateway.database, practice_id=caller.practice_id)
    )


@router.put(
    "/era/policies/default",
    response_model=EraPolicies,
    operation_id="setDefaultEraPolicy",
    dependencies=[JsonBody],
)
def set_default_policy(
    request: Annotated[
        PolicyRequest, Body(openapi_examples=examples("review every payment", {"policy": "review"}))
    ],
    caller: Reviewer,
    gateway: GatewayDep,
) -> EraPolicies:
    """Set the practice's default ERA policy (payers without their own follow it;
    audited)."""
    era_review.set_policy(
        gateway.database,
        request.policy,
        practice_id=caller.practice_id,
        actor=caller.actor,
        now=gateway.clock(),
    )
    return answer(
        EraPolicies, era_review.policies(gateway.database, practice_id=caller.practice_id)
    )


@router.put(
    "/payers/{payer_id}/era-policy",
    response_model=EraPolicies,
    operation_id="setPayerEraPolicy",
    dependencies=[JsonBody],
    responses=responses(404),
)
def set_payer_policy(
    payer_id: PayerPath,
    request: Annotated[
        PolicyRequest,
        Body(openapi_examples=examples("one approval per remittance", {"policy": "semi"})),
    ],
    caller: Reviewer,
    gateway: GatewayDep,
) -> EraPolicies:
    """Set one payer's ERA policy (audited). 404 when the practice knows no such payer
    (payers are created when their claims are stored)."""
    era_review.set_policy(
        gateway.database,
        request.policy,
        practice_id=caller.practice_id,
        payer_id=payer_id,
        actor=caller.actor,
        now=gateway.clock(),
    )
    return answer(
        EraPolicies, era_review.policies(gateway.database, practice_id=caller.practice_id)
    )
