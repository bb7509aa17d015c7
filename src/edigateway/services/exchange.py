"""Clearinghouse exchange: drain the outbox, collect what comes back, move claims along.

Sending (:func:`drain_outbox`) and receiving (:func:`poll_inbound`) are each safe to stop
at any point and run again:

* an outbox row goes ``pending → sending → sent``. ``sending`` is committed *before* the
  upload, with the remote name, so a sender that dies mid-way finds it on restart and asks
  the transport whether that name arrived (:meth:`Transport.delivered`) before uploading
  again — one file, never two. A clearinghouse that already took the file away refuses a
  second copy by its ISA13 (TA1 note 025), which :func:`route` recognises as harmless;
* an inbound file is stored (hash-deduplicated, with sender and ISA13) and committed
  *before* the remote copy is archived, and routed in a later transaction; a crash between
  the steps means the file is downloaded again and recognised by its hash, or routed on the
  next poll. 835s go through the posting engine, which refuses a file or payment twice.

Routing ties each answer to what we sent (see docs/design.md "Identifiers"):

=======  ==================================  ===========================================
file     matched by                          claims move to
=======  ==================================  ===========================================
TA1      ISA08 (us) + TA101 = our ISA13      rejected → ``ch_rejected`` + a work item
999      ISA08 (us) + AK102 = our GS06,      A/E → ``ch_accepted``; R → ``ch_rejected``
         AK202 = our ST02                    + a work item with the located errors
277CA    TRN02 = our CLM01                   accepted → ``payer_accepted`` (REF*1K kept);
                                             rejected → ``payer_rejected`` + a work item
835      CLP01 (posting engine)              ``paid`` / ``partially_paid`` / ``denied`` …
=======  ==================================  ===========================================

A claim only moves forward: a late 999 never pulls a paid claim back to ``ch_accepted``.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy import select

from edigateway.domain.postings import WorkReason
from edigateway.errors import TransportError, X12Error
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    InboundFileRow,
    SubmissionClaimRow,
    SubmissionRow,
    WorkItemRow,
)
from edigateway.security.phi import Binding
from edigateway.services.remittances import post_era_bytes
from edigateway.services.submissions import submission_payload
from edigateway.x12.envelope import SUPPORTED, iter_segments, sniff_header_bytes, x12_text_of
from edigateway.x12.ta1 import read_ta1_segments
from edigateway.x12.x277ca_005010X214 import read_277ca_segments
from edigateway.x12.x999_005010X231A1 import read_999_segments

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.domain.acknowledgments import (
        ClaimAck,
        FunctionalAck,
        InterchangeAck,
        TransactionAck,
    )
    from edigateway.persistence.database import Database
    from edigateway.transports.base import RemoteFile, Transport

SendStatus = Literal["sent", "found_delivered", "failed"]
InboundStatus = Literal["processed", "duplicate", "unmatched", "unsupported", "failed",
                        "stored"]

CLAIM_STAGES: Final[dict[str, int]] = {
    "ready": 0, "queued": 1, "submitted": 2, "ch_accepted": 3, "ch_rejected": 3,
    "payer_accepted": 4, "payer_rejected": 4,
}
"""How far along the exchange a state is; later states (paid, denied, …) are beyond all."""

_BEYOND: Final = 9
_REJECTING_999: Final = frozenset({"R", "M", "W", "X"})
_ACK_STATUS_999: Final = {"A": "accepted", "E": "accepted", "P": "partial"}
_DUPLICATE_INTERCHANGE: Final = "025"


def _stage(state: str) -> int:
    return CLAIM_STAGES.get(state, _BEYOND)


@dataclass(frozen=True, slots=True)
class SendResult:
    """What :func:`drain_outbox` did with one outbox row."""

    submission_id: int
    file_name: str
    status: SendStatus
    remote_name: str | None = None
    message: str = ""


@dataclass(slots=True)
class InboundResult:
    """What happened to one received file."""

    inbound_id: int | None
    remote_name: str
    kind: str
    status: InboundStatus
    message: str = ""
    claims_moved: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- sending


def drain_outbox(db: Database, transport: Transport, *, clearinghouse: str,
                 now: datetime, limit: int | None = None) -> list[SendResult]:
    """Upload every ``pending`` (and left-over ``sending``) submission for ``clearinghouse``.

    A transport error stops nothing else: that row stays ``sending`` with ``last_error``
    and is looked for (then re-sent if absent) on the next drain.
    """
    with db.transaction() as session:
        ids = list(session.scalars(
            select(SubmissionRow.id).where(SubmissionRow.clearinghouse == clearinghouse,
                                           SubmissionRow.status.in_(("pending", "sending")))
            .order_by(SubmissionRow.id).limit(limit)))
    return [_send_one(db, transport, submission_id, now) for submission_id in ids]


def _send_one(db: Database, transport: Transport, submission_id: int,
              now: datetime) -> SendResult:
    with db.transaction() as session:
        row = session.get(SubmissionRow, submission_id, with_for_update=True)
        if row is None or row.status == "sent":
            return SendResult(submission_id, row.file_name if row else "?", "found_delivered",
                              row.remote_name if row else None, "already sent")
        resuming = row.status == "sending"
        name, remote_name = row.file_name, row.remote_name or row.file_name
        payload = submission_payload(session, row).encode("utf-8", "surrogateescape")
        if not resuming:
            row.status, row.remote_name = "sending", remote_name
        row.attempts += 1
    try:
        if resuming and transport.delivered(remote_name):
            _mark_sent(db, submission_id, remote_name, now,
                       "found already delivered after an interrupted send")
            return SendResult(submission_id, name, "found_delivered", remote_name,
                              f"{remote_name} was already in the clearinghouse's folder")
        remote = transport.upload(name, payload)
    except TransportError as exc:
        with db.transaction() as session:
            failed = session.get(SubmissionRow, submission_id)
            if failed is not None:
                failed.last_error = str(exc)
        return SendResult(submission_id, name, "failed", remote_name, str(exc))
    _mark_sent(db, submission_id, remote.name, now, f"uploaded as {remote.name}")
    return SendResult(submission_id, name, "sent", remote.name)


def _mark_sent(db: Database, submission_id: int, remote_name: str, now: datetime,
               reason: str) -> None:
    with db.transaction() as session:
        row = session.get(SubmissionRow, submission_id)
        if row is None:
            return
        row.status, row.remote_name, row.sent_at, row.last_error = "sent", remote_name, now, None
        claim_ids = session.scalars(select(SubmissionClaimRow.claim_id).where(
            SubmissionClaimRow.submission_id == submission_id))
        mover = _Mover(session, now)
        for claim in session.scalars(select(ClaimRow).where(ClaimRow.id.in_(claim_ids))):
            mover.move(claim, "submitted", f"{row.file_name}: {reason}")


# --------------------------------------------------------------------------- receiving


def poll_inbound(db: Database, transport: Transport, *, clearinghouse: str,
                 codes: CodeLists, now: datetime) -> list[InboundResult]:
    """Download, store, archive and route every file waiting for us (see module doc)."""
    results: list[InboundResult] = []
    for remote in transport.list_inbound():
        data = transport.download(remote)
        stored = store_inbound(db, clearinghouse=clearinghouse, name=remote.name, data=data,
                               now=now)
        _archive(transport, remote)
        if stored.status != "stored":
            results.append(stored)
    results.extend(route_stored(db, codes=codes, now=now))
    return results


def _archive(transport: Transport, remote: RemoteFile) -> None:
    """Archive after the file is safely stored; a failure here only means the file is
    offered again and recognised by its hash next time."""
    try:
        transport.archive(remote)
    except TransportError:
        return


def store_inbound(db: Database, *, clearinghouse: str, name: str, data: bytes,
                  now: datetime) -> InboundResult:
    """Keep a received file (once: by content hash) before anything else happens to it."""
    digest = hashlib.sha256(data).hexdigest()
    kind, sender, isa13, problem = _identify(data, name)
    with db.transaction() as session:
        seen = session.scalars(select(InboundFileRow).where(
            InboundFileRow.sha256 == digest)).first()
        if seen is not None:
            return InboundResult(seen.id, name, seen.kind, "duplicate",
                                 f"same content as {seen.remote_name} received "
                                 f"{seen.received_at:%Y-%m-%d %H:%M}; not stored twice")
        twin = None
        if sender and isa13:
            twin = session.scalars(select(InboundFileRow).where(
                InboundFileRow.sender_id == sender,
                InboundFileRow.interchange_control_number == isa13,
                InboundFileRow.kind == kind)).first()
        status = "stored"
        if problem is not None:
            status = "unsupported"
        elif twin is not None:
            status = "duplicate"
            problem = (f"{name}: interchange {isa13} from {sender} was already received as "
                       f"{twin.remote_name} with different content; kept, not applied")
        row = InboundFileRow(
            received_at=now, clearinghouse=clearinghouse, remote_name=name[:200],
            sha256=digest, kind=kind, sender_id=sender, interchange_control_number=isa13,
            payload=cipher_of(session).seal(data.decode("utf-8", "surrogateescape"),
                                            inbound_binding(digest)),
            status=status, problem=problem)
        session.add(row)
        session.flush()
        if problem is not None:
            session.add(WorkItemRow(
                created_at=now, status="open", reason=WorkReason.QUARANTINED.value,
                message=f"received file not applied: {problem}", codes=""))
        final: InboundStatus = "stored" if problem is None else (
            "duplicate" if twin is not None else "unsupported")
        return InboundResult(row.id, name, kind, final, problem or "")


def inbound_binding(sha256: str) -> Binding:
    """Where a received file's (encrypted) content lives: its content hash."""
    return Binding("inbound_files", "payload", None, sha256)


