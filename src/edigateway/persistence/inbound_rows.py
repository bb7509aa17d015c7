"""Received files as rows: ``inbound_files`` (what the file said about itself and what
became of it), ``inbound_file_chunks`` (its bytes, sealed piece by piece) and
``inbound_quarantine`` (files held by name only).

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction).
A received file's bytes are sealed as they came (:meth:`PhiCipher.seal_bytes`), never
passed through text, in pieces of :data:`FILE_CHUNK` bytes, each sealed, inserted and
dropped before the next (migration 0018): keeping or reading a 50 MB 835 holds a piece or
two, not the file and its ciphertext and their base64 copies. Each piece is bound to the
file's SHA-256, its number and whether it is the last one, so pieces reordered, dropped,
cut off the end, added or moved from another file do not open (:func:`chunk_binding`).
A file kept before 0018 is one token in ``inbound_files.payload`` and reads as before.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, insert, select, update

from edigateway.errors import InputError, PhiError
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import (
    InboundFileChunkRow,
    InboundFileRow,
    InboundQuarantineRow,
)
from edigateway.security.phi import Binding

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator
    from datetime import datetime
    from pathlib import Path
    from typing import BinaryIO

    from _typeshed import WriteableBuffer
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

    from edigateway.security.phi import PhiCipher

FILE_CHUNK: Final = 2**20
"""Bytes per sealed piece of a received file: large enough that a 50 MB file is 50 rows,
small enough that writing or reading one costs a few MiB."""


def inbound_binding(sha256: str) -> Binding:
    """Where a received file's one-token content (kept before 0018) lives: its hash."""
    return Binding("inbound_files", "payload", None, sha256)


def chunk_binding(sha256: str, seq: int, *, last: bool) -> Binding:
    """Where one piece of a received file belongs: the file (its SHA-256), the piece's
    place, and whether the file ends with it. A piece moved to another file or place does
    not open; neither does a file missing its end (the piece now last was sealed as not
    last) nor one with a piece added after its end (the last one was sealed as last)."""
    return Binding("inbound_file_chunks", "sealed", None, f"{sha256}:{seq}:{int(last)}")


def inbound_payload(session: Session, row: InboundFileRow) -> str:
    """A received file's text, decrypted (bytes that are not UTF-8 as surrogate escapes)."""
    return inbound_bytes(session, row).decode("utf-8", "surrogateescape")


def inbound_bytes(session: Session, row: InboundFileRow) -> bytes:
    """A received file's bytes exactly as they came, decrypted, whole: for readers that
    need them at once (the TA1, 999 and 277CA routers, within the received-file cap). A
    download reads :func:`inbound_pieces`, one piece at a time; posting a polled 835 and
    re-reading one of its payments for an approval, :func:`open_stored`."""
    if row.payload is not None:
        return cipher_of(session).open_bytes(row.payload, inbound_binding(row.sha256))
    count = chunk_count(session, row)
    return b"".join(open_chunk(session, row, seq, count) for seq in range(count))


def inbound_pieces(session: Session, row: InboundFileRow) -> Iterator[bytes]:
    """A received file's bytes, decrypted a piece at a time (a file kept before 0018:
    in one piece)."""
    if row.payload is not None:
        yield cipher_of(session).open_bytes(row.payload, inbound_binding(row.sha256))
        return
    count = chunk_count(session, row)
    for seq in range(count):
        yield open_chunk(session, row, seq, count)


@dataclass(frozen=True, slots=True)
class StoredPieces:
    """A received file's bytes where they are kept (its ``inbound_files`` row), to be read
    a piece at a time by whoever posts them, in that posting's own transaction, instead
    of copied into memory first."""

    inbound_id: int


def open_stored(session: Session, stored: StoredPieces) -> BinaryIO:
    """A kept file's bytes as a binary stream, decrypted a piece at a time in ``session``
    as they are read. At its end the bytes read must hash to the row's SHA-256, else a
    :class:`PhiError` (each piece is bound to the file already; this also holds for a file
    kept before 0018 and for whatever the binding does not cover)."""
    row = session.get(InboundFileRow, stored.inbound_id)
    if row is None:
        raise PhiError(f"received file {stored.inbound_id} is not kept (no row)")
    return io.BufferedReader(_PieceReader(session, row))


