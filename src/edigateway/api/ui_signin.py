"""Signing in and out of the dashboard: the sign-in form, the two-step code, the
set-password page a one-time link opens, and sign-out. These are the forms of someone not
signed in: each carries a nonce bound to a short-lived cookie scoped to its path
(:func:`_form_page`), and a session opens only after the password — and the code, with
two-step sign-in on — checked out (:mod:`edigateway.services.users_passwords`,
:mod:`edigateway.services.users_totp`).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api.deps import GatewayDep
from edigateway.api.ui_common import COOKIE, Csrf, SignedIn, render, same_origin
from edigateway.errors import AccessDenied, InputError
from edigateway.security import passwords
from edigateway.security.api_keys import allows
from edigateway.services import ui_sessions, users_passwords, users_signin, users_totp
from edigateway.services.ui_sessions import Lifetime

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

router = APIRouter(prefix="/ui", include_in_schema=False)


LOGIN_COOKIE = "edg_login"

LANDING = (
    ("/ui/", "workqueue:read"),
    ("/ui/claims", "claims:read"),
    ("/ui/eras", "remittances:read"),
    ("/ui/aging", "reports:read"),
)
"""Where signing in leads: the first page the user's role may see."""


def _secure(request: Request, gateway: Gateway) -> bool:
    return gateway.settings.ui_secure_cookies or request.url.scheme == "https"


def _form_page(
    request: Request, gateway: Gateway, name: str, path: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A form of someone not signed in (sign-in, two-step code, set password) with a
    fresh nonce: a cookie scoped to ``path`` and the hidden field that matches it."""
    cookie, field = ui_sessions.login_nonce(gateway.keyring, gateway.clock())
    response = render(request, name, None, status=status, login_csrf=field, **context)
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


def _password_page(
    request: Request,
    gateway: Gateway,
    token: str,
    email: str,
    status: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    """The set-password form a link opens, for the link's user (again with why a password
    was refused)."""
    return _form_page(
        request,
        gateway,
        "set_password.html",
        "/ui/set-password",
        status,
        token=token,
        email=email,
        min_length=passwords.MIN_LENGTH,
        error=error,
    )


def _link_not_valid(request: Request, exc: AccessDenied, status: int = 410) -> HTMLResponse:
    """The page of a set-password link that is not (or no longer) good."""
    return render(
        request, "error.html", None, status=status, title="Link not valid", detail=str(exc)
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
        return render(request, "login_code.html", None, code_token=token, login_csrf=login_csrf)
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
        return _link_not_valid(request, exc)
    return _password_page(request, gateway, token, user.email)


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
        return _link_not_valid(request, exc, status=403 if exc.status == 403 else 410)
    if not hmac.compare_digest(password.encode(), confirm.encode()):
        return _password_page(
            request, gateway, token, user.email, status=422, error="the two passwords differ"
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
        return _password_page(request, gateway, token, user.email, status=422, error=str(exc))
    except AccessDenied as exc:
        return _link_not_valid(request, exc)
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
