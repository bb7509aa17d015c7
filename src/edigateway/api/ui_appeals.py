"""The dashboard's Appeals pages (``/ui/appeals``): the practice's appeals by status and
outcome, a claim's appeals with the form that makes one (reason, narrative, the claim's
attachments enclosed), one appeal with its letter (PDF to print or fax, HTML to read),
the form that changes it until it is sent (reason, narrative, enclosures: the letter is
gathered again), and the forms that record it was sent and the payer's answer.

Every step goes through :mod:`edigateway.services.appeals`, the use cases the API and
the CLI call, so sending an appeal moves the claim to ``appealed`` and closes its denial
work items here exactly as ``POST /v1/appeals/{id}/sent`` does. Reading needs
``claims:read``, changing ``claims:write`` (as the API); forms carry the session's CSRF
token. Another practice's claim or appeal is not found (404), the same as one that does
not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api.deps import GatewayDep, RowId
from edigateway.api.middleware import document_csp
from edigateway.api.ui_common import Csrf, Session, page, render
from edigateway.domain.appeals import (
    REASONS,
    AppealReason,
    AppealStatus,
    Decision,
    Outcome,
    SendMethod,
)
from edigateway.domain.claim_lifecycle import ClaimState
from edigateway.errors import ConflictError, EdigatewayError, InputError, NotFoundError
from edigateway.services import appeals, practice_claims
from edigateway.services.appeal_documents import render_html, render_pdf
from edigateway.services.attachments import attachments_of

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

router = APIRouter(prefix="/ui", include_in_schema=False)
Reader = Annotated[Session, Depends(page("claims:read"))]
Writer = Annotated[Session, Depends(page("claims:write"))]
Day = Annotated[str, Form(max_length=10)]
STATUSES: tuple[AppealStatus, ...] = ("draft", "sent", "decided")
OUTCOMES: tuple[Outcome, ...] = ("pending", "won", "partially_won", "lost")
METHODS: tuple[SendMethod, ...] = ("mail", "fax", "portal", "electronic")
REASON_LABELS: dict[str, str] = {
    "medical_necessity": "Medically necessary",
    "not_covered": "Should have been covered",
    "frequency_limit": "Within frequency limits",
    "missing_information": "Missing information now enclosed",
    "coding_correction": "Processed under the wrong code, tooth or date",
    "timely_filing": "Filed in time",
    "coordination_of_benefits": "Coordination of benefits applied wrongly",
    "underpayment": "Underpaid",
    "other": "Other (the narrative says why)",
}
"""The reasons as the create form offers them (the letter's own words are
:data:`~edigateway.services.appeal_documents.REASONS`)."""


def _day(text: str, field: str) -> date | None:
    """A date typed in a form (``YYYY-MM-DD``, as a date input sends it); empty = none."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        msg = f"{field}: {text.strip()[:10]!r} is not a date (YYYY-MM-DD)"
        raise InputError(msg) from None


def _status_of(exc: EdigatewayError) -> int:
    return 409 if isinstance(exc, ConflictError) else 422


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(
    request: Request,
    session: Reader,
    gateway: GatewayDep,
    status: Annotated[AppealStatus | Literal[""], Query()] = "",
    outcome: Annotated[Outcome | Literal[""], Query()] = "",
) -> HTMLResponse:
    """The practice's appeals, newest first, by status and outcome (empty = any)."""
    found = appeals.appeals_of(
        gateway.database, session.caller, status=status or None, outcome=outcome or None
    )
    return render(
        request,
        "appeals.html",
        session,
        items=found,
        statuses=STATUSES,
        outcomes=OUTCOMES,
        filters={"status": status, "outcome": outcome},
    )


def _claim_appeals(
    request: Request,
    session: Session,
    gateway: Gateway,
    claim_id: int,
    status: int = 200,
    **more: Any,
) -> HTMLResponse:
    """A claim's appeals and, for a claim the payer answered, the form to make one."""
    found = appeals.appeals_of(gateway.database, session.caller, claim_id=claim_id)
    claim = practice_claims.get(gateway.database, session.caller, claim_id, now=gateway.clock())
    appealable = ClaimState(claim.state) in appeals.APPEALABLE
    draft = next((a for a in found if a.sent_on is None), None)
    return render(
        request,
        "claim_appeals.html",
        session,
        status=status,
        claim=claim,
        items=found,
        appealable=appealable,
        draft=draft,
        attachments=attachments_of(gateway.database, session.caller, claim_id),
        reasons=REASON_LABELS,
        reason_words=REASONS,
        **more,
    )


