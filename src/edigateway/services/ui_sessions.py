"""Server-side sessions of the coordinator's pages (``/ui``), each belonging to a user.

A user proves who they are once — password, then a TOTP code when they turned two-step
sign-in on (:mod:`edigateway.services.users`). The browser then holds only a random session
ID (``secrets.token_urlsafe(32)``, 256 bits) in its cookie; the ``ui_sessions`` table holds
a keyed hash of that ID (HMAC with the API-key pepper, which is not in the database) beside
the user's row ID. So neither a stolen cookie jar nor a stolen database yields a usable
session ID.

Every page resumes the session in one transaction, checking that it is not signed out, not
idle longer than the idle limit, not older than the absolute limit, and that its user is
not disabled — so signing out, waiting, disabling the user (``edigateway users disable``)
or setting a new password ends it from the next request on. The user's role is read on
every page, so a changed role applies at once. Signing in and out are audited as ``login``
events of the user (``user:<id>``), like everything done on the pages.

CSRF tokens are derived with the same pepper: a form's from its session ID, the sign-in
form's from a short-lived nonce kept in a cookie (there is no session yet; without it an
attacker's page could sign a victim's browser into the attacker's practice). A site that
can plant cookies still cannot compute the matching form value. Between the password and
the code, the browser holds a :func:`code_token`: the user's ID, when the password was
right and a MAC binding both to the sign-in form's nonce cookie, so the code step can only
follow a right password, in the same browser, within :data:`CODE_STEP_LIFETIME`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select, update

from edigateway.errors import AccessDenied
from edigateway.persistence.tables import UiSessionRow
from edigateway.services.access import pepper_of, record
from edigateway.services.users_roles import UserPrincipal
from edigateway.services.users_signin import SignInProof, principal_of, signed_in

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.security.phi import Keyring
    from edigateway.settings import Settings

SESSION_BYTES = 32
"""Random bytes in a session ID (``token_urlsafe`` makes 43 characters of them)."""
MAX_ID_LENGTH = 100
"""Longer cookie values are refused without a database look-up."""
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often (a write per page would serialise page
views on SQLite); the idle limit is therefore kept to within a minute."""
LOGIN_FORM_LIFETIME = timedelta(minutes=30)
"""How long a sign-in form stays usable."""
CODE_STEP_LIFETIME = timedelta(minutes=5)
"""How long after a right password its two-step code may be entered."""
SIGNED_OUT = "the session has ended (signed out, idle, expired or the user disabled)"


@dataclass(frozen=True, slots=True)
class Lifetime:
    """How long a session lives: ``idle`` without a request, ``absolute`` in all."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Lifetime:
        """The lifetime the settings configure."""
        return cls(
            timedelta(minutes=settings.ui_session_idle_minutes),
            timedelta(hours=settings.ui_session_absolute_hours),
        )


@dataclass(frozen=True, slots=True)
class UiSession:
    """A live session: its row and its user (role as the user has it now)."""

    row_id: int
    principal: UserPrincipal

    @property
    def actor(self) -> str:
        """How the audit trail names what is done on the pages: the user."""
        return self.principal.actor


def open_session(
    db: Database,
    proof: SignInProof,
    *,
    keyring: Keyring,
    now: datetime,
    lifetime: Lifetime,
    remote_addr: str | None,
) -> tuple[str, UiSession]:
    """Open a session for the user who proved who they are: ``(session ID for the cookie,
    session)``; their attempts count goes back to zero in the same transaction.

    A fresh ID every time (an ID planted before sign-in is never promoted). Sessions that
    ended are removed here, so the table holds live ones and recent leftovers only.
    """
    session_id = secrets.token_urlsafe(SESSION_BYTES)
    with db.transaction() as session:
        principal = signed_in(session, proof, now)
        session.execute(
            delete(UiSessionRow).where(
                or_(UiSessionRow.expires_at <= now, UiSessionRow.revoked_at.is_not(None))
            )
        )
        row = UiSessionRow(
            session_hash=_digest(keyring, session_id),
            user_id=principal.user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime.absolute,
        )
        session.add(row)
        session.flush()
        opened = UiSession(row.id, principal)
        record(
            session,
            actor=opened.actor,
            practice_id=principal.practice_id,
            action="login",
            resource="ui_session",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail="signed in",
        )
    return session_id, opened


def resume(
    db: Database, session_id: str | None, *, keyring: Keyring, now: datetime, lifetime: Lifetime
) -> UiSession:
    """The live session behind a cookie, or :class:`AccessDenied` (401) for any reason it
    is not (unknown, signed out, idle, expired, user disabled): the pages then ask to sign
    in."""
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        raise AccessDenied(SIGNED_OUT)
    with db.transaction() as session:
        row = _live(session, keyring, session_id, now, lifetime)
        try:
            principal = principal_of(session, row.user_id)
        except AccessDenied as exc:
            raise AccessDenied(SIGNED_OUT) from exc
        if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
            row.last_seen_at = now
        return UiSession(row.id, principal)


def close_session(
    db: Database, session_id: str, *, keyring: Keyring, now: datetime, remote_addr: str | None
) -> bool:
    """Sign out: the session is revoked at once (one conditional UPDATE, audited in the
    same transaction). ``False`` when it had already ended — signing out twice, even at the
    same moment from two tabs, records one event."""
    if len(session_id) > MAX_ID_LENGTH:
        return False
    with db.transaction() as session:
        row = session.scalars(
            select(UiSessionRow).where(UiSessionRow.session_hash == _digest(keyring, session_id))
        ).first()
        if row is None:
            return False
        closed = session.execute(
            update(UiSessionRow)
            .where(UiSessionRow.id == row.id, UiSessionRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(closed, "rowcount", 0) != 1:
            return False
        try:
            principal = principal_of(session, row.user_id)
        except AccessDenied:
            return True  # the user was disabled meanwhile; that is audited already
        record(
            session,
            actor=principal.actor,
            practice_id=principal.practice_id,
            action="login",
            resource="ui_session",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail="signed out",
        )
        return True


def form_token(keyring: Keyring, session_id: str) -> str:
    """The CSRF token of a session's forms (dies with the session)."""
    return _mac(keyring, f"csrf:{session_id}")[:32]


