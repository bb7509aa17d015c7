"""The coordinator's pages under ``/ui``: server-rendered HTML, no build step, no CDN.

Signing in takes a practice's API key (the same keys and scopes as the API); it is kept in
an HttpOnly, SameSite=Strict cookie and checked on every page exactly like an API call,
so revoking the key signs the browser out. Forms carry a CSRF token derived from the key.
URLs hold record IDs only, never names or member IDs. Pages call the same services as the
API (:mod:`edigateway.services.dashboard` gathers what they show).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from edigateway.api.deps import GatewayDep, RowId
from edigateway.errors import AccessDenied, EdigatewayError, NotFoundError
from edigateway.services import dashboard, practice_claims
from edigateway.services.access import Principal, authenticate, pepper_of
from edigateway.services.followup import aging_report, resolve_work_item
from edigateway.services.practice_claims import Caller
from edigateway.services.practice_remittances import list_remittances

if TYPE_CHECKING:
    from fastapi import FastAPI

    from edigateway.bootstrap import Gateway

HERE = Path(__file__).resolve().parent
COOKIE = "edg_ui"
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix="/ui", include_in_schema=False)


class NeedSignIn(Exception):  # noqa: N818 - a redirect, not an error
    """Raised by :func:`signed_in` when there is no valid key: go to the sign-in page."""


class Session:
    """The signed-in caller of one page request."""

    def __init__(self, principal: Principal, token: str, request: Request) -> None:
        self.principal, self.token = principal, token
        remote = request.client.host if request.client else None
        self.caller = Caller(principal.practice_id, principal.actor + ":ui", remote)

    def csrf(self, gateway: Gateway) -> str:
        """The CSRF token for forms (an HMAC of the key, so it dies with the key)."""
        return hmac.new(pepper_of(gateway.keyring), f"csrf:{self.token}".encode(),
                        hashlib.sha256).hexdigest()[:32]

    def check(self, gateway: Gateway, csrf: str) -> None:
        """Refuse a form that did not come from our page."""
        if not hmac.compare_digest(csrf, self.csrf(gateway)):
            raise AccessDenied("the form's CSRF token is missing or wrong", status=403)


def signed_in(request: Request, gateway: GatewayDep) -> Session:
    """The session from the cookie, or a redirect to the sign-in page."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise NeedSignIn
    try:
        with gateway.database.transaction() as session:
            principal = authenticate(session, token, keyring=gateway.keyring,
                                     now=gateway.clock())
    except AccessDenied as exc:
        raise NeedSignIn from exc
    return Session(principal, token, request)


SessionDep = Annotated[Session, Depends(signed_in)]


def _page(request: Request, name: str, gateway: Gateway, session: Session | None,
          status: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, {
        "signed_in": session is not None,
        "csrf": session.csrf(gateway) if session else "", **context}, status_code=status)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, gateway: GatewayDep) -> HTMLResponse:
    """The sign-in page."""
    return _page(request, "login.html", gateway, None)


