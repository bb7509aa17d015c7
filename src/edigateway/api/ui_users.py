"""The dashboard's Users page (``/ui/users``), for admins of the practice (scope
``users:admin``, as ``/v1/users``): the practice's users with their role and status,
create one, disable one, and a new set-password link (a forgotten password, a lockout,
optionally with two-step sign-in turned off for a lost phone).

A set-password link is shown on the answer to the form that made it, once: only its hash
is kept (:mod:`edigateway.services.users`), so the page that shows it is never cached and
a reload does not show it again. Everything goes through the same use cases as the API
and ``edigateway users``, audited as the admin. A coordinator or viewer gets a 403 page
naming the scope; another practice's user is not found (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api.deps import GatewayDep, RowId
from edigateway.api.ui_common import Csrf, Session, page, render
from edigateway.errors import ConflictError, EdigatewayError, NotFoundError
from edigateway.services import users
from edigateway.services.users_roles import ROLES, Role

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

router = APIRouter(prefix="/ui/users", include_in_schema=False)
Admin = Annotated[Session, Depends(page("users:admin"))]


def _users(
    request: Request, session: Session, gateway: Gateway, status: int = 200, **more: Any
) -> HTMLResponse:
    """The list and the create form; a link made just now is shown once (no caching)."""
    found = users.list_users(
        gateway.database, practice=session.caller.practice_id, now=gateway.clock()
    )
    response = render(
        request,
        "users.html",
        session,
        status=status,
        items=found,
        roles=ROLES,
        me_id=session.principal.user_id,
        **more,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("", response_class=HTMLResponse)
def users_page(request: Request, session: Admin, gateway: GatewayDep) -> HTMLResponse:
    """The practice's users, oldest first, and the form to add one."""
    return _users(request, session, gateway)


@router.post("", response_class=HTMLResponse)
def create(
    request: Request,
    session: Admin,
    gateway: GatewayDep,
    csrf: Csrf = "",
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[Role | Literal[""], Form()] = "",
) -> HTMLResponse:
    """Create the user; the page with their set-password link, shown this once."""
    session.check(request, csrf)
    try:
        link = users.create_user(
            gateway.database,
            practice=session.caller.practice_id,
            email=email,
            role=role or "",
            actor=session.caller.actor,
            now=gateway.clock(),
            keyring=gateway.keyring,
            base_url=gateway.settings.public_url,
            remote_addr=session.caller.remote_addr,
        )
    except EdigatewayError as exc:
        return _users(
            request,
            session,
            gateway,
            status=409 if isinstance(exc, ConflictError) else 422,
            error=str(exc),
            form={"email": email, "role": role},
        )
    return _users(request, session, gateway, link=link, made=True)


@router.post("/{user_id:int}/disable")
def disable(
    request: Request, user_id: RowId, session: Admin, gateway: GatewayDep, csrf: Csrf = ""
) -> Response:
    """Disable the user for good (their sessions and links end at once). An admin does not
    disable themselves here: another admin does, so the practice is never locked out by a
    slip of the mouse."""
    session.check(request, csrf)
    users.get_user(
        gateway.database, user=user_id, practice_id=session.caller.practice_id, now=gateway.clock()
    )
    if user_id == session.principal.user_id:
        return _users(
            request,
            session,
            gateway,
            status=409,
            error="you cannot disable yourself; ask another admin of the practice",
        )
    users.disable_user(
        gateway.database,
        user=user_id,
        practice_id=session.caller.practice_id,
        actor=session.caller.actor,
        now=gateway.clock(),
        remote_addr=session.caller.remote_addr,
    )
    return RedirectResponse("/ui/users", status_code=303)


@router.post("/{user_id:int}/link", response_class=HTMLResponse)
def new_link(
    request: Request,
    user_id: RowId,
    session: Admin,
    gateway: GatewayDep,
    csrf: Csrf = "",
    clear_two_step: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    """A new set-password link (older ones stop working), shown this once; with the box
    ticked, two-step sign-in is turned off too (a lost phone)."""
    session.check(request, csrf)
    try:
        link = users.issue_link(
            gateway.database,
            user=user_id,
            practice_id=session.caller.practice_id,
            actor=session.caller.actor,
            now=gateway.clock(),
            keyring=gateway.keyring,
            base_url=gateway.settings.public_url,
            clear_two_step=clear_two_step == "yes",
            remote_addr=session.caller.remote_addr,
        )
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return _users(
            request,
            session,
            gateway,
            status=409 if isinstance(exc, ConflictError) else 422,
            error=str(exc),
        )
    return _users(request, session, gateway, link=link, made=False)