class _PieceReader(io.RawIOBase):
    """The raw stream under :func:`open_stored`: one decrypted piece held at a time."""

    def __init__(self, session: Session, row: InboundFileRow) -> None:
        super().__init__()
        self._session = session
        self._pieces = inbound_pieces(session, row)
        self._piece = memoryview(b"")
        self._digest = hashlib.sha256()
        self._sha256 = row.sha256
        self._id = row.id
        self._seq = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        while not self._piece:
            # the pieces are read between the poster's writes in one transaction: nothing
            # of those writes needs flushing for a SELECT of the pieces
            with self._session.no_autoflush:
                try:
                    piece = next(self._pieces, None)
                except PhiError as exc:
                    if str(exc).startswith(f"received file {self._id}"):
                        raise  # it names the file (and the piece) already
                    msg = f"received file {self._id}, sealed piece {self._seq}: {exc}"
                    raise PhiError(msg) from exc
            if piece is None:
                self._check_end()
                return 0
            self._digest.update(piece)
            self._piece, self._seq = memoryview(piece), self._seq + 1
        into = memoryview(buffer).cast("B")
        size = min(len(into), len(self._piece))
        into[:size] = self._piece[:size]
        self._piece = self._piece[size:]
        return size

    def _check_end(self) -> None:
        if self._digest.hexdigest() != self._sha256:
            msg = (
                f"received file {self._id}: its {self._seq} sealed piece(s) open to bytes "
                f"whose SHA-256 is {self._digest.hexdigest()}, not the file's {self._sha256}"
            )
            raise PhiError(msg)


def chunk_count(session: Session, row: InboundFileRow) -> int:
    """How many pieces a file kept in pieces has; a :class:`PhiError` when one is missing
    in the middle or there are none (every file has one at least, an empty file too)."""
    count, highest = session.execute(
        select(func.count(), func.max(InboundFileChunkRow.seq)).where(
            InboundFileChunkRow.inbound_file_id == row.id
        )
    ).one()
    if not count or highest != count - 1:
        msg = (
            f"received file {row.id}: its sealed pieces are not all there ({count} rows, "
            f"numbered up to {highest})"
        )
        raise PhiError(msg)
    return int(count)


def open_chunk(session: Session, row: InboundFileRow, seq: int, count: int) -> bytes:
    """Piece ``seq`` of ``count`` of a file kept in pieces, decrypted (a
    :class:`PhiError` when it is missing, altered or not this file's piece ``seq``)."""
    sealed = session.scalar(
        select(InboundFileChunkRow.sealed).where(
            InboundFileChunkRow.inbound_file_id == row.id, InboundFileChunkRow.seq == seq
        )
    )
    if sealed is None:
        raise PhiError(f"received file {row.id}: sealed piece {seq} is missing")
    return cipher_of(session).open_bytes(
        sealed, chunk_binding(row.sha256, seq, last=seq == count - 1)
    )


def reseal_chunk(session: Session, inbound_file_id: int, seq: int) -> bool:
    """Seal piece ``seq`` of a file again with the active key (key rotation); False when
    it already was."""
    row = session.get(InboundFileRow, inbound_file_id)
    sealed = session.scalar(
        select(InboundFileChunkRow.sealed).where(
            InboundFileChunkRow.inbound_file_id == inbound_file_id, InboundFileChunkRow.seq == seq
        )
    )
    if row is None or sealed is None:
        return False
    cipher = cipher_of(session)
    if not cipher.needs_rotation(sealed):
        return False
    binding = chunk_binding(row.sha256, seq, last=seq == chunk_count(session, row) - 1)
    session.execute(
        update(InboundFileChunkRow)
        .where(
            InboundFileChunkRow.inbound_file_id == inbound_file_id, InboundFileChunkRow.seq == seq
        )
        .values(sealed=cipher.seal_bytes(cipher.open_bytes(sealed, binding), binding))
    )
    return True


def _pieces(data: bytes | Path, sha256: str) -> Iterator[bytes]:
    """``data`` in pieces of :data:`FILE_CHUNK` bytes (one empty piece for no bytes). A
    file on disk is read a piece at a time and must still hash to ``sha256`` at its end
    (:class:`InputError` when it changed since it was hashed)."""
    if isinstance(data, bytes):
        for start in range(0, max(len(data), 1), FILE_CHUNK):
            yield data[start : start + FILE_CHUNK]
        return
    digest = hashlib.sha256()
    with data.open("rb") as handle:
        piece = handle.read(FILE_CHUNK)
        while True:
            digest.update(piece)
            yield piece
            if not (piece := handle.read(FILE_CHUNK)):
                break
    if digest.hexdigest() != sha256:
        raise InputError(f"{data}: changed while it was being read; nothing was kept")


def _write_chunks(
    session: Session, cipher: PhiCipher, row_id: int, sha256: str, data: bytes | Path
) -> int:
    """Seal and insert ``data`` piece by piece (one piece held back to learn whether it is
    the last); its size."""
    pieces = _pieces(data, sha256)
    held = next(pieces)
    seq = size = 0
    for piece in pieces:
        _insert_chunk(session, cipher, row_id, sha256, seq, held, last=False)
        seq, size, held = seq + 1, size + len(held), piece
    _insert_chunk(session, cipher, row_id, sha256, seq, held, last=True)
    return size + len(held)


