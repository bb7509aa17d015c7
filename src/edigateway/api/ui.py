"""The coordinator's pages under ``/ui``: server-rendered HTML, no build step, no CDN, no
script.

People sign in as themselves: email and password, then a code from their authenticator
app once they turned two-step sign-in on (:mod:`edigateway.services.users`; an admin
creates users with ``edigateway users create`` or ``POST /v1/users`` and hands them a
one-time set-password link, ``/ui/set-password``). A practice's API key no longer opens
the pages: it is a system's credential, and the audit trail must name a person. Signing in
opens a server-side session (:mod:`edigateway.services.ui_sessions`): the HttpOnly,
SameSite=Strict cookie holds a random session ID. Every page resumes the session — so
signing out, idleness, age, disabling the user or a new password signs the browser out —
and requires the scope the API requires for the same data (:func:`page`), which the
user's role holds or not (viewer: the reads; coordinator: the work; admin: everything):
claims pages ``claims:read``, the work queue ``workqueue:read``, ERAs
``remittances:read``, aging ``reports:read``, and the forms that change something the
matching write scope. A page the role may not see is a 403 page naming the missing scope.
Everything done on the pages is audited as the user (``user:<id>``).

Forms carry a CSRF token derived from the session ID; the forms of someone not signed in
(sign-in, two-step code, set password) one derived from a short-lived nonce cookie. Every
POST is also refused when the browser says it came from another site (``Sec-Fetch-Site``)
or names a foreign ``Origin``/``Referer``. URLs hold record IDs only, never names or member
IDs. Pages call the same services as the API (:mod:`edigateway.services.dashboard`
gathers what they show).
"""

from __future__ import annotations

import hmac
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from edigateway.api import claim_editor
from edigateway.api.deps import GatewayDep, RowId
from edigateway.domain.claim_lifecycle import ClaimState
from edigateway.domain.claims import Claim
from edigateway.domain.postings import WorkReason
from edigateway.errors import (
    AccessDenied,
    ConflictError,
    EdigatewayError,
    FileTooLargeError,
    InputError,
    NotFoundError,
    UnsupportedFileTypeError,
)
from edigateway.security import passwords
from edigateway.security.api_keys import allows
from edigateway.services import (
    attachments,
    claim_edits,
    claim_search,
    dashboard,
    dashboard_claims,
    dashboard_eras,
    era_review,
    practice_claims,
    ui_sessions,
    users,
    users_passwords,
    users_roles,
    users_signin,
    users_totp,
)
from edigateway.services.followup import aging_report
from edigateway.services.practice_claims import Caller
from edigateway.services.practice_remittances import list_remittances
from edigateway.services.secondary import send_secondary
from edigateway.services.ui_sessions import Lifetime
from edigateway.services.work_queue import resolve_work_item

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI

    from edigateway.bootstrap import Gateway

HERE = Path(__file__).resolve().parent
COOKIE = "edg_ui"
LOGIN_COOKIE = "edg_login"
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix="/ui", include_in_schema=False)

LANDING = (
    ("/ui/", "workqueue:read"),
    ("/ui/claims", "claims:read"),
    ("/ui/eras", "remittances:read"),
    ("/ui/aging", "reports:read"),
)
"""Where signing in leads: the first page the user's role may see."""
CROSS_SITE = ("cross-site", "same-site")
"""``Sec-Fetch-Site`` values of requests another site started (a sibling subdomain is a
different site as far as PHI is concerned)."""


class NeedSignIn(Exception):  # noqa: N818 - a redirect, not an error
    """Raised by :func:`signed_in` when there is no live session: go to the sign-in page."""


class Session:
    """The signed-in caller of one page request."""

    def __init__(
        self, live: ui_sessions.UiSession, session_id: str, request: Request, gateway: Gateway
    ) -> None:
        self.principal, self._id, self._gateway = live.principal, session_id, gateway
        remote = request.client.host if request.client else None
        self.caller = Caller(live.principal.practice_id, live.actor, remote)

    def can(self, scope: str) -> bool:
        """Whether the user's role holds ``scope`` (to show only what it may see)."""
        return allows(self.principal.scopes, scope)

    @property
    def csrf(self) -> str:
        """The CSRF token for this session's forms."""
        return ui_sessions.form_token(self._gateway.keyring, self._id)

    def check(self, request: Request, csrf: str) -> None:
        """Refuse a form that did not come from our page."""
        same_origin(request)
        ui_sessions.check_form_token(self._gateway.keyring, self._id, csrf)


