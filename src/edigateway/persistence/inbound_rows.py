"""Received files as rows: ``inbound_files`` (the bytes, sealed, with what the file said
about itself and what became of it) and ``inbound_quarantine`` (files held by name only).

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction).
A received file's bytes are sealed as they came (:meth:`PhiCipher.seal_bytes`, bound to
their SHA-256), never passed through text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import InboundFileRow, InboundQuarantineRow
from edigateway.security.phi import Binding

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session


def inbound_binding(sha256: str) -> Binding:
    """Where a received file's (encrypted) content lives: its content hash."""
    return Binding("inbound_files", "payload", None, sha256)


def inbound_payload(session: Session, row: InboundFileRow) -> str:
    """A received file's text, decrypted (bytes that are not UTF-8 as surrogate escapes)."""
    return cipher_of(session).open(row.payload, inbound_binding(row.sha256))


def inbound_bytes(session: Session, row: InboundFileRow) -> bytes:
    """A received file's bytes exactly as they came, decrypted."""
    return cipher_of(session).open_bytes(row.payload, inbound_binding(row.sha256))


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
    data: bytes,
    kind: str,
    sender_id: str | None,
    interchange_control_number: str | None,
    status: str,
    problem: str | None,
) -> InboundFileRow:
    """Keep a received file: its bytes sealed, what it says about itself, its status."""
    row = InboundFileRow(
        received_at=received_at,
        clearinghouse=clearinghouse,
        remote_name=remote_name,
        sha256=sha256,
        kind=kind,
        sender_id=sender_id,
        interchange_control_number=interchange_control_number,
        payload=cipher_of(session).seal_bytes(data, inbound_binding(sha256)),
        status=status,
        problem=problem,
    )
    session.add(row)
    session.flush()
    # The sealed text (a third larger than the file) need not stay in the session until
    # the commit: read again if asked for.
    session.expire(row, ["payload"])
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
