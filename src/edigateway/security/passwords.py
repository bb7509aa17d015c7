"""Dashboard users' passwords: argon2id hashes (``argon2-cffi``) and the rules a new
password must meet.

A password, unlike an API key's 256-bit secret, is chosen by a person and can be guessed,
so it is stored with a slow, memory-hard hash: argon2id with OWASP's minimum parameters
(19 MiB, 2 passes, 1 lane; about 40 ms here), which keeps a sign-in quick on a small
server while making each guess against a stolen database cost the same. The parameters
are in the stored hash, so raising them later re-hashes each password at its owner's
next sign-in (:func:`needs_rehash`).

:func:`verify` takes the same time whether or not an account exists: for an unknown
email the caller verifies against :data:`DUMMY_HASH`, so the answer's timing does not say
which emails have accounts.

>>> hashed = hash_password("a long passphrase")
>>> verify(hashed, "a long passphrase"), verify(hashed, "a wrong passphrase")
(True, False)
"""

from __future__ import annotations

from functools import cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from edigateway.errors import InputError

MIN_LENGTH: Final = 12
"""Characters a password needs at least (NIST SP 800-63B asks for 8; a coordinator's
account opens PHI of every patient of the practice)."""
MAX_LENGTH: Final = 256
"""Longer input is refused before hashing (no one types more; it bounds the work)."""

_HASHER: Final = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """The stored form of ``password`` (``$argon2id$…``: salt and parameters included)."""
    return _HASHER.hash(password)


def verify(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (argon2's comparison is constant-time). A
    hash that is not argon2 (damaged, or from elsewhere) matches nothing."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's."""
    return _HASHER.check_needs_rehash(stored)


@cache
def dummy_hash() -> str:
    """A hash no password is checked against for real: verifying against it makes a sign-in
    with an unknown email take as long as one with a known email."""
    return hash_password("not a password: the hash of an account that does not exist")


def check_rules(password: str, email: str) -> None:
    """Refuse (:class:`InputError`, saying what to change) a password shorter than
    :data:`MIN_LENGTH`, longer than :data:`MAX_LENGTH`, that is or holds the email or its
    name part, or is one character repeated."""
    if len(password) < MIN_LENGTH:
        msg = f"the password must be at least {MIN_LENGTH} characters long"
        raise InputError(msg)
    if len(password) > MAX_LENGTH:
        msg = f"the password must be at most {MAX_LENGTH} characters long"
        raise InputError(msg)
    lowered = password.casefold()
    address = email.casefold()
    name = address.split("@", 1)[0]
    if address in lowered or (len(name) >= 4 and name in lowered):
        msg = "the password must not contain the email address or its name part"
        raise InputError(msg)
    if len(set(password)) == 1:
        msg = "the password must not be one character repeated"
        raise InputError(msg)
