"""A polled 835 is posted from its sealed pieces, read in the posting's own transaction, not
from a copy of the whole file (issue 18): routing a stored file of several MiB keeps the
memory Python allocates (``tracemalloc``'s peak, not a time) under the file's size, where
reading it back whole first held it twice (its pieces, then their join). A piece that
does not open, or pieces that no longer add up to the file's SHA-256, fail the posting with
the file and piece named, nothing of the posting kept; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import tracemalloc
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from edigateway.codelists import CodeLists
from edigateway.persistence.database import cipher_of
from edigateway.persistence.inbound_rows import FILE_CHUNK, chunk_binding
from edigateway.persistence.tables import (
    InboundFileChunkRow,
    InboundFileRow,
    PostingRow,
    RemittanceFileRow,
    RemittanceRow,
    WorkItemRow,
)
from edigateway.services.inbound import store_inbound
from edigateway.services.routing import route_stored
from tests.factories import NOW, REPO

if TYPE_CHECKING:
    from edigateway.persistence.database import Database

CODES = CodeLists.load(REPO / "mappings")
ERA = REPO / "fixtures" / "era"
SIZE = 12 * FILE_CHUNK
"""The padded file: twelve pieces. Read back whole it cost twice that (its pieces, then
their join: 16.0 MiB traced for 8 MiB); from its pieces about 8 MiB whatever its size
(7.7 for 4 MiB, 8.1 for 16: a piece sealed, opened and read, and the posting itself)."""


def _padded(name: str, size: int) -> bytes:
    """The scenario's 835 with white space at the end of each segment but the ISA (which
    the reader strips) until it is ``size`` bytes or a little more."""
    isa, rest = (ERA / name / "era.835").read_bytes().split(b"~", 1)
    pad = b" " * (size // rest.count(b"~") + 1)
    return isa + b"~" + rest.replace(b"~", pad + b"~")


def _count(db: Database, table: Any) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_stored_835_is_posted_from_its_pieces_holding_far_less_than_the_file(
    database: Database,
):
    # a first file routed: imports, schemas and caches allocated outside the count
    store_inbound(
        database, clearinghouse="sim", name="warm.835", data=_padded("03_denial", 0), now=NOW
    )
    assert [r.status for r in route_stored(database, codes=CODES, now=NOW)] == ["processed"]
    data = _padded("01_full_pay", SIZE)
    assert len(data) >= SIZE
    store_inbound(database, clearinghouse="sim", name="big.835", data=data, now=NOW)
    tracemalloc.start()
    try:
        (routed,) = route_stored(database, codes=CODES, now=NOW)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert routed.status == "processed", routed.message
    with database.transaction() as session:
        row = session.scalars(
            select(RemittanceFileRow).where(
                RemittanceFileRow.sha256 == hashlib.sha256(data).hexdigest()
            )
        ).one()
        assert (row.status, row.size) == ("posted", len(data))
    assert peak < len(data), f"{peak / 2**20:.1f} MiB traced for a {len(data)} byte file"


def test_a_piece_that_does_not_open_fails_the_posting_with_nothing_kept(database: Database):
    data = _padded("01_full_pay", 3 * FILE_CHUNK)
    store_inbound(database, clearinghouse="sim", name="tampered.835", data=data, now=NOW)
    with database.transaction() as session:
        first, second = session.scalars(
            select(InboundFileChunkRow.sealed)
            .where(InboundFileChunkRow.seq.in_([1, 2]))
            .order_by(InboundFileChunkRow.seq)
        ).all()
        # piece 1 sealed again in piece 2's place, once posting has written its first rows
        session.execute(
            update(InboundFileChunkRow).where(InboundFileChunkRow.seq == 2).values(sealed=first)
        )
        assert first != second
    (routed,) = route_stored(database, codes=CODES, now=NOW)
    assert routed.status == "failed"
    assert "tampered.835" in routed.message
    assert "piece 2" in routed.message, routed.message
    with database.transaction() as session:
        inbound = session.scalars(select(InboundFileRow)).one()
        assert inbound.status == "failed"
        assert "tampered.835" in (inbound.problem or "")
    for table in (RemittanceFileRow, RemittanceRow, PostingRow):
        assert _count(database, table) == 0
    assert _count(database, WorkItemRow) == 1  # the routing failure's own work item


def test_pieces_that_open_but_are_not_the_file_fail_the_posting(database: Database):
    data = _padded("01_full_pay", 2 * FILE_CHUNK)
    sha256 = hashlib.sha256(data).hexdigest()
    store_inbound(database, clearinghouse="sim", name="resealed.835", data=data, now=NOW)
    with database.transaction() as session:
        # other bytes (a tab for a space of padding: the 835 reads the same) sealed in
        # piece 1's place with its own binding, as someone holding the key could
        other = data[FILE_CHUNK : 2 * FILE_CHUNK].replace(b"  ", b" \t", 1)
        sealed = cipher_of(session).seal_bytes(other, chunk_binding(sha256, 1, last=False))
        session.execute(
            update(InboundFileChunkRow).where(InboundFileChunkRow.seq == 1).values(sealed=sealed)
        )
    (routed,) = route_stored(database, codes=CODES, now=NOW)
    assert routed.status == "failed"
    assert "resealed.835" in routed.message
    assert f"not the file's {sha256}" in routed.message, routed.message
    for table in (RemittanceFileRow, RemittanceRow, PostingRow):
        assert _count(database, table) == 0


def test_a_missing_piece_fails_the_posting_naming_the_file_once(database: Database):
    data = _padded("01_full_pay", 3 * FILE_CHUNK)
    store_inbound(database, clearinghouse="sim", name="gap.835", data=data, now=NOW)
    with database.transaction() as session:
        session.execute(delete(InboundFileChunkRow).where(InboundFileChunkRow.seq == 1))
    (routed,) = route_stored(database, codes=CODES, now=NOW)
    assert routed.status == "failed"
    assert "gap.835" in routed.message
    assert "not all there" in routed.message, routed.message
    assert routed.message.count("received file") == 1, routed.message
    for table in (RemittanceFileRow, RemittanceRow, PostingRow):
        assert _count(database, table) == 0
