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
and requires the scope the API requires for the same data (:func:`.ui_common.page`), which the
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

The pages live in one module per concern, each with its own router under ``/ui``:
:mod:`.ui_signin` (sign-in, two-step code, set password, sign-out), :mod:`.ui_account`,
:mod:`.ui_workqueue` (Today and the work queue), :mod:`.ui_claims` (the list, a claim's
page and its actions), :mod:`.ui_claim_edits` (replacement and the claim editor),
:mod:`.ui_eras` (ERAs and the payment decisions on a claim's page), :mod:`.ui_reports`
(aging), :mod:`.ui_payers` (payers' filing terms), and :mod:`.ui_eligibility`,
:mod:`.ui_appeals`, :mod:`.ui_users`; what they share (templates, the session and its
scope checks, CSRF, rendering) is :mod:`.ui_common`. This module mounts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from edigateway.api import (
    ui_account,
    ui_claim_edits,
    ui_claims,
    ui_eras,
    ui_payers,
    ui_reports,
    ui_signin,
    ui_workqueue,
)
from edigateway.api.ui_common import COOKIE, HERE, NeedSignIn, Session, render

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, Response

PAGES = (
    ui_signin,
    ui_account,
    ui_workqueue,
    ui_claims,
    ui_claim_edits,
    ui_eras,
    ui_reports,
    ui_payers,
)
"""The page modules :func:`install` mounts (no two of their paths overlap, so the order
decides nothing)."""


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and the sign-in redirect on ``app``."""
    for module in PAGES:
        app.include_router(module.router)
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
    return render(request, "error.html", session, status=status, title=title, detail=detail)