def check_form_token(keyring: Keyring, session_id: str, presented: str) -> None:
    """Refuse (403) a form whose token is not this session's."""
    if not hmac.compare_digest(presented.encode(), form_token(keyring, session_id).encode()):
        raise AccessDenied("the form's CSRF token is missing or wrong; reload the page", status=403)


def login_nonce(keyring: Keyring, now: datetime) -> tuple[str, str]:
    """A sign-in form's ``(cookie value, form value)``: the cookie carries when it was
    issued and a random part; the form value is their MAC."""
    nonce = f"{int(now.timestamp())}.{secrets.token_urlsafe(24)}"
    return nonce, _mac(keyring, f"login:{nonce}")[:32]


def check_login_nonce(
    keyring: Keyring, cookie: str | None, presented: str, *, now: datetime
) -> None:
    """Refuse (403) a sign-in that did not come from our form, recently."""
    issued, _, _random = (cookie or "").partition(".")
    expected = _mac(keyring, f"login:{cookie}")[:32] if cookie else ""
    fresh = (
        issued.isdigit()
        and 0 <= now.timestamp() - int(issued) <= LOGIN_FORM_LIFETIME.total_seconds()
    )
    if not (
        cookie
        and presented
        and fresh
        and hmac.compare_digest(presented.encode(), expected.encode())
    ):
        raise AccessDenied(
            "the sign-in form expired or did not come from this site; sign in again from this page",
            status=403,
        )


def code_token(keyring: Keyring, user_id: int, login_cookie: str, now: datetime) -> str:
    """What the two-step form carries after a right password: ``<user>.<time>.<MAC>``, the
    MAC over both and the sign-in form's nonce cookie."""
    issued = f"{user_id}.{int(now.timestamp())}"
    return f"{issued}.{_mac(keyring, f'code:{issued}:{login_cookie}')[:32]}"


def check_code_token(
    keyring: Keyring, token: str, login_cookie: str | None, *, now: datetime
) -> int:
    """The user a two-step form is for; :class:`AccessDenied` (403) when the token was not
    made for this browser's sign-in form, or the password step is too long ago."""
    user, _, rest = token.partition(".")
    issued, _, presented = rest.partition(".")
    expected = _mac(keyring, f"code:{user}.{issued}:{login_cookie}")[:32] if login_cookie else ""
    fresh = (
        issued.isdigit()
        and 0 <= now.timestamp() - int(issued) <= CODE_STEP_LIFETIME.total_seconds()
    )
    if not (
        user.isdigit()
        and expected
        and fresh
        and hmac.compare_digest(presented.encode(), expected.encode())
    ):
        raise AccessDenied(
            "the sign-in took too long or did not come from this browser; sign in again", status=403
        )
    return int(user)


def _live(
    session: Session, keyring: Keyring, session_id: str, now: datetime, lifetime: Lifetime
) -> UiSessionRow:
    row = session.scalars(
        select(UiSessionRow).where(UiSessionRow.session_hash == _digest(keyring, session_id))
    ).first()
    if (
        row is None
        or row.revoked_at is not None
        or now >= row.expires_at
        or now - row.last_seen_at > lifetime.idle
    ):
        raise AccessDenied(SIGNED_OUT)
    return row


def _digest(keyring: Keyring, session_id: str) -> str:
    return _mac(keyring, f"ui-session:{session_id}")


def _mac(keyring: Keyring, text: str) -> str:
    return hmac.new(pepper_of(keyring), text.encode(), hashlib.sha256).hexdigest()
