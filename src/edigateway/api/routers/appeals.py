"""Appeals of a payer's decision on a claim: make one (its letter gathered from the claim,
its postings and the attachments named), read and change it, download the letter as PDF
or HTML, record that it was sent and the payer's answer (:mod:`edigateway.services.
appeals` says what each step does to the claim, the ledger and the work queue)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from edigateway.api.deps import GatewayDep, JsonBody, RowId, answer, scope
from edigateway.api.examples import examples
from edigateway.api.middleware import document_csp
from edigateway.api.problems import responses
from edigateway.api.schemas import ClaimState, Money, Timestamp, _Out
from edigateway.domain.appeals import (
    REASONS,
    AppealReason,
    AppealStatus,
    Decision,
    Outcome,
    SendMethod,
)
from edigateway.services import appeals
from edigateway.services.appeal_documents import render_html, render_pdf
from edigateway.services.practice_claims import Caller

router = APIRouter(tags=["appeals"])
Reader = Annotated[Caller, scope("claims:read")]
Writer = Annotated[Caller, scope("claims:write")]
PDF, HTML = "application/pdf", "text/html"
_REASONS = "; ".join(
    f"{code}: {words or 'the narrative says why'}" for code, words in REASONS.items()
)
APPEAL_EXAMPLE: dict[str, Any] = {
    "id": 4,
    "claim_id": 41,
    "patient_control_number": "BHD2047",
    "payer_claim_control_number": "SIM5B1C0A77D2E4",
    "claim_state": "appealed",
    "status": "decided",
    "reason": "medical_necessity",
    "narrative": "The night guard treats documented bruxism; see the enclosed narrative.",
    "attachment_ids": [12],
    "denied_amount": "550.00",
    "created_at": "2026-11-23T09:05:00Z",
    "created_by": "user:dana@maple-dental.example",
    "updated_at": "2027-01-05T10:00:00Z",
    "sent_on": "2026-11-24",
    "sent_method": "fax",
    "sent_by": "user:dana@maple-dental.example",
    "follow_up_on": "2026-12-24",
    "reminder_work_item_id": 31,
    "outcome": "won",
    "outcome_on": "2027-01-05",
    "outcome_note": "paid in full on review",
}


class Appeal(_Out):
    """An appeal of a claim's denial (or underpayment), with its tracking."""

    model_config = ConfigDict(json_schema_extra={"examples": [APPEAL_EXAMPLE]})

    id: int = Field(description="the appeal's ID")
    claim_id: int = Field(description="the claim appealed")
    patient_control_number: str = Field(description="CLM01 of that claim")
    payer_claim_control_number: str | None = Field(
        description="the payer's number for the claim (CLP07 of its 835), as the letter quotes it"
    )
    claim_state: ClaimState = Field(
        description="the claim's state now (appealed once the appeal is sent)"
    )
    status: AppealStatus = Field(
        description="draft (not sent yet), sent (waiting for the payer), decided (outcome recorded)"
    )
    reason: AppealReason = Field(description="why the decision should change: " + _REASONS)
    narrative: str = Field(description="the coordinator's argument, as the letter gives it")
    attachment_ids: list[int] = Field(
        description="the claim's attachments the letter encloses (GET /v1/attachments/{id})"
    )
    denied_amount: Money = Field(
        description="what the payer denied when the appeal was "
        "made: the amount appealed (outstanding in the claim's "
        "ledger until the payer's answer or a write-off settles it)"
    )
    created_at: Timestamp = Field(description="when the appeal was made")
    created_by: str = Field(description="who made it (user or API key)")
    updated_at: Timestamp = Field(description="its last change")
    sent_on: date | None = Field(description="the day it went to the payer; null while a draft")
    sent_method: SendMethod | None = Field(
        description="how it went: mail, fax, portal or electronic"
    )
    sent_by: str | None = Field(description="who recorded the send")
    follow_up_on: date | None = Field(
        description="when to chase the payer if no answer: a "
        "work item (appeal_follow_up) opens that day"
    )
    reminder_work_item_id: int | None = Field(description="the follow-up work item, once opened")
    outcome: Outcome = Field(description="pending, won, partially_won or lost")
    outcome_on: date | None = Field(description="the day the payer decided")
    outcome_note: str | None = Field(description="what the payer said")


class Appeals(_Out):
    """Appeals, newest first."""

    items: list[Appeal] = Field(description="the appeals")


class AppealRequest(BaseModel):
    """A new appeal of the claim."""

    model_config = ConfigDict(extra="forbid")

    reason: AppealReason = Field(description="why the decision should change: " + _REASONS)
    narrative: str = Field(
        min_length=1,
        max_length=appeals.NARRATIVE_MAX,
        description="the argument, in the practice's words (paragraphs separated by a blank line)",
    )
    attachment_ids: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list,
        max_length=10,
        description="attachments of this claim the "
        "letter encloses (upload them first: POST /v1/claims/{id}/attachments)",
    )