def inbound_payload(session: Session, row: InboundFileRow) -> str:
    """A received file's text, decrypted."""
    return cipher_of(session).open(row.payload, inbound_binding(row.sha256))


def _identify(data: bytes, name: str) -> tuple[str, str | None, str | None, str | None]:
    """(kind, ISA06 sender, ISA13, problem) of a received file, without trusting it."""
    try:
        header = sniff_header_bytes(data, name)
        with x12_text_of(data) as stream:
            isa = next(iter_segments(stream, name))
    except X12Error as exc:
        return "unknown", None, None, f"{name}: {exc}"
    sender, isa13 = isa.element(6).strip() or None, isa.element(13).strip() or None
    if header.transaction == "TA1":
        return "TA1", sender, isa13, None
    kind = SUPPORTED.get((header.functional_id, header.transaction, header.gs_version))
    if kind is None or kind not in ROUTED_KINDS:
        what = kind or f"{header.transaction} {header.gs_version}"
        return (kind or "unknown"), sender, isa13, (
            f"{name}: {what} is not something a clearinghouse sends us in reply "
            "(TA1, 999, 277CA or 835 expected)")
    return kind, sender, isa13, None


def route_stored(db: Database, *, codes: CodeLists, now: datetime) -> list[InboundResult]:
    """Apply every stored, not yet routed file, oldest first."""
    with db.transaction() as session:
        ids = list(session.scalars(select(InboundFileRow.id).where(
            InboundFileRow.status == "stored").order_by(InboundFileRow.id)))
    return [route(db, inbound_id, codes=codes, now=now) for inbound_id in ids]


