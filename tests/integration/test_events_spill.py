"""A transaction with more events than :data:`SPILL_EVERY` (an 835 moving thousands of
claims): the events beyond what memory holds are inserted under provisional numbers and
numbered at commit, exactly as if they had waited in memory."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edigateway.persistence.database import Database
from edigateway.persistence.event_rows import SPILL_EVERY, EventRow
from edigateway.persistence.tables import Practice
from edigateway.services.events import EventType, read_events, record
from tests.factories import NOW

MANY = 2 * SPILL_EVERY + 3


def _practice(database: Database, npi: str) -> int:
    with database.transaction() as session:
        row = Practice(name=f"P{npi}", npi=npi, created_at=NOW)
        session.add(row)
        session.flush()
        return row.id


def _all(database: Database, practice: int) -> list[tuple[int, int]]:
    """(sequence, the ``n`` the event was recorded with) of every event, in order."""
    found: list[tuple[int, int]] = []
    cursor = None
    while True:
        page = read_events(database, practice, after=cursor, limit=100)
        found += [(e.sequence, int(e.data["n"])) for e in page.items]
        if not page.has_more:
            return found
        cursor = page.next_cursor


def test_spilled_events_are_numbered_in_record_order_per_practice(database: Database):
    a, b = _practice(database, "1000000011"), _practice(database, "1000000012")
    with database.transaction() as session:
        for n in range(MANY):
            practice = a if n % 3 else b
            record(session, practice, EventType.CLAIM_PAID, f"claims/{n}", {"n": n}, at=NOW)
    with database.transaction() as session:
        record(session, a, EventType.CLAIM_PAID, "claims/last", {"n": MANY}, at=NOW)
        lowest = session.scalar(select(func.min(EventRow.seq)))
        assert lowest is not None
        assert lowest > 0  # nothing provisional left
    recorded_a = [n for n in range(MANY) if n % 3] + [MANY]
    recorded_b = [n for n in range(MANY) if not n % 3]
    assert _all(database, a) == list(enumerate(recorded_a, start=1))
    assert _all(database, b) == list(enumerate(recorded_b, start=1))


def test_a_rolled_back_transaction_leaves_none_of_its_spilled_events(database: Database):
    practice = _practice(database, "1000000013")

    def fail() -> None:
        with database.transaction() as session:
            for n in range(MANY):
                record(session, practice, EventType.CLAIM_PAID, "claims/1", {"n": n}, at=NOW)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail()
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(EventRow)) == 0
        record(session, practice, EventType.CLAIM_PAID, "claims/1", {"n": 0}, at=NOW)
    assert _all(database, practice) == [(1, 0)]


def test_a_session_rolled_back_starts_its_next_transaction_without_those_events(
    database: Database,
):
    practice = _practice(database, "1000000014")
    with Session(database.engine) as session:
        for n in range(SPILL_EVERY + 1):
            record(session, practice, EventType.CLAIM_PAID, "claims/1", {"n": n}, at=NOW)
        session.rollback()
        record(session, practice, EventType.CLAIM_PAID, "claims/1", {"n": -1}, at=NOW)
        session.commit()
    assert _all(database, practice) == [(1, -1)]


def test_a_long_transaction_with_spilled_events_is_numbered_at_its_commit(database: Database):
    """The counter is taken at commit even when events were inserted long before: a
    short transaction committing meanwhile is numbered first, and neither waits on the
    other (PostgreSQL; SQLite runs one writer at a time)."""
    practice = _practice(database, "1000000015")
    if database.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time; the order is the commit order")
    spilled = threading.Event()
    release = threading.Event()

    def slow() -> None:
        with database.transaction() as session:
            for n in range(1, MANY + 1):
                record(session, practice, EventType.CLAIM_PAID, "claims/s", {"n": n}, at=NOW)
            spilled.set()
            release.wait(10)

    writer = threading.Thread(target=slow)
    writer.start()
    assert spilled.wait(10)
    with database.transaction() as session:
        record(session, practice, EventType.CLAIM_PAID, "claims/f", {"n": 0}, at=NOW)
    assert _all(database, practice) == [(1, 0)]
    release.set()
    writer.join(10)
    assert _all(database, practice) == [(s, s - 1) for s in range(1, MANY + 2)]
