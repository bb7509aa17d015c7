"""Passwords: set-password links, setting a password through one, and the password step of
signing in.

An admin's new user (or a user who forgot their password) gets a **set-password link** (72
hours, single use, only a keyed hash of its token stored; a newer link voids the older). The
user chooses a password there (:func:`set_password`, checked by
:func:`edigateway.security.passwords.check_rules`) and signs in with email and password
(:func:`check_password`), then a two-step code once they have turned two-step sign-in on
(:mod:`edigateway.services.users_totp`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import urlencode

from sqlalchemy import select, update

from edigateway.errors import AccessDenied, InputError
from edigateway.persistence.tables import UserLinkRow, UserRow
from edigateway.security import passwords
from edigateway.services.access import pepper_of, record
from edigateway.services.users_roles import UserInfo, info_of, normalised_email
from edigateway.services.users_signin import (
    SIGN_IN_REFUSED,
    SignInProof,
    audit_sign_in,
    claim_attempt,
    end_sessions,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.security.phi import Keyring

LINK_LIFETIME: Final = timedelta(hours=72)
LINK_INVALID: Final = (
    "this set-password link is not valid (used, expired, replaced by a "
    "newer one, or the user is disabled); ask an admin for a new one"
)
PATH: Final = "/ui/set-password"


@dataclass(frozen=True, slots=True)
class PasswordLink:
    """A user and their set-password link, shown once (only its hash is kept)."""

    user: UserInfo
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PasswordChecked:
    """The password was right: sign in (``proof``), or ask for a code first."""

    user_id: int
    needs_code: bool

    @property
    def proof(self) -> SignInProof | None:
        """The proof, when no code is needed."""
        return None if self.needs_code else SignInProof(self.user_id)


def new_link(
    session: Session, row: UserRow, keyring: Keyring, now: datetime, base_url: str
) -> PasswordLink:
    """A new link for ``row`` (the older unused ones are used up)."""
    token = secrets.token_urlsafe(32)
    session.execute(
        update(UserLinkRow)
        .where(UserLinkRow.user_id == row.id, UserLinkRow.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    expires = now + LINK_LIFETIME
    session.add(
        UserLinkRow(
            user_id=row.id,
            token_hash=_token_hash(keyring, token),
            created_at=now,
            expires_at=expires,
        )
    )
    session.flush()
    url = f"{base_url.rstrip('/')}{PATH}?{urlencode({'token': token})}"
    return PasswordLink(info_of(row, now), url, expires)


def link_user(db: Database, *, token: str, keyring: Keyring, now: datetime) -> UserInfo:
    """The user a set-password link is for, while it is valid (else :class:`AccessDenied`)."""
    with db.transaction() as session:
        return info_of(_valid_link(session, token, keyring, now)[1], now)


def set_password(
    db: Database,
    *,
    token: str,
    password: str,
    keyring: Keyring,
    now: datetime,
    remote_addr: str | None = None,
) -> UserInfo:
    """Set the password a link allows: the rules first (422 saying what to change, the link
    still good), then the link is used up — one conditional UPDATE, so two tabs cannot both
    use it —, the lock lifted and every open session of the user ended."""
    with db.transaction() as session:
        link, row = _valid_link(session, token, keyring, now)
        passwords.check_rules(password, row.email)
        used = session.execute(
            update(UserLinkRow)
            .where(UserLinkRow.id == link.id, UserLinkRow.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(used, "rowcount", 0) != 1:
            raise AccessDenied(LINK_INVALID)
        row.password_hash = passwords.hash_password(password)
        row.password_set_at = now
        row.sign_in_attempts, row.locked_until = 0, None
        ended = end_sessions(session, row.id, now)
        record(
            session,
            actor=f"user:{row.id}",
            practice_id=row.practice_id,
            action="change",
            resource="user",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail=f"password set; {ended} session(s) ended",
        )
        session.flush()
        return info_of(row, now)


def check_password(
    db: Database, *, email: str, password: str, now: datetime, remote_addr: str | None = None
) -> PasswordChecked:
    """The first step of signing in. The attempt is counted (and a locked account
    refused) before the password is checked; a wrong one is audited. Any refusal is
    :data:`~edigateway.services.users_signin.SIGN_IN_REFUSED`, after the same argon2
    work (outside the transaction: it takes a while)."""
    try:
        address = normalised_email(email)
    except InputError:
        address = ""
    with db.transaction() as session:
        row = session.scalars(select(UserRow).where(UserRow.email == address)).first()
        held = row.password_hash if row is not None else None
        allowed = claim_attempt(session, row, held, now=now, remote_addr=remote_addr)
        stored = held if allowed else None
    matched = passwords.verify(stored or passwords.dummy_hash(), password)
    if row is None or stored is None:
        raise AccessDenied(SIGN_IN_REFUSED)
    if not matched:
        with db.transaction() as session:
            audit_sign_in(
                session,
                row,
                "sign-in refused: wrong password",
                now=now,
                remote_addr=remote_addr,
            )
        raise AccessDenied(SIGN_IN_REFUSED)
    if passwords.needs_rehash(stored):
        with db.transaction() as session:
            session.execute(
                update(UserRow)
                .where(UserRow.id == row.id, UserRow.password_hash == stored)
                .values(password_hash=passwords.hash_password(password))
                .execution_options(synchronize_session=False)
            )
    return PasswordChecked(row.id, needs_code=row.totp_secret is not None)


def _valid_link(
    session: Session, token: str, keyring: Keyring, now: datetime
) -> tuple[UserLinkRow, UserRow]:
    if not token or len(token) > 100:
        raise AccessDenied(LINK_INVALID)
    link = session.scalars(
        select(UserLinkRow).where(UserLinkRow.token_hash == _token_hash(keyring, token))
    ).first()
    row = session.get(UserRow, link.user_id) if link is not None else None
    if (
        link is None
        or row is None
        or link.used_at is not None
        or now >= link.expires_at
        or row.disabled_at is not None
    ):
        raise AccessDenied(LINK_INVALID)
    return link, row


def _token_hash(keyring: Keyring, token: str) -> str:
    return hmac.new(pepper_of(keyring), f"user-link:{token}".encode(), hashlib.sha256).hexdigest()