@router.get("/claims/{claim_id:int}/appeals", response_class=HTMLResponse)
def claim_appeals_page(
    request: Request, claim_id: RowId, session: Reader, gateway: GatewayDep
) -> HTMLResponse:
    """A claim's appeals and the create form."""
    return _claim_appeals(request, session, gateway, claim_id)


@router.post("/claims/{claim_id:int}/appeals")
def create(
    request: Request,
    claim_id: RowId,
    session: Writer,
    gateway: GatewayDep,
    csrf: Csrf = "",
    reason: Annotated[AppealReason | Literal[""], Form()] = "",
    narrative: Annotated[str, Form(max_length=appeals.NARRATIVE_MAX)] = "",
    attachment: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Make the appeal with its letter; its page, or the form again with what is wrong."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    kept = {"reason": reason, "narrative": narrative, "chosen": attachment or []}
    if not reason:
        return _claim_appeals(
            request,
            session,
            gateway,
            claim_id,
            status=422,
            form=kept,
            error="reason: choose why the decision should change",
        )
    try:
        made = appeals.create(
            gateway.database,
            session.caller,
            claim_id,
            reason=reason,
            narrative=narrative,
            attachment_ids=attachment or [],
            codes=gateway.codes,
            now=gateway.clock(),
        )
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return _claim_appeals(
            request, session, gateway, claim_id, status=_status_of(exc), form=kept, error=str(exc)
        )
    return RedirectResponse(f"/ui/appeals/{made.id}", status_code=303)


def _appeal(
    request: Request,
    session: Session,
    gateway: Gateway,
    appeal_id: int,
    status: int = 200,
    **more: Any,
) -> HTMLResponse:
    info = appeals.appeal(gateway.database, session.caller, appeal_id)
    return render(
        request,
        "appeal.html",
        session,
        status=status,
        a=info,
        methods=METHODS,
        reasons=REASON_LABELS,
        today=gateway.clock().date(),
        attachments=(
            attachments_of(gateway.database, session.caller, info.claim_id)
            if info.sent_on is None
            else []
        ),
        **more,
    )


@router.get("/appeals/{appeal_id:int}", response_class=HTMLResponse)
def appeal_page(
    request: Request, appeal_id: RowId, session: Reader, gateway: GatewayDep
) -> HTMLResponse:
    """One appeal: its facts, the letter, and the form for its next step."""
    return _appeal(request, session, gateway, appeal_id)


def _letter(session: Session, gateway: Gateway, appeal_id: int, kind: str) -> Response:
    letter = appeals.letter(gateway.database, session.caller, appeal_id, now=gateway.clock())
    stem = appeals.file_stem(letter, appeal_id)
    if kind == "pdf":
        return Response(
            render_pdf(letter),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{stem}.pdf"',
                "Cache-Control": "no-store",
            },
        )
    html = render_html(letter)
    return Response(
        html,
        media_type="text/html",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": document_csp(html)},
    )


@router.get("/appeals/{appeal_id:int}/letter.pdf")
def letter_pdf(appeal_id: RowId, session: Reader, gateway: GatewayDep) -> Response:
    """The letter as PDF, downloaded (audited as an export, as the API's)."""
    return _letter(session, gateway, appeal_id, "pdf")


@router.get("/appeals/{appeal_id:int}/letter.html")
def letter_html(appeal_id: RowId, session: Reader, gateway: GatewayDep) -> Response:
    """The letter as one HTML page."""
    return _letter(session, gateway, appeal_id, "html")


