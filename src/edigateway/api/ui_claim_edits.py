"""Changing a claim from the dashboard: the quick replacement with corrected codes and fees
on the claim page, and the claim editor — a ready claim edited, a rejected one corrected and
resubmitted, one the payer has replaced (frequency 7) — through the same use cases as the
API. Problems come back next to the field they concern.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api import claim_editor
from edigateway.api.deps import GatewayDep, RowId
from edigateway.api.ui_claims import claim_view, queued_page
from edigateway.api.ui_common import ClaimsWriter, Csrf, Session, render
from edigateway.domain.claims import Claim
from edigateway.errors import EdigatewayError, NotFoundError
from edigateway.services import claim_edits, practice_claims

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway
    from edigateway.services.followup import FilingWarning

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.post("/claims/{claim_id:int}/replace")
def replace(
    request: Request,
    claim_id: RowId,
    session: ClaimsWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    code: Annotated[list[str] | None, Form()] = None,
    fee: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create the replacement (frequency 7) with the corrected codes and fees; the claim's
    total follows the lines. Failed edits come back on the page."""
    session.check(request, csrf)
    session.principal.require("claims:read")  # the page it comes back to shows the claim
    data = claim_view(session, gateway, claim_id)
    document = data.document()
    codes, fees = code or [], fee or []
    if len(codes) != len(document["lines"]) or len(fees) != len(codes):
        return render(
            request,
            "claim.html",
            session,
            status=422,
            c=data,
            error="every line needs a procedure code and a fee",
        )
    try:
        amounts = [Decimal(f.strip()) for f in fees]
    except InvalidOperation:
        return render(
            request,
            "claim.html",
            session,
            status=422,
            c=data,
            error="a fee is not an amount (e.g. 125.00)",
        )
    for line, new_code, amount in zip(document["lines"], codes, amounts, strict=True):
        line["procedure_code"], line["charge"] = new_code.strip().upper(), str(amount)
    document["total_charge"] = str(sum(amounts, Decimal("0.00")))
    try:
        corrected = Claim.model_validate(document)
        created = practice_claims.replace(
            gateway.database,
            session.caller,
            claim_id,
            corrected,
            frequency="7",
            now=gateway.clock(),
            payer_ids=gateway.profile().payer_ids,
        )
    except (EdigatewayError, ValueError) as exc:
        return render(request, "claim.html", session, status=422, c=data, error=str(exc))
    return RedirectResponse(f"/ui/claims/{created.id}", status_code=303)


async def _form_fields(request: Request) -> dict[str, str]:
    """A form's text fields (the claim editor's are numbered per line)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]
MAX_EDITOR_LINES = 60


def _editor(
    request: Request,
    session: Session,
    gateway: Gateway,
    claim_id: int,
    *,
    values: dict[str, str] | None = None,
    count: int | None = None,
    problems: dict[str, list[str]] | None = None,
) -> HTMLResponse:
    """The editor prefilled from the stored claim (or the form sent back, with its
    problems next to each field); 409 when the claim can no longer be changed."""
    data = claim_view(session, gateway, claim_id)
    actions = data.actions
    mode = (
        "resubmit"
        if actions.resubmit
        else "edit"
        if actions.edit
        else "replace"
        if actions.replace
        else None
    )
    lines = len(data.claim.lines) + 1 if count is None else count
    return render(
        request,
        "claim_edit.html",
        session,
        c=data,
        mode=mode,
        status=409 if mode is None else 422 if problems else 200,
        v=values or claim_editor.form_values(data.document()),
        lines=lines,
        problems=problems or {},
    )


@router.get("/claims/{claim_id:int}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, claim_id: RowId, session: ClaimsWriter, gateway: GatewayDep
) -> HTMLResponse:
    """The claim editor: a ready claim edited, a rejected one corrected and resubmitted,
    one the payer has replaced (frequency 7)."""
    session.principal.require("claims:read")
    return _editor(request, session, gateway, claim_id)


@router.post("/claims/{claim_id:int}/edit")
def edit(
    request: Request, claim_id: RowId, session: ClaimsWriter, gateway: GatewayDep, form: FormFields
) -> Response:
    """Save the editor's claim through the same use case as the API: ``PATCH`` (ready),
    ``…/resubmit`` (rejected) or ``…/replace`` (the payer has it). A resubmitted claim
    near or past its timely-filing limit is queued all the same and its page shows the
    warning, as after Submit."""
    session.check(request, form.get("csrf", ""))
    session.principal.require("claims:read")
    data = claim_view(session, gateway, claim_id)
    try:
        count = min(int(form.get("lines", "0")), MAX_EDITOR_LINES)
    except ValueError:
        count = 0
    outcome = claim_editor.read_form(data.document(), form, count)
    if outcome.claim is None:
        return _editor(
            request, session, gateway, claim_id, values=form, count=count, problems=outcome.problems
        )
    actions, now = data.actions, gateway.clock()
    payer_ids = gateway.profile().payer_ids
    warnings: tuple[FilingWarning, ...] = ()
    try:
        if actions.resubmit:
            made = claim_edits.resubmit(
                gateway.database,
                session.caller,
                claim_id,
                outcome.claim,
                settings=gateway.settings,
                clearinghouse=gateway.profile(),
                numbers=gateway.control_numbers,
                now=now,
                payer_ids=payer_ids,
            )
            target, warnings = made.claim.id, made.warnings
        elif actions.edit:
            target = claim_edits.edit(
                gateway.database,
                session.caller,
                claim_id,
                outcome.claim,
                now=now,
                payer_ids=payer_ids,
            ).id
        else:
            target = practice_claims.replace(
                gateway.database,
                session.caller,
                claim_id,
                outcome.claim,
                frequency="7",
                now=now,
                payer_ids=payer_ids,
            ).id
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        where = claim_editor.kept_lines(form, data.document(), count)
        return _editor(
            request,
            session,
            gateway,
            claim_id,
            values=form,
            count=count,
            problems=claim_editor.problems_of(exc, where),
        )
    return queued_page(request, session, gateway, target, warnings)
