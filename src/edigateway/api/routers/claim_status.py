"""Real-time claim status: a 276 about one of the practice's claims, the payer's 277 as
JSON — the use case ``edigateway claims status`` runs for every stale claim, for one claim
on request."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from edigateway.api.deps import GatewayDep, JsonBody, render, scope
from edigateway.api.examples import examples
from edigateway.api.problems import problem, responses
from edigateway.api.schemas import Money, Timestamp
from edigateway.domain.claim_status import StatusOutcome
from edigateway.errors import UnreadableAnswerError
from edigateway.services.claim_status import inquire_claim
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/claim-status", tags=["claims"])


class ClaimStatusRequest(BaseModel):
    """Which claim to ask about."""

    model_config = ConfigDict(extra="forbid")

    claim_id: Annotated[int, Field(ge=1, le=2**31 - 1)] = Field(
        description="the claim's ID (a claim of this practice that was sent to the payer)"
    )


class PayerStatus(BaseModel):
    """One status the payer gave (STC01, STC10 or STC11)."""

    category_code: str = Field(
        description="STC01-1: the category (code source 507), e.g. "
        "F1 finalized/payment, A4 not found, P1 pending"
    )
    status_code: str = Field(description="STC01-2: the status (code source 508)")
    entity_code: str | None = Field(
        default=None, description="STC01-3: whom the status is about, e.g. 85 billing provider"
    )
    description: str = Field(description="the status in plain words")


class ClaimStatusResult(BaseModel):
    """The payer's answer about the claim, now (also written into the claim's history; an
    answer that needs a person opens a work item)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "claim_id": 42,
                    "patient_control_number": "MSD5001",
                    "outcome": "paid",
                    "message": "Finalized/Payment-The claim/line has been paid.",
                    "asked_at": "2026-12-03T15:00:00Z",
                    "status_date": "2026-12-01",
                    "statuses": [
                        {
                            "category_code": "F1",
                            "status_code": "65",
                            "description": "Finalized/Payment-The claim/line has been paid.",
                        }
                    ],
                    "total_charge": "150.00",
                    "paid_amount": "120.00",
                    "adjudication_date": "2026-11-28",
                    "check_date": "2026-12-01",
                    "check_number": "CHK10042",
                    "payer_claim_control_number": "DD-88120",
                }
            ]
        }
    )

    claim_id: int = Field(description="the claim asked about")
    patient_control_number: str = Field(description="its claim number (CLM01)")
    outcome: StatusOutcome = Field(
        description=(
            "what the answer means: paid, denied, finalized (no payment due), pending, "
            "information_requested, acknowledged (received, in adjudication), rejected, "
            "not_found, request_error (the payer answered the request, not the claim) or "
            "unknown"
        )
    )
    message: str = Field(description="the statuses in plain words")
    asked_at: Timestamp = Field(description="when the payer was asked")
    status_date: date | None = Field(
        default=None, description="STC02: since when the status holds (none on a request_error)"
    )
    statuses: list[PayerStatus] = Field(
        default_factory=list,
        description=("the first STC's statuses as the payer gave them (empty on a request_error)"),
    )
    total_charge: Money | None = Field(
        default=None, description="STC04: the charge the payer has (only when it found the claim)"
    )
    paid_amount: Money | None = Field(default=None, description="STC05: what it paid")
    adjudication_date: date | None = Field(default=None, description="STC06: when it adjudicated")
    check_date: date | None = Field(default=None, description="STC08: the payment's date")
    check_number: str | None = Field(
        default=None, description="STC09: the check or EFT trace number (find the 835 by it)"
    )
    payer_claim_control_number: str | None = Field(
        default=None, description=("REF*1K: the payer's own number for the claim")
    )


@router.post(
    "",
    response_model=ClaimStatusResult,
    operation_id="checkClaimStatus",
    dependencies=[JsonBody],
    responses=responses(404, 409, 502, 504),
)
def check_claim_status(
    request: Annotated[
        ClaimStatusRequest, Body(openapi_examples=examples("ask about one claim", {"claim_id": 42}))
    ],
    caller: Annotated[Caller, scope("claims:write")],
    gateway: GatewayDep,
) -> Response:
    """Ask the payer now (276 → 277 in real time over the clearinghouse) about one claim.
    The answer goes into the claim's history, and one that needs a person (paid or denied
    with no 835 posted, not found, information requested …) opens a work item, as the
    periodic ``claims status`` run does. 404 for a claim not of this practice; 409 for one
    not sent yet or superseded; 502 when the clearinghouse fails or its 277 cannot be
    read; 504 when no answer came within the clearinghouse's real-time deadline (20 s by
    default; one retry at most within it)."""
    profile = gateway.profile()
    try:
        checked = inquire_claim(
            gateway.database,
            request.claim_id,
            practice_id=caller.practice_id,
            client=gateway.core_client(profile),
            profile=profile,
            settings=gateway.settings,
            control_numbers=gateway.control_numbers,
            clock=gateway.clock,
            actor=caller.actor,
            remote_addr=caller.remote_addr,
        )
    except UnreadableAnswerError as exc:
        return problem(
            502,
            "Clearinghouse answer unreadable",
            str(exc),
            [{"path": str(exc.location), "message": str(exc)}],
            kind="clearinghouse-answer-unreadable",
        )
    answer = checked.answer
    found = (
        {}
        if answer is None
        else {
            "status_date": answer.status_date,
            "statuses": [
                PayerStatus(
                    category_code=s.category_code,
                    status_code=s.status_code,
                    entity_code=s.entity_code,
                    description=s.description,
                )
                for s in answer.statuses
            ],
            "total_charge": answer.total_charge,
            "paid_amount": answer.paid_amount,
            "adjudication_date": answer.adjudication_date,
            "check_date": answer.check_date,
            "check_number": answer.check_number,
            "payer_claim_control_number": answer.payer_claim_control_number,
        }
    )
    return render(
        ClaimStatusResult.model_validate(
            {
                "claim_id": checked.claim_id,
                "patient_control_number": checked.patient_control_number,
                "outcome": checked.outcome,
                "message": checked.message,
                "asked_at": checked.asked_at,
                **found,
            }
        )
    )