class AppealChange(BaseModel):
    """What to change; the reason, narrative and enclosures only before the appeal is
    sent (the letter is gathered again)."""

    model_config = ConfigDict(extra="forbid")

    reason: AppealReason | None = Field(default=None, description="a new reason")
    narrative: str | None = Field(
        default=None, min_length=1, max_length=appeals.NARRATIVE_MAX, description="a new narrative"
    )
    attachment_ids: list[Annotated[int, Field(ge=1)]] | None = Field(
        default=None, max_length=10, description="the enclosures, replacing the list"
    )
    follow_up_on: date | None = Field(
        default=None, description="a new follow-up date (until the outcome is recorded)"
    )


class AppealSent(BaseModel):
    """How and when the appeal went to the payer."""

    model_config = ConfigDict(extra="forbid")

    method: SendMethod = Field(description="mail, fax, portal or electronic")
    sent_on: date | None = Field(
        default=None, description="the day it went (today when left out; not in the future)"
    )
    follow_up_on: date | None = Field(
        default=None,
        description="when to chase the payer "
        f"(sent_on + {appeals.FOLLOW_UP_DAYS} days when left "
        "out)",
    )


class AppealDecision(BaseModel):
    """The payer's answer to the appeal."""

    model_config = ConfigDict(extra="forbid")

    outcome: Decision = Field(
        description="won, partially_won or lost (the money comes "
        "with the payer's 835; a lost appeal reopens a denied work "
        "item)"
    )
    decided_on: date | None = Field(
        default=None, description="the day the payer decided (today when left out)"
    )
    note: str | None = Field(default=None, max_length=2000, description="what the payer said")


@router.post(
    "/claims/{claim_id}/appeals",
    response_model=Appeal,
    status_code=201,
    operation_id="createAppeal",
    dependencies=[JsonBody],
    responses=responses(404, 409),
)
def create_appeal(
    claim_id: RowId,
    request: Annotated[
        AppealRequest,
        Body(
            openapi_examples=examples(
                "a denied night guard",
                {
                    "reason": "medical_necessity",
                    "narrative": "The night guard treats documented bruxism.",
                    "attachment_ids": [12],
                },
            )
        ),
    ],
    caller: Writer,
    gateway: GatewayDep,
) -> Appeal:
    """Make an appeal of the claim (one the payer answered: paid, partially paid, denied
    or appealed) with its letter: letterhead, patient and claim facts, the denial's codes
    in plain words, the narrative and the attachments enclosed. A claim with an appeal not
    yet sent gets a 409."""
    return answer(
        Appeal,
        appeals.create(
            gateway.database,
            caller,
            claim_id,
            reason=request.reason,
            narrative=request.narrative,
            attachment_ids=request.attachment_ids,
            codes=gateway.codes,
            now=gateway.clock(),
        ),
    )


@router.get(
    "/claims/{claim_id}/appeals",
    response_model=Appeals,
    operation_id="listClaimAppeals",
    responses=responses(404),
)
def list_claim_appeals(claim_id: RowId, caller: Reader, gateway: GatewayDep) -> Appeals:
    """The claim's appeals, newest first."""
    return Appeals.model_validate(
        {"items": appeals.appeals_of(gateway.database, caller, claim_id=claim_id)},
        from_attributes=True,
    )


@router.get("/appeals", response_model=Appeals, operation_id="listAppeals")
def list_appeals(
    caller: Reader,
    gateway: GatewayDep,
    status: Annotated[
        AppealStatus | None, Query(description=("only draft, sent or decided appeals"))
    ] = None,
    outcome: Annotated[
        Outcome | None, Query(description=("only appeals with this outcome"))
    ] = None,
) -> Appeals:
    """The practice's appeals, newest first."""
    return Appeals.model_validate(
        {"items": appeals.appeals_of(gateway.database, caller, status=status, outcome=outcome)},
        from_attributes=True,
    )


@router.get(
    "/appeals/{appeal_id}",
    response_model=Appeal,
    operation_id="getAppeal",
    responses=responses(404),
)
def get_appeal(appeal_id: RowId, caller: Reader, gateway: GatewayDep) -> Appeal:
    """One appeal."""
    return answer(Appeal, appeals.appeal(gateway.database, caller, appeal_id))


