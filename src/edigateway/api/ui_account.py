"""The signed-in user's own account page (``/ui/account``): who they are, their role and
what it allows, and turning two-step sign-in on (a new authenticator secret confirmed by a
code) or off (with a current code). Every role may use it: it changes only the user's own
sign-in, audited as them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api.deps import GatewayDep
from edigateway.api.ui_common import Csrf, Session, SignedIn, render
from edigateway.errors import InputError
from edigateway.services import users, users_roles, users_totp

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, session: SignedIn, gateway: GatewayDep) -> HTMLResponse:
    """The signed-in user's account: who, which role, two-step sign-in."""
    return _account(request, session, gateway)


def _account(
    request: Request, session: Session, gateway: Gateway, status: int = 200, **context: Any
) -> HTMLResponse:
    user = users.account(gateway.database, session.principal, now=gateway.clock())
    return render(
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


def _two_step(
    request: Request, session: Session, gateway: Gateway, csrf: str, code: str, *, on: bool
) -> Response:
    """Turn two-step sign-in on (confirming the secret just shown) or off, with the app's
    current code, then back to the account page; a code refused comes back on the page
    (422)."""
    session.check(request, csrf)
    change = users_totp.confirm_totp if on else users_totp.remove_totp
    try:
        change(
            gateway.database,
            session.principal,
            code,
            now=gateway.clock(),
            remote_addr=session.caller.remote_addr,
        )
    except InputError as exc:
        return _account(request, session, gateway, status=422, error=str(exc))
    return RedirectResponse("/ui/account", status_code=303)


@router.post("/account/two-step/confirm", response_class=HTMLResponse)
def two_step_confirm(
    request: Request,
    session: SignedIn,
    gateway: GatewayDep,
    csrf: Csrf = "",
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Turn two-step sign-in on with the app's current code."""
    return _two_step(request, session, gateway, csrf, code, on=True)


@router.post("/account/two-step/off", response_class=HTMLResponse)
def two_step_off(
    request: Request,
    session: SignedIn,
    gateway: GatewayDep,
    csrf: Csrf = "",
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Turn two-step sign-in off, with a current code."""
    return _two_step(request, session, gateway, csrf, code, on=False)
