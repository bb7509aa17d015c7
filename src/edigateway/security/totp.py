"""Time-based one-time passwords (RFC 6238 TOTP over RFC 4226 HOTP), the codes an
authenticator app shows: HMAC-SHA1, 6 digits, 30-second steps, as every common app reads
an ``otpauth://`` URI by default.

A code is accepted one step either side of now (clocks of phones drift) and only once:
:func:`verify` returns the step that matched, the caller keeps the last one used and
passes it back, so a code seen over a shoulder cannot be replayed in its 90 seconds.

>>> secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 6238's "12345678901234567890"
>>> code_at(secret, 59 // STEP, digits=8)
'94287082'
>>> verify(secret, code_at(secret, 1000), at=1000 * STEP + 5, after_step=None)
1000
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from typing import Final
from urllib.parse import quote, urlencode

STEP: Final = 30
"""Seconds per code."""
DIGITS: Final = 6
WINDOW: Final = 1
"""Steps accepted before and after the current one."""
SECRET_BYTES: Final = 20
"""160 bits, RFC 4226's recommended length for HMAC-SHA1."""


def new_secret() -> str:
    """A fresh random secret, base32 without padding (what apps accept typed in)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def code_at(secret: str, step: int, *, digits: int = DIGITS) -> str:
    """The code of time step ``step`` (RFC 4226 dynamic truncation)."""
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def verify(secret: str, code: str, *, at: float, after_step: int | None) -> int | None:
    """The step whose code ``code`` is, within :data:`WINDOW` of the time ``at`` (UNIX
    seconds) and later than ``after_step`` (the last step used), else ``None``. Every
    candidate is compared in constant time."""
    typed = code.replace(" ", "")
    if len(typed) != DIGITS or not typed.isdigit():
        return None
    now = int(at // STEP)
    matched = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        if (
            hmac.compare_digest(code_at(secret, step).encode(), typed.encode())
            and (after_step is None or step > after_step)
            and matched is None
        ):
            matched = step
    return matched


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads (typed in or as a QR
    code): issuer and account label, the secret and the parameters spelt out."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP}
    )
    return f"otpauth://totp/{label}?{query}"
