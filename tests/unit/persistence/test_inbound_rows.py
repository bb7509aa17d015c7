"""Received files as rows: bytes sealed as they came, settled once, found by hash, sender
and ISA13, or name; names held in quarantine locked and released (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from edigateway.persistence import inbound_rows as rows
from edigateway.persistence.database import Database
from edigateway.persistence.tables import (
    InboundFileChunkRow,
    InboundFileRow,
    InboundQuarantineRow,
)
from edigateway.security.phi import VERSION
from tests.factories import NOW, received_row

NOT_UTF8 = b"ISA*00*\xff\xfe~IEA*1*000000001~"


def _keep(
    session, sha256: str, *, status: str = "stored", name: str = "a.835", data: bytes = NOT_UTF8
) -> InboundFileRow:
    return received_row(session, data, sha256, name=name, status=status)


def test_a_received_file_keeps_its_bytes_and_is_settled_once(database: Database):
    with database.transaction() as session:
        first = _keep(session, "a" * 64)
        _keep(session, "b" * 64, name="b.835", status="processed")
        third = _keep(session, "c" * 64, name="c.835")
        assert rows.stored_ids(session) == [first.id, third.id]
        found = rows.find_received(session, "a" * 64)
        assert found is not None
        assert rows.inbound_bytes(session, found) == NOT_UTF8
        assert found.payload is None  # kept in pieces (0018)
        assert found.size == len(NOT_UTF8)
        (sealed,) = session.scalars(
            select(InboundFileChunkRow.sealed).where(
                InboundFileChunkRow.inbound_file_id == found.id
            )
        )
        assert sealed.startswith(f"{VERSION}.")
        assert rows.inbound_payload(session, found).encode("utf-8", "surrogateescape") == NOT_UTF8
        assert rows.find_received(session, "d" * 64) is None
        assert rows.twin_of(session, "PAYER", "000000001", "835") is not None
        assert rows.twin_of(session, "PAYER", "000000001", "999") is None
        assert rows.received_since(session, "simulator", "b.835", NOW) is not None
        assert (
            rows.received_since(session, "simulator", "b.835", NOW + timedelta(seconds=1)) is None
        )
        assert rows.received_since(session, "other", "b.835", NOW) is None

        assert rows.settle_stored(session, first.id, "processed", None)
        assert not rows.settle_stored(session, first.id, "failed", "too late")
        assert (
            session.scalars(
                select(InboundFileRow.status).where(InboundFileRow.id == first.id)
            ).one()
            == "processed"
        )


def test_names_in_quarantine_are_locked_and_released(database: Database):
    mtime = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with database.transaction() as session:
        for name, status in (("gone.999", "quarantined"), ("slow.999", "retrying")):
            session.add(
                InboundQuarantineRow(
                    clearinghouse="simulator",
                    remote_name=name,
                    size=10,
                    remote_mtime=mtime,
                    reason="download_failed",
                    status=status,
                    attempts=1,
                    last_error="",
                    first_seen_at=NOW,
                    updated_at=NOW,
                )
            )
    with database.transaction() as session:
        live = {row.remote_name: row for row in rows.live_names(session, "simulator")}
        assert set(live) == {"gone.999", "slow.999"}
        assert rows.live_names(session, "other") == []
        locked = rows.lock_live_name(session, "simulator", "slow.999")
        assert locked is not None
        assert locked.id == live["slow.999"].id
        rows.release_names(session, [live["gone.999"].id], NOW)
        rows.release_retrying(session, "simulator", "slow.999", NOW)
    with database.transaction() as session:
        assert rows.live_names(session, "simulator") == []
        assert rows.lock_live_name(session, "simulator", "slow.999") is None
        assert {
            (r.status, r.released_at) for r in session.scalars(select(InboundQuarantineRow))
        } == {("released", NOW)}
