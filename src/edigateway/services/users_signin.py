"""Signing in, whatever the step: attempts counted and the lockout, the refusal audit, the
proof a session is opened with, and ending a user's sessions.

**Guessing is bounded**: every attempt (a password in
:func:`edigateway.services.users_passwords.check_password`, or a code in
:func:`edigateway.services.users_totp.check_code`) is counted *before* it is checked by
:func:`claim_attempt`, in one conditional UPDATE that also refuses a locked account — so
concurrent guesses are counted too — and only a completed sign-in (:func:`signed_in`) sets
the count back. The attempt after :data:`MAX_ATTEMPTS` locks the account for
:data:`LOCKOUT`. The answer to any refusal is the same sentence, and an unknown email costs
the same argon2 work, so neither the text nor the time says whether an account exists, is
locked or took a wrong code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import or_, select, update

from edigateway.errors import AccessDenied
from edigateway.persistence.tables import UiSessionRow, UserRow
from edigateway.services.access import record
from edigateway.services.users_roles import UserPrincipal, parse_role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_ATTEMPTS: Final = 5
"""Attempts (passwords or codes) in a row that do not end in a sign-in."""
LOCKOUT: Final = timedelta(minutes=15)
SIGN_IN_REFUSED: Final = (
    "the email, password or code is wrong, or the account is disabled or locked for "
    f"{LOCKOUT.seconds // 60} minutes after {MAX_ATTEMPTS} attempts; an admin can send a "
    "new set-password link"
)


@dataclass(frozen=True, slots=True)
class SignInProof:
    """What :func:`~edigateway.services.users_passwords.check_password` (no two-step) or
    :func:`~edigateway.services.users_totp.check_code` hands to
    :func:`edigateway.services.ui_sessions.open_session`: this user proved who they are."""

    user_id: int


def claim_attempt(
    session: Session,
    row: UserRow | None,
    secret: str | None,
    *,
    now: datetime,
    remote_addr: str | None,
) -> bool:
    """Whether ``row`` may have ``secret`` (its password hash or its two-step secret)
    checked now. No user, a disabled one or one without that secret may not (nothing is
    counted); otherwise one attempt is counted unless the account is locked, and the
    attempt past :data:`MAX_ATTEMPTS` locks it (audited) and is refused. The caller
    commits before it raises, so the count and the lock stay."""
    if row is None or secret is None or row.disabled_at is not None:
        return False
    claimed = session.execute(
        update(UserRow)
        .where(
            UserRow.id == row.id, or_(UserRow.locked_until.is_(None), UserRow.locked_until <= now)
        )
        .values(sign_in_attempts=UserRow.sign_in_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return False
    attempts = session.scalar(select(UserRow.sign_in_attempts).where(UserRow.id == row.id))
    if attempts is not None and attempts > MAX_ATTEMPTS:
        session.execute(
            update(UserRow)
            .where(UserRow.id == row.id)
            .values(sign_in_attempts=0, locked_until=now + LOCKOUT)
            .execution_options(synchronize_session=False)
        )
        audit_sign_in(
            session,
            row,
            f"locked until {now + LOCKOUT:%Y-%m-%d %H:%M} after {MAX_ATTEMPTS} attempts",
            now=now,
            remote_addr=remote_addr,
        )
        return False
    return True


def audit_sign_in(
    session: Session, row: UserRow, detail: str, *, now: datetime, remote_addr: str | None
) -> None:
    """Audit what happened to a sign-in attempt of ``row`` (a refusal, a lock), the user as
    actor; ``detail`` holds no password or code."""
    record(
        session,
        actor=f"user:{row.id}",
        practice_id=row.practice_id,
        action="login",
        resource="user",
        resource_id=str(row.id),
        at=now,
        remote_addr=remote_addr,
        detail=detail,
    )


def signed_in(session: Session, proof: SignInProof, now: datetime) -> UserPrincipal:
    """In the transaction that opens a session: the attempts count goes back to zero and
    the sign-in is dated, unless the user was disabled or locked meanwhile."""
    done = session.execute(
        update(UserRow)
        .where(
            UserRow.id == proof.user_id,
            UserRow.disabled_at.is_(None),
            UserRow.password_hash.is_not(None),
            or_(UserRow.locked_until.is_(None), UserRow.locked_until <= now),
        )
        .values(sign_in_attempts=0, locked_until=None, last_sign_in_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise AccessDenied(SIGN_IN_REFUSED)
    return principal_of(session, proof.user_id)


def principal_of(session: Session, user_id: int) -> UserPrincipal:
    """The user behind a session, checked again on every page: a disabled user (or one
    whose password was never set) is refused at once."""
    row = session.get(UserRow, user_id)
    if row is None or row.disabled_at is not None or row.password_hash is None:
        raise AccessDenied("the user is disabled")
    return UserPrincipal(row.id, row.practice_id, row.email, parse_role(row.role))


def end_sessions(session: Session, user_id: int, now: datetime) -> int:
    """End every open session of a user (in the caller's transaction); how many."""
    ended = session.execute(
        update(UiSessionRow)
        .where(
            UiSessionRow.user_id == user_id,
            UiSessionRow.revoked_at.is_(None),
            UiSessionRow.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(ended, "rowcount", 0) or 0)
