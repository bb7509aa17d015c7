"""Submitting claims: the 837D is recorded in the outbox in the same transaction that
stores the claims and moves them to ``queued``; a sender uploads it later.

Recording and sending are separate so that a crash can neither lose nor double a file:

* crash before the outbox row commits → nothing happened (claims not stored either);
* crash after commit, before upload → the row is ``pending``; the next drain sends it;
* crash during upload → the row is ``sending`` with its remote name; the next drain asks
  the clearinghouse whether that name arrived and only uploads when it did not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.clearinghouses import ClearinghouseProfile
from edigateway.domain.claim_lifecycle import Cause, ClaimState
from edigateway.domain.claims import MAX_LINES_PER_CLAIM
from edigateway.domain.claims_split import split_claim
from edigateway.domain.edits import ensure_clean
from edigateway.domain.postings import WorkReason
from edigateway.errors import InputError
from edigateway.persistence.claim_rows import Move, transition
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import (
    ClaimRow,
    SubmissionClaimRow,
    SubmissionRow,
    WorkItemRow,
)
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.security.phi import Binding
from edigateway.services import attachments
from edigateway.services.claim_store import ClaimStore
from edigateway.services.claims import default_parties
from edigateway.services.followup import FilingWarning, submit_warnings
from edigateway.services.secondary_items import close_secondary_items
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x275_005010X210 import encode_275, read_275, write_275
from edigateway.x12.x837d_005010X224A2 import MAX_CLAIMS_PER_TRANSACTION, write_837d

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from sqlalchemy.orm import Session

    from edigateway.domain.claims import ClaimBatch, Submitter
    from edigateway.persistence.database import Database
    from edigateway.services.control_numbers import ControlNumberSource
    from edigateway.settings import Settings


@dataclass(frozen=True, slots=True)
class Queued:
    """A submission recorded in the outbox, with the timely-filing warnings of its claims
    (deadline near or past: they are queued all the same)."""

    submission_id: int
    file_name: str
    interchange_control_number: str
    claim_ids: tuple[int, ...]
    warnings: tuple[FilingWarning, ...] = ()


def queue_837d(
    db: Database,
    batch: ClaimBatch,
    *,
    settings: Settings,
    clearinghouse: str | ClearinghouseProfile,
    numbers: ControlNumberSource,
    now: datetime,
) -> Queued:
    """Store ``batch``'s claims and queue their 837D in one transaction (see module doc).

    With a :class:`ClearinghouseProfile`, its ISA/GS receiver IDs and file-name pattern are
    used; with only a name, the settings' defaults are.
    """
    ensure_clean(batch, today=now.date())
    with db.transaction() as session:
        store = ClaimStore(session, now)
        batch = batch.model_copy(update={"claims": store.linked(batch.claims)})
        stored = store.store(batch.claims, state="ready")
        return record_outbox(
            session,
            batch,
            [c.id for c in stored],
            settings=settings,
            clearinghouse=clearinghouse,
            numbers=numbers,
            now=now,
        )


def queue_stored(
    db: Database,
    claim_ids: list[int],
    *,
    practice_id: int,
    settings: Settings,
    clearinghouse: str | ClearinghouseProfile,
    numbers: ControlNumberSource,
    now: datetime,
) -> Queued:
    """Queue claims already stored (state ``ready``) of one practice in one 837D.

    The state read here only gives an early, plain answer; what makes a claim go out once
    is :func:`record_outbox`'s conditional UPDATE, which a concurrent submit of the same
    claim cannot pass (it then gets the same 422 a sequential retry gets).
    """
    from edigateway.domain.claims import ClaimBatch
    from edigateway.errors import NotFoundError
    from edigateway.services.claim_store import open_document

    with db.transaction() as session:
        rows = {
            r.id: r
            for r in session.scalars(
                select(ClaimRow).where(
                    ClaimRow.id.in_(claim_ids), ClaimRow.practice_id == practice_id
                )
            )
        }
        missing = [i for i in claim_ids if i not in rows]
        if missing:
            raise NotFoundError(f"no claim {missing[0]}")
        not_ready = [r for r in rows.values() if r.state != "ready"]
        if not_ready:
            raise _not_ready(not_ready[0].id, not_ready[0].state)
        batch = ClaimBatch(claims=[open_document(session, rows[i]) for i in claim_ids])
        ensure_clean(batch, today=now.date())
        return record_outbox(
            session,
            batch,
            claim_ids,
            settings=settings,
            clearinghouse=clearinghouse,
            numbers=numbers,
            now=now,
        )


def _not_ready(claim_id: int, state: str) -> InputError:
    return InputError(
        f"claim {claim_id} is {state}, not ready: only claims not yet sent can "
        "be submitted (send a replacement for the others)"
    )


def _lock_claims(session: Session, claim_ids: list[int]) -> None:
    """Lock the claims' rows in ID order, so two submits sharing claims cannot deadlock,
    and before the control numbers are, so every path takes claim rows before the
    sender's counter row."""
    session.execute(
        select(ClaimRow.id)
        .where(ClaimRow.id.in_(claim_ids))
        .order_by(ClaimRow.id)
        .with_for_update()
    )


