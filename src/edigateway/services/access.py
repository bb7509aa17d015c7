"""Who may call the API: practices' API keys, and the audit trail of PHI access.

Keys are created for one practice with scopes (``edigateway keys create``); the token is
returned once and only its keyed hash is stored (:mod:`edigateway.security.api_keys`).
:func:`authenticate` turns a presented token into a :class:`Principal` — the practice every
query of that request is scoped to — or refuses it without saying which part was wrong.

Every read, creation, change, export or transmission of PHI through the API or the
``audit export`` command adds an :class:`~edigateway.persistence.tables.AuditEventRow`
in the same transaction as the work it records; the table refuses updates and deletes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time as monotonic_time
import weakref
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy import bindparam, select

from edigateway.errors import AccessDenied, InputError, NotFoundError
from edigateway.persistence.tables import ApiKeyRow, AuditEventRow, Practice, table_of
from edigateway.security.api_keys import (
    allows,
    hash_secret,
    new_api_key,
    parse_scopes,
    parse_token,
    verify,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.security.phi import Keyring

LAST_USED_RESOLUTION = timedelta(minutes=1)
KEY_CACHE_SECONDS: Final = 5.0
"""How long a process trusts a key it has checked against the database without checking
it again: the bound within which a key revoked by *another* process (``edigateway keys
revoke`` beside a running ``serve``) stops working there. A revocation in the same
process takes effect on the next request. Looking the key up cost one transaction, a
thread hand-off and a statement on every API request."""
AuditAction = Literal["read", "create", "change", "export", "transmit", "login"]


def pepper_of(keyring: Keyring) -> bytes:
    """The API-key pepper, derived from the PHI index key (never stored in the database)."""
    return hmac.new(keyring.index_key, b"edigateway api-key pepper", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the key, its practice and what it may do."""

    api_key_row_id: int
    key_id: str
    practice_id: int
    scopes: tuple[str, ...]
    practice_npi: str | None = None
    """The practice's NPI when the key's lookup read it (an API key's does): a create
    checks the claim's billing NPI against it without reading the practice again."""

    def require(self, scope: str) -> None:
        """Refuse (403) unless this key holds ``scope``."""
        if not allows(self.scopes, scope):
            msg = f"this API key lacks the scope {scope!r}"
            raise AccessDenied(msg, status=403)

    @property
    def actor(self) -> str:
        """How the audit trail names this caller."""
        return f"key:{self.key_id}"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A key just created: ``token`` is shown once and never again."""

    key_id: str
    token: str
    practice_id: int
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What may be shown of a key: never its secret or hash."""

    key_id: str
    practice_id: int
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the audit trail (``detail`` never holds PHI)."""

    id: int
    at: datetime
    actor: str
    practice_id: int | None
    action: str
    resource: str
    resource_id: str | None
    remote_addr: str | None
    detail: str


def practice_by(session: Session, reference: str) -> Practice:
    """A practice by its NPI or its numeric ID."""
    query = select(Practice).where(Practice.npi == reference)
    row = session.scalars(query).first()
    if row is None and reference.isdigit():
        row = session.get(Practice, int(reference))
    if row is None:
        msg = (
            f"no practice {reference!r} (give its NPI or ID; practices appear when "
            "claims are stored, or with `keys create --practice-name NAME`)"
        )
        raise NotFoundError(msg)
    return row


def create_key(
    db: Database,
    *,
    practice: str,
    scopes: str,
    name: str,
    keyring: Keyring,
    now: datetime,
    create_name: str | None = None,
) -> CreatedKey:
    """A new key for ``practice`` (NPI or ID; created with ``create_name`` if missing)."""
    held = parse_scopes(scopes)
    issued = new_api_key()
    with db.transaction() as session:
        try:
            row = practice_by(session, practice)
        except NotFoundError:
            if create_name is None or not (practice.isdigit() and len(practice) == 10):
                raise
            row = Practice(name=create_name[:60], npi=practice, created_at=now)
            session.add(row)
            session.flush()
        session.add(
            ApiKeyRow(
                key_id=issued.key_id,
                practice_id=row.id,
                name=name[:80],
                secret_hash=hash_secret(issued.secret, pepper_of(keyring)),
                scopes=",".join(held),
                created_at=now,
            )
        )
        record(
            session,
            actor="cli",
            practice_id=row.id,
            action="create",
            resource="api_key",
            resource_id=issued.key_id,
            at=now,
            detail=f"scopes {','.join(held)}",
        )
        return CreatedKey(issued.key_id, issued.token, row.id, held)


def revoke_key(db: Database, key_id: str, *, now: datetime) -> None:
    """Revoke a key at once: in this process its requests are refused from the next one
    on, in other processes serving the same database within :data:`KEY_CACHE_SECONDS`."""
    key_cache(db).forget(key_id)
    with db.transaction() as session:
        row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.key_id == key_id)).first()
        if row is None:
            raise NotFoundError(f"no API key {key_id!r}")
        if row.revoked_at is None:
            row.revoked_at = now
            record(
                session,
                actor="cli",
                practice_id=row.practice_id,
                action="change",
                resource="api_key",
                resource_id=key_id,
                at=now,
                detail="revoked",
            )


def list_keys(db: Database) -> list[KeyInfo]:
    """Every key (never a secret or hash)."""
    with db.transaction() as session:
        return [
            KeyInfo(
                r.key_id,
                r.practice_id,
                r.name,
                tuple(r.scopes.split(",")),
                r.created_at,
                r.revoked_at,
                r.last_used_at,
            )
            for r in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
        ]


def authenticate(
    session: Session, token: str | None, *, keyring: Keyring, now: datetime
) -> Principal:
    """The caller behind ``token``; any problem is the same 401 (no oracle for guessing)."""
    if not token:
        raise AccessDenied("an API key is required (Authorization: Bearer <key>)")
    key_id, secret = parse_token(token)
    found = session.execute(_KEY_AND_NPI, {"key_id": key_id}).first()
    if (
        found is None
        or found[0].revoked_at is not None
        or not verify(secret, found[0].secret_hash, pepper_of(keyring))
    ):
        raise AccessDenied("unknown or revoked API key")
    return _in_use(found[0], now, found[1])


_KEY_AND_NPI: Final = (
    select(ApiKeyRow, Practice.npi)
    .join(Practice, Practice.id == ApiKeyRow.practice_id)
    .where(ApiKeyRow.key_id == bindparam("key_id"))
)
"""A key with its practice's NPI, built once (every uncached API request runs it)."""


