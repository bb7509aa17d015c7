"""Dashboard users, as admins manage them: people, not keys, sign in to the coordinator's
pages, each a user of one practice with a role.

An admin creates a user (``edigateway users create``, ``POST /v1/users``) with an email
and a role; the gateway answers with a **set-password link**
(:mod:`edigateway.services.users_passwords`). The user chooses a password there and signs
in with email and password, then a TOTP code once they have turned two-step sign-in on
(:mod:`edigateway.services.users_totp`). Roles and what they may do are in
:mod:`edigateway.services.users_roles`; attempts, the lockout and sessions in
:mod:`edigateway.services.users_signin`.

Disabling a user or setting a new password ends their sessions at once (same
transaction). Everything here is audited with the user as actor (``user:<id>``); the
audit's ``detail`` holds no password, token or code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from edigateway.errors import ConflictError, NotFoundError
from edigateway.persistence.tables import Practice, UserLinkRow, UserRow
from edigateway.services.access import practice_by, record
from edigateway.services.users_passwords import PasswordLink, new_link
from edigateway.services.users_roles import (
    UserInfo,
    UserPrincipal,
    active_user,
    find_user,
    info_of,
    normalised_email,
    parse_role,
)
from edigateway.services.users_signin import end_sessions

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.security.phi import Keyring


def create_user(
    db: Database,
    *,
    practice: str | int,
    email: str,
    role: str,
    actor: str,
    now: datetime,
    keyring: Keyring,
    base_url: str,
    create_name: str | None = None,
    remote_addr: str | None = None,
) -> PasswordLink:
    """A new user of ``practice`` (its NPI, or its row ID from an API key; a new NPI is
    created as a practice named ``create_name`` when given) and their set-password link.
    An email already used (by any practice) is a 409."""
    address, held = normalised_email(email), parse_role(role)
    with db.transaction() as session:
        try:
            practice_row = _practice(session, practice)
        except NotFoundError:
            if create_name is None or not (
                isinstance(practice, str) and practice.isdigit() and len(practice) == 10
            ):
                raise
            practice_row = Practice(name=create_name[:60], npi=practice, created_at=now)
            session.add(practice_row)
            session.flush()
        taken = session.scalar(select(UserRow.id).where(UserRow.email == address))
        if taken is not None:
            msg = f"a user with the email {address} already exists"
            raise ConflictError(msg)
        row = UserRow(
            practice_id=practice_row.id,
            email=address,
            role=held,
            created_at=now,
            created_by=actor[:60],
            sign_in_attempts=0,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:  # the same email created at the same moment
            msg = f"a user with the email {address} already exists"
            raise ConflictError(msg) from exc
        record(
            session,
            actor=actor,
            practice_id=row.practice_id,
            action="create",
            resource="user",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail=f"role {held}",
        )
        return new_link(session, row, keyring, now, base_url)


def issue_link(
    db: Database,
    *,
    user: str | int,
    practice_id: int | None,
    actor: str,
    now: datetime,
    keyring: Keyring,
    base_url: str,
    clear_two_step: bool = False,
    remote_addr: str | None = None,
) -> PasswordLink:
    """A new set-password link for a user who forgot their password or is locked out
    (older links stop working); ``clear_two_step`` also turns two-step sign-in off, for a
    lost phone. The current password keeps working until a new one is set."""
    with db.transaction() as session:
        row = find_user(session, user, practice_id)
        if row.disabled_at is not None:
            msg = f"user {row.email} is disabled"
            raise ConflictError(msg)
        if clear_two_step:
            row.totp_secret = row.totp_pending = None
        record(
            session,
            actor=actor,
            practice_id=row.practice_id,
            action="change",
            resource="user",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail="new set-password link" + (", two-step sign-in off" if clear_two_step else ""),
        )
        return new_link(session, row, keyring, now, base_url)


def list_users(db: Database, *, practice: str | int | None, now: datetime) -> list[UserInfo]:
    """The users of one practice (or of all, for the command line), oldest first."""
    with db.transaction() as session:
        query = select(UserRow).order_by(UserRow.id)
        if practice is not None:
            query = query.where(UserRow.practice_id == _practice(session, practice).id)
        return [info_of(row, now) for row in session.scalars(query)]


def get_user(db: Database, *, user: str | int, practice_id: int | None, now: datetime) -> UserInfo:
    """One user by email or ID; 404 when it is another practice's."""
    with db.transaction() as session:
        return info_of(find_user(session, user, practice_id), now)


def disable_user(
    db: Database,
    *,
    user: str | int,
    practice_id: int | None,
    actor: str,
    now: datetime,
    remote_addr: str | None = None,
) -> UserInfo:
    """Disable a user for good: their sessions and links end in the same transaction, so
    their next page is the sign-in page. Disabling twice changes nothing more."""
    with db.transaction() as session:
        row = find_user(session, user, practice_id)
        disabled = session.execute(
            update(UserRow)
            .where(UserRow.id == row.id, UserRow.disabled_at.is_(None))
            .values(disabled_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(disabled, "rowcount", 0) == 1:
            ended = end_sessions(session, row.id, now)
            session.execute(
                update(UserLinkRow)
                .where(UserLinkRow.user_id == row.id, UserLinkRow.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            record(
                session,
                actor=actor,
                practice_id=row.practice_id,
                action="change",
                resource="user",
                resource_id=str(row.id),
                at=now,
                remote_addr=remote_addr,
                detail=f"disabled; {ended} session(s) ended",
            )
        session.refresh(row)
        return info_of(row, now)


def account(db: Database, principal: UserPrincipal, *, now: datetime) -> UserInfo:
    """The signed-in user's own record."""
    with db.transaction() as session:
        return info_of(active_user(session, principal), now)


def _practice(session: Session, practice: str | int) -> Practice:
    if isinstance(practice, int):
        row = session.get(Practice, practice)
        if row is None:
            msg = f"no practice {practice}"
            raise NotFoundError(msg)
        return row
    return practice_by(session, practice)
