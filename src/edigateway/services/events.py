"""Events: every state change a practice-management system cares about, written in the
same transaction as the change (the outbox pattern), read here in order with an opaque
cursor (``GET /v1/events``) and pushed to webhooks (:mod:`.webhooks`).

Writing is :func:`record` (and the per-change helpers) of
:mod:`edigateway.persistence.event_rows`, called inside the transaction that makes the
change; each practice's events are numbered in commit order, so reading "after number N"
never misses one that commits later with a lower number.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from edigateway.domain.events import EventType
from edigateway.errors import ClaimInputError, FieldProblem
from edigateway.persistence.event_rows import events_after, last_seq, record, utc_text

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from edigateway.persistence.database import Database
    from edigateway.persistence.event_rows import EventRow

__all__ = ["Event", "EventPage", "EventType", "read_events", "record"]

CURSOR_PREFIX: Final = "ev1:"
MAX_PAGE: Final = 500


@dataclass(frozen=True, slots=True)
class Event:
    """An event as a PM system receives it (``GET /v1/events`` and webhook bodies)."""

    id: str
    type: EventType
    sequence: int
    timestamp: datetime
    subject: str
    data: dict[str, Any]

    @property
    def cursor(self) -> str:
        """The cursor that reads on after this event."""
        return encode_cursor(self.sequence)

    def payload(self) -> dict[str, Any]:
        """The JSON body: Standard Webhooks' ``type``/``timestamp``/``data`` and our ``id``
        (what a receiver de-duplicates on), ``sequence`` and ``subject``."""
        return {
            "id": self.id,
            "type": self.type.value,
            "sequence": self.sequence,
            "timestamp": utc_text(self.timestamp),
            "subject": self.subject,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class EventPage:
    """Events after a cursor, and the cursor to ask with next (the same one when nothing
    new came, so a poller always has one to send)."""

    items: list[Event]
    next_cursor: str
    has_more: bool


def encode_cursor(sequence: int) -> str:
    """An opaque cursor for "after event number ``sequence``"."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{sequence}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The event number a cursor names (0, the start, without one); a cursor this gateway
    did not give is refused naming ``query.after``."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(CURSOR_PREFIX)
    if text.startswith(CURSOR_PREFIX) and number.isdigit() and len(number) < 19:
        return int(number)
    raise ClaimInputError(
        "query",
        [
            FieldProblem(
                "query.after", "not a cursor this gateway gave (send next_cursor of the last page)"
            )
        ],
    )


def as_event(row: EventRow) -> Event:
    """An event row as the API and webhooks show it."""
    return Event(
        id=row.public_id,
        type=EventType(row.type),
        sequence=row.seq,
        timestamp=row.occurred_at,
        subject=row.subject,
        data=json.loads(row.data),
    )


def read_events(
    db: Database,
    practice_id: int,
    *,
    after: str | None,
    limit: int,
    types: Sequence[EventType] | None = None,
) -> EventPage:
    """Up to ``limit`` of the practice's events after the cursor ``after``, in order (of
    ``types`` only, when given)."""
    start, limit = decode_cursor(after), max(1, min(limit, MAX_PAGE))
    with db.transaction() as session:
        # the newest number first: an event committed after this read is found next time
        newest = last_seq(session, practice_id)
        rows = events_after(
            session, practice_id, start, limit + 1, [t.value for t in types] if types else None
        )
    more = len(rows) > limit
    items = [as_event(r) for r in rows[:limit]]
    if items:
        cursor = items[-1].sequence
    elif types:
        cursor = max(start, newest)  # none of these types up to newest: skip past them
    else:
        cursor = start
    return EventPage(items, encode_cursor(cursor), more)
