"""Approving a payment reads its 835 again from the sealed pieces it is kept in, as a
stream, not the file whole (issue 18's pieces, for :mod:`edigateway.services.era_review`):
approving the primary payment of fixtures/era-money/08 (its payer's policy ``review``, so it
waits; MNY801 has a secondary plan, so approving it builds MNY801-S from the CLP loop read
again) in an 835 padded to several MiB builds the secondary as in the small file, holding
far less than the file (``tracemalloc``'s peak, not a time); a piece that does not open
fails the approval naming the file and the piece, with nothing decided. On SQLite and
PostgreSQL."""

from __future__ import annotations

import tracemalloc
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select, update

from edigateway.codelists import CodeLists
from edigateway.errors import NotFoundError, PhiError
from edigateway.persistence.inbound_rows import FILE_CHUNK
from edigateway.persistence.tables import (
    InboundFileChunkRow,
    InboundFileRow,
    PostingRow,
    WorkItemRow,
)
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.era_review import PendingPayment, approve, pending, set_policy
from edigateway.services.ledger import show_claim
from edigateway.services.payer_limits import payer_practice
from edigateway.services.posting import post_received
from edigateway.services.received import ReceivedFile
from tests.factories import NOW, PRACTICE_NPI, REPO

if TYPE_CHECKING:
    from edigateway.persistence.database import Database

CODES = CodeLists.load(REPO / "mappings")
SCENARIO = REPO / "fixtures" / "era-money" / "08_secondary_remaining_liability"


def _padded(size: int) -> bytes:
    """The scenario's primary 835 with white space at the end of each segment but the ISA
    (which the reader strips) until it is ``size`` bytes or a little more: the CLP loop
    ends at the SE, near the end, so approving reads nearly all of it."""
    isa, rest = (SCENARIO / "primary.835").read_bytes().split(b"~", 1)
    pad = b" " * (size // rest.count(b"~") + 1)
    return isa + b"~" + rest.replace(b"~", pad + b"~")


def _waiting(db: Database, data: bytes) -> tuple[int, PendingPayment]:
    """The scenario's claims imported and its primary 835 (``data``) posted, the payment
    waiting for approval; the practice and the payment."""
    import_claims(db, load_claim_file(SCENARIO / "claims.json"), now=NOW)
    practice = payer_practice(db, PRACTICE_NPI)
    assert practice is not None
    set_policy(db, "review", practice_id=practice, payer_id="DDPIL", now=NOW)
    posted = post_received(
        db, ReceivedFile.of("primary.835", data, source="cli"), codes=CODES, now=NOW
    )
    assert posted.status == "posted", posted.message
    (waiting,) = pending(db, practice_id=practice)
    return practice, waiting


def _pieces(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(InboundFileChunkRow)) or 0)


def test_approving_in_a_file_of_several_pieces_builds_the_secondary(database: Database):
    data = _padded(2 * FILE_CHUNK + FILE_CHUNK // 2)
    practice, waiting = _waiting(database, data)
    assert _pieces(database) == 3

    decided = approve(database, waiting.id, now=NOW, actor="user:1", practice_id=practice)

    assert (decided.decision, decided.state, decided.secondary_claim) == (
        "approved",
        "paid",
        "MNY801-S",
    )
    secondary = show_claim(database, "MNY801-S")
    assert (secondary.state, str(secondary.total_charge)) == ("ready", "260.00")
    (due,) = show_claim(database, "MNY801").work_items
    assert "the secondary claim MNY801-S is due" in due.message


def test_a_piece_that_does_not_open_fails_the_approval_with_nothing_decided(
    database: Database,
):
    data = _padded(2 * FILE_CHUNK + FILE_CHUNK // 2)
    practice, waiting = _waiting(database, data)
    state = show_claim(database, "MNY801").state
    with database.transaction() as session:
        due_before = session.scalars(
            select(WorkItemRow.message).where(WorkItemRow.reason == "secondary_needed")
        ).one()
        first = session.scalars(
            select(InboundFileChunkRow.sealed).where(InboundFileChunkRow.seq == 0)
        ).one()
        # piece 0 sealed again in piece 1's place: bound to place 0, it does not open there
        session.execute(
            update(InboundFileChunkRow).where(InboundFileChunkRow.seq == 1).values(sealed=first)
        )
        received = session.scalars(select(InboundFileRow.id)).one()

    with pytest.raises(PhiError) as failed:
        approve(database, waiting.id, now=NOW, actor="user:1", practice_id=practice)

    message = str(failed.value)
    assert f"claim payment {waiting.id} cannot be approved" in message
    assert "primary.835" in message
    assert f"received file {received}, sealed piece 1:" in message, message
    assert pending(database, practice_id=practice) == [waiting]
    with database.transaction() as session:
        held = session.scalars(
            select(PostingRow.held).where(PostingRow.remittance_claim_id == waiting.id)
        ).all()
        assert held
        assert all(held)
        assert session.scalars(
            select(WorkItemRow.message).where(WorkItemRow.reason == "secondary_needed")
        ).all() == [due_before]
    assert show_claim(database, "MNY801").state == state
    with pytest.raises(NotFoundError, match="no claim MNY801-S"):
        show_claim(database, "MNY801-S")


LARGE = 16 * FILE_CHUNK
"""The large file: sixteen pieces. Read back whole, re-reading its CLP loop cost twice the
file (16.1 MiB traced for 8 MiB: its pieces, then their join); read from its pieces about
8 MiB whatever the size (7.8 for 8 MiB, 8.0 for 16, 8.3 for 24), most of it one piece being
opened (its sealed text, that decoded and the plaintext: some 6.5 MiB at once). Hence a file
twice that, not 8 MiB, to tell the two apart."""


def test_approving_in_a_large_file_holds_far_less_than_the_file(database: Database):
    data = _padded(LARGE)
    practice, waiting = _waiting(database, data)
    assert _pieces(database) == 17
    tracemalloc.start()
    try:
        decided = approve(database, waiting.id, now=NOW, actor="user:1", practice_id=practice)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert decided.secondary_claim == "MNY801-S"
    assert peak < len(data) * 5 // 8, f"{peak / 2**20:.1f} MiB traced for a {len(data)} byte file"
