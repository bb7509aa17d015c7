"""Idempotency keys: the work of a POST runs once per (API key, ``Idempotency-Key``),
however many copies of the request arrive at the same time.

The key is *claimed* before the work runs: its row is inserted, without an answer ("in
flight"), in a transaction of its own and committed, so the unique (api_key_id, key)
constraint picks exactly one winner among concurrent requests (on PostgreSQL a second
insert waits for the first to commit and then fails; on SQLite transactions take turns).
Checking first and inserting after the work — what this replaced — let every concurrent
request run the work.

* The winner runs the work and stores its answer in the row. An error of ours whose answer
  a retry would get again (a 4xx problem: invalid input, not found …) is stored too.
* If the work fails otherwise (a bug, the database, a 5xx such as an unreachable
  clearinghouse), the winner deletes its claim, so a retry runs the work again.
* A request with the same body that finds the key claimed waits for the winner's answer
  (polling, at most :data:`WAIT_SECONDS`) and replays it. If the winner is still running
  after that, the request is refused with a 422 problem saying so — retry later; it is
  never run a second time and never gets a 5xx.
* A different body under the same key is refused (422) at once.

A claim left behind by a process that died mid-request (no answer, no release) is taken
over after :data:`STALE_AFTER` by one conditional UPDATE, so only one retry takes it.

Known limit: the answer is stored in its own transaction right after the work's. A process
dying between the two leaves the work done and the key in flight; a retry after
:data:`STALE_AFTER` runs the work again. For our routes that is harmless: a claim is stored
idempotently by content, and a claim already queued is refused (422) when submitted again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from edigateway.errors import EdigatewayError, InputError, PersistenceError
from edigateway.persistence.tables import IdempotencyRow

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import ColumnElement, CursorResult

    from edigateway.persistence.database import Database

WAIT_SECONDS = 10.0
"""How long a request waits for the answer of the first one with its key: longer than a
submit of a large batch takes, short enough that a client's own timeout has not passed."""
POLL_SECONDS = 0.05
"""How often a waiting request looks for the answer."""
STALE_AFTER = timedelta(minutes=5)
"""An answer still missing after this long means the first request's process died."""

DIFFERENT_BODY = (
    "Idempotency-Key was already used with a different request body; use a "
    "new key for a new request"
)
IN_FLIGHT = (
    "the first request with this Idempotency-Key is still being processed; retry "
    "with the same key later to get its answer"
)


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status and JSON text; ``replayed`` when it is a stored one."""

    status: int
    body: str
    replayed: bool = False


Work = Callable[[], tuple[int, str]]
"""The request's work: its status and JSON body, or an error of ours."""
Render = Callable[[EdigatewayError], tuple[int, str]]
"""How the API answers an error of ours: status and JSON body."""


def fingerprint(body: object) -> str:
    """The SHA-256 of a JSON-ready request body, independent of key order."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def run_once(
    db: Database,
    *,
    api_key_id: int,
    key: str,
    request_sha256: str,
    work: Work,
    render: Render,
    clock: Callable[[], datetime],
    wait: float = WAIT_SECONDS,
    poll: float = POLL_SECONDS,
) -> Answer:
    """Run ``work`` unless this key already has (or is getting) an answer (module doc).

    Errors of ours raised by ``work`` propagate after their answer is stored (4xx) or the
    claim released (5xx), so the caller answers them the usual way.
    """
    deadline = time.monotonic() + wait
    claimed_at = _claim(db, api_key_id, key, request_sha256, clock())
    while claimed_at is None:
        found = _look(db, api_key_id, key, request_sha256, clock())
        if isinstance(found, Answer):
            return found
        if found == "gone":  # the winner released it a moment ago: claim it ourselves
            claimed_at = _claim(db, api_key_id, key, request_sha256, clock())
        elif found != "in flight":
            claimed_at = found
        elif time.monotonic() >= deadline:
            raise InputError(IN_FLIGHT)
        else:
            time.sleep(poll)
    return _run(db, api_key_id, key, claimed_at, work, render)


def _claim(db: Database, api_key_id: int, key: str, digest: str, now: datetime) -> datetime | None:
    """Insert the in-flight row; its ``created_at`` (the claim's token), or None when the
    key is taken."""
    try:
        with db.transaction() as session:
            session.add(
                IdempotencyRow(
                    api_key_id=api_key_id,
                    key=key,
                    request_sha256=digest,
                    status_code=None,
                    body=None,
                    created_at=now,
                )
            )
            session.flush()
    except PersistenceError as exc:
        if isinstance(exc.__cause__, IntegrityError):
            return None
        raise
    return now


def _look(
    db: Database, api_key_id: int, key: str, digest: str, now: datetime
) -> Answer | datetime | Literal["in flight", "gone"]:
    """The stored answer; or the claim's token when we took a stale claim over; or what
    keeps us from either."""
    with db.transaction() as session:
        row = session.scalars(
            select(IdempotencyRow).where(
                IdempotencyRow.api_key_id == api_key_id, IdempotencyRow.key == key
            )
        ).first()
        if row is None:
            return "gone"
        if row.request_sha256 != digest:
            raise InputError(DIFFERENT_BODY)
        if row.status_code is not None and row.body is not None:
            return Answer(row.status_code, row.body, replayed=True)
        taken = cast(
            "CursorResult[Any]",
            session.execute(
                update(IdempotencyRow)
                .where(
                    IdempotencyRow.id == row.id,
                    IdempotencyRow.status_code.is_(None),
                    IdempotencyRow.created_at == row.created_at,
                    IdempotencyRow.created_at <= now - STALE_AFTER,
                )
                .values(created_at=now)
            ),
        )
        return now if taken.rowcount == 1 else "in flight"


def _run(
    db: Database, api_key_id: int, key: str, claimed_at: datetime, work: Work, render: Render
) -> Answer:
    try:
        status, body = work()
    except EdigatewayError as exc:
        status, body = render(exc)
        if status < 500:
            _finish(db, api_key_id, key, claimed_at, status, body)
        else:
            _release(db, api_key_id, key, claimed_at)
        raise
    except BaseException:
        _release(db, api_key_id, key, claimed_at)
        raise
    _finish(db, api_key_id, key, claimed_at, status, body)
    return Answer(status, body)


def _ours(api_key_id: int, key: str, claimed_at: datetime) -> list[ColumnElement[bool]]:
    """The WHERE clause matching our own claim, still in flight."""
    return [
        IdempotencyRow.api_key_id == api_key_id,
        IdempotencyRow.key == key,
        IdempotencyRow.created_at == claimed_at,
        IdempotencyRow.status_code.is_(None),
    ]


def _finish(
    db: Database, api_key_id: int, key: str, claimed_at: datetime, status: int, body: str
) -> None:
    with db.transaction() as session:
        session.execute(
            update(IdempotencyRow)
            .where(*_ours(api_key_id, key, claimed_at))
            .values(status_code=status, body=body)
        )


def _release(db: Database, api_key_id: int, key: str, claimed_at: datetime) -> None:
    """Delete our claim so a retry runs the work. When the database cannot even do that,
    the error the work raised matters more; the claim then goes stale (``STALE_AFTER``)."""
    with contextlib.suppress(PersistenceError), db.transaction() as session:
        session.execute(delete(IdempotencyRow).where(*_ours(api_key_id, key, claimed_at)))