def same_origin(request: Request) -> None:
    """Refuse (403) a POST another site started: by Fetch Metadata when the browser sends
    it, and by a foreign ``Origin`` or ``Referer``. Our own pages send neither a Referer
    (``Referrer-Policy: no-referrer``) nor a real Origin (the same policy makes a browser
    send ``Origin: null``), so the CSRF token stays the check that always applies."""
    host = request.headers.get("host", "").lower()
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    referer = request.headers.get("referer")
    foreign = (
        site in CROSS_SITE
        or (origin not in (None, "null") and urlsplit(origin).netloc.lower() != host)
        or (referer is not None and urlsplit(referer).netloc.lower() != host)
    )
    if foreign:
        raise AccessDenied(
            "this form was sent from another site; open the page here and send it again", status=403
        )


def signed_in(request: Request, gateway: GatewayDep) -> Session:
    """The live session from the cookie, or a redirect to the sign-in page."""
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        raise NeedSignIn
    try:
        live = ui_sessions.resume(
            gateway.database,
            session_id,
            keyring=gateway.keyring,
            now=gateway.clock(),
            lifetime=Lifetime.of(gateway.settings),
        )
    except AccessDenied as exc:
        raise NeedSignIn from exc
    session = Session(live, session_id, request, gateway)
    request.state.ui_session = session
    return session


def page(scope: str | None) -> Callable[[Request, Gateway], Session]:
    """A dependency: the signed-in session, refused (403 page) unless its user's role
    holds ``scope`` — the scope the API requires for the same data."""

    def dependency(request: Request, gateway: GatewayDep) -> Session:
        session = signed_in(request, gateway)
        if scope is not None:
            session.principal.require(scope)
        return session

    return dependency


SignedIn = Annotated[Session, Depends(page(None))]
ClaimsReader = Annotated[Session, Depends(page("claims:read"))]
ClaimsWriter = Annotated[Session, Depends(page("claims:write"))]
QueueReader = Annotated[Session, Depends(page("workqueue:read"))]
QueueWriter = Annotated[Session, Depends(page("workqueue:write"))]
RemittanceReader = Annotated[Session, Depends(page("remittances:read"))]
ReportReader = Annotated[Session, Depends(page("reports:read"))]
Csrf = Annotated[str, Form(max_length=64)]


def _page(
    request: Request, name: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "signed_in": session is not None,
            "csrf": session.csrf if session else "",
            "can": session.can if session else _nothing,
            "me": session.principal if session else None,
            **context,
        },
        status_code=status,
    )


def _nothing(_scope: str) -> bool:
    return False


def _secure(request: Request, gateway: Gateway) -> bool:
    return gateway.settings.ui_secure_cookies or request.url.scheme == "https"


