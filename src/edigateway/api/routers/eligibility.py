"""Real-time eligibility: a 270 to the clearinghouse, its 271 as dental benefits — every
check kept (``/v1/eligibility/verifications``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import Response

from edigateway.api.deps import GatewayDep, JsonBody, render, scope
from edigateway.api.examples import INQUIRY, examples
from edigateway.api.problems import problem, responses
from edigateway.api.schemas import EligibilityRequest
from edigateway.api.verification_models import EligibilityChecked
from edigateway.errors import MemberNotFoundError, UnreadableAnswerError
from edigateway.services import verifications
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/eligibility", tags=["eligibility"])


@router.post(
    "",
    response_model=EligibilityChecked,
    operation_id="checkEligibility",
    dependencies=[JsonBody],
    responses=responses(502, 504),
)
def check(
    request: Annotated[
        EligibilityRequest,
        Body(openapi_examples=examples("a subscriber's dental benefits", {"inquiry": INQUIRY})),
    ],
    caller: Annotated[Caller, scope("eligibility")],
    gateway: GatewayDep,
) -> Response:
    """Ask the payer now (CORE real-time over the clearinghouse) and keep the answer (its
    ``verification_id``). 422 ``member-not-found`` when the payer did not find the member
    (the check is kept all the same; the problem names it); 502 when the clearinghouse
    fails, also when its 271 cannot be read (the problem then locates the fault in their
    answer); 504 when no answer came within the clearinghouse's real-time deadline (20 s
    by default)."""
    try:
        done = verifications.check(
            gateway.database, caller, request.inquiry, channel="api", realtime=gateway.realtime()
        )
    except UnreadableAnswerError as exc:
        return problem(
            502,
            "Clearinghouse answer unreadable",
            str(exc),
            [{"path": str(exc.location), "message": str(exc)}],
            kind="clearinghouse-answer-unreadable",
        )
    except MemberNotFoundError as exc:
        return problem(
            422,
            "Member not found",
            str(exc),
            [
                {"path": "inquiry.subscriber.member_id", "message": reason}
                for reason in exc.reasons or ["the payer did not find the member"]
            ],
            kind="member-not-found",
        )
    return render(
        EligibilityChecked(
            benefits=done.benefits,
            verification_id=done.verification.id,
            status=done.verification.status,
        )
    )