def _insert_chunk(
    session: Session,
    cipher: PhiCipher,
    row_id: int,
    sha256: str,
    seq: int,
    piece: bytes,
    *,
    last: bool,
) -> None:
    session.execute(
        insert(InboundFileChunkRow).values(
            inbound_file_id=row_id,
            seq=seq,
            sealed=cipher.seal_bytes(piece, chunk_binding(sha256, seq, last=last)),
        )
    )


# --------------------------------------------------------------------------- files


def find_received(session: Session, sha256: str) -> InboundFileRow | None:
    """The received file with these bytes, if any (one row per content)."""
    return session.scalars(select(InboundFileRow).where(InboundFileRow.sha256 == sha256)).first()


def insert_received(
    session: Session,
    *,
    received_at: datetime,
    clearinghouse: str,
    remote_name: str,
    sha256: str,
    data: bytes | Path,
    kind: str,
    sender_id: str | None,
    interchange_control_number: str | None,
    status: str,
    problem: str | None,
) -> InboundFileRow:
    """Keep a received file: what it says about itself, its status, and its bytes (in
    memory, or a file on disk read a piece at a time) sealed in pieces."""
    row = InboundFileRow(
        received_at=received_at,
        clearinghouse=clearinghouse,
        remote_name=remote_name,
        sha256=sha256,
        kind=kind,
        sender_id=sender_id,
        interchange_control_number=interchange_control_number,
        payload=None,
        status=status,
        problem=problem,
    )
    session.add(row)
    session.flush()
    row.size = _write_chunks(session, cipher_of(session), row.id, sha256, data)
    session.flush()
    return row


def settle_stored(session: Session, inbound_id: int, status: str, problem: str | None) -> bool:
    """Move a ``stored`` file to ``status`` with one conditional UPDATE; False when it had
    left ``stored`` already (another poll routed it)."""
    changed = session.execute(
        update(InboundFileRow)
        .where(InboundFileRow.id == inbound_id, InboundFileRow.status == "stored")
        .values(status=status, problem=problem)
        .returning(InboundFileRow.id)
    ).first()
    return changed is not None


def stored_ids(session: Session) -> list[int]:
    """IDs of the files stored and not routed yet, oldest first."""
    return list(
        session.scalars(
            select(InboundFileRow.id)
            .where(InboundFileRow.status == "stored")
            .order_by(InboundFileRow.id)
        )
    )


def twin_of(
    session: Session, sender_id: str, interchange_control_number: str, kind: str
) -> InboundFileRow | None:
    """A file of this kind received earlier under the same sender and ISA13."""
    return session.scalars(
        select(InboundFileRow).where(
            InboundFileRow.sender_id == sender_id,
            InboundFileRow.interchange_control_number == interchange_control_number,
            InboundFileRow.kind == kind,
        )
    ).first()


def received_since(
    session: Session, clearinghouse: str, remote_name: str, since: datetime
) -> int | None:
    """The ID of a file of this name received from the clearinghouse since ``since``."""
    return session.scalars(
        select(InboundFileRow.id).where(
            InboundFileRow.clearinghouse == clearinghouse,
            InboundFileRow.remote_name == remote_name,
            InboundFileRow.received_at >= since,
        )
    ).first()


# --------------------------------------------------------------------------- by name


def _live(clearinghouse: str, remote_name: str) -> tuple[ColumnElement[bool], ...]:
    return (
        InboundQuarantineRow.clearinghouse == clearinghouse,
        InboundQuarantineRow.remote_name == remote_name,
        InboundQuarantineRow.released_at.is_(None),
    )


def live_names(session: Session, clearinghouse: str) -> list[InboundQuarantineRow]:
    """The clearinghouse's names held in quarantine or retrying (not released)."""
    return list(
        session.scalars(
            select(InboundQuarantineRow).where(
                InboundQuarantineRow.clearinghouse == clearinghouse,
                InboundQuarantineRow.released_at.is_(None),
            )
        )
    )


def lock_live_name(
    session: Session, clearinghouse: str, remote_name: str
) -> InboundQuarantineRow | None:
    """The live row of a name, locked for this transaction (``FOR UPDATE``)."""
    return session.scalars(
        select(InboundQuarantineRow).where(*_live(clearinghouse, remote_name)).with_for_update()
    ).first()


def release_names(session: Session, ids: Collection[int], now: datetime) -> None:
    """Release these rows (still live), so a later file of the same name is new."""
    session.execute(
        update(InboundQuarantineRow)
        .where(InboundQuarantineRow.id.in_(ids), InboundQuarantineRow.released_at.is_(None))
        .values(status="released", released_at=now, updated_at=now)
    )


def release_retrying(session: Session, clearinghouse: str, remote_name: str, now: datetime) -> None:
    """Forget a name's failed download attempts (it has just downloaded)."""
    session.execute(
        update(InboundQuarantineRow)
        .where(*_live(clearinghouse, remote_name), InboundQuarantineRow.status == "retrying")
        .values(status="released", released_at=now, updated_at=now)
    )
