"""The FastAPI application: routers under ``/v1``, problem+json errors, the coordinator
pages under ``/ui``, self-hosted API docs, and the web hardening around all of it.

``create_app(gateway)`` builds it (nothing at import time); ``edigateway serve`` runs it
with uvicorn. Routes are thin: they check the caller's scope, call the same services the
CLI uses and shape the answer. Every request passes, outermost first: the security headers
(CSP, no framing, no sniffing, no Referer, no caching of PHI), the trusted-host check (a
forged ``Host`` gets 400 before any route or redirect sees it) and the 1 MiB body limit
(413, chunked or not) — see :mod:`edigateway.api.middleware`.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match

from edigateway.api import docs, openapi, ui, ui_appeals, ui_eligibility, ui_users
from edigateway.api.middleware import (
    MAX_BODY_BYTES,
    UPLOAD_OVERHEAD,
    UPLOAD_PATH,
    BodyLimit,
    SecurityHeaders,
)
from edigateway.api.problems import (
    BY_STATUS,
    PROBLEM_TYPES,
    problem,
    problem_response,
    responses,
)
from edigateway.api.routers import (
    appeals,
    attachments,
    claim_status,
    claims,
    eligibility,
    era,
    estimates,
    events,
    fees,
    health,
    payers,
    received_files,
    remittances,
    reports,
    transmissions,
    users,
    verifications,
    visits,
    webhooks,
    workqueue,
)
from edigateway.api.scheduler import scheduling
from edigateway.errors import EdigatewayError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from contextlib import AbstractAsyncContextManager

    from starlette.responses import Response

    from edigateway.bootstrap import Gateway

API_VERSION = "1.2.0"
"""The contract's version (docs/api.md keeps its changelog)."""


def create_app(gateway: Gateway, *, schedule: bool = False) -> FastAPI:
    """The API for ``gateway``, which the app's lifespan owns: at shutdown it closes the
    gateway (the database's pool, the real-time HTTP clients); see :meth:`Gateway.close`.
    With ``schedule`` (``edigateway serve``), the app also sends, polls and follows up by
    itself (:mod:`edigateway.api.scheduler`)."""
    app = FastAPI(
        lifespan=_lifespan(gateway, schedule=schedule),
        title="edigateway",
        version=API_VERSION,
        description="Dental EDI gateway for practice-management systems: claims (837D), "
        "eligibility (270/271), estimates, remittances (835), work queue, A/R aging. "
        "Authenticate with `Authorization: Bearer <API key>` (or `X-API-Key`); every "
        "answer is scoped to the key's practice. Money is an exact decimal string, every "
        "time RFC 3339 in UTC. Errors are RFC 9457 problem documents whose `type` names "
        "the kind of problem. Conventions, problem types, changelog and deprecation "
        "policy: docs/api.md.",
        openapi_url="/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.gateway = gateway
    for module in (
        claims,
        claim_status,
        eligibility,
        verifications,
        visits,
        estimates,
        fees,
        remittances,
        era,
        payers,
        workqueue,
        reports,
        attachments,
        appeals,
        transmissions,
        received_files,
        events,
        webhooks,
        users,
    ):
        app.include_router(
            module.router, prefix="/v1", responses=responses(401, 403, 422, 500, 503)
        )
    app.include_router(
        estimates.claim_documents, prefix="/v1", responses=responses(401, 403, 422, 500, 503)
    )
    app.include_router(health.router)
    _handlers(app)
    openapi.install(app)
    ui.install(app)
    app.include_router(ui_eligibility.router)
    app.include_router(ui_appeals.router)
    app.include_router(ui_users.router)
    docs.install(app)
    app.add_middleware(
        BodyLimit,
        limit=MAX_BODY_BYTES,
        uploads=(UPLOAD_PATH, gateway.settings.attachment_max_bytes + UPLOAD_OVERHEAD),
    )
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=gateway.settings.trusted_hosts, www_redirect=False
    )
    app.add_middleware(SecurityHeaders)  # added last = outermost: on every answer
    return app


def _lifespan(
    gateway: Gateway, *, schedule: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with scheduling(gateway, exchange=schedule):
            yield
        await run_in_threadpool(gateway.close)  # disposing a pool may block on sockets

    return lifespan


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem(
                400,
                "Malformed JSON",
                "the request body is not valid JSON",
                [{"path": _path(e["loc"]), "message": e.get("msg", "")} for e in errors],
                kind="malformed-json",
            )
        return problem(
            422,
            "Invalid input",
            f"{len(errors)} field(s) are not valid",
            [{"path": _path(e["loc"]), "message": e.get("msg", "")} for e in errors],
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {"Allow": ", ".join(_allowed(app, request))}
        kind = BY_STATUS.get(exc.status_code)
        phrase = HTTPStatus(exc.status_code).phrase
        title = PROBLEM_TYPES[kind].title if kind else phrase
        detail = "" if str(exc.detail) == phrase else str(exc.detail)
        return problem(exc.status_code, title, detail, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        """A bug of ours still answers a problem document (Starlette logs the traceback
        and re-raises after this answer is sent), never a plain-text 500."""
        return problem(500, "Internal error", "the gateway failed; nothing was changed")

    @app.exception_handler(EdigatewayError)
    async def ours(request: Request, exc: EdigatewayError) -> Response:
        answer = problem_response(exc)
        if request.url.path.startswith("/ui/"):
            title = {403: "Not allowed", 404: "Not found"}.get(
                answer.status_code, "Something went wrong"
            )
            detail = (
                str(exc)
                if answer.status_code < 500
                else ("the gateway could not complete this request; nothing was changed")
            )
            return ui.error_page(request, answer.status_code, title, detail)
        return answer


def _allowed(app: FastAPI, request: Request) -> list[str]:
    """Every method some route offers for this path (Starlette names only the first)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _path(loc: Any) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"