def _form_page(
    request: Request, gateway: Gateway, name: str, path: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A form of someone not signed in (sign-in, two-step code, set password) with a
    fresh nonce: a cookie scoped to ``path`` and the hidden field that matches it."""
    cookie, field = ui_sessions.login_nonce(gateway.keyring, gateway.clock())
    response = _page(request, name, None, status=status, login_csrf=field, **context)
    response.set_cookie(
        LOGIN_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=_secure(request, gateway),
        path=path,
        max_age=int(ui_sessions.LOGIN_FORM_LIFETIME.total_seconds()),
    )
    return response


def _login_page(
    request: Request,
    gateway: Gateway,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    """The sign-in form."""
    return _form_page(
        request, gateway, "login.html", "/ui/login", status, error=error, notice=notice
    )


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def _from_our_form(request: Request, gateway: Gateway, login_csrf: str) -> None:
    """Refuse (403) a form of someone not signed in that another site sent, or that did
    not come from our page recently."""
    same_origin(request)
    ui_sessions.check_login_nonce(
        gateway.keyring, request.cookies.get(LOGIN_COOKIE), login_csrf, now=gateway.clock()
    )


@router.get("", response_class=RedirectResponse)
def root() -> RedirectResponse:
    """``/ui`` → ``/ui/`` by a relative redirect (never built from the Host header)."""
    return RedirectResponse("/ui/", status_code=307)


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    gateway: GatewayDep,
    done: Annotated[str, Query(max_length=20, pattern=r"^[a-z]*$")] = "",
) -> HTMLResponse:
    """The sign-in page (after a password was set: saying so)."""
    return _login_page(
        request,
        gateway,
        notice="Your password is set: sign in with it." if done == "password" else None,
    )


@router.post("/login")
def login(
    request: Request,
    gateway: GatewayDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    login_csrf: Csrf = "",
) -> Response:
    """Check the form came from our sign-in page, then the email and password; with
    two-step sign-in on, ask for the code, else open the session."""
    try:
        _from_our_form(request, gateway, login_csrf)
    except AccessDenied as exc:
        return _login_page(request, gateway, status=403, error=str(exc))
    try:
        checked = users_passwords.check_password(
            gateway.database,
            email=email,
            password=password,
            now=gateway.clock(),
            remote_addr=_remote(request),
        )
    except AccessDenied as exc:
        return _login_page(request, gateway, status=401, error=str(exc))
    if checked.proof is None:
        token = ui_sessions.code_token(
            gateway.keyring, checked.user_id, request.cookies.get(LOGIN_COOKIE, ""), gateway.clock()
        )
        return _page(request, "login_code.html", None, code_token=token, login_csrf=login_csrf)
    return _open(request, gateway, checked.proof)


@router.post("/login/code")
def login_code(
    request: Request,
    gateway: GatewayDep,
    code: Annotated[str, Form(max_length=20)] = "",
    code_token: Annotated[str, Form(max_length=100)] = "",
    login_csrf: Csrf = "",
) -> Response:
    """The second step: the code of the user's authenticator app. A wrong code goes back to
    the start (the password step is counted as an attempt, so is this one)."""
    try:
        _from_our_form(request, gateway, login_csrf)
        user_id = ui_sessions.check_code_token(
            gateway.keyring, code_token, request.cookies.get(LOGIN_COOKIE), now=gateway.clock()
        )
    except AccessDenied as exc:
        return _login_page(request, gateway, status=403, error=str(exc))
    try:
        proof = users_totp.check_code(
            gateway.database,
            user_id=user_id,
            code=code,
            now=gateway.clock(),
            remote_addr=_remote(request),
        )
    except AccessDenied as exc:
        return _login_page(request, gateway, status=401, error=str(exc))
    return _open(request, gateway, proof)


def _open(request: Request, gateway: Gateway, proof: users_signin.SignInProof) -> Response:
    """Open the session, keep only its ID in an HttpOnly cookie and go to the first page
    the user's role may see; an earlier session of this browser is closed."""
    remote = _remote(request)
    try:
        session_id, live = ui_sessions.open_session(
            gateway.database,
            proof,
            keyring=gateway.keyring,
            now=gateway.clock(),
            lifetime=Lifetime.of(gateway.settings),
            remote_addr=remote,
        )
    except AccessDenied as exc:
        return _login_page(request, gateway, status=401, error=str(exc))
    earlier = request.cookies.get(COOKIE)
    if earlier:
        ui_sessions.close_session(
            gateway.database,
            earlier,
            keyring=gateway.keyring,
            now=gateway.clock(),
            remote_addr=remote,
        )
    landing = next(
        (path for path, scope in LANDING if allows(live.principal.scopes, scope)), "/ui/account"
    )
    response = RedirectResponse(landing, status_code=303)
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=_secure(request, gateway),
        path="/ui",
        max_age=gateway.settings.ui_session_absolute_hours * 3600,
    )
    response.delete_cookie(LOGIN_COOKIE, path="/ui/login", httponly=True, samesite="strict")
    return response


