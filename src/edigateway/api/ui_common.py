"""What every dashboard page module shares: the templates, the signed-in session of a
request and the dependencies that require one (with the scope the API requires for the same
data), the CSRF form token and the same-origin check every POST passes, and rendering a
template with what the page frame needs (navigation by scope, the sign-out form's token).

Kept apart from the page modules (:mod:`.ui` and the ``ui_*`` modules) so each page imports
these from one place and none imports another page's module for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from edigateway.api.deps import GatewayDep
from edigateway.errors import AccessDenied
from edigateway.security.api_keys import allows
from edigateway.services import ui_sessions
from edigateway.services.practice_claims import Caller
from edigateway.services.ui_sessions import Lifetime

if TYPE_CHECKING:
    from collections.abc import Callable

    from edigateway.bootstrap import Gateway

HERE = Path(__file__).resolve().parent
COOKIE = "edg_ui"
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))

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


def render(
    request: Request, name: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """``name`` rendered with what every page's frame needs besides ``context``: whether
    someone is signed in, the sign-out form's CSRF token, the scope check that hides the
    navigation the role may not use, and who it is (``session`` None for the forms of
    someone not signed in and the error pages of a request without a session)."""
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
