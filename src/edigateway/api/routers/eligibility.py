"""Real-time eligibility: a 270 to the clearinghouse, its 271 as dental benefits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from edigateway.api.deps import GatewayDep, scope
from edigateway.api.problems import problem
from edigateway.api.schemas import EligibilityAnswer, EligibilityRequest
from edigateway.errors import UnreadableAnswerError
from edigateway.services.access import record
from edigateway.services.eligibility import check_realtime
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/eligibility", tags=["eligibility"])


@router.post("", response_model=EligibilityAnswer)
def check(request: EligibilityRequest, caller: Annotated[Caller, Depends(scope("eligibility"))],
          gateway: GatewayDep) -> dict[str, object] | JSONResponse:
    """Ask the payer now (CORE real-time over the clearinghouse); 502 when it fails, also
    when its 271 cannot be read (the problem then locates the fault in their answer)."""
    profile = gateway.profile()
    try:
        benefits = check_realtime([request.inquiry], client=gateway.core_client(profile),
                                  profile=profile, settings=gateway.settings,
                                  control_numbers=gateway.control_numbers, clock=gateway.clock)
    except UnreadableAnswerError as exc:
        return problem(502, "Clearinghouse answer unreadable", str(exc),
                       [{"path": str(exc.location), "message": str(exc)}])
    with gateway.database.transaction() as session:
        record(session, actor=caller.actor, practice_id=caller.practice_id, action="transmit",
               resource="eligibility", resource_id=request.inquiry.trace_number,
               at=gateway.clock(), remote_addr=caller.remote_addr)
    return {"benefits": benefits}