def _act_on_appeal(
    request: Request,
    session: Session,
    gateway: Gateway,
    appeal_id: int,
    csrf: str,
    action: Callable[[], object],
    **kept: Any,
) -> Response:
    """Run one step of the appeal's page once the form's CSRF token and the scopes are
    checked: back to the appeal's page when it is done, or the page again with why it was
    refused (409 when the appeal moved on, 422 for bad input) and what was typed
    (``kept``); another practice's appeal stays a 404."""
    session.check(request, csrf)
    session.principal.require("claims:read")  # the page it comes back to shows the appeal
    try:
        action()
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return _appeal(
            request, session, gateway, appeal_id, status=_status_of(exc), error=str(exc), **kept
        )
    return RedirectResponse(f"/ui/appeals/{appeal_id}", status_code=303)


@router.post("/appeals/{appeal_id:int}/edit")
def edit(
    request: Request,
    appeal_id: RowId,
    session: Writer,
    gateway: GatewayDep,
    csrf: Csrf = "",
    reason: Annotated[AppealReason | Literal[""], Form()] = "",
    narrative: Annotated[str, Form(max_length=appeals.NARRATIVE_MAX)] = "",
    attachment: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Change an appeal not sent yet: reason, narrative, enclosures (the letter is gathered
    again, as ``PATCH /v1/appeals/{id}`` does); once sent, refused (409) on the page."""

    def run() -> None:
        if not reason:
            raise InputError("reason: choose why the decision should change")
        appeals.change(
            gateway.database,
            session.caller,
            appeal_id,
            reason=reason,
            narrative=narrative,
            attachment_ids=attachment or [],
            codes=gateway.codes,
            now=gateway.clock(),
        )

    kept = {"reason": reason, "narrative": narrative, "chosen": attachment or []}
    return _act_on_appeal(request, session, gateway, appeal_id, csrf, run, form=kept)


@router.post("/appeals/{appeal_id:int}/sent")
def mark_sent(
    request: Request,
    appeal_id: RowId,
    session: Writer,
    gateway: GatewayDep,
    csrf: Csrf = "",
    method: Annotated[SendMethod | Literal[""], Form()] = "",
    sent_on: Day = "",
    follow_up_on: Day = "",
) -> Response:
    """Record that the appeal went to the payer (the claim becomes appealed, its denial
    items close, the follow-up is set: 30 days later unless a date is given)."""

    def run() -> None:
        if not method:
            raise InputError(f"method: choose how it was sent ({', '.join(METHODS)})")
        appeals.mark_sent(
            gateway.database,
            session.caller,
            appeal_id,
            method=method,
            sent_on=_day(sent_on, "sent on"),
            follow_up_on=_day(follow_up_on, "follow up on"),
            now=gateway.clock(),
        )

    return _act_on_appeal(request, session, gateway, appeal_id, csrf, run)


@router.post("/appeals/{appeal_id:int}/follow-up")
def follow_up(
    request: Request,
    appeal_id: RowId,
    session: Writer,
    gateway: GatewayDep,
    csrf: Csrf = "",
    follow_up_on: Day = "",
) -> Response:
    """Move the follow-up date of an appeal not decided (the payer asked for more time)."""

    def run() -> None:
        day = _day(follow_up_on, "follow up on")
        if day is None:
            raise InputError("follow up on: give the new date")
        appeals.change(
            gateway.database,
            session.caller,
            appeal_id,
            follow_up_on=day,
            codes=gateway.codes,
            now=gateway.clock(),
        )

    return _act_on_appeal(request, session, gateway, appeal_id, csrf, run)


@router.post("/appeals/{appeal_id:int}/outcome")
def outcome(
    request: Request,
    appeal_id: RowId,
    session: Writer,
    gateway: GatewayDep,
    csrf: Csrf = "",
    decision: Annotated[Decision | Literal[""], Form()] = "",
    decided_on: Day = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record the payer's answer (once); the follow-up item closes, a lost appeal opens a
    denial item again."""

    def run() -> None:
        if not decision:
            raise InputError("outcome: choose won, partially won or lost")
        appeals.record_outcome(
            gateway.database,
            session.caller,
            appeal_id,
            outcome=decision,
            decided_on=_day(decided_on, "decided on"),
            note_text=note or None,
            now=gateway.clock(),
        )

    return _act_on_appeal(request, session, gateway, appeal_id, csrf, run)