def route(db: Database, inbound_id: int, *, codes: CodeLists, now: datetime) -> InboundResult:
    """Apply one stored file: acknowledgments in one transaction with the file's status;
    835s through the posting engine (which has its own and refuses duplicates)."""
    with db.transaction() as session:
        row = session.get(InboundFileRow, inbound_id)
        if row is None or row.status != "stored":
            return InboundResult(inbound_id, row.remote_name if row else "?",
                                 row.kind if row else "?", "duplicate", "already routed")
        name, kind, payload = row.remote_name, row.kind, inbound_payload(session, row)
    if kind == "835":
        result = post_era_bytes(db, name, payload.encode("utf-8", "surrogateescape"),
                                codes=codes, now=now)
        status: InboundStatus = "processed" if result.status in ("posted", "duplicate") \
            else "failed"
        with db.transaction() as session:
            row = session.get(InboundFileRow, inbound_id)
            if row is not None:
                row.status, row.problem = status, result.message or None
        return InboundResult(inbound_id, name, kind, status, result.message or result.status)
    with db.transaction() as session:
        row = session.get(InboundFileRow, inbound_id, with_for_update=True)
        if row is None or row.status != "stored":
            return InboundResult(inbound_id, name, kind, "duplicate", "already routed")
        router = _ROUTES[kind](session, now, name)
        try:
            outcome = router.apply(payload)
        except X12Error as exc:
            outcome = InboundResult(inbound_id, name, kind, "failed", str(exc))
            session.add(WorkItemRow(
                created_at=now, status="open", reason=WorkReason.QUARANTINED.value,
                message=f"{kind} {name} could not be read: {exc}", codes=""))
        outcome.inbound_id = inbound_id
        row.status, row.problem = outcome.status, outcome.message or None
        return outcome


