"""The dashboard's claims: the list (filtered by state and payer; a name search is a POST so
a patient's name never sits in a URL), a claim's page, and the claim page's own actions
— void, submit, cancel, send the secondary, attach a file, download an attachment.

A refused action comes back as the claim page with why (:func:`claim_refused`);
:func:`claim_view` and :func:`act_on_claim` are shared with the editor
(:mod:`.ui_claim_edits`) and the payment actions (:mod:`.ui_eras`), which show the same page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api.deps import GatewayDep, RowId
from edigateway.api.ui_common import ClaimsReader, ClaimsWriter, Csrf, Session, render
from edigateway.domain.claim_lifecycle import ClaimState
from edigateway.errors import (
    ConflictError,
    EdigatewayError,
    FileTooLargeError,
    InputError,
    NotFoundError,
    UnsupportedFileTypeError,
)
from edigateway.services import (
    attachments,
    claim_edits,
    claim_search,
    dashboard_claims,
    practice_claims,
)
from edigateway.services.secondary import send_secondary

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from edigateway.bootstrap import Gateway
    from edigateway.services.followup import FilingWarning

router = APIRouter(prefix="/ui", include_in_schema=False)


CLAIMS_PER_PAGE = 50


def _claims_list(
    request: Request,
    session: Session,
    gateway: Gateway,
    *,
    search: str,
    state: str,
    payer: str,
    offset: int,
) -> HTMLResponse:
    found = claim_search.list_claims(
        gateway.database,
        session.caller,
        search=search or None,
        state=state or None,
        payer_id=payer or None,
        limit=CLAIMS_PER_PAGE,
        offset=offset,
        now=gateway.clock(),
    )
    return render(
        request,
        "claims.html",
        session,
        found=found,
        states=[s.value for s in ClaimState],
        payers=claim_search.payers(gateway.database, session.caller),
        filters={"q": search, "state": state, "payer": payer},
        offset=offset,
        per_page=CLAIMS_PER_PAGE,
    )


ClaimStateFilter = Annotated[ClaimState | Literal[""], Query()]


@router.get("/claims", response_class=HTMLResponse)
def claims_page(
    request: Request,
    session: ClaimsReader,
    gateway: GatewayDep,
    state: ClaimStateFilter = "",
    payer: Annotated[str, Query(max_length=80)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    """The practice's claims with patient names, newest first, a page at a time, by state
    and payer (an empty field = no filter). A name search is a POST: a patient's name
    never sits in a URL or an access log."""
    return _claims_list(
        request, session, gateway, search="", state=state, payer=payer, offset=offset
    )


@router.post("/claims", response_class=HTMLResponse)
def claims_search(
    request: Request,
    session: ClaimsReader,
    gateway: GatewayDep,
    csrf: Csrf = "",
    q: Annotated[str, Form(max_length=80)] = "",
    state: Annotated[ClaimState | Literal[""], Form()] = "",
    payer: Annotated[str, Form(max_length=80)] = "",
    offset: Annotated[int, Form(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    """The list searched by patient name or claim number (every word must match)."""
    session.check(request, csrf)
    return _claims_list(
        request, session, gateway, search=q, state=state, payer=payer, offset=offset
    )


def claim_view(session: Session, gateway: Gateway, claim_id: int) -> dashboard_claims.ClaimPage:
    """A claim page's view; what the payer paid (postings, ledger, held payments) only for
    users who may read remittances (and estimates too, for the estimate comparison)."""
    return dashboard_claims.claim_page(
        gateway.database,
        session.caller,
        claim_id,
        now=gateway.clock(),
        payments=session.can("remittances:read"),
        estimates=session.can("estimates"),
    )


def claim_refused(
    request: Request, session: Session, gateway: Gateway, claim_id: int, exc: EdigatewayError
) -> HTMLResponse:
    """The claim page again with why an action was refused (409 when the claim is not in
    a state for it, 413/415 for a file too large or of a type not taken, 422 for other bad
    input)."""
    status = (
        409
        if isinstance(exc, ConflictError)
        else 413
        if isinstance(exc, FileTooLargeError)
        else 415
        if isinstance(exc, UnsupportedFileTypeError)
        else 422
    )
    return render(
        request,
        "claim.html",
        session,
        status=status,
        c=claim_view(session, gateway, claim_id),
        error=str(exc),
    )


def act_on_claim(
    request: Request,
    session: Session,
    gateway: Gateway,
    claim_id: int,
    action: Callable[[], object],
) -> Response:
    """Run one claim-page action: back to the claim page when it is done, or the page with
    why it was refused (:func:`claim_refused`); another practice's claim stays a 404."""
    try:
        action()
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return claim_refused(request, session, gateway, claim_id, exc)
    return RedirectResponse(f"/ui/claims/{claim_id}", status_code=303)


@router.get("/claims/{claim_id:int}", response_class=HTMLResponse)
def claim_page(
    request: Request, claim_id: RowId, session: ClaimsReader, gateway: GatewayDep
) -> HTMLResponse:
    """A claim: lines, the 837D → 999 → 277CA → 835 timeline, postings, void button."""
    return render(request, "claim.html", session, c=claim_view(session, gateway, claim_id))