def _move_to_queued(session: Session, claim_ids: list[int], now: datetime, reason: str) -> None:
    """ready → queued for every claim, in one conditional UPDATE, or refuse them all.

    On PostgreSQL a concurrent transaction queueing one of these claims holds its row
    (:func:`_lock_claims`): we wait for it to commit, then the UPDATE finds the claim
    ``queued`` and leaves it, so the IDs it returns tell.
    """
    cause = Cause("system", reason)
    moved = {
        m.claim
        for m in transition(
            session,
            [Move(i, ClaimState.QUEUED, cause) for i in claim_ids],
            now=now,
            expect=ClaimState.READY,
        )
    }
    refused = [i for i in claim_ids if i not in moved]
    if refused:
        state = session.scalars(select(ClaimRow.state).where(ClaimRow.id == refused[0])).one()
        raise _not_ready(refused[0], state)


def record_outbox(
    session: Session,
    batch: ClaimBatch,
    claim_ids: list[int],
    *,
    settings: Settings,
    clearinghouse: str | ClearinghouseProfile,
    numbers: ControlNumberSource,
    now: datetime,
) -> Queued:
    """Write the 837D of stored claims into the outbox and move them to ``queued``,
    inside the caller's transaction; a claim not ``ready`` (any more) refuses the whole
    file (:class:`InputError`, the caller's transaction rolls back)."""
    _lock_claims(session, claim_ids)
    profile = clearinghouse if isinstance(clearinghouse, ClearinghouseProfile) else None
    name_of = profile.name if profile is not None else str(clearinghouse)
    pattern = (
        profile.sftp.filename_pattern
        if profile is not None and profile.sftp
        else "{sender}_{interchange}.{extension}"
    )
    control = numbers.allocate_in(session, settings.isa_sender_id)
    params = InterchangeParams.outbound(
        settings, profile.interchange if profile is not None else None, control, now
    )
    submitter, receiver = default_parties(settings)
    prepared = attachments.prepare(session, batch.claims, claim_ids, profile, now=now)
    batch = batch.model_copy(update={"claims": prepared.claims})
    text = write_837d(batch, params, submitter=submitter, receiver=receiver)
    isa13 = f"{control.interchange:09d}"
    name = pattern.format(sender=settings.isa_sender_id, interchange=isa13, extension="837")
    close_secondary_items(session, claim_ids, now=now, file_name=name)
    row = SubmissionRow(
        created_at=now,
        kind="837D",
        clearinghouse=name_of,
        sender_id=settings.isa_sender_id,
        interchange_control_number=isa13,
        group_control_number=str(control.group),
        file_name=name,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        payload=cipher_of(session).seal(text, payload_binding(settings.isa_sender_id, isa13)),
        status="pending",
        attempts=0,
    )
    _move_to_queued(session, claim_ids, now, f"queued for {name_of} in {name}")
    session.add(row)
    session.flush()
    _record_275(
        session,
        prepared,
        settings=settings,
        clearinghouse=name_of,
        profile=profile,
        pattern=pattern,
        submitter=submitter,
        numbers=numbers,
        now=now,
    )
    part = 0
    for claim, imported_id in zip(batch.claims, claim_ids, strict=True):
        st02 = control.first_transaction + part // MAX_CLAIMS_PER_TRANSACTION
        part += len(split_claim(claim, MAX_LINES_PER_CLAIM))
        session.add(
            SubmissionClaimRow(
                submission_id=row.id, claim_id=imported_id, transaction_control_number=f"{st02:04d}"
            )
        )
    return Queued(
        row.id,
        name,
        isa13,
        tuple(claim_ids),
        submit_warnings(session, claim_ids, today=now.date()),
    )