# --------------------------------------------------------------------------- routing


class _Mover:
    """Moves claims forward only, each move a history row with its cause."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self.moved: dict[str, int] = {}

    def move(self, claim: ClaimRow, state: str, reason: str) -> bool:
        if _stage(claim.state) >= _stage(state):
            return False
        self.session.add(ClaimStateRow(claim_id=claim.id, previous_state=claim.state,
                                       state=state, changed_at=self.now, reason=reason))
        claim.state, claim.state_changed_at = state, self.now
        self.moved[state] = self.moved.get(state, 0) + 1
        return True

    def work(self, reason: WorkReason, message: str, *, claim: ClaimRow | None = None,
             submission_id: int | None = None, codes: str = "") -> None:
        self.session.add(WorkItemRow(
            created_at=self.now, status="open", reason=reason.value, message=message,
            codes=codes[:200], claim_id=claim.id if claim else None,
            patient_control_number=claim.patient_control_number if claim else None,
            amount=claim.total_charge if claim else None, submission_id=submission_id))


class _Router(ABC):
    kind: str = ""

    def __init__(self, session: Session, now: datetime, name: str) -> None:
        self.session, self.now, self.name = session, now, name
        self.mover = _Mover(session, now)
        self.receiver = ""

    @abstractmethod
    def apply(self, payload: str) -> InboundResult:
        """Apply the file's acknowledgments; the caller owns the transaction."""

    def _receiver_of(self, payload: str) -> str:
        with x12_text_of(payload.encode("utf-8", "surrogateescape")) as stream:
            return next(iter_segments(stream, self.name)).element(8).strip()

    def _submission(self, **where: str) -> SubmissionRow | None:
        query = select(SubmissionRow).where(SubmissionRow.sender_id == self.receiver)
        for column, value in where.items():
            query = query.where(getattr(SubmissionRow, column) == value)
        return self.session.scalars(query.order_by(SubmissionRow.id.desc())).first()

    def _claims(self, submission: SubmissionRow) -> list[ClaimRow]:
        links = select(SubmissionClaimRow.claim_id).where(
            SubmissionClaimRow.submission_id == submission.id)
        return list(self.session.scalars(
            select(ClaimRow).where(ClaimRow.id.in_(links)).order_by(ClaimRow.id)))

    def result(self, status: InboundStatus, message: str) -> InboundResult:
        return InboundResult(None, self.name, self.kind, status, message,
                             dict(self.mover.moved))


def _number(control: str) -> str:
    """Control numbers compare as numbers: ST02 '0001' is AK202 '1'."""
    stripped = control.strip().lstrip("0")
    return stripped or "0"