@router.post("/login")
def login(request: Request, gateway: GatewayDep,
          api_key: Annotated[str, Form(max_length=200)]) -> Response:
    """Check the key, then keep it in an HttpOnly cookie."""
    try:
        with gateway.database.transaction() as session:
            principal = authenticate(session, api_key.strip(), keyring=gateway.keyring,
                                     now=gateway.clock())
        principal.require("claims:read")
    except AccessDenied as exc:
        return _page(request, "login.html", gateway, None, status=401, error=str(exc))
    response = RedirectResponse("/ui/", status_code=303)
    response.set_cookie(COOKIE, api_key.strip(), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/ui")
    return response


@router.post("/logout")
def logout(session: SessionDep, gateway: GatewayDep,
           csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Forget the cookie."""
    session.check(gateway, csrf)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, session: SessionDep, gateway: GatewayDep) -> HTMLResponse:
    """Today: what needs action."""
    data = dashboard.today(gateway.database, session.caller, now=gateway.clock())
    return _page(request, "today.html", gateway, session, data=data)


@router.get("/workqueue", response_class=HTMLResponse)
def workqueue_page(request: Request, session: SessionDep, gateway: GatewayDep,
                   reason: Annotated[str | None, Query(max_length=200)] = None,
                   payer: Annotated[str | None, Query(max_length=80)] = None,
                   age: Annotated[str, Query(max_length=4, pattern=r"^\d*$")] = ""
                   ) -> HTMLResponse:
    """The open items, filtered by reason, payer and age (an empty field = no filter, as
    a browser sends every field of the form)."""
    session.principal.require("workqueue:read")
    items = dashboard.work_queue(gateway.database, session.caller, gateway.codes,
                                 reason=reason or None, payer_id=payer or None,
                                 min_age_days=int(age) if age else None, now=gateway.clock())
    from edigateway.domain.postings import WorkReason

    return _page(request, "workqueue.html", gateway, session, items=items,
                 reasons=[r.value for r in WorkReason],
                 payers=dashboard.payers_with_items(gateway.database, session.caller),
                 filters={"reason": reason, "payer": payer, "age": age})


@router.get("/workqueue/{item_id:int}", response_class=HTMLResponse)
def workitem_page(request: Request, item_id: RowId, session: SessionDep,
                  gateway: GatewayDep) -> HTMLResponse:
    """One item with its codes explained and the resolve form."""
    session.principal.require("workqueue:read")
    item = dashboard.work_item(gateway.database, session.caller, gateway.codes, item_id,
                               now=gateway.clock())
    return _page(request, "workitem.html", gateway, session, item=item)


@router.post("/workqueue/{item_id:int}/resolve")
def resolve(request: Request, item_id: RowId, session: SessionDep, gateway: GatewayDep,
            csrf: Annotated[str, Form(max_length=64)] = "",
            note: Annotated[str, Form(max_length=2000)] = "",
            preset: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Resolve with the note (or the chosen common resolution); audited."""
    session.check(gateway, csrf)
    session.principal.require("workqueue:write")
    text = note.strip() or preset.strip()
    try:
        resolve_work_item(gateway.database, item_id, note=text, now=gateway.clock(),
                          practice_id=session.caller.practice_id, actor=session.caller.actor,
                          remote_addr=session.caller.remote_addr)
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        item = dashboard.work_item(gateway.database, session.caller, gateway.codes, item_id,
                                   now=gateway.clock())
        return _page(request, "workitem.html", gateway, session, status=422, item=item,
                     error=str(exc))
    return RedirectResponse(f"/ui/workqueue/{item_id}", status_code=303)


@router.get("/claims", response_class=HTMLResponse)
def claims_page(request: Request, session: SessionDep, gateway: GatewayDep,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> HTMLResponse:
    """The practice's claims, newest first."""
    items, total = practice_claims.list_claims(
        gateway.database, session.caller, state=None, payer_id=None,
        patient_control_number=None, limit=100, offset=offset, now=gateway.clock())
    return _page(request, "claims.html", gateway, session, items=items, total=total)


@router.get("/claims/{claim_id:int}", response_class=HTMLResponse)
def claim_page(request: Request, claim_id: RowId, session: SessionDep,
               gateway: GatewayDep) -> HTMLResponse:
    """A claim: lines, the 837D → 999 → 277CA → 835 timeline, postings, void button."""
    data = dashboard.claim_page(gateway.database, session.caller, claim_id,
                                now=gateway.clock())
    return _page(request, "claim.html", gateway, session, c=data)


@router.post("/claims/{claim_id:int}/replace")
def replace(request: Request, claim_id: RowId, session: SessionDep, gateway: GatewayDep,
            csrf: Annotated[str, Form(max_length=64)] = "",
            code: Annotated[list[str] | None, Form()] = None,
            fee: Annotated[list[str] | None, Form()] = None) -> Response:
    """Create the replacement (frequency 7) with the corrected codes and fees; the claim's
    total follows the lines. Failed edits come back on the page."""
    session.check(gateway, csrf)
    session.principal.require("claims:write")
    from decimal import Decimal, InvalidOperation

    data = dashboard.claim_page(gateway.database, session.caller, claim_id,
                                now=gateway.clock())
    document = data["claim"]
    codes, fees = code or [], fee or []
    if len(codes) != len(document["lines"]) or len(fees) != len(codes):
        return _page(request, "claim.html", gateway, session, status=422, c=data,
                     error="every line needs a procedure code and a fee")
    try:
        amounts = [Decimal(f.strip()) for f in fees]
    except InvalidOperation:
        return _page(request, "claim.html", gateway, session, status=422, c=data,
                     error="a fee is not an amount (e.g. 125.00)")
    for line, new_code, amount in zip(document["lines"], codes, amounts, strict=True):
        line["procedure_code"], line["charge"] = new_code.strip().upper(), str(amount)
    document["total_charge"] = str(sum(amounts, Decimal("0.00")))
    try:
        from edigateway.domain.claims import Claim

        corrected = Claim.model_validate(document)
        created = practice_claims.replace(gateway.database, session.caller, claim_id,
                                          corrected, frequency="7", now=gateway.clock(),
                                          payer_ids=gateway.profile().payer_ids)
    except (EdigatewayError, ValueError) as exc:
        return _page(request, "claim.html", gateway, session, status=422, c=data,
                     error=str(exc))
    return RedirectResponse(f"/ui/claims/{created['id']}", status_code=303)


@router.post("/claims/{claim_id:int}/void")
def void(claim_id: RowId, session: SessionDep, gateway: GatewayDep,
         csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Create the void (frequency 8) claim and show it."""
    session.check(gateway, csrf)
    session.principal.require("claims:write")
    created = practice_claims.replace(gateway.database, session.caller, claim_id, None,
                                      frequency="8", now=gateway.clock())
    return RedirectResponse(f"/ui/claims/{created['id']}", status_code=303)


@router.get("/eras", response_class=HTMLResponse)
def eras_page(request: Request, session: SessionDep, gateway: GatewayDep) -> HTMLResponse:
    """Payments, newest first."""
    session.principal.require("remittances:read")
    items, _total = list_remittances(gateway.database, session.caller, limit=200, offset=0,
                                     now=gateway.clock())
    return _page(request, "eras.html", gateway, session, items=items)


@router.get("/eras/{remittance_id:int}", response_class=HTMLResponse)
def era_page(request: Request, remittance_id: RowId, session: SessionDep,
             gateway: GatewayDep) -> HTMLResponse:
    """A payment: postings, PLB ledger and the balance proof."""
    session.principal.require("remittances:read")
    data = dashboard.era_page(gateway.database, session.caller, remittance_id,
                              now=gateway.clock())
    return _page(request, "era.html", gateway, session, r=data)


@router.get("/aging", response_class=HTMLResponse)
def aging_page(request: Request, session: SessionDep, gateway: GatewayDep) -> HTMLResponse:
    """The aging chart (SVG drawn here) and table."""
    session.principal.require("reports:read")
    report = aging_report(gateway.database, today=gateway.clock().date(),
                          practice_id=session.caller.practice_id)
    return _page(request, "aging.html", gateway, session, report=report,
                 svg=dashboard.aging_svg(report))


@router.get("/aging.csv")
def aging_csv(session: SessionDep, gateway: GatewayDep) -> Response:
    """The aging table as CSV."""
    session.principal.require("reports:read")
    report = aging_report(gateway.database, today=gateway.clock().date(),
                          practice_id=session.caller.practice_id)
    return Response(dashboard.aging_csv(report), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="aging-{report["as_of"]}.csv"'})


def install(app: FastAPI) -> None:
    """Mount the pages, their stylesheet and the sign-in redirect on ``app``."""
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=str(HERE / "static")), name="ui-static")

    @app.exception_handler(NeedSignIn)
    async def to_sign_in(request: Request, exc: NeedSignIn) -> Response:
        return RedirectResponse("/ui/login", status_code=303)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """An error as a page (for /ui requests), keeping the navigation."""
    return TEMPLATES.TemplateResponse(request, "error.html", {
        "signed_in": bool(request.cookies.get(COOKIE)), "csrf": "", "title": title,
        "detail": detail}, status_code=status)
