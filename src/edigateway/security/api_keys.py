"""API keys for practice-management systems: shown once, stored as a keyed hash.

A key is ``edg_<key id>_<secret>``: the key ID (public, 12 hex characters) finds the row,
the secret (256 random bits) proves possession. Only ``HMAC-SHA256(pepper, secret)`` is
stored, and it is compared with :func:`hmac.compare_digest` (constant time). A slow
password hash (bcrypt, scrypt) is not needed: it protects *guessable* passwords, and a
256-bit random secret cannot be guessed; the pepper (a setting, not in the database) means
a stolen database alone does not even allow checking a candidate key.

Scopes say what a key may do (:data:`SCOPES`); ``admin`` implies all.

>>> issued = new_api_key()
>>> parse_token(issued.token) == (issued.key_id, issued.secret)
True
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Final

from edigateway.errors import AccessDenied, InputError

PREFIX: Final = "edg"
SCOPES: Final[dict[str, str]] = {
    "claims:read": "read claims, their history and acknowledgments",
    "claims:write": "create, validate, submit, replace and void claims",
    "eligibility": "real-time eligibility inquiries",
    "estimates": "patient cost estimates",
    "remittances:read": "read 835 payments and their postings",
    "workqueue:read": "read the work queue",
    "workqueue:write": "resolve work items",
    "reports:read": "A/R aging and other reports",
    "transmissions:read": "files sent to and received from clearinghouses",
    "events:read": "read the practice's events (claim, remittance, work-queue changes)",
    "webhooks:read": "list webhooks and their delivery logs",
    "webhooks:write": "register, delete, enable webhooks and redeliver events",
    "users:admin": "create, list and disable the practice's dashboard users and send them "
    "set-password links",
    "admin": "everything above",
}
"""Every scope a key can hold, with what it allows."""

_TOKEN: Final = re.compile(rf"^{PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: ``token`` is shown to the user once; only ``key_id`` and the hash of
    ``secret`` are kept."""

    key_id: str
    secret: str

    @property
    def token(self) -> str:
        """What the PM system sends as ``Authorization: Bearer …`` or ``X-API-Key``."""
        return f"{PREFIX}_{self.key_id}_{self.secret}"


def new_api_key() -> IssuedKey:
    """A fresh key ID and 256-bit secret."""
    return IssuedKey(secrets.token_hex(6), secrets.token_urlsafe(32))


def hash_secret(secret: str, pepper: bytes) -> str:
    """The stored form of a secret (hex HMAC-SHA256 with the server's pepper)."""
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, stored_hash: str, pepper: bytes) -> bool:
    """Whether ``secret`` matches, in constant time."""
    return hmac.compare_digest(hash_secret(secret, pepper), stored_hash)


def parse_token(token: str) -> tuple[str, str]:
    """(key ID, secret) of a presented key; anything else is refused without echoing it."""
    match = _TOKEN.match(token.strip())
    if match is None:
        msg = f"not an edigateway API key (expected {PREFIX}_<key id>_<secret>)"
        raise AccessDenied(msg)
    return match.group(1), match.group(2)


def parse_scopes(text: str) -> tuple[str, ...]:
    """``"claims:write,eligibility"`` → the scopes, refusing unknown ones by name."""
    scopes = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        msg = (
            f"unknown scope(s) {', '.join(unknown)}; " if unknown else "no scope given; "
        ) + f"known: {', '.join(SCOPES)}"
        raise InputError(msg)
    return scopes


def allows(held: tuple[str, ...] | list[str], wanted: str) -> bool:
    """Whether a key holding ``held`` may do what ``wanted`` allows."""
    return "admin" in held or wanted in held
