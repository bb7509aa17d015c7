"""Two-step sign-in: a TOTP secret enrolled from the account page (:func:`start_totp`, then
:func:`confirm_totp` with a first code), the code step of signing in (:func:`check_code`)
and turning it off with a current code (:func:`remove_totp`).

The secret is sealed like PHI, bound to its row and column (:func:`totp_binding`), and the
time step of every accepted code is kept, so no code is accepted twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import or_, update

from edigateway.errors import AccessDenied, InputError, PhiError
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import Practice, UserRow
from edigateway.security import totp
from edigateway.security.phi import Binding
from edigateway.services.access import record
from edigateway.services.users_roles import UserPrincipal, active_user
from edigateway.services.users_signin import (
    SIGN_IN_REFUSED,
    SignInProof,
    audit_sign_in,
    claim_attempt,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database

log = logging.getLogger(__name__)
ISSUER: Final = "edigateway"
TOTP_UNREADABLE: Final = (
    "two-step sign-in cannot be checked: this account's stored two-step secret cannot be "
    "opened with the gateway's current keys; ask an admin to send a new set-password link "
    "with two-step sign-in turned off, then turn it on again"
)
"""Said only after the password was right (the code step needs it), so it tells a
stranger nothing; the attempt still counts."""


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """A secret to type into an authenticator app (or its ``otpauth://`` URI)."""

    secret: str
    uri: str


def totp_binding(row: UserRow, column: str) -> Binding:
    """Where a user's TOTP secret is sealed: it opens only in that row and column."""
    return Binding("users", column, row.practice_id, str(row.id))


def start_totp(db: Database, principal: UserPrincipal) -> TotpEnrolment:
    """A new secret for the user's app, kept (sealed) until a first code confirms it; the
    two-step sign-in already on stays as it is until then."""
    secret = totp.new_secret()
    with db.transaction() as session:
        row = active_user(session, principal)
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
        row = active_user(session, principal)
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
        row = active_user(session, principal)
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


def check_code(
    db: Database, *, user_id: int, code: str, now: datetime, remote_addr: str | None = None
) -> SignInProof:
    """The second step: a TOTP code of the user's app, counted like a password attempt and
    accepted once (its time step is kept; an older or equal one is refused). A refusal is
    raised after the commit, so the attempt, a lock and the audit stay."""
    unreadable: int | None = None
    with db.transaction() as session:
        row = session.get(UserRow, user_id)
        held = row.totp_secret if row is not None else None
        if (
            claim_attempt(session, row, held, now=now, remote_addr=remote_addr)
            and row is not None
            and held is not None
        ):
            try:
                secret = cipher_of(session).open(held, totp_binding(row, "totp_secret"))
            except PhiError:
                secret = None
            step = (
                None
                if secret is None
                else totp.verify(secret, code, at=now.timestamp(), after_step=row.totp_last_step)
            )
            if step is not None and _use_step(session, row.id, step):
                return SignInProof(row.id)
            audit_sign_in(
                session,
                row,
                "sign-in refused: "
                + (
                    "two-step secret cannot be opened"
                    if secret is None
                    else "wrong or used two-step code"
                ),
                now=now,
                remote_addr=remote_addr,
            )
            unreadable = row.id if secret is None else None
    if unreadable is not None:
        log.error(
            "user %s: the stored two-step secret cannot be opened with the PHI keyring "
            "(key removed or rotated without re-sealing); sign-in refused",
            unreadable,
        )
        raise AccessDenied(TOTP_UNREADABLE)
    raise AccessDenied(SIGN_IN_REFUSED)


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
