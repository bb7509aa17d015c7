"""The X12 files themselves, as exchanged: a received 835 and a sent 837D, decrypted, for
the practice whose records they carry (issue 17: "raw received/sent X12 downloads,
audited, scoped").

A file is the practice's when it lists it — a received 835 among ``GET /v1/received-files``
(it carried one of the practice's payments), a sent file among ``GET /v1/transmissions`` (it
carried one of its claims); another practice's file, or one listed to no practice (a TA1,
999 or 277CA, see :func:`~edigateway.services.practice_remittances.list_received_files`),
is not found, like a missing one. An X12 file is one document: it cannot be cut down to one
practice's part and stay the file that was exchanged. So a file that also carries another
practice's payments or claims (one 835 paying two practices of a billing service, a CLI
batch of several practices' claims) is not handed to either practice
(:class:`~edigateway.errors.ConflictError`): its own records stay readable through the
JSON routes, and the gateway's operator holds the file.

Every download is audited (``read`` of ``received_file_x12`` / ``transmission_x12``) in the
transaction that checks it. A received file is then read a sealed piece at a time, each in a
short transaction of its own, as the answer is written (a 50 MB 835 never whole in the API
process); a sent file is small and read whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import exists, func, not_, select

from edigateway.errors import ConflictError, NotFoundError
from edigateway.persistence.inbound_rows import chunk_count, inbound_bytes, open_chunk
from edigateway.persistence.tables import (
    ClaimRow,
    InboundFileRow,
    RemittanceClaimRow,
    RemittanceFileRow,
    RemittanceRow,
    SubmissionClaimRow,
    SubmissionRow,
)
from edigateway.services.access import record
from edigateway.services.practice_remittances import paying_practice
from edigateway.services.submissions import submission_payload

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller


@dataclass(frozen=True, slots=True)
class X12File:
    """One exchanged file: its name, kind, bytes exactly as exchanged (in pieces, read as
    they are iterated), how many (``None`` when not recorded), and their SHA-256."""

    file_name: str
    kind: str
    content: Iterable[bytes]
    size: int | None
    sha256: str


def received_file(db: Database, caller: Caller, file_id: int, *, now: datetime) -> X12File:
    """The received 835 ``file_id`` as it came, when it carried the practice's payments
    and no other practice's (module doc)."""
    with db.transaction() as session:
        row = session.get(InboundFileRow, file_id)
        if row is None or row.kind != "835":
            raise NotFoundError(f"no received file {file_id}")
        payments = (
            select(RemittanceRow.id)
            .join(RemittanceFileRow, RemittanceFileRow.id == RemittanceRow.file_id)
            .where(RemittanceFileRow.sha256 == row.sha256)
        )
        ours = (
            session.scalar(
                select(func.count()).select_from(
                    payments.where(paying_practice(caller.practice_id)).subquery()
                )
            )
            or 0
        )
        if not ours:
            raise NotFoundError(f"no received file {file_id}")
        theirs = select(ClaimRow.id).where(ClaimRow.practice_id != caller.practice_id)
        if session.scalar(
            select(
                exists().where(
                    RemittanceRow.id.in_(payments), not_(paying_practice(caller.practice_id))
                )
            )
        ) or session.scalar(
            select(
                exists().where(
                    RemittanceClaimRow.remittance_id.in_(payments),
                    RemittanceClaimRow.claim_id.in_(theirs),
                )
            )
        ):
            raise ConflictError(
                f"received file {file_id} also carries another practice's payments; read "
                "this practice's own with GET /v1/remittances (the file itself is kept for "
                "the gateway's operator)"
            )
        _audit(session, caller, "received_file_x12", file_id, now)
        if row.payload is not None:  # kept in one token, before migration 0018
            whole = inbound_bytes(session, row)
            return X12File(row.remote_name, row.kind, (whole,), len(whole), row.sha256)
        count = chunk_count(session, row)
        return X12File(
            row.remote_name,
            row.kind,
            _pieces(db, file_id, count),
            row.size,
            row.sha256,
        )


def _pieces(db: Database, file_id: int, count: int) -> Iterator[bytes]:
    """The ``count`` pieces of a received file, each decrypted in a transaction of its own
    and handed on before the next is read."""
    for seq in range(count):
        with db.transaction() as session:
            row = session.get(InboundFileRow, file_id)
            if row is None:
                msg = f"received file {file_id} went away while being read"
                raise NotFoundError(msg)
            piece = open_chunk(session, row, seq, count)
        yield piece


def sent_file(db: Database, caller: Caller, transmission_id: int, *, now: datetime) -> X12File:
    """The sent file ``transmission_id`` (an 837D) as it was uploaded, when it carried the
    practice's claims and no other practice's (module doc)."""
    with db.transaction() as session:
        row = session.get(SubmissionRow, transmission_id)
        carried = select(SubmissionClaimRow.claim_id).where(
            SubmissionClaimRow.submission_id == transmission_id
        )
        ours = session.scalar(
            select(
                exists().where(ClaimRow.id.in_(carried), ClaimRow.practice_id == caller.practice_id)
            )
        )
        if row is None or not ours:
            raise NotFoundError(f"no transmission {transmission_id}")
        if session.scalar(
            select(
                exists().where(ClaimRow.id.in_(carried), ClaimRow.practice_id != caller.practice_id)
            )
        ):
            raise ConflictError(
                f"transmission {transmission_id} also carries another practice's claims; "
                "read this practice's own with GET /v1/claims (the file itself is kept for "
                "the gateway's operator)"
            )
        text = submission_payload(session, row)
        _audit(session, caller, "transmission_x12", transmission_id, now)
        # the bytes uploaded: the outbox encodes the text the same way (services/outbox.py)
        content = text.encode("utf-8", "surrogateescape")
        return X12File(row.file_name, row.kind, (content,), len(content), row.sha256)


def _audit(session: Session, caller: Caller, resource: str, record_id: int, now: datetime) -> None:
    record(
        session,
        actor=caller.actor,
        practice_id=caller.practice_id,
        action="read",
        resource=resource,
        resource_id=str(record_id),
        at=now,
        remote_addr=caller.remote_addr,
    )
