"""The event log: written with the transaction that makes the change (or not at all),
numbered per practice in commit order, read in order with an opaque cursor."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from edigateway.errors import ClaimInputError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import Practice
from edigateway.services.events import EventType, decode_cursor, read_events, record

NOW = datetime(2026, 11, 23, 9, 0)


def _practice(database: Database, npi: str) -> int:
    with database.transaction() as session:
        row = Practice(name=f"P{npi}", npi=npi, created_at=NOW)
        session.add(row)
        session.flush()
        return row.id


def _fail_after_recording(database: Database, practice: int) -> None:
    with database.transaction() as session:
        record(session, practice, EventType.CLAIM_CHANGED, "claims/1", {"claim_id": 1}, at=NOW)
        raise RuntimeError


def test_events_are_written_with_their_transaction_or_not_at_all(database: Database):
    a, b = _practice(database, "1000000001"), _practice(database, "1000000002")
    with database.transaction() as session:
        first = record(session, a, EventType.CLAIM_CREATED, "claims/1", {"claim_id": 1}, at=NOW)
        record(session, b, EventType.CLAIM_CREATED, "claims/2", {"claim_id": 2}, at=NOW)
    with pytest.raises(RuntimeError):
        _fail_after_recording(database, a)
    with database.transaction() as session:
        record(session, a, EventType.CLAIM_SUBMITTED, "claims/1", {"claim_id": 1}, at=NOW)
    page = read_events(database, a, after=None, limit=10)
    assert [(e.type, e.sequence) for e in page.items] == [
        (EventType.CLAIM_CREATED, 1),
        (EventType.CLAIM_SUBMITTED, 2),
    ]
    assert page.items[0].id == first
    assert not page.has_more
    assert page.items[0].payload()["timestamp"].endswith("Z")
    assert [e.data for e in read_events(database, b, after=None, limit=10).items] == [
        {"claim_id": 2}
    ]
    # paging with the opaque cursor; an empty page gives the same cursor back
    one = read_events(database, a, after=None, limit=1)
    assert one.has_more
    assert len(one.items) == 1
    rest = read_events(database, a, after=one.next_cursor, limit=10)
    assert [e.sequence for e in rest.items] == [2]
    again = read_events(database, a, after=rest.next_cursor, limit=10)
    assert again.items == []
    assert again.next_cursor == rest.next_cursor
    # a type filter skips past the events of other types
    only = read_events(database, a, after=None, limit=10, types=[EventType.CLAIM_PAID])
    assert only.items == []
    assert decode_cursor(only.next_cursor) == 2


@pytest.mark.parametrize("cursor", ["nonsense", "ZXYxOmFiYw", "ZXYxOi0x", "%%%"])
def test_a_cursor_the_gateway_did_not_give_is_refused_by_name(database: Database, cursor: str):
    with pytest.raises(ClaimInputError) as caught:
        read_events(database, 1, after=cursor, limit=10)
    assert caught.value.problems[0].path == "query.after"


def test_numbers_follow_commit_order_under_concurrent_writers(database: Database):
    """A transaction that started first but commits last gets the higher number, so a
    reader at number N never later finds a committed event below N."""
    practice = _practice(database, "1000000003")
    if database.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time; the order is the commit order")
    slow_started = threading.Event()
    release = threading.Event()

    def slow() -> None:
        with database.transaction() as session:
            record(
                session, practice, EventType.CLAIM_CREATED, "claims/slow", {"who": "slow"}, at=NOW
            )
            session.flush()
            slow_started.set()
            release.wait(10)

    writer = threading.Thread(target=slow)
    writer.start()
    slow_started.wait(10)
    with database.transaction() as session:
        record(session, practice, EventType.CLAIM_CREATED, "claims/fast", {"who": "fast"}, at=NOW)
    seen = read_events(database, practice, after=None, limit=10)
    assert [e.data["who"] for e in seen.items] == ["fast"]
    release.set()
    writer.join(10)
    later = read_events(database, practice, after=seen.next_cursor, limit=10)
    assert [(e.data["who"], e.sequence) for e in later.items] == [("slow", 2)]
