"""The dashboard's Payers page (``/ui/payers``): the practice's payers with the
timely-filing terms of each contract, which decide the submit warnings, the aging alerts
and the secondary claims' deadlines — and, for a role that may change claims
(``claims:write``, as ``PUT /v1/payers/{payer_id}/filing-limits``), a form per payer to set
them. The same use case as the API and ``edigateway payers``, audited as the person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api.deps import GatewayDep, PayerPath
from edigateway.api.ui_common import ClaimsReader, ClaimsWriter, Csrf, Session, render
from edigateway.errors import InputError
from edigateway.services import payer_limits

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

router = APIRouter(prefix="/ui/payers", include_in_schema=False)
Days = Annotated[str, Form(max_length=12)]


def _page(
    request: Request, session: Session, gateway: Gateway, status: int = 200, **more: Any
) -> HTMLResponse:
    found = payer_limits.payers(gateway.database, session.caller.practice_id)
    return render(request, "payers.html", session, status=status, items=found, **more)


@router.get("", response_class=HTMLResponse)
def payers_page(request: Request, session: ClaimsReader, gateway: GatewayDep) -> HTMLResponse:
    """The practice's payers by name and their filing terms."""
    return _page(request, session, gateway)


@router.post("/{payer_id}/filing-limits", response_class=HTMLResponse)
def set_limits(
    request: Request,
    payer_id: PayerPath,
    session: ClaimsWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    timely_filing_days: Days = "",
    secondary_filing_days: Days = "",
) -> Response:
    """Set both terms (an empty window: none); back to the page at the payer, or the page
    with what was wrong and the values as typed."""
    session.check(request, csrf)
    try:
        payer_limits.set_filing_limits(
            gateway.database,
            payer_id,
            timely_filing_days=_days(timely_filing_days, "the limit from the date of service"),
            secondary_filing_days=(
                _days(secondary_filing_days, "the secondary window")
                if secondary_filing_days.strip()
                else None
            ),
            practice_id=session.caller.practice_id,
            actor=session.caller.actor,
            now=gateway.clock(),
            remote_addr=session.caller.remote_addr,
        )
    except InputError as exc:  # what was typed; an unknown payer (404) has its own page
        return _page(
            request,
            session,
            gateway,
            status=422,
            error=f"{payer_id}: {exc}",
            form={
                "payer_id": payer_id,
                "timely_filing_days": timely_filing_days,
                "secondary_filing_days": secondary_filing_days,
            },
        )
    return RedirectResponse(f"/ui/payers#payer-{payer_id}", status_code=303)


def _days(typed: str, what: str) -> int:
    """A whole number of days as typed in the form (the range is the use case's)."""
    try:
        return int(typed.strip())
    except ValueError:
        msg = f"{what} must be a whole number of days, not {typed.strip()!r}"
        raise InputError(msg) from None
