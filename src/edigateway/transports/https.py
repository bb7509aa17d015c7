"""HTTPS exchange with a clearinghouse (httpx): real-time 270 → 271 and 276 → 277 in CORE
envelopes.

Authentication is the profile's: an API key header, or OAuth2 client credentials (a token
fetched from ``token_url`` and reused until it expires). Timeouts are the profile's; a
failed connection or a 5xx is retried with exponential backoff up to ``attempts`` (the
profile's ``realtime_attempts``, 2: one retry at most), all within the profile's
``realtime_deadline_seconds`` (20 s): each attempt gets only the time left, the answer is
read against the same deadline (a server that stalls, or drips its answer, is cut off), and
a call that runs out of time is a :class:`DeadlineExceededError` — so a PM system's request
is answered within the deadline instead of after 3 × 30 s. A 401/403 is never retried.
Every failure is a :class:`~edigateway.errors.TransportError` naming the endpoint::

    client = CoreHttpClient(profile.https, api_key=settings.clearinghouse_api_key)
    x271 = client.realtime(x270, sender_id="MAPLEDENTAL", receiver_id="EDGSIM")
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from edigateway.errors import (
    AuthenticationError,
    DeadlineExceededError,
    TransferError,
    TransportError,
)
from edigateway.transports.core_envelope import (
    REALTIME_270,
    REALTIME_276,
    REALTIME_277,
    CoreMessage,
    build,
    parse,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from edigateway.clearinghouses import HttpsProfile

SERVER_ERRORS = 500


@dataclass
class _Token:
    value: str
    expires: float


class CoreHttpClient:
    """Talks to one clearinghouse's CORE endpoint (see module docstring)."""

    def __init__(
        self,
        profile: HttpsProfile,
        *,
        api_key: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        attempts: int | None = None,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.profile, self.api_key = profile, api_key
        self.client_id, self.client_secret = client_id, client_secret
        self.attempts = attempts or profile.realtime_attempts
        self.backoff, self.sleep = backoff, sleep
        self._token: _Token | None = None
        self._http = httpx.Client(base_url=profile.base_url, timeout=profile.timeout_seconds)

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def realtime(self, x270: str, *, sender_id: str, receiver_id: str) -> str:
        """Send a 270 and return the 271 the clearinghouse answered."""
        return self._exchange(REALTIME_270, None, x270, sender_id, receiver_id)

    def claim_status(self, x276: str, *, sender_id: str, receiver_id: str) -> str:
        """Send a 276 claim status request in real time and return the 277 answered.

        Same CORE envelope, authentication and retries as :meth:`realtime`; an answer that
        is not a 277 (another payload type) is refused rather than read as one.
        """
        return self._exchange(REALTIME_276, REALTIME_277, x276, sender_id, receiver_id)

    def _exchange(
        self, payload_type: str, expected: str | None, x12: str, sender_id: str, receiver_id: str
    ) -> str:
        """One CORE real-time request; the answer's payload, checked."""
        request = CoreMessage(
            payload_type=payload_type, payload=x12, sender_id=sender_id, receiver_id=receiver_id
        )
        body, content_type = build(request)
        response = self._post(self.profile.realtime_path, body, content_type)
        answer = parse(response.content, response.headers.get("content-type", ""))
        if answer.error_code not in (None, "Success") or not answer.payload:
            msg = (
                f"{self.profile.base_url}: the clearinghouse answered "
                f"{answer.error_code}: {answer.error_message or 'no message'}"
            )
            raise TransportError(msg)
        if expected is not None and answer.payload_type != expected:
            msg = (
                f"{self.profile.base_url}: the answer to a {payload_type} is "
                f"{answer.payload_type}, not {expected}"
            )
            raise TransportError(msg)
        return answer.payload

    def _headers(self) -> dict[str, str]:
        auth = self.profile.auth
        if auth == "api_key":
            if not self.api_key:
                msg = f"{self.profile.base_url}: the profile needs an API key; none configured"
                raise AuthenticationError(msg)
            return {"X-API-Key": self.api_key}
        if auth == "oauth2_client_credentials":
            return {"Authorization": f"Bearer {self._bearer()}"}
        return {}

    def _bearer(self) -> str:
        if self._token is not None and self._token.expires > time.monotonic() + 30:
            return self._token.value
        if not (self.profile.token_url and self.client_id and self.client_secret):
            msg = f"{self.profile.base_url}: OAuth2 needs token_url, client_id and client_secret"
            raise AuthenticationError(msg)
        try:
            response = self._http.post(
                self.profile.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
            )
        except httpx.HTTPError as exc:
            msg = f"{self.profile.token_url}: token request failed: {exc}"
            raise TransferError(msg) from exc
        if response.status_code != httpx.codes.OK:
            msg = f"{self.profile.token_url}: token refused ({response.status_code})"
            raise AuthenticationError(msg)
        data = response.json()
        self._token = _Token(
            data["access_token"], time.monotonic() + float(data.get("expires_in", 300))
        )
        return self._token.value

    def _post(self, path: str, body: bytes, content_type: str) -> httpx.Response:
        url = self.profile.base_url + path
        budget = self.profile.realtime_deadline_seconds
        deadline = time.monotonic() + budget
        last: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                response = self._within(path, body, content_type, deadline, left)
            except DeadlineExceededError:
                break
            except httpx.HTTPError as exc:
                last = exc
            else:
                if response.status_code in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
                    msg = f"{url}: credentials refused ({response.status_code})"
                    raise AuthenticationError(msg)
                if response.status_code < SERVER_ERRORS:
                    return response
                last = TransferError(f"{url}: server error {response.status_code}")
            pause = self.backoff * 2 ** (attempt - 1)
            if attempt < self.attempts and time.monotonic() + pause < deadline:
                self.sleep(pause)
        if time.monotonic() >= deadline or last is None:
            msg = f"{url}: no answer within {budget:g} s (the profile's real-time deadline)" + (
                f"; earlier attempt: {last}" if last else ""
            )
            raise DeadlineExceededError(msg) from last
        msg = f"{url}: no answer after {self.attempts} attempts ({last})"
        raise TransferError(msg) from last

    def _within(
        self, path: str, body: bytes, content_type: str, deadline: float, left: float
    ) -> httpx.Response:
        """One attempt, its connection and every read of its answer bounded by what is
        left of ``deadline``."""
        timeout = httpx.Timeout(min(self.profile.timeout_seconds, left))
        request = self._http.build_request(
            "POST",
            path,
            content=body,
            timeout=timeout,
            headers={"Content-Type": content_type, **self._headers()},
        )
        response = self._http.send(request, stream=True)
        try:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    msg = f"{self.profile.base_url}{path}: answer still arriving at the deadline"
                    raise DeadlineExceededError(msg)
        finally:
            response.close()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=b"".join(chunks),
            request=request,
        )