class _Ta1Router(_Router):
    kind = "TA1"

    def apply(self, payload: str) -> InboundResult:
        self.receiver = self._receiver_of(payload)
        with x12_text_of(payload.encode("utf-8", "surrogateescape")) as stream:
            parsed = read_ta1_segments(iter_segments(stream, self.name), self.name)
        notes: list[str] = []
        unmatched = 0
        for ack in parsed.acks:
            submission = self._submission(
                interchange_control_number=ack.interchange_control_number)
            if submission is None:
                unmatched += 1
                notes.append(f"TA1 for interchange {ack.interchange_control_number}: not one "
                             f"we sent as {self.receiver}")
                continue
            notes.append(self._apply_one(ack, submission))
        if unmatched:
            self.mover.work(WorkReason.CLEARINGHOUSE_REJECTED, f"{self.name}: " + "; ".join(
                notes))
        return self.result("unmatched" if unmatched == len(parsed.acks) and unmatched
                           else "processed", "; ".join(notes))

    def _apply_one(self, ack: InterchangeAck, submission: SubmissionRow) -> str:
        what = f"interchange {ack.interchange_control_number} ({submission.file_name})"
        if ack.accepted:
            return f"{what}: envelope accepted"
        if ack.note_code == _DUPLICATE_INTERCHANGE and submission.ack_status is not None:
            return (f"{what}: a repeated copy was refused as a duplicate; the first copy was "
                    f"already acknowledged ({submission.ack_status}), nothing to do")
        submission.ack_status, submission.ack_at = "rejected", self.now
        reason = f"{self.name}: TA1 {ack.ack_code} {ack.note_code} {ack.note_description}"
        for claim in self._claims(submission):
            self.mover.move(claim, "ch_rejected", reason)
        self.mover.work(
            WorkReason.CLEARINGHOUSE_REJECTED,
            f"{what} was rejected by the clearinghouse before reading it: TA1 note "
            f"{ack.note_code} — {ack.note_description}; fix the envelope and resend "
            "(a new ISA13 is needed)", submission_id=submission.id,
            codes=f"TA1:{ack.note_code}")
        return f"{what}: rejected ({ack.note_code})"


class _Router999(_Router):
    kind = "999"

    def apply(self, payload: str) -> InboundResult:
        self.receiver = self._receiver_of(payload)
        with x12_text_of(payload.encode("utf-8", "surrogateescape")) as stream:
            parsed = read_999_segments(iter_segments(stream, self.name), self.name)
        notes: list[str] = []
        matched = 0
        for group in parsed.acks:
            submission = self._submission(group_control_number=_number(
                group.group_control_number))
            if submission is None:
                notes.append(f"999 for group {group.group_control_number}: not one we sent "
                             f"as {self.receiver}")
                self.mover.work(WorkReason.CLEARINGHOUSE_REJECTED, f"{self.name}: "
                                f"acknowledges group {group.group_control_number}, which "
                                "we have no record of sending")
                continue
            matched += 1
            notes.append(self._apply_group(group, submission))
        status: InboundStatus = "processed" if matched or not parsed.acks else "unmatched"
        return self.result(status, "; ".join(notes))

    def _apply_group(self, group: FunctionalAck, submission: SubmissionRow) -> str:
        submission.ack_status = _ACK_STATUS_999.get(group.status, "rejected")
        submission.ack_at = self.now
        told = {_number(t.control_number): t for t in group.transactions}
        claims = self._claims(submission)
        numbers = {link.claim_id: _number(link.transaction_control_number) for link in
                   self.session.scalars(select(SubmissionClaimRow).where(
                       SubmissionClaimRow.submission_id == submission.id))}
        for claim in claims:
            transaction = told.get(numbers.get(claim.id, ""))
            code = transaction.status if transaction is not None else group.status
            if code in _REJECTING_999:
                self._reject(claim, submission, transaction, group)
            else:
                self.mover.move(claim, "ch_accepted",
                                f"{self.name}: 999 {code} for {submission.file_name}")
        return (f"group {group.group_control_number} ({submission.file_name}): "
                f"{group.status}, {group.transactions_accepted} of "
                f"{group.transactions_included} transaction set(s) accepted")

    def _reject(self, claim: ClaimRow, submission: SubmissionRow,
                transaction: TransactionAck | None, group: FunctionalAck) -> None:
        if transaction is not None:
            details = [e.message for e in transaction.errors] + transaction.error_descriptions
            codes = ",".join(str(c) for c in transaction.error_codes)
        else:
            details, codes = group.error_descriptions, ",".join(
                str(c) for c in group.error_codes)
        where = (f"transaction set {transaction.control_number}" if transaction is not None
                 else f"group {group.group_control_number}")
        text = "; ".join(details) or "no reason given"
        if self.mover.move(claim, "ch_rejected", f"{self.name}: 999 rejected {where}: {text}"):
            self.mover.work(
                WorkReason.CLEARINGHOUSE_REJECTED,
                f"claim {claim.patient_control_number} in {submission.file_name} was rejected "
                f"by the clearinghouse's 999 ({where}): {text}; correct and resubmit",
                claim=claim, submission_id=submission.id, codes=codes)


