"""Who a dashboard user is and what they may do: roles and the scopes they hold, the
signed-in principal, what may be shown of a user, and finding one by ID or email.

**Roles** map onto the API keys' scopes (:func:`scopes_of`), so a page asks a user for
exactly what the API asks a key: a ``viewer`` holds every ``…:read`` scope, a
``coordinator`` every scope but ``admin`` and :data:`ADMIN_ONLY` (work claims, check
eligibility, estimate, resolve work items …), an ``admin`` everything, users and webhooks
included. A scope added later follows its kind without a change here.

The use cases live beside this module: admins' in :mod:`edigateway.services.users`,
passwords and set-password links in :mod:`~edigateway.services.users_passwords`, two-step
codes in :mod:`~edigateway.services.users_totp`, attempts and sessions in
:mod:`~edigateway.services.users_signin`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal, get_args

from sqlalchemy import select

from edigateway.errors import AccessDenied, InputError, NotFoundError
from edigateway.persistence.tables import UserRow
from edigateway.security.api_keys import SCOPES, allows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Role = Literal["admin", "coordinator", "viewer"]
ROLES: Final[dict[Role, str]] = {
    "admin": "everything, users and API-key scopes included (admin)",
    "coordinator": "read everything; work claims, eligibility, estimates and the work queue",
    "viewer": "read claims, payments, the work queue and reports; change nothing",
}
UserStatus = Literal["invited", "active", "locked", "disabled"]
"""``invited`` until the password is set, ``locked`` for a while after repeated failed
attempts, ``disabled`` for good."""
ADMIN_ONLY: Final = frozenset({"admin", "webhooks:write", "users:admin"})
"""Scopes a coordinator does not hold: who may sign in (users) and where the practice's
data goes (webhooks)."""
_EMAIL: Final = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
MAX_EMAIL: Final = 254


def scopes_of(role: Role) -> tuple[str, ...]:
    """The API scopes a role holds (see the module docstring)."""
    if role == "admin":
        return ("admin",)
    if role == "viewer":
        return tuple(s for s in SCOPES if s.endswith(":read"))
    return tuple(s for s in SCOPES if s not in ADMIN_ONLY)


def parse_role(text: str) -> Role:
    """A role by name, refusing others by listing the known ones."""
    for role in get_args(Role):
        if text.strip().lower() == role:
            return role  # type: ignore[no-any-return]
    msg = f"unknown role {text!r}; known: {', '.join(ROLES)}"
    raise InputError(msg)


def normalised_email(text: str) -> str:
    """``text`` as stored: trimmed and lower case; refused (422) unless it looks like an
    address (one ``@``, a dot in the domain, no spaces or quotes)."""
    address = text.strip().lower()
    if len(address) > MAX_EMAIL or not _EMAIL.match(address):
        msg = f"{text.strip()[:80]!r} is not an email address"
        raise InputError(msg)
    return address


@dataclass(frozen=True, slots=True)
class UserPrincipal:
    """A signed-in user as the pages need them: their practice and what they may do."""

    user_id: int
    practice_id: int
    email: str
    role: Role

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes of the user's role."""
        return scopes_of(self.role)

    @property
    def actor(self) -> str:
        """How the audit trail names the user."""
        return f"user:{self.user_id}"

    def require(self, scope: str) -> None:
        """Refuse (403) unless the role holds ``scope``."""
        if not allows(self.scopes, scope):
            msg = (
                f"your role ({self.role}) does not allow this (it needs the scope "
                f"{scope!r}); ask an admin of your practice"
            )
            raise AccessDenied(msg, status=403)


@dataclass(frozen=True, slots=True)
class UserInfo:
    """What may be shown of a user: never a hash, secret or link token."""

    id: int
    practice_id: int
    email: str
    role: Role
    status: UserStatus
    two_step: bool
    created_at: datetime
    created_by: str
    password_set_at: datetime | None
    last_sign_in_at: datetime | None
    locked_until: datetime | None
    disabled_at: datetime | None

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes of the user's role."""
        return scopes_of(self.role)


def info_of(row: UserRow, now: datetime) -> UserInfo:
    """What may be shown of ``row`` at ``now`` (a lock that has run out is not shown)."""
    locked = row.locked_until if row.locked_until and row.locked_until > now else None
    status: UserStatus = (
        "disabled"
        if row.disabled_at is not None
        else "invited"
        if row.password_hash is None
        else "locked"
        if locked
        else "active"
    )
    return UserInfo(
        row.id,
        row.practice_id,
        row.email,
        parse_role(row.role),
        status,
        row.totp_secret is not None,
        row.created_at,
        row.created_by,
        row.password_set_at,
        row.last_sign_in_at,
        locked,
        row.disabled_at,
    )


def find_user(session: Session, user: str | int, practice_id: int | None) -> UserRow:
    """A user by ID or email, of ``practice_id`` when given (another practice's is as
    missing as one that does not exist)."""
    if isinstance(user, int) or user.strip().isdigit():
        row = session.get(UserRow, int(user))
    else:
        row = session.scalars(select(UserRow).where(UserRow.email == user.strip().lower())).first()
    if row is None or (practice_id is not None and row.practice_id != practice_id):
        msg = f"no user {user}"
        raise NotFoundError(msg)
    return row


def active_user(session: Session, principal: UserPrincipal) -> UserRow:
    """The signed-in user's row, refused once they are disabled."""
    row = session.get(UserRow, principal.user_id)
    if row is None or row.disabled_at is not None:
        raise AccessDenied("the user is disabled")
    return row