@router.get("/set-password", response_class=HTMLResponse)
def set_password_form(
    request: Request, gateway: GatewayDep, token: Annotated[str, Query(max_length=100)] = ""
) -> HTMLResponse:
    """The page a set-password link opens: whose account, and the new password twice."""
    try:
        user = users_passwords.link_user(
            gateway.database, token=token, keyring=gateway.keyring, now=gateway.clock()
        )
    except AccessDenied as exc:
        return _page(
            request, "error.html", None, status=410, title="Link not valid", detail=str(exc)
        )
    return _form_page(
        request,
        gateway,
        "set_password.html",
        "/ui/set-password",
        token=token,
        email=user.email,
        min_length=passwords.MIN_LENGTH,
    )


@router.post("/set-password")
def set_password(
    request: Request,
    gateway: GatewayDep,
    token: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    confirm: Annotated[str, Form(max_length=1024)] = "",
    login_csrf: Csrf = "",
) -> Response:
    """Set the password (the link is then used up and the user's sessions end); a
    password the rules refuse comes back on the page, the link still good."""
    try:
        _from_our_form(request, gateway, login_csrf)
        user = users_passwords.link_user(
            gateway.database, token=token, keyring=gateway.keyring, now=gateway.clock()
        )
    except AccessDenied as exc:
        return _page(
            request,
            "error.html",
            None,
            status=403 if exc.status == 403 else 410,
            title="Link not valid",
            detail=str(exc),
        )
    again = {"token": token, "email": user.email, "min_length": passwords.MIN_LENGTH}
    if not hmac.compare_digest(password.encode(), confirm.encode()):
        return _form_page(
            request,
            gateway,
            "set_password.html",
            "/ui/set-password",
            status=422,
            error="the two passwords differ",
            **again,
        )
    try:
        users_passwords.set_password(
            gateway.database,
            token=token,
            password=password,
            keyring=gateway.keyring,
            now=gateway.clock(),
            remote_addr=_remote(request),
        )
    except InputError as exc:
        return _form_page(
            request,
            gateway,
            "set_password.html",
            "/ui/set-password",
            status=422,
            error=str(exc),
            **again,
        )
    except AccessDenied as exc:
        return _page(
            request, "error.html", None, status=410, title="Link not valid", detail=str(exc)
        )
    response = RedirectResponse("/ui/login?done=password", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/ui/set-password", httponly=True, samesite="strict")
    return response


@router.post("/logout")
def logout(request: Request, session: SignedIn, gateway: GatewayDep, csrf: Csrf = "") -> Response:
    """End the session on the server (the cookie alone would be no sign-out) and forget
    the cookie."""
    session.check(request, csrf)
    ui_sessions.close_session(
        gateway.database,
        request.cookies.get(COOKIE, ""),
        keyring=gateway.keyring,
        now=gateway.clock(),
        remote_addr=session.caller.remote_addr,
    )
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, session: SignedIn, gateway: GatewayDep) -> HTMLResponse:
    """The signed-in user's account: who, which role, two-step sign-in."""
    return _account(request, session, gateway)


def _account(
    request: Request, session: Session, gateway: Gateway, status: int = 200, **context: Any
) -> HTMLResponse:
    user = users.account(gateway.database, session.principal, now=gateway.clock())
    return _page(
        request,
        "account.html",
        session,
        status=status,
        user=user,
        role_meaning=users_roles.ROLES[user.role],
        **context,
    )


@router.post("/account/two-step/start", response_class=HTMLResponse)
def two_step_start(
    request: Request, session: SignedIn, gateway: GatewayDep, csrf: Csrf = ""
) -> HTMLResponse:
    """A new secret for the user's authenticator app, shown on this answer only; two-step
    sign-in turns on when a code from the app confirms it."""
    session.check(request, csrf)
    enrolment = users_totp.start_totp(gateway.database, session.principal)
    return _account(request, session, gateway, enrolment=enrolment)