class _Router277CA(_Router):
    kind = "277CA"

    def apply(self, payload: str) -> InboundResult:
        with x12_text_of(payload.encode("utf-8", "surrogateescape")) as stream:
            parsed = read_277ca_segments(iter_segments(stream, self.name), self.name)
        unmatched: list[str] = []
        for ack_file in parsed.files:
            for ack in ack_file.claims:
                claim = self._claim_for(ack.patient_control_number)
                if claim is None:
                    unmatched.append(ack.patient_control_number)
                    continue
                self._apply_claim(ack, claim)
        if unmatched:
            self.mover.work(WorkReason.UNMATCHED_CLAIM,
                            f"{self.name}: 277CA statuses for claims we did not send or "
                            f"already closed: {', '.join(unmatched)}")
        total = sum(len(f.claims) for f in parsed.files)
        status: InboundStatus = "unmatched" if unmatched and len(unmatched) == total \
            else "processed"
        moved = ", ".join(f"{n} {state}" for state, n in sorted(self.mover.moved.items()))
        return self.result(status, f"{total} claim status(es); {moved or 'no state change'}"
                           + (f"; unmatched: {', '.join(unmatched)}" if unmatched else ""))

    def _claim_for(self, pcn: str) -> ClaimRow | None:
        """The latest claim with this CLM01 still waiting for a payer's answer."""
        waiting = [c for c in self.session.scalars(
            select(ClaimRow).where(ClaimRow.patient_control_number == pcn,
                                   ClaimRow.superseded_by_id.is_(None))
            .order_by(ClaimRow.id.desc())) if _stage(c.state) <= CLAIM_STAGES["payer_accepted"]]
        return waiting[0] if waiting else None

    def _apply_claim(self, ack: ClaimAck, claim: ClaimRow) -> None:
        reason = f"{self.name}: 277CA {ack.category_code}:{ack.status_code} {ack.message}"
        if ack.status == "accepted":
            if ack.payer_claim_control_number:
                claim.payer_claim_control_number = ack.payer_claim_control_number
            self.mover.move(claim, "payer_accepted", reason)
        elif ack.status == "rejected":
            codes = [f"{ack.category_code}:{ack.status_code}"] + [
                f"{s.category_code}:{s.status_code}" for s in ack.additional_statuses]
            if self.mover.move(claim, "payer_rejected", reason):
                self.mover.work(
                    WorkReason.PAYER_REJECTED,
                    f"claim {claim.patient_control_number} was rejected at the payer's front "
                    f"door: {ack.message}; correct and resubmit as a new claim",
                    claim=claim, codes=",".join(codes))


_ROUTES: Final[dict[str, type[_Router]]] = {
    "TA1": _Ta1Router, "999": _Router999, "277CA": _Router277CA}
ROUTED_KINDS: Final = frozenset({*_ROUTES, "835"})
"""What a clearinghouse sends us in reply; 835s are posted by the engine (see route())."""


def summarise(results: list[InboundResult] | list[SendResult]) -> dict[str, int]:
    """Counts by status, for the CLI's one-line summaries."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts

