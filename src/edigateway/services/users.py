"""People, not keys, in the coordinator's pages: users of a practice, their roles, their
passwords and two-step codes, and how signing in is checked.

An admin creates a user (``edigateway users create``, ``POST /v1/users``) with an email
and a role; the gateway answers with a **set-password link** (72 hours, single use, only
a keyed hash of its token stored; a newer link voids the older). The user chooses a
password there (:func:`set_password`, :func:`edigateway.security.passwords.check_rules`)
and signs in with email and password, then a TOTP code once they have turned two-step
sign-in on (:func:`start_totp`, :func:`confirm_totp`).

**Roles** map onto the API keys' scopes (:func:`scopes_of`), so a page asks a user for
exactly what the API asks a key: a ``viewer`` holds every ``…:read`` scope, a
``coordinator`` every scope but ``admin`` and :data:`ADMIN_ONLY` (work claims, check
eligibility, estimate, resolve work items …), an ``admin`` everything, users and webhooks
included. A scope added later follows its kind without a change here.

**Guessing is bounded**: every attempt (a password, or a code) is counted *before* it is
checked, in one conditional UPDATE that also refuses a locked account — so concurrent
guesses are counted too — and only a completed sign-in sets the count back. The attempt
after :data:`MAX_ATTEMPTS` locks the account for :data:`LOCKOUT`. The answer to any
refusal is the same sentence, and an unknown email costs the same argon2 work, so neither
the text nor the time says whether an account exists, is locked or took a wrong code.

Disabling a user or setting a new password ends their sessions at once (same
transaction). Everything here is audited with the user as actor (``user:<id>``); the
audit's ``detail`` holds no password, token or code.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal, get_args
from urllib.parse import urlencode

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from edigateway.errors import AccessDenied, ConflictError, InputError, NotFoundError, PhiError
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import Practice, UiSessionRow, UserLinkRow, UserRow
from edigateway.security import passwords, totp
from edigateway.security.api_keys import SCOPES, allows
from edigateway.security.phi import Binding
from edigateway.services.access import pepper_of, practice_by, record

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.security.phi import Keyring

log = logging.getLogger(__name__)
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
LINK_LIFETIME: Final = timedelta(hours=72)
MAX_ATTEMPTS: Final = 5
"""Attempts (passwords or codes) in a row that do not end in a sign-in."""
LOCKOUT: Final = timedelta(minutes=15)
SIGN_IN_REFUSED: Final = (
    "the email, password or code is wrong, or the account is disabled or locked for "
    f"{LOCKOUT.seconds // 60} minutes after {MAX_ATTEMPTS} attempts; an admin can send a "
    "new set-password link"
)
TOTP_UNREADABLE: Final = (
    "two-step sign-in cannot be checked: this account's stored two-step secret cannot be "
    "opened with the gateway's current keys; ask an admin to send a new set-password link "
    "with two-step sign-in turned off, then turn it on again"
)
"""Said only after the password was right (the code step needs it), so it tells a
stranger nothing; the attempt still counts."""
LINK_INVALID: Final = (
    "this set-password link is not valid (used, expired, replaced by a "
    "newer one, or the user is disabled); ask an admin for a new one"
)
_EMAIL: Final = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
MAX_EMAIL: Final = 254
PATH: Final = "/ui/set-password"
ISSUER: Final = "edigateway"


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


@dataclass(frozen=True, slots=True)
class PasswordLink:
    """A user and their set-password link, shown once (only its hash is kept)."""

    user: UserInfo
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SignInProof:
    """What :func:`check_password` (no two-step) or :func:`check_code` hands to
    :func:`edigateway.services.ui_sessions.open_session`: this user proved who they are."""

    user_id: int


@dataclass(frozen=True, slots=True)
class PasswordChecked:
    """The password was right: sign in (``proof``), or ask for a code first."""

    user_id: int
    needs_code: bool

    @property
    def proof(self) -> SignInProof | None:
        """The proof, when no code is needed."""
        return None if self.needs_code else SignInProof(self.user_id)


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """A secret to type into an authenticator app (or its ``otpauth://`` URI)."""

    secret: str
    uri: str


# --------------------------------------------------------------------------- admins


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
        return _link(session, row, keyring, now, base_url)


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
        row = _find(session, user, practice_id)
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
        return _link(session, row, keyring, now, base_url)


def list_users(db: Database, *, practice: str | int | None, now: datetime) -> list[UserInfo]:
    """The users of one practice (or of all, for the command line), oldest first."""
    with db.transaction() as session:
        query = select(UserRow).order_by(UserRow.id)
        if practice is not None:
            query = query.where(UserRow.practice_id == _practice(session, practice).id)
        return [_info(row, now) for row in session.scalars(query)]


def get_user(db: Database, *, user: str | int, practice_id: int | None, now: datetime) -> UserInfo:
    """One user by email or ID; 404 when it is another practice's."""
    with db.transaction() as session:
        return _info(_find(session, user, practice_id), now)


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
        row = _find(session, user, practice_id)
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
        return _info(row, now)


# --------------------------------------------------------------------------- the user


def link_user(db: Database, *, token: str, keyring: Keyring, now: datetime) -> UserInfo:
    """The user a set-password link is for, while it is valid (else :class:`AccessDenied`)."""
    with db.transaction() as session:
        return _info(_valid_link(session, token, keyring, now)[1], now)


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
        return _info(row, now)


def check_password(
    db: Database, *, email: str, password: str, now: datetime, remote_addr: str | None = None
) -> PasswordChecked:
    """The first step of signing in. The attempt is counted (and a locked account
    refused) before the password is checked; a wrong one is audited. Any refusal is
    :data:`SIGN_IN_REFUSED`, after the same argon2 work."""
    try:
        address = normalised_email(email)
    except InputError:
        address = ""
    with db.transaction() as session:
        row = session.scalars(select(UserRow).where(UserRow.email == address)).first()
        usable = row is not None and row.password_hash is not None and row.disabled_at is None
        allowed = usable and row is not None and _claim_attempt(session, row, now, remote_addr)
        stored = row.password_hash if allowed and row is not None else None
    matched = passwords.verify(stored or passwords.dummy_hash(), password)
    if row is None or stored is None:
        raise AccessDenied(SIGN_IN_REFUSED)
    if not matched:
        with db.transaction() as session:
            record(
                session,
                actor=f"user:{row.id}",
                practice_id=row.practice_id,
                action="login",
                resource="user",
                resource_id=str(row.id),
                at=now,
                remote_addr=remote_addr,
                detail="sign-in refused: wrong password",
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


def check_code(
    db: Database, *, user_id: int, code: str, now: datetime, remote_addr: str | None = None
) -> SignInProof:
    """The second step: a TOTP code of the user's app, counted like a password attempt and
    accepted once (its time step is kept; an older or equal one is refused)."""
    with db.transaction() as session:
        row = session.get(UserRow, user_id)
        if (
            row is None
            or row.totp_secret is None
            or row.disabled_at is not None
            or not _claim_attempt(session, row, now, remote_addr)
        ):
            raise AccessDenied(SIGN_IN_REFUSED)
        try:
            secret = cipher_of(session).open(row.totp_secret, totp_binding(row, "totp_secret"))
        except PhiError:
            secret = None
        step = (
            None
            if secret is None
            else totp.verify(secret, code, at=now.timestamp(), after_step=row.totp_last_step)
        )
        if step is not None and _use_step(session, row.id, step):
            return SignInProof(row.id)
        record(
            session,
            actor=f"user:{row.id}",
            practice_id=row.practice_id,
            action="login",
            resource="user",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail="sign-in refused: "
            + (
                "two-step secret cannot be opened"
                if secret is None
                else "wrong or used two-step code"
            ),
        )
        user_id = row.id
    if secret is None:
        log.error(
            "user %s: the stored two-step secret cannot be opened with the PHI keyring "
            "(key removed or rotated without re-sealing); sign-in refused",
            user_id,
        )
        raise AccessDenied(TOTP_UNREADABLE)
    raise AccessDenied(SIGN_IN_REFUSED)


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


# --------------------------------------------------------------------------- two-step


def start_totp(db: Database, principal: UserPrincipal) -> TotpEnrolment:
    """A new secret for the user's app, kept (sealed) until a first code confirms it; the
    two-step sign-in already on stays as it is until then."""
    secret = totp.new_secret()
    with db.transaction() as session:
        row = _active(session, principal)
        row.totp_pending = cipher_of(session).seal(secret, totp_binding(row, "totp_pending"))
        practice = session.get(Practice, row.practice_id)
        issuer = f"{ISSUER} {practice.name}" if practice is not None else ISSUER
        return TotpEnrolment(
            secret, totp.provisioning_uri(secret, account=row.email, issuer=issuer)
        )


def confirm_totp(
    db: Database,
    principal: UserPrincipal,
    code: str,
    *,
    now: datetime,
    remote_addr: str | None = None,
) -> None:
    """Turn two-step sign-in on with the secret :func:`start_totp` showed, once the app's
    code proves it was entered (422 otherwise: the secret stays pending)."""
    with db.transaction() as session:
        row = _active(session, principal)
        if row.totp_pending is None:
            msg = "start setting up two-step sign-in first"
            raise InputError(msg)
        cipher = cipher_of(session)
        secret = cipher.open(row.totp_pending, totp_binding(row, "totp_pending"))
        step = totp.verify(secret, code, at=now.timestamp(), after_step=None)
        if step is None:
            msg = (
                "the code does not match: check the secret was typed in completely and "
                "the phone's clock is right, then enter the code shown now"
            )
            raise InputError(msg)
        row.totp_secret = cipher.seal(secret, totp_binding(row, "totp_secret"))
        row.totp_pending, row.totp_last_step = None, step
        record(
            session,
            actor=principal.actor,
            practice_id=row.practice_id,
            action="change",
            resource="user",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail="two-step sign-in on",
        )


def remove_totp(
    db: Database,
    principal: UserPrincipal,
    code: str,
    *,
    now: datetime,
    remote_addr: str | None = None,
) -> None:
    """Turn two-step sign-in off, with a current code (so a session left open on a shared
    computer cannot do it)."""
    with db.transaction() as session:
        row = _active(session, principal)
        if row.totp_secret is None:
            msg = "two-step sign-in is not on"
            raise InputError(msg)
        secret = cipher_of(session).open(row.totp_secret, totp_binding(row, "totp_secret"))
        step = totp.verify(secret, code, at=now.timestamp(), after_step=row.totp_last_step)
        if step is None or not _use_step(session, row.id, step):
            msg = "the code does not match (or was used already); enter the code shown now"
            raise InputError(msg)
        session.refresh(row)
        row.totp_secret = None
        record(
            session,
            actor=principal.actor,
            practice_id=row.practice_id,
            action="change",
            resource="user",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail="two-step sign-in off",
        )


def account(db: Database, principal: UserPrincipal, *, now: datetime) -> UserInfo:
    """The signed-in user's own record."""
    with db.transaction() as session:
        return _info(_active(session, principal), now)


# --------------------------------------------------------------------------- inside


def _practice(session: Session, practice: str | int) -> Practice:
    if isinstance(practice, int):
        row = session.get(Practice, practice)
        if row is None:
            msg = f"no practice {practice}"
            raise NotFoundError(msg)
        return row
    return practice_by(session, practice)


def _find(session: Session, user: str | int, practice_id: int | None) -> UserRow:
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


def _active(session: Session, principal: UserPrincipal) -> UserRow:
    row = session.get(UserRow, principal.user_id)
    if row is None or row.disabled_at is not None:
        raise AccessDenied("the user is disabled")
    return row


def _claim_attempt(session: Session, row: UserRow, now: datetime, remote_addr: str | None) -> bool:
    """Count one attempt unless the account is locked; the attempt past
    :data:`MAX_ATTEMPTS` locks it (audited) and is refused."""
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
        record(
            session,
            actor=f"user:{row.id}",
            practice_id=row.practice_id,
            action="login",
            resource="user",
            resource_id=str(row.id),
            at=now,
            remote_addr=remote_addr,
            detail=f"locked until {now + LOCKOUT:%Y-%m-%d %H:%M} after {MAX_ATTEMPTS} attempts",
        )
        return False
    return True


def _use_step(session: Session, user_id: int, step: int) -> bool:
    """Keep ``step`` as the last code used, unless a later or equal one was used already
    (one conditional UPDATE: the same code sent twice at once is accepted once)."""
    used = session.execute(
        update(UserRow)
        .where(
            UserRow.id == user_id,
            or_(UserRow.totp_last_step.is_(None), UserRow.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return getattr(used, "rowcount", 0) == 1


def _link(
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
    return PasswordLink(_info(row, now), url, expires)


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


def totp_binding(row: UserRow, column: str) -> Binding:
    """Where a user's TOTP secret is sealed: it opens only in that row and column."""
    return Binding("users", column, row.practice_id, str(row.id))


def _info(row: UserRow, now: datetime) -> UserInfo:
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
