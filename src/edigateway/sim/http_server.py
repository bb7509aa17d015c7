"""The simulator's HTTP endpoint: CAQH CORE-style real-time 270 → 271 on loopback.

A plain threaded HTTP server (standard library) so the simulator needs no web framework;
it checks the API key, reads the CORE envelope, validates the 270 with our pyx12 map and
answers with a 271 from the benefit-plan table::

    with SimulatorHttp(plans, validator, api_key="k") as server:
        url = server.url + "/core/realtime"

A claim status request (payload type ``X12_276_Request_005010X212``) is validated with our
276 map the same way and answered with a 277 (``X12_277_Response_005010X212``) from
``claim_status_lookup`` (patient control number → what the payer knows; by default nothing,
so every claim is answered "not found", ``STC*D0:35``).
"""

from __future__ import annotations

import json
import secrets
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from edigateway.errors import EdigatewayError
from edigateway.sim.claim_status import answer_276, nothing_known
from edigateway.sim.eligibility import answer_270
from edigateway.transports.core_envelope import (
    REALTIME_270,
    REALTIME_271,
    REALTIME_276,
    REALTIME_277,
    CoreMessage,
    build,
    parse,
)
from edigateway.x12.envelope import InterchangeParams

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from edigateway.sim.claim_status import ClaimLookup
    from edigateway.sim.eligibility import BenefitPlans
    from edigateway.x12.validation import Validator

MAX_BODY = 1 << 20
STOP_POLL_SECONDS = 0.05
"""How often the serving thread looks for a stop request: :meth:`SimulatorHttp.stop` waits
up to this long (the standard library's default, 0.5 s, cost every test that stops a
simulator half a second)."""
RESPONSE_TYPES = {REALTIME_270: REALTIME_271, REALTIME_276: REALTIME_277}
"""The payload type answered for each request type."""


class _Reject(Exception):  # noqa: N818 - control flow inside the handler only
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def wall_clock() -> datetime:
    """Local wall-clock time, as ISA09/ISA10 carry it: the clock of a simulator started
    on its own (the runner hands it the gateway's)."""
    return datetime.now()  # noqa: DTZ005 - ISA time is local


class SimulatorHttp:
    """The endpoint, served from a background thread on 127.0.0.1. ``clock`` dates its
    answers' envelopes and the "no future dates" edit of what it is sent."""

    def __init__(
        self,
        plans: BenefitPlans,
        validator: Validator,
        *,
        api_key: str,
        client_id: str = "edigateway",
        client_secret: str | None = None,
        port: int = 0,
        sender_id: str = "EDGSIM",
        claim_status_lookup: ClaimLookup = nothing_known,
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.plans, self.validator, self.api_key = plans, validator, api_key
        self.clock = clock
        self.claim_status_lookup = claim_status_lookup
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens: set[str] = set()
        self.sender_id = sender_id
        self._numbers = count(1)
        self._lock = threading.Lock()
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                simulator.handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet: tests read results, not access logs."""

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_SECONDS},
            daemon=True,
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        """The port served (chosen by the system when 0 was asked for)."""
        return int(self.server.server_address[1])

    def start(self) -> SimulatorHttp:
        """Serve in the background."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> SimulatorHttp:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- one request
    def handle(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one POST (see module docstring)."""
        if request.path.rstrip("/") == "/oauth/token":
            self._token(request)
            return
        question: CoreMessage | None = None
        try:
            question = self._question(request)
            answer = self._answer(question)
        except _Reject as reject:
            self._reply(request, reject.status, question, reject.code, reject.message)
            return
        self._reply(request, 200, question, "Success", None, answer)

    def _question(self, request: BaseHTTPRequestHandler) -> CoreMessage:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if request.headers.get("X-API-Key") != self.api_key and bearer not in self.tokens:
            raise _Reject(401, "Unauthorized", "missing or wrong API key or token")
        if request.path.rstrip("/") != "/core/realtime":
            raise _Reject(404, "NotFound", f"no endpoint {request.path}")
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise _Reject(413, "PayloadTooLarge", "the request is too large")
        try:
            return parse(request.rfile.read(length), request.headers.get("Content-Type", ""))
        except EdigatewayError as exc:
            raise _Reject(400, "EnvelopeError", str(exc)) from exc

    def _answer(self, message: CoreMessage) -> str:
        if message.payload_type not in RESPONSE_TYPES:
            raise _Reject(
                400,
                "PayloadTypeIllegal",
                f"real-time answers {' or '.join(RESPONSE_TYPES)}, not {message.payload_type}",
            )
        name = "270" if message.payload_type == REALTIME_270 else "276"
        verdict = self.validator.validate_text(
            message.payload, f"realtime.{name}", today=self.clock().date()
        )
        if verdict.status != "valid":
            first = verdict.errors[0] if verdict.errors else None
            raise _Reject(
                400,
                "PayloadInvalid",
                f"the {name} is {verdict.status}"
                + (f": {first.segment_id} {first.message}" if first else ""),
            )
        try:
            if message.payload_type == REALTIME_276:
                return answer_276(message.payload, self.claim_status_lookup, self._params())
            return answer_270(message.payload, self.plans, self._params())
        except EdigatewayError as exc:
            raise _Reject(400, "PayloadInvalid", str(exc)) from exc

    def _token(self, request: BaseHTTPRequestHandler) -> None:
        """OAuth2 client credentials (form-encoded), as CORE-certified endpoints offer."""
        length = min(int(request.headers.get("Content-Length") or 0), MAX_BODY)
        form = parse_qs(request.rfile.read(length).decode())
        ok = (
            self.client_secret is not None
            and form.get("grant_type") == ["client_credentials"]
            and form.get("client_id") == [self.client_id]
            and form.get("client_secret") == [self.client_secret]
        )
        body = json.dumps({"error": "invalid_client"}) if not ok else None
        if ok:
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            body = json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600})
        data = (body or "").encode()
        request.send_response(200 if ok else 401)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _params(self) -> InterchangeParams:
        with self._lock:
            number = next(self._numbers)
        return InterchangeParams(
            "ZZ",
            self.sender_id,
            "ZZ",
            "EDIGATEWAY",
            self.sender_id,
            "EDIGATEWAY",
            number,
            number,
            1,
            self.clock().replace(second=0, microsecond=0),
        )

    def _reply(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        question: CoreMessage | None,
        code: str,
        error: str | None,
        payload: str = "",
    ) -> None:
        asked = question.payload_type if question else REALTIME_270
        response = CoreMessage(
            payload_type=RESPONSE_TYPES.get(asked, REALTIME_271),
            payload=payload,
            sender_id=self.sender_id,
            receiver_id=question.sender_id if question else "",
            payload_id=question.payload_id if question else "none",
            error_code=code,
            error_message=error,
        )
        body, content_type = build(response)
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