@router.patch(
    "/appeals/{appeal_id}",
    response_model=Appeal,
    operation_id="updateAppeal",
    dependencies=[JsonBody],
    responses=responses(404, 409),
)
def update_appeal(
    appeal_id: RowId,
    request: Annotated[
        AppealChange,
        Body(openapi_examples=examples("a later follow-up", {"follow_up_on": "2027-01-08"})),
    ],
    caller: Writer,
    gateway: GatewayDep,
) -> Appeal:
    """Change the reason, narrative or enclosures of an appeal not sent yet (its letter is
    gathered again), or the follow-up date of one not decided."""
    return answer(
        Appeal,
        appeals.change(
            gateway.database,
            caller,
            appeal_id,
            reason=request.reason,
            narrative=request.narrative,
            attachment_ids=request.attachment_ids,
            follow_up_on=request.follow_up_on,
            codes=gateway.codes,
            now=gateway.clock(),
        ),
    )


@router.post(
    "/appeals/{appeal_id}/sent",
    response_model=Appeal,
    operation_id="markAppealSent",
    dependencies=[JsonBody],
    responses=responses(404, 409),
)
def mark_sent(
    appeal_id: RowId,
    request: Annotated[
        AppealSent, Body(openapi_examples=examples("faxed today", {"method": "fax"}))
    ],
    caller: Writer,
    gateway: GatewayDep,
) -> Appeal:
    """Record that the appeal went to the payer: the claim becomes appealed (its denied
    amount stays outstanding), its denial work items close, the follow-up is set."""
    return answer(
        Appeal,
        appeals.mark_sent(
            gateway.database,
            caller,
            appeal_id,
            method=request.method,
            sent_on=request.sent_on,
            follow_up_on=request.follow_up_on,
            now=gateway.clock(),
        ),
    )


@router.post(
    "/appeals/{appeal_id}/outcome",
    response_model=Appeal,
    operation_id="recordAppealOutcome",
    dependencies=[JsonBody],
    responses=responses(404, 409),
)
def record_outcome(
    appeal_id: RowId,
    request: Annotated[AppealDecision, Body(openapi_examples=examples("won", {"outcome": "won"}))],
    caller: Writer,
    gateway: GatewayDep,
) -> Appeal:
    """Record the payer's answer to a sent appeal (once); the follow-up item closes."""
    return answer(
        Appeal,
        appeals.record_outcome(
            gateway.database,
            caller,
            appeal_id,
            outcome=request.outcome,
            decided_on=request.decided_on,
            note_text=request.note,
            now=gateway.clock(),
        ),
    )


def _letter(appeal_id: int, caller: Caller, gateway: GatewayDep, media: str) -> Response:
    letter = appeals.letter(gateway.database, caller, appeal_id, now=gateway.clock())
    stem = appeals.file_stem(letter, appeal_id)
    if media == PDF:
        return Response(
            render_pdf(letter),
            media_type=PDF,
            headers={
                "Content-Disposition": f'inline; filename="{stem}.pdf"',
                "Cache-Control": "no-store",
            },
        )
    html = render_html(letter)
    return Response(
        html,
        media_type=HTML,
        headers={"Cache-Control": "no-store", "Content-Security-Policy": document_csp(html)},
    )


@router.get(
    "/appeals/{appeal_id}/letter.pdf",
    operation_id="getAppealLetterPdf",
    response_class=Response,
    responses={
        200: {
            "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
            "description": "the letter as PDF",
        },
        **responses(404),
    },
)
def letter_pdf(appeal_id: RowId, caller: Reader, gateway: GatewayDep) -> Response:
    """The appeal letter as PDF (audited as an export)."""
    return _letter(appeal_id, caller, gateway, PDF)


@router.get(
    "/appeals/{appeal_id}/letter.html",
    operation_id="getAppealLetterHtml",
    response_class=Response,
    responses={
        200: {
            "content": {HTML: {"schema": {"type": "string"}}},
            "description": "the letter as one HTML page",
        },
        **responses(404),
    },
)
def letter_html(appeal_id: RowId, caller: Reader, gateway: GatewayDep) -> Response:
    """The appeal letter as one self-contained HTML page (audited as an export)."""
    return _letter(appeal_id, caller, gateway, HTML)


@router.get(
    "/appeals/{appeal_id}/letter",
    operation_id="getAppealLetter",
    response_class=Response,
    responses={
        200: {
            "content": {
                PDF: {"schema": {"type": "string", "format": "binary"}},
                HTML: {"schema": {"type": "string"}},
            },
            "description": "the letter: PDF unless Accept asks for text/html",
        },
        **responses(404),
    },
)
def letter(
    appeal_id: RowId,
    caller: Reader,
    gateway: GatewayDep,
    accept: Annotated[
        str | None,
        Header(max_length=500, description=("text/html for the HTML page; PDF otherwise")),
    ] = None,
) -> Response:
    """The appeal letter as PDF, or as HTML when ``Accept`` puts text/html first."""
    wanted = HTML if (accept or "").split(",", 1)[0].strip().lower().startswith(HTML) else PDF
    return _letter(appeal_id, caller, gateway, wanted)
