"""Real-time eligibility: a 270 to the clearinghouse, its 271 as dental benefits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import Response

from edigateway.api.deps import GatewayDep, JsonBody, render, scope
from edigateway.api.examples import INQUIRY, examples
from edigateway.api.problems import problem, responses
from edigateway.api.schemas import EligibilityAnswer, EligibilityRequest
from edigateway.errors import UnreadableAnswerError
from edigateway.services.access import record
from edigateway.services.eligibility import check_realtime
from edigateway.services.events import EventType
from edigateway.services.events import record as record_event
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/eligibility", tags=["eligibility"])


@router.post("", response_model=EligibilityAnswer, operation_id="checkEligibility",
             dependencies=[JsonBody], responses=responses(502, 504))
def check(request: Annotated[EligibilityRequest, Body(openapi_examples=examples(
              "a subscriber's dental benefits", {"inquiry": INQUIRY}))],
          caller: Annotated[Caller, scope("eligibility")], gateway: GatewayDep) -> Response:
    """Ask the payer now (CORE real-time over the clearinghouse); 502 when it fails, also
    when its 271 cannot be read (the problem then locates the fault in their answer); 504
    when no answer came within the clearinghouse's real-time deadline (20 s by default)."""
    profile = gateway.profile()
    try:
        benefits = check_realtime([request.inquiry], client=gateway.core_client(profile),
                                  profile=profile, settings=gateway.settings,
                                  control_numbers=gateway.control_numbers, clock=gateway.clock)
    except UnreadableAnswerError as exc:
        return problem(502, "Clearinghouse answer unreadable", str(exc),
                       [{"path": str(exc.location), "message": str(exc)}],
                       kind="clearinghouse-answer-unreadable")
    with gateway.database.transaction() as session:
        record(session, actor=caller.actor, practice_id=caller.practice_id, action="transmit",
               resource="eligibility", resource_id=request.inquiry.trace_number,
               at=gateway.clock(), remote_addr=caller.remote_addr)
        record_event(session, caller.practice_id, EventType.ELIGIBILITY_COMPLETED,
                     "eligibility", {"trace_number": request.inquiry.trace_number,
                                     "patients": len(benefits),
                                     "rejected": sum(bool(b.rejections) for b in benefits)},
                     at=gateway.clock())
    return render(EligibilityAnswer(benefits=benefits))
