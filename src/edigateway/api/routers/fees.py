"""Fee schedules per payer (and plan): allowed fees and the practice's own procedure
descriptions, used by every estimate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from edigateway.api.deps import GatewayDep, JsonBody, PayerPath, answer, scope
from edigateway.api.examples import examples
from edigateway.api.verification_models import (
    FeeScheduleAnswer,
    FeeScheduleLoaded,
    FeeScheduleRequest,
)
from edigateway.errors import ClaimInputError, FieldProblem
from edigateway.services import fees
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/fee-schedules", tags=["estimates"])
Estimates = Annotated[Caller, scope("estimates")]


@router.put(
    "/{payer_id}",
    response_model=FeeScheduleLoaded,
    operation_id="putFeeSchedule",
    dependencies=[JsonBody],
)
def put_fee_schedule(
    payer_id: PayerPath,
    request: Annotated[
        FeeScheduleRequest,
        Body(
            openapi_examples=examples(
                "a PPO's contracted fees",
                {
                    "entries": [
                        {
                            "procedure_code": "D1110",
                            "fee": "88.00",
                            "description": "Adult cleaning",
                        },
                        {
                            "procedure_code": "D2391",
                            "fee": "168.00",
                            "description": "Tooth-colored filling, one surface",
                        },
                    ]
                },
            )
        ),
    ],
    caller: Estimates,
    gateway: GatewayDep,
) -> FeeScheduleLoaded:
    """Replace the practice's fee schedule for the payer (and plan) in one step; a
    negative or implausible fee, a code listed twice or one that is not CDT is a 422
    naming the entry."""
    duplicated = {
        e.procedure_code
        for e in request.entries
        if sum(o.procedure_code == e.procedure_code for o in request.entries) > 1
    }
    if duplicated:
        first = next(i for i, e in enumerate(request.entries) if e.procedure_code in duplicated)
        raise ClaimInputError(
            "fee schedule",
            [
                FieldProblem(
                    f"entries.{first}.procedure_code",
                    f"{', '.join(sorted(duplicated))} listed more than once",
                )
            ],
        )
    schedule = fees.FeeSchedule(plan=request.plan, entries=request.entries)
    return answer(
        FeeScheduleLoaded,
        fees.load(gateway.database, caller, payer_id, schedule, now=gateway.clock()),
    )


@router.get("/{payer_id}", response_model=FeeScheduleAnswer, operation_id="getFeeSchedule")
def get_fee_schedule(
    payer_id: PayerPath,
    caller: Estimates,
    gateway: GatewayDep,
    plan: Annotated[
        str | None,
        Query(max_length=60, description=("the plan (its entries over the payer-wide ones)")),
    ] = None,
) -> FeeScheduleAnswer:
    """The practice's stored fee schedule for the payer (empty when none is loaded)."""
    return FeeScheduleAnswer.model_validate(
        {
            "payer_id": payer_id,
            "entries": fees.schedule_of(gateway.database, caller, payer_id, plan),
        },
        from_attributes=True,
    )
