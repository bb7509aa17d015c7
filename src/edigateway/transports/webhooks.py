"""Sending webhook deliveries over HTTP, without letting a webhook URL reach into the
gateway's own network (SSRF).

A URL must be ``https`` and its host must resolve only to public addresses — no loopback,
private (RFC 1918, ULA), link-local (cloud metadata at 169.254.169.254), CGNAT, multicast,
reserved or unspecified address — unless ``EDIGATEWAY_WEBHOOKS_ALLOW_PRIVATE_URLS=true``
(tests, the simulator, an on-premises receiver), which also allows plain ``http``. The check
runs when the endpoint is registered *and* before every attempt, and the attempt connects
to the very address that was checked (the URL's host stays in ``Host`` and in TLS SNI, so
the certificate is still verified for the name): a name that resolves to a public address
at registration and to 127.0.0.1 later (DNS rebinding) is refused at delivery. Redirects
are not followed (a 3xx is a failed attempt), so a public receiver cannot bounce the
request inward either.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx

from edigateway.errors import InputError

TIMEOUT_SECONDS: Final = 10.0
"""One attempt's limit (connect, send, answer); a slower receiver is a failed attempt."""
MAX_URL_LENGTH: Final = 2000
USER_AGENT: Final = "edigateway-webhooks/1"

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        msg = f"cannot resolve {host}: {exc}"
        raise UnsafeUrlError(msg) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class UnsafeUrlError(InputError):
    """A webhook URL the gateway will not call (scheme, address or form)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: where to connect (``address``) and what to name (``host``)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        path = parts.path or "/"
        return f"{self.scheme}://{literal}:{self.port}{path}" + (
            f"?{parts.query}" if parts.query else ""
        )


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """The URL checked against the policy (module docstring), or :class:`UnsafeUrlError`
    saying why (``url`` is the field a caller gave)."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrlError(f"longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError(f"not a URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_private and scheme == "http"):
        raise UnsafeUrlError(
            "must be https (plain http only with EDIGATEWAY_WEBHOOKS_ALLOW_PRIVATE_URLS=true)"
        )
    if not parts.hostname:
        raise UnsafeUrlError("has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError(
            "must not carry a user name or password (the signature authenticates us)"
        )
    if parts.fragment:
        raise UnsafeUrlError("must not have a #fragment")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolver(parts.hostname, port)
    if not addresses:
        raise UnsafeUrlError(f"{parts.hostname} resolves to no address")
    if not allow_private:
        inward = [a for a in addresses if not _public(a)]
        if inward:
            raise UnsafeUrlError(
                f"{parts.hostname} resolves to {inward[0]}, which is not a public "
                "address (set EDIGATEWAY_WEBHOOKS_ALLOW_PRIVATE_URLS=true for a receiver "
                "on your own network)"
            )
    return Target(url, scheme, parts.hostname, port, addresses[0])


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: the receiver's status, or why there was none."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    """POSTs deliveries (one pooled client per process; close it at shutdown)."""

    def __init__(
        self, *, allow_private: bool, resolver: Resolver = resolve, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self.allow_private, self.resolver = allow_private, resolver
        self._http = httpx.Client(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        """One attempt: the URL checked again, then POSTed to the checked address."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            target = check_url(url, allow_private=self.allow_private, resolver=self.resolver)
        except UnsafeUrlError as exc:
            return Outcome(None, f"refused: {exc}", took())
        request_headers = {
            **headers,
            "Content-Type": "application/json",
            "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            answer = self._http.post(
                target.pinned_url(), content=body, headers=request_headers, extensions=extensions
            )
        except httpx.TimeoutException:
            return Outcome(None, "timed out", took())
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], took())
        error = (
            None
            if 200 <= answer.status_code < 300
            else (
                f"answered {answer.status_code}"
                + (" (redirects are not followed)" if 300 <= answer.status_code < 400 else "")
            )
        )
        return Outcome(answer.status_code, error, took())
