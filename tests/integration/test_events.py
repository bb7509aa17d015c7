"""The event log: written with the transaction that makes the change (or not at all),
numbered per practice in commit order, read in order with an opaque cursor."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from edigateway.domain.postings import WorkReason
from edigateway.errors import ClaimInputError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ClaimRow, Practice, SubmissionRow, WorkItemRow
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.control_numbers import DatabaseControlNumbers
from edigateway.services.events import EventType, decode_cursor, read_events, record
from edigateway.services.submissions import flag_missing_acknowledgments, queue_837d
from edigateway.settings import Settings
from tests.factories import FIXTURES, NOW


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


def test_every_work_item_opened_is_an_event_of_its_practice(database: Database, tmp_path: Path):
    """``work_item.opened`` comes with the item, in its transaction: an item about a claim
    and one about a submission (no 999 in time) each tell the claims' practice; adding to
    an item already open (the same claim and reason) tells no one again."""
    queued = queue_837d(
        database,
        load_claim_file(FIXTURES / "claims/05_crown_initial.json"),
        settings=Settings(data_dir=tmp_path),
        clearinghouse="sim",
        numbers=DatabaseControlNumbers(lambda: database),
        now=NOW,
    )
    (claim_id,) = queued.claim_ids
    with database.transaction() as session:
        submission = session.get(SubmissionRow, queued.submission_id)
        assert submission is not None
        submission.status, submission.sent_at = "sent", NOW - timedelta(hours=50)
        practice = session.scalars(
            select(ClaimRow.practice_id).where(ClaimRow.id == claim_id)
        ).one()
    seen = read_events(database, practice, after=None, limit=100).next_cursor
    for message in ("first denial", "second denial"):
        with database.transaction() as session:
            add_work_item(
                session,
                created_at=NOW,
                reason=WorkReason.DENIED,
                message=message,
                codes="CO-50",
                claim_id=claim_id,
                patient_control_number="X",
                amount=Decimal("10.00"),
            )
    assert flag_missing_acknowledgments(database, now=NOW, after=timedelta(hours=48)) == 1

    opened = read_events(database, practice, after=seen, limit=100).items
    assert [e.type for e in opened] == [EventType.WORK_ITEM_OPENED] * 2
    with database.transaction() as session:
        items = {i.id: i for i in session.scalars(select(WorkItemRow))}
    denied, overdue = (opened[0].data, opened[1].data)
    assert items[denied["work_item_id"]].reason == "denied"
    assert (denied["claim_id"], denied["status"], denied["amount"]) == (claim_id, "open", "10.00")
    assert "second denial" in items[denied["work_item_id"]].message  # merged, not re-told
    assert items[overdue["work_item_id"]].submission_id == queued.submission_id
    assert overdue["reason"] == WorkReason.NO_ACKNOWLEDGMENT.value
    assert all(e.subject == f"work-items/{e.data['work_item_id']}" for e in opened)


def test_claim_created_says_what_the_stored_row_reads(database: Database):
    """``claim.created`` is built from the values the store wrote, not from the row read
    back: it must say what the row says — the charge as the column gives it (two places,
    even for a charge sent as ``1200``), the kind, the frequency and the state."""
    batch = load_claim_file(FIXTURES / "claims/05_crown_initial.json")
    claim = batch.claims[0]
    whole = claim.model_copy(
        update={
            "total_charge": Decimal(1200),
            "lines": [
                line.model_copy(update={"charge": Decimal(1200)}) for line in claim.lines[:1]
            ],
        }
    )
    (stored,) = import_claims(database, batch.model_copy(update={"claims": [whole]}), now=NOW)
    with database.transaction() as session:
        row = session.get_one(ClaimRow, stored.id)
        expected = {
            "claim_id": row.id,
            "patient_control_number": row.patient_control_number,
            "state": row.state,
            "total_charge": str(row.total_charge),
            "payer_claim_control_number": row.payer_claim_control_number,
            "kind": row.kind,
            "frequency": row.frequency,
            "replaces_claim_id": None,
        }
        practice = row.practice_id
    (created,) = read_events(database, practice, after=None, limit=10).items
    assert created.type == EventType.CLAIM_CREATED
    assert created.data == expected
    assert created.data["total_charge"] == "1200.00"