@router.post("/account/two-step/confirm", response_class=HTMLResponse)
def two_step_confirm(
    request: Request,
    session: SignedIn,
    gateway: GatewayDep,
    csrf: Csrf = "",
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Turn two-step sign-in on with the app's current code."""
    session.check(request, csrf)
    try:
        users_totp.confirm_totp(
            gateway.database,
            session.principal,
            code,
            now=gateway.clock(),
            remote_addr=session.caller.remote_addr,
        )
    except InputError as exc:
        return _account(request, session, gateway, status=422, error=str(exc))
    return RedirectResponse("/ui/account", status_code=303)


@router.post("/account/two-step/off", response_class=HTMLResponse)
def two_step_off(
    request: Request,
    session: SignedIn,
    gateway: GatewayDep,
    csrf: Csrf = "",
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Turn two-step sign-in off, with a current code."""
    session.check(request, csrf)
    try:
        users_totp.remove_totp(
            gateway.database,
            session.principal,
            code,
            now=gateway.clock(),
            remote_addr=session.caller.remote_addr,
        )
    except InputError as exc:
        return _account(request, session, gateway, status=422, error=str(exc))
    return RedirectResponse("/ui/account", status_code=303)


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, session: QueueReader, gateway: GatewayDep) -> HTMLResponse:
    """Today: what needs action (work queue); filing limits and A/R with reports:read."""
    data = dashboard.today(
        gateway.database,
        session.caller,
        now=gateway.clock(),
        with_aging=session.can("reports:read"),
    )
    return _page(request, "today.html", session, data=data)


@router.get("/workqueue", response_class=HTMLResponse)
def workqueue_page(
    request: Request,
    session: QueueReader,
    gateway: GatewayDep,
    reason: Annotated[str | None, Query(max_length=200)] = None,
    payer: Annotated[str | None, Query(max_length=80)] = None,
    age: Annotated[str, Query(max_length=4, pattern=r"^\d*$")] = "",
) -> HTMLResponse:
    """The open items, filtered by reason, payer and age (an empty field = no filter, as
    a browser sends every field of the form)."""
    items = dashboard.work_queue(
        gateway.database,
        session.caller,
        gateway.codes,
        reason=reason or None,
        payer_id=payer or None,
        min_age_days=int(age) if age else None,
        now=gateway.clock(),
    )
    return _page(
        request,
        "workqueue.html",
        session,
        items=items,
        reasons=[r.value for r in WorkReason],
        payers=dashboard.payers_with_items(gateway.database, session.caller),
        filters={"reason": reason, "payer": payer, "age": age},
    )


def _work_item(session: Session, gateway: Gateway, item_id: int) -> dashboard.WorkItem:
    """A work item; the 835 segment it came from only for keys that may read ERAs."""
    return dashboard.work_item(
        gateway.database,
        session.caller,
        gateway.codes,
        item_id,
        now=gateway.clock(),
        with_segment=session.can("remittances:read"),
    )


@router.get("/workqueue/{item_id:int}", response_class=HTMLResponse)
def workitem_page(
    request: Request, item_id: RowId, session: QueueReader, gateway: GatewayDep
) -> HTMLResponse:
    """One item with its codes explained and the resolve form."""
    return _page(request, "workitem.html", session, item=_work_item(session, gateway, item_id))


@router.post("/workqueue/{item_id:int}/resolve")
def resolve(
    request: Request,
    item_id: RowId,
    session: QueueWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    preset: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Resolve with the note (or the chosen common resolution); audited."""
    session.check(request, csrf)
    text = note.strip() or preset.strip()
    try:
        resolve_work_item(
            gateway.database,
            item_id,
            note=text,
            now=gateway.clock(),
            practice_id=session.caller.practice_id,
            actor=session.caller.actor,
            remote_addr=session.caller.remote_addr,
        )
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return _page(
            request,
            "workitem.html",
            session,
            status=422,
            item=_work_item(session, gateway, item_id),
            error=str(exc),
        )
    return RedirectResponse(f"/ui/workqueue/{item_id}", status_code=303)


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
    return _page(
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


def _claim(session: Session, gateway: Gateway, claim_id: int) -> dashboard_claims.ClaimPage:
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


def _claim_refused(
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
    return _page(
        request,
        "claim.html",
        session,
        status=status,
        c=_claim(session, gateway, claim_id),
        error=str(exc),
    )


def _act_on_claim(
    request: Request,
    session: Session,
    gateway: Gateway,
    claim_id: int,
    action: Callable[[], object],
) -> Response:
    """Run one claim-page action: back to the claim page when it is done, or the page with
    why it was refused (:func:`_claim_refused`); another practice's claim stays a 404."""
    try:
        action()
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return _claim_refused(request, session, gateway, claim_id, exc)
    return RedirectResponse(f"/ui/claims/{claim_id}", status_code=303)


@router.get("/claims/{claim_id:int}", response_class=HTMLResponse)
def claim_page(
    request: Request, claim_id: RowId, session: ClaimsReader, gateway: GatewayDep
) -> HTMLResponse:
    """A claim: lines, the 837D → 999 → 277CA → 835 timeline, postings, void button."""
    return _page(request, "claim.html", session, c=_claim(session, gateway, claim_id))


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
    data = _claim(session, gateway, claim_id)
    document = data.document()
    codes, fees = code or [], fee or []
    if len(codes) != len(document["lines"]) or len(fees) != len(codes):
        return _page(
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
        return _page(
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
        return _page(request, "claim.html", session, status=422, c=data, error=str(exc))
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
    data = _claim(session, gateway, claim_id)
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
    return _page(
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
    ``…/resubmit`` (rejected) or ``…/replace`` (the payer has it)."""
    session.check(request, form.get("csrf", ""))
    session.principal.require("claims:read")
    data = _claim(session, gateway, claim_id)
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
            target = made.claim.id
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
    return RedirectResponse(f"/ui/claims/{target}", status_code=303)


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
        return _claim_refused(
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
        return _claim_refused(request, session, gateway, claim_id, exc)
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
        return _claim_refused(request, session, gateway, claim_id, exc)
    if not done.warnings:
        return RedirectResponse(f"/ui/claims/{claim_id}", status_code=303)
    return _page(
        request,
        "claim.html",
        session,
        c=_claim(session, gateway, claim_id),
        warnings=[w.message for w in done.warnings],
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
    return _act_on_claim(
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
    """Queue the secondary claim the primary payer's 835 built; show the secondary."""
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
        return _claim_refused(request, session, gateway, claim_id, exc)
    return RedirectResponse(f"/ui/claims/{sent.secondary_id}", status_code=303)


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
            return _claim_refused(
                request,
                session,
                gateway,
                claim_id,
                FileTooLargeError(
                    f"{name or 'the file'} is over {limit:,} bytes, the most an attachment may be"
                ),
            )
    return _act_on_claim(
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


EraPolicyField = Annotated[Literal["full", "semi", "review"], Form()]


@router.post("/claims/{claim_id:int}/payments/{payment_id:int}/approve")
def approve_payment(
    request: Request,
    claim_id: RowId,
    payment_id: RowId,
    session: QueueWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
) -> Response:
    """Post a payment a guard held or the payer's ERA policy keeps for approval (the same
    use case as ``POST /v1/era/pending/{id}/approve``); refused when it would settle the
    claim past what was billed."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    return _act_on_claim(
        request,
        session,
        gateway,
        claim_id,
        lambda: era_review.approve(
            gateway.database,
            payment_id,
            now=gateway.clock(),
            actor=session.caller.actor,
            practice_id=session.caller.practice_id,
            remote_addr=session.caller.remote_addr,
        ),
    )


@router.post("/claims/{claim_id:int}/payments/{payment_id:int}/dismiss")
def dismiss_payment(
    request: Request,
    claim_id: RowId,
    payment_id: RowId,
    session: QueueWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Keep a held or awaiting payment unposted for good (a true duplicate, another
    practice's money); its rows stay as evidence."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    return _act_on_claim(
        request,
        session,
        gateway,
        claim_id,
        lambda: era_review.dismiss(
            gateway.database,
            payment_id,
            now=gateway.clock(),
            actor=session.caller.actor,
            reason=reason.strip(),
            practice_id=session.caller.practice_id,
            remote_addr=session.caller.remote_addr,
        ),
    )


@router.post("/claims/{claim_id:int}/write-off")
def write_off(
    request: Request,
    claim_id: RowId,
    session: ClaimsWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Write off what the payer left on an answered claim: all that is outstanding, or
    the amount typed (the same use case as ``POST /v1/claims/{id}/write-off``)."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    try:
        value = Decimal(amount.strip()) if amount.strip() else None
    except InvalidOperation:
        return _claim_refused(
            request,
            session,
            gateway,
            claim_id,
            InputError(f"amount {amount.strip()!r} is not an amount (e.g. 45.00)"),
        )
    return _act_on_claim(
        request,
        session,
        gateway,
        claim_id,
        lambda: era_review.write_off(
            gateway.database,
            claim_id,
            now=gateway.clock(),
            actor=session.caller.actor,
            amount=value,
            note_text=note.strip(),
            practice_id=session.caller.practice_id,
            remote_addr=session.caller.remote_addr,
        ),
    )


@router.post("/claims/{claim_id:int}/close")
def close(
    request: Request,
    claim_id: RowId,
    session: ClaimsWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Close an answered claim the payer will pay no more on: what is outstanding becomes
    the patient's to pay."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    return _act_on_claim(
        request,
        session,
        gateway,
        claim_id,
        lambda: era_review.close(
            gateway.database,
            claim_id,
            now=gateway.clock(),
            actor=session.caller.actor,
            note_text=note.strip(),
            practice_id=session.caller.practice_id,
            remote_addr=session.caller.remote_addr,
        ),
    )


@router.get("/eras", response_class=HTMLResponse)
def eras_page(request: Request, session: RemittanceReader, gateway: GatewayDep) -> HTMLResponse:
    """Payments, newest first."""
    items, _total = list_remittances(
        gateway.database, session.caller, limit=200, offset=0, now=gateway.clock()
    )
    return _page(
        request,
        "eras.html",
        session,
        items=items,
        policies=era_review.policies(gateway.database, practice_id=session.caller.practice_id),
    )


@router.post("/eras/policy")
def era_policy(
    request: Request,
    session: QueueWriter,
    gateway: GatewayDep,
    policy: EraPolicyField,
    csrf: Csrf = "",
    payer: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Set one payer's ERA automation, or the practice's default when no payer is named
    (the same use case as ``PUT /v1/payers/{payer}/era-policy``; audited)."""
    session.check(request, csrf)
    session.principal.require("remittances:read")
    era_review.set_policy(
        gateway.database,
        policy,
        practice_id=session.caller.practice_id,
        payer_id=payer.strip() or None,
        actor=session.caller.actor,
        now=gateway.clock(),
    )
    return RedirectResponse("/ui/eras", status_code=303)


@router.get("/eras/{remittance_id:int}", response_class=HTMLResponse)
def era_page(
    request: Request, remittance_id: RowId, session: RemittanceReader, gateway: GatewayDep
) -> HTMLResponse:
    """A payment: postings by claim number with their codes in words, the payments that
    matched no claim, the PLB ledger and the balance proof."""
    data = dashboard_eras.era_page(
        gateway.database, session.caller, remittance_id, gateway.codes, now=gateway.clock()
    )
    return _page(request, "era.html", session, r=data)


@router.get("/aging", response_class=HTMLResponse)
def aging_page(request: Request, session: ReportReader, gateway: GatewayDep) -> HTMLResponse:
    """The aging chart (SVG drawn here) and table."""
    report = aging_report(
        gateway.database, today=gateway.clock().date(), practice_id=session.caller.practice_id
    )
    return _page(request, "aging.html", session, report=report, svg=dashboard.aging_svg(report))


@router.get("/aging.csv")
def aging_csv(session: ReportReader, gateway: GatewayDep) -> Response:
    """The aging table as CSV."""
    report = aging_report(
        gateway.database, today=gateway.clock().date(), practice_id=session.caller.practice_id
    )
    return Response(
        dashboard.aging_csv(report),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="aging-{report.as_of}.csv"'},
    )


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and the sign-in redirect on ``app``."""
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=str(HERE / "static")), name="ui-static")

    @app.exception_handler(NeedSignIn)
    async def to_sign_in(request: Request, exc: NeedSignIn) -> Response:
        response = RedirectResponse("/ui/login", status_code=303)
        if request.cookies.get(COOKIE):
            # a session that has ended
            response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")
        return response


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """An error as a page (for /ui requests), keeping the navigation of a signed-in key."""
    session: Session | None = getattr(request.state, "ui_session", None)
    return _page(request, "error.html", session, status=status, title=title, detail=detail)
