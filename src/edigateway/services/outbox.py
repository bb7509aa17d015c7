"""Sending the outbox: upload each queued file once, safe to stop at any point.

Queueing (claims ``ready → queued`` with the outbox row, in one transaction) is
:mod:`.submissions`. Here an outbox row goes ``pending → sending → sent``. ``sending`` is
committed *before* the upload, with the remote name, so a sender that dies mid-way finds it
on restart and asks the transport whether that name arrived
(:meth:`~edigateway.transports.base.Transport.delivered`) before uploading again — one
file, never two. A clearinghouse that already took the file away refuses a second copy by
its ISA13 (TA1 note 025), which routing recognises as harmless (:mod:`.routing`). Once sent,
the file's claims move ``queued → submitted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from edigateway.errors import TransportError
from edigateway.persistence.submission_rows import claims_of, waiting_to_send
from edigateway.persistence.tables import SubmissionRow
from edigateway.services.claim_mover import Mover
from edigateway.services.submissions import submission_payload

if TYPE_CHECKING:
    from datetime import datetime

    from edigateway.persistence.database import Database
    from edigateway.transports.base import Transport

SendStatus = Literal["sent", "found_delivered", "failed"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """What :func:`drain_outbox` did with one outbox row."""

    submission_id: int
    file_name: str
    status: SendStatus
    remote_name: str | None = None
    message: str = ""


def drain_outbox(
    db: Database,
    transport: Transport,
    *,
    clearinghouse: str,
    now: datetime,
    limit: int | None = None,
) -> list[SendResult]:
    """Upload every ``pending`` (and left-over ``sending``) submission for ``clearinghouse``.

    A transport error stops nothing else: that row stays ``sending`` with ``last_error``
    and is looked for (then re-sent if absent) on the next drain.
    """
    with db.transaction() as session:
        ids = waiting_to_send(session, clearinghouse, limit)
    return [_send_one(db, transport, submission_id, now) for submission_id in ids]


def _send_one(db: Database, transport: Transport, submission_id: int, now: datetime) -> SendResult:
    with db.transaction() as session:
        row = session.get(SubmissionRow, submission_id, with_for_update=True)
        if row is None or row.status == "sent":
            return SendResult(
                submission_id,
                row.file_name if row else "?",
                "found_delivered",
                row.remote_name if row else None,
                "already sent",
            )
        resuming = row.status == "sending"
        name, remote_name = row.file_name, row.remote_name or row.file_name
        payload = submission_payload(session, row).encode("utf-8", "surrogateescape")
        if not resuming:
            row.status, row.remote_name = "sending", remote_name
        row.attempts += 1
    try:
        if resuming and transport.delivered(remote_name):
            _mark_sent(
                db,
                submission_id,
                remote_name,
                now,
                "found already delivered after an interrupted send",
            )
            return SendResult(
                submission_id,
                name,
                "found_delivered",
                remote_name,
                f"{remote_name} was already in the clearinghouse's folder",
            )
        remote = transport.upload(name, payload)
    except TransportError as exc:
        with db.transaction() as session:
            failed = session.get(SubmissionRow, submission_id)
            if failed is not None:
                failed.last_error = str(exc)
        return SendResult(submission_id, name, "failed", remote_name, str(exc))
    _mark_sent(db, submission_id, remote.name, now, f"uploaded as {remote.name}")
    return SendResult(submission_id, name, "sent", remote.name)


def _mark_sent(
    db: Database, submission_id: int, remote_name: str, now: datetime, reason: str
) -> None:
    with db.transaction() as session:
        row = session.get(SubmissionRow, submission_id)
        if row is None:
            return
        row.status, row.remote_name, row.sent_at, row.last_error = "sent", remote_name, now, None
        mover = Mover(session, now)
        for claim in claims_of(session, submission_id):
            mover.move(claim, "submitted", f"{row.file_name}: {reason}", kind="system")
