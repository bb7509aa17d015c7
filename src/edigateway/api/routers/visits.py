"""Upcoming visits and the verification queue: the patients to verify before they come,
and a bulk check of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from edigateway.api.deps import GatewayDep, JsonBody, scope
from edigateway.api.examples import examples
from edigateway.api.problems import responses
from edigateway.api.verification_models import (
    BulkVerified,
    BulkVerifyRequest,
    VerificationQueue,
    VisitsRequest,
    VisitsSaved,
)
from edigateway.services import visits
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/visits", tags=["eligibility"])
Eligibility = Annotated[Caller, scope("eligibility")]
VISIT = {
    "external_id": "APPT-20261201-0930",
    "visit_date": "2026-12-01",
    "payer": {"payer_id": "DDPIL", "name": "PRAIRIE DENTAL PLAN"},
    "subscriber": {
        "name": {"last_name": "OKONKWO", "first_name": "SAMUEL"},
        "member_id": "PDP300412",
        "date_of_birth": "1962-07-04",
    },
    "procedures": ["D0120", "D1110", "D0274"],
}


@router.post(
    "",
    status_code=201,
    response_model=VisitsSaved,
    operation_id="saveVisits",
    dependencies=[JsonBody],
)
def save_visits(
    request: Annotated[
        VisitsRequest,
        Body(openapi_examples=examples("a recall visit next week", {"visits": [VISIT]})),
    ],
    caller: Eligibility,
    gateway: GatewayDep,
) -> VisitsSaved:
    """Store upcoming visits (patient, insurance, date, planned procedures); a visit with
    an ``external_id`` posted before is updated."""
    saved = visits.save(gateway.database, caller, request.visits, now=gateway.clock())
    return VisitsSaved.model_validate({"visits": saved}, from_attributes=True)


@router.get(
    "/verification-queue", response_model=VerificationQueue, operation_id="verificationQueue"
)
def verification_queue(
    caller: Eligibility,
    gateway: GatewayDep,
    days: Annotated[
        int,
        Query(
            ge=0,
            le=365,
            description=(
                "a verification made more than this many days before the visit does not count"
            ),
        ),
    ] = 30,
    within: Annotated[
        int, Query(ge=0, le=180, description=("visits from today to this many days ahead"))
    ] = 14,
) -> VerificationQueue:
    """The patients whose verification is missing, too old for their visit, or answered
    "member not found", soonest visit first."""
    items = visits.queue(
        gateway.database,
        caller,
        days=days,
        within=within,
        today=gateway.clock().date(),
        now=gateway.clock(),
    )
    return VerificationQueue.model_validate(
        {"days": days, "within": within, "items": items}, from_attributes=True
    )


@router.post(
    "/verify",
    response_model=BulkVerified,
    operation_id="verifyVisits",
    dependencies=[JsonBody],
    responses=responses(502, 504),
)
def verify_visits(
    request: Annotated[
        BulkVerifyRequest,
        Body(
            openapi_examples=examples(
                "this week's patients not verified in 30 days",
                {"days": 30, "within": 7, "limit": 50},
            )
        ),
    ],
    caller: Eligibility,
    gateway: GatewayDep,
) -> BulkVerified:
    """Check the queue's patients now (one real-time call each, kept like every check); a
    payer that does not answer fails that patient only."""
    outcomes = visits.verify_queue(
        gateway.database,
        caller,
        days=request.days,
        within=request.within,
        today=gateway.clock().date(),
        limit=request.limit,
        realtime=gateway.realtime(),
    )
    return BulkVerified.model_validate({"outcomes": outcomes}, from_attributes=True)