@dataclass(frozen=True, slots=True)
class _Proven:
    secret_hash: str
    principal: Principal
    until: float


class KeyCache:
    """Keys this process proved against the database in the last :data:`KEY_CACHE_SECONDS`
    (one entry per key that authenticated: bounded by the number of keys, never by what
    callers send). A presented token is trusted from here only if its secret hashes to the
    one proven (constant-time comparison, as :func:`authenticate` does); anything else —
    an unknown key, a wrong secret, an expired entry — goes to the database, which also
    keeps ``last_used_at`` within a minute plus this cache's lifetime."""

    def __init__(
        self,
        seconds: float = KEY_CACHE_SECONDS,
        clock: Callable[[], float] = monotonic_time.monotonic,
    ) -> None:
        self.seconds, self.clock = seconds, clock
        self._pepper = secrets.token_bytes(32)  # the secrets it holds, hashed for this process only
        self._proven: dict[str, _Proven] = {}

    def principal(self, token: str | None) -> Principal | None:
        """The principal of ``token`` if this process proved it recently, else ``None``."""
        if not token:
            return None
        try:
            key_id, secret = parse_token(token)
        except AccessDenied:
            return None  # the database path refuses it with the usual answer
        proven = self._proven.get(key_id)
        if proven is None or self.clock() >= proven.until:
            return None
        if not verify(secret, proven.secret_hash, self._pepper):
            return None
        return proven.principal

    def remember(self, token: str, principal: Principal) -> None:
        """``token`` was just proven to be ``principal``."""
        key_id, secret = parse_token(token)
        self._proven[key_id] = _Proven(
            hash_secret(secret, self._pepper), principal, self.clock() + self.seconds
        )

    def forget(self, key_id: str) -> None:
        """Trust ``key_id`` again only after the database says so (it is being revoked)."""
        self._proven.pop(key_id, None)