@router.post("/claims/{claim_id:int}/void")
def void(
    request: Request,
    claim_id: RowId,
    session: ClaimsWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Create the void (frequency 8) claim and show it — only with the form's confirmation
    box ticked: a void tells the payer the claim should never have been paid."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    if confirm != "yes":
        return claim_refused(
            request,
            session,
            gateway,
            claim_id,
            InputError(
                "tick 'Yes, void this claim' to confirm: the payer will take back what it paid"
            ),
        )
    try:
        created = practice_claims.replace(
            gateway.database, session.caller, claim_id, None, frequency="8", now=gateway.clock()
        )
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return claim_refused(request, session, gateway, claim_id, exc)
    return RedirectResponse(f"/ui/claims/{created.id}", status_code=303)


@router.post("/claims/{claim_id:int}/submit")
def submit(
    request: Request, claim_id: RowId, session: ClaimsWriter, gateway: GatewayDep, csrf: Csrf = ""
) -> Response:
    """Queue a ready claim in an 837D (the same use case as ``POST /v1/claims/submit``);
    the outbox sender uploads it. A claim near or past its timely-filing limit is queued
    all the same and its page shows the warning (no redirect then)."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    try:
        done = practice_claims.submit(
            gateway.database,
            session.caller,
            [claim_id],
            settings=gateway.settings,
            clearinghouse=gateway.profile(),
            numbers=gateway.control_numbers,
            now=gateway.clock(),
        )
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return claim_refused(request, session, gateway, claim_id, exc)
    return queued_page(request, session, gateway, claim_id, done.warnings)


def queued_page(
    request: Request,
    session: Session,
    gateway: Gateway,
    claim_id: int,
    warnings: Sequence[FilingWarning],
) -> Response:
    """After a claim is queued (submitted, resubmitted, its secondary sent): back to its
    page, or, when it is near or past its timely-filing limit, that page with the
    warnings (no redirect: the warning is said once, where the action was taken)."""
    if not warnings:
        return RedirectResponse(f"/ui/claims/{claim_id}", status_code=303)
    return render(
        request,
        "claim.html",
        session,
        c=claim_view(session, gateway, claim_id),
        warnings=[w.message for w in warnings],
    )


@router.post("/claims/{claim_id:int}/cancel")
def cancel(
    request: Request,
    claim_id: RowId,
    session: ClaimsWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Cancel a ready or rejected claim that will not be sent (it leaves A/R)."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    return act_on_claim(
        request,
        session,
        gateway,
        claim_id,
        lambda: claim_edits.cancel(
            gateway.database,
            session.caller,
            claim_id,
            now=gateway.clock(),
            reason=reason.strip() or None,
        ),
    )


@router.post("/claims/{claim_id:int}/secondary")
def secondary(
    request: Request, claim_id: RowId, session: ClaimsWriter, gateway: GatewayDep, csrf: Csrf = ""
) -> Response:
    """Queue the secondary claim the primary payer's 835 built; show the secondary. One
    near or past the secondary payer's timely-filing limit is queued all the same and its
    page shows the warning, as after Submit (no redirect then)."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    try:
        sent = send_secondary(
            gateway.database,
            claim_id,
            practice_id=session.caller.practice_id,
            settings=gateway.settings,
            clearinghouse=gateway.profile(),
            numbers=gateway.control_numbers,
            now=gateway.clock(),
            actor=session.caller.actor,
            remote_addr=session.caller.remote_addr,
        )
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return claim_refused(request, session, gateway, claim_id, exc)
    return queued_page(request, session, gateway, sent.secondary_id, sent.warnings)


_UPLOAD_CHUNK = 1 << 16


@router.post("/claims/{claim_id:int}/attachments")
async def upload_attachment(
    request: Request,
    claim_id: RowId,
    session: ClaimsWriter,
    gateway: GatewayDep,
    file: Annotated[UploadFile, File()],
    csrf: Csrf = "",
    report_type: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Attach a file to the claim through the API's use case (sealed, given an attachment
    control number, sent with the claim as a 275 or in the packet). The file is read in
    chunks and refused as soon as it passes the size limit, never held whole first."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    limit = gateway.settings.attachment_max_bytes
    name = (file.filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    data = bytearray()
    while chunk := await file.read(_UPLOAD_CHUNK):
        data += chunk
        if len(data) > limit:
            return claim_refused(
                request,
                session,
                gateway,
                claim_id,
                FileTooLargeError(
                    f"{name or 'the file'} is over {limit:,} bytes, the most an attachment may be"
                ),
            )
    return act_on_claim(
        request,
        session,
        gateway,
        claim_id,
        lambda: attachments.upload(
            gateway.database,
            session.caller,
            claim_id,
            file_name=name,
            data=bytes(data),
            report_type=report_type,
            max_bytes=limit,
            now=gateway.clock(),
        ),
    )


@router.get("/attachments/{attachment_id:int}/content")
def attachment_content(
    attachment_id: RowId, session: ClaimsReader, gateway: GatewayDep
) -> Response:
    """Download an attachment exactly as uploaded (audited as the user), under its
    attachment control number: the name it was uploaded with may hold a patient's name."""
    info, data = attachments.content(
        gateway.database, session.caller, attachment_id, now=gateway.clock()
    )
    extension = attachments.EXTENSIONS.get(info.media_type, "bin")
    return Response(
        data,
        media_type=info.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{info.control_number}.{extension}"',
            "Cache-Control": "no-store",
        },
    )
