"""ASGI middleware of the app: the body limit and the security headers.

Both are plain ASGI (not Starlette's ``BaseHTTPMiddleware``), so they see every response —
routes, mounted static files, error handlers — and add no task per request.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders

from edigateway.api.problems import problem

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1 << 20
"""1 MiB: far above a claim with 50 lines, far below what would hurt the server."""
UPLOAD_PATH = re.compile(r"^/(?:v1|ui)/claims/[0-9]+/attachments/?$")
"""The routes that take files (claim attachments, by the API and on the claim page): their
limit is the settings' attachment size plus :data:`UPLOAD_OVERHEAD`, not
:data:`MAX_BODY_BYTES`."""
UPLOAD_OVERHEAD = 64 << 10
"""Room for the multipart framing and the form field around an uploaded file."""
DRAIN_BYTES = 8 << 20
"""How much more of a refused body is read (and dropped) before answering 413. A client
such as httpx sends its whole body before it reads the answer; if the server answered and
closed with the body unread, the client would see a reset connection instead of the 413.
Past this much the server answers anyway and uvicorn closes the connection."""

STATIC_PREFIXES = ("/ui/static/", "/v1/docs/assets/")
"""Paths of files the package ships (no PHI): they keep their caching headers."""
DOCS_PATHS = ("/v1/docs",)

_COMMON = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
UI_CSP = f"default-src 'self'; img-src 'self' data:; form-action 'self'; {_COMMON}"
"""The coordinator pages: our own stylesheet only, no script at all, no inline anything,
forms post only to us, never framed."""
DOCS_CSP = f"default-src 'self'; img-src 'self' data:; form-action 'none'; {_COMMON}"
"""Swagger UI: its script and stylesheet from the gateway itself (no inline script, no
third-party origin), its icons ``data:`` images; "Try it out" calls the API with fetch,
which ``default-src 'self'`` allows."""
API_CSP = f"default-src 'none'; form-action 'none'; {_COMMON}"
"""JSON answers load nothing, so nothing is allowed."""
_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def document_csp(html: str) -> str:
    """The policy of a self-contained page we render for reading or printing (an appeal
    letter as HTML): it loads nothing and runs nothing; only its own ``<style>`` blocks
    apply, each allowed by its hash. A route sets it on its answer, which the security
    headers then keep instead of the path's policy."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _STYLE_BLOCK.findall(html)
    ]
    styles = " ".join(hashes) or "'none'"
    return f"default-src 'none'; style-src {styles}; form-action 'none'; {_COMMON}"


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 problem+json: at once when the
    declared Content-Length is too big, else while the body streams in (chunked bodies
    declare no length), counting bytes as the app reads them.

    When the app reads past the limit, the read fails inside the app — which would answer
    400 ("error parsing the body") — so whatever the app then sends is dropped and the 413
    is sent instead, after the rest of the body is drained (see :data:`DRAIN_BYTES`).
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        drain: int = DRAIN_BYTES,
        uploads: tuple[re.Pattern[str], int] | None = None,
    ) -> None:
        self.app, self.limit, self.drain, self.uploads = app, limit, drain, uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if self.uploads is not None and self.uploads[0].match(scope.get("path", "")):
            limit = self.uploads[1]
        body = _Body(receive, limit)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(body, scope, send)
            return

        async def guarded_send(message: Message) -> None:
            if body.over:
                return  # the app's answer to the interrupted read; the 413 replaces it
            if message["type"] == "http.response.start":
                body.answered = True
            await send(message)

        try:
            await self.app(scope, body.receive, guarded_send)
        except Exception:
            if not body.over:
                raise
        if body.over and not body.answered:
            await self._refuse(body, scope, send)

    async def _refuse(self, body: _Body, scope: Scope, send: Send) -> None:
        await body.drain(self.drain)
        response = problem(413, "Request body too large", f"the limit is {body.limit} bytes")
        await response(scope, body.receive_raw, send)


class _Body:
    """The request body as the app reads it: counted, and flagged once past the limit."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive_raw, self.limit = receive, limit
        self.seen, self.over, self.answered, self.done = 0, False, False, False

    async def receive(self) -> Message:
        message = await self.receive_raw()
        self._count(message)
        if self.seen > self.limit:
            self.over = True
            raise _TooLarge
        return message

    async def drain(self, budget: int) -> None:
        """Read and drop the rest of the body, at most ``budget`` bytes."""
        start = self.seen
        while not self.done and self.seen - start <= budget:
            self._count(await self.receive_raw())

    def _count(self, message: Message) -> None:
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            self.done = not message.get("more_body", False)
        elif message["type"] == "http.disconnect":
            self.done = True


class _TooLarge(Exception):  # noqa: N818 - internal signal, never leaves the middleware
    pass


class SecurityHeaders:
    """Headers every answer carries: a Content-Security-Policy for its kind of page
    (:data:`UI_CSP`, :data:`DOCS_CSP`, :data:`API_CSP`), no framing, no MIME sniffing, no
    Referer, and ``Cache-Control: no-store`` on everything but the packaged static files —
    pages and JSON answers show PHI, which must not stay in a browser's or a proxy's cache.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith(STATIC_PREFIXES)
        if path in DOCS_PATHS:
            policy = DOCS_CSP
        elif path == "/ui" or path.startswith("/ui/"):
            policy = UI_CSP
        else:
            policy = API_CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:  # a document_csp answer
                    headers["Content-Security-Policy"] = policy
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