_CACHES: weakref.WeakKeyDictionary[Database, KeyCache] = weakref.WeakKeyDictionary()


def key_cache(db: Database) -> KeyCache:
    """The key cache of ``db`` in this process (made on first use, gone with ``db``), so
    a revocation through ``db`` reaches every request authenticated through it."""
    cache = _CACHES.get(db)
    if cache is None:
        cache = _CACHES.setdefault(db, KeyCache())
    return cache


def authenticate_key(
    db: Database, token: str | None, *, keyring: Keyring, now: datetime
) -> Principal:
    """:func:`authenticate` in a transaction of its own, remembering the key in
    :func:`key_cache` (callers ask the cache first: :meth:`KeyCache.principal`)."""
    with db.transaction() as session:
        principal = authenticate(session, token, keyring=keyring, now=now)
    if token:
        key_cache(db).remember(token, principal)
    return principal


def principal_of_key(session: Session, api_key_row_id: int, *, now: datetime) -> Principal:
    """The caller behind a key already proven once (a /ui session holds its row ID, never
    the key): its state is checked again, so a revoked key stops at once."""
    row = session.get(ApiKeyRow, api_key_row_id)
    if row is None or row.revoked_at is not None:
        raise AccessDenied("unknown or revoked API key")
    return _in_use(row, now)


def _in_use(row: ApiKeyRow, now: datetime, npi: str | None = None) -> Principal:
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now  # not on every request: a write per call would serialise them
    return Principal(row.id, row.key_id, row.practice_id, tuple(row.scopes.split(",")), npi)


def record(
    session: Session,
    *,
    actor: str,
    practice_id: int | None,
    action: AuditAction,
    resource: str,
    resource_id: str | None,
    at: datetime,
    remote_addr: str | None = None,
    detail: str = "",
) -> None:
    """Append one audit event inside the caller's transaction (no PHI in ``detail``).

    Inserted at once with a statement built once, not added to the session: nothing
    reads the row back, and the ORM's flush of one added object (unit of work, identity
    map) cost a sixth of an API read's CPU."""
    session.execute(
        _AUDIT_INSERT,
        {
            "at": at,
            "actor": actor[:60],
            "practice_id": practice_id,
            "action": action,
            "resource": resource[:30],
            "resource_id": resource_id[:60] if resource_id else None,
            "remote_addr": remote_addr,
            "detail": detail,
        },
    )


_AUDIT_INSERT: Final = table_of(AuditEventRow).insert()


def audit_events(
    db: Database, *, start: datetime, end: datetime, practice_id: int | None = None
) -> list[AuditEvent]:
    """Audit events with ``start <= at < end``, oldest first."""
    if end <= start:
        raise InputError(f"the range is empty: {start:%Y-%m-%d} is not before {end:%Y-%m-%d}")
    with db.transaction() as session:
        return _events(session, start, end, practice_id)


def export_audit(
    db: Database, *, first: date, last: date, practice_id: int | None, actor: str, now: datetime
) -> list[AuditEvent]:
    """The audit events of the days ``first`` to ``last`` (included), of one practice or
    all; the export is itself audited in the same transaction, so it shows in the next."""
    start = datetime.combine(first, time.min)
    end = datetime.combine(last + timedelta(days=1), time.min)
    if end <= start:
        raise InputError(f"the range is empty: {start:%Y-%m-%d} is not before {end:%Y-%m-%d}")
    with db.transaction() as session:
        events = _events(session, start, end, practice_id)
        record(
            session,
            actor=actor,
            practice_id=practice_id,
            action="export",
            resource="audit_events",
            resource_id=None,
            at=now,
            detail=f"{first}..{last}: {len(events)} events",
        )
        return events


def _events(
    session: Session, start: datetime, end: datetime, practice_id: int | None
) -> list[AuditEvent]:
    query = select(AuditEventRow).where(AuditEventRow.at >= start, AuditEventRow.at < end)
    if practice_id is not None:
        query = query.where(AuditEventRow.practice_id == practice_id)
    return [
        AuditEvent(
            r.id,
            r.at,
            r.actor,
            r.practice_id,
            r.action,
            r.resource,
            r.resource_id,
            r.remote_addr,
            r.detail,
        )
        for r in session.scalars(query.order_by(AuditEventRow.id))
    ]