def _record_275(
    session: Session,
    prepared: attachments.Prepared,
    *,
    settings: Settings,
    clearinghouse: str,
    profile: ClearinghouseProfile | None,
    pattern: str,
    submitter: Submitter,
    numbers: ControlNumberSource,
    now: datetime,
) -> None:
    """The 275 of the attachments going electronically, into the outbox after the 837D
    (the sender uploads rows in order), read back by our reader before it is kept."""
    if not prepared.electronic:
        return
    items = attachments.attachment_items(session, prepared.electronic, submitter=submitter, now=now)
    control = numbers.allocate_in(session, settings.isa_sender_id)
    params = InterchangeParams.outbound(
        settings, profile.interchange if profile is not None else None, control, now
    )
    data = encode_275(write_275(items, params))
    if len(read_275(data, name="275")) != len(items):
        raise InputError("the 275 written does not read back as its attachments")
    isa13 = f"{control.interchange:09d}"
    row = SubmissionRow(
        created_at=now,
        kind="275",
        clearinghouse=clearinghouse,
        sender_id=settings.isa_sender_id,
        interchange_control_number=isa13,
        group_control_number=str(control.group),
        file_name=pattern.format(sender=settings.isa_sender_id, interchange=isa13, extension="275"),
        sha256=hashlib.sha256(data).hexdigest(),
        payload=cipher_of(session).seal_bytes(data, payload_binding(settings.isa_sender_id, isa13)),
        status="pending",
        attempts=0,
    )
    session.add(row)
    session.flush()
    attachments.sent_in(prepared.electronic, row.id, now)


def payload_binding(sender_id: str, isa13: str) -> Binding:
    """Where an outbox file's (encrypted) X12 lives: its sender and ISA13."""
    return Binding("submissions", "payload", None, f"{sender_id}:{isa13}")


def submission_payload(session: Session, row: SubmissionRow) -> str:
    """The X12 text of an outbox row, decrypted."""
    return cipher_of(session).open(
        row.payload, payload_binding(row.sender_id, row.interchange_control_number)
    )


def flag_missing_acknowledgments(db: Database, *, now: datetime, after: timedelta) -> int:
    """Open a work item for each sent submission with no 999 after ``after``; once each.

    Returns how many new items were opened.
    """
    opened = 0
    with db.transaction() as session:
        overdue = session.scalars(
            select(SubmissionRow).where(
                SubmissionRow.status == "sent",
                SubmissionRow.ack_status.is_(None),
                SubmissionRow.sent_at <= now - after,
            )
        )
        for row in overdue:
            already = session.scalars(
                select(WorkItemRow.id).where(
                    WorkItemRow.submission_id == row.id,
                    WorkItemRow.reason == WorkReason.NO_ACKNOWLEDGMENT.value,
                )
            ).first()
            if already is not None:
                continue
            hours = int(after.total_seconds() // 3600)
            add_work_item(
                session,
                created_at=now,
                reason=WorkReason.NO_ACKNOWLEDGMENT,
                message=f"{row.file_name} was sent to {row.clearinghouse} on "
                f"{row.sent_at:%Y-%m-%d %H:%M} and no 999 came back within {hours} hours; "
                "check the clearinghouse before resending (same ISA13 "
                f"{row.interchange_control_number})",
                submission_id=row.id,
            )
            opened += 1
    return opened
