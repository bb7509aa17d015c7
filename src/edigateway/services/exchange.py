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
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy import select, update

from edigateway.domain.postings import WorkReason
from edigateway.errors import (
    AuthenticationError,
    ConfigurationError,
    EdigatewayError,
    HostKeyError,
    PersistenceError,
    RemoteFileChangedError,
    RemoteFileGoneError,
    RemoteFileTooLargeError,
    TransferError,
    TransportError,
    X12Error,
    X12Location,
    X12StructureError,
)
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    InboundFileRow,
    InboundQuarantineRow,
    SubmissionClaimRow,
    SubmissionRow,
    WorkItemRow,
)
from edigateway.security.phi import Binding
from edigateway.services.remittances import post_era_bytes
from edigateway.services.submissions import submission_payload
from edigateway.settings import DOWNLOAD_MAX_ATTEMPTS, DOWNLOAD_MAX_BYTES
from edigateway.transports.base import check_name
from edigateway.x12.envelope import SUPPORTED, iter_segments, sniff_header_bytes, x12_text_of
from edigateway.x12.ta1 import read_ta1_segments
from edigateway.x12.x277ca_005010X214 import read_277ca_segments
from edigateway.x12.x999_005010X231A1 import read_999_segments

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.domain.acknowledgments import (
        ClaimAck,
        FunctionalAck,
        InterchangeAck,
        TransactionAck,
    )
    from edigateway.persistence.database import Database
    from edigateway.settings import Settings
    from edigateway.transports.base import RemoteFile, Transport
    from edigateway.x12.envelope import FileHeader

SendStatus = Literal["sent", "found_delivered", "failed"]
InboundStatus = Literal["processed", "duplicate", "unmatched", "unsupported", "failed",
                        "stored", "quarantined", "deferred"]
"""``stored`` is internal (routed later in the same poll); ``quarantined``: a file recorded
by name only, with a work item; ``deferred``: left on the server for the next poll."""
QuarantineReason = Literal["refused_name", "too_large", "vanished", "refused",
                           "download_failed"]

log = logging.getLogger(__name__)
CONCURRENT_POLL: Final = timedelta(hours=1)
"""How recent a received file of the same name must be for a vanished one to count as
taken by a concurrent poll rather than lost."""

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


@dataclass(frozen=True, slots=True)
class InboundLimits:
    """What one received file may cost: ``max_bytes`` per file (bigger ones are quarantined
    by name, never fetched) and ``max_attempts`` polls in a row that may fail to download it
    before it is quarantined. Defaults are the settings' (``EDIGATEWAY_DOWNLOAD_MAX_*``)."""

    max_bytes: int = DOWNLOAD_MAX_BYTES
    max_attempts: int = DOWNLOAD_MAX_ATTEMPTS

    @classmethod
    def of(cls, settings: Settings) -> InboundLimits:
        """The limits configured in ``settings``."""
        return cls(settings.download_max_bytes, settings.download_max_attempts)


def poll_inbound(db: Database, transport: Transport, *, clearinghouse: str,
                 codes: CodeLists, now: datetime,
                 limits: InboundLimits | None = None) -> list[InboundResult]:
    """Download, store, archive and route every file waiting for us (see module doc).

    Each file is handled on its own: whatever goes wrong with one — a refused name, a file
    gone or over the size cap, failing downloads, bytes no reader understands, a crash in
    a reader or the posting engine — ends in a quarantine with a work item naming the file,
    and the poll goes on with the next. Only a failure to list the folder or to reach the
    database stops a poll (then nothing has been archived, so nothing is lost).
    """
    limits = limits or InboundLimits()
    listed = transport.list_inbound()
    known = _live_quarantine(db, clearinghouse, listed, limits, now)
    results: list[InboundResult] = []
    for remote in listed:
        status = known.get(remote.name)
        if status == "quarantined":
            continue
        try:
            result = _receive(db, transport, remote, clearinghouse=clearinghouse,
                              limits=limits, now=now, retrying=status == "retrying")
        except _ConnectionTrouble as trouble:
            results.append(trouble.result)
            if trouble.result.status == "quarantined":
                continue  # that file's own trouble, it seems: on with the others
            break  # the rest wait for the next poll, with no failed attempt counted
        if result.status != "stored":
            results.append(result)
    results.extend(route_stored(db, codes=codes, now=now))
    return results


class _ConnectionTrouble(Exception):  # noqa: N818 - a signal inside this module, not an error
    """A download failed on the way (after the transport's own retries): that file's failed
    attempt is recorded, and the poll downloads nothing more this time rather than meet the
    same trouble, and the same retries, once per remaining file."""

    def __init__(self, result: InboundResult) -> None:
        super().__init__(result.message)
        self.result = result


def _receive(db: Database, transport: Transport, remote: RemoteFile, *, clearinghouse: str,
             limits: InboundLimits, now: datetime, retrying: bool) -> InboundResult:
    """One listed file: download, store, archive (routing comes after the whole listing)."""
    name = remote.name
    quarantine = _NameQuarantine(db, clearinghouse, remote, now)
    try:
        check_name(name)
    except TransportError as exc:
        return quarantine.at_once("refused_name", f"{_clean(name)!r}: this name is refused "
                                  f"({_clean(str(exc))}); the file was not downloaded and "
                                  "is left on the server, which should rename or remove it")
    try:
        data = _fetch(transport, remote, limits.max_bytes)
    except Exception as exc:  # noqa: BLE001 - _not_downloaded sorts every way it can fail
        return _not_downloaded(db, quarantine, exc, limits)
    stored = _store_or_keep_failed(db, clearinghouse, name, data, now)
    if retrying:
        quarantine.release()
    try:
        transport.archive(replace(remote, size=len(data)))
    except RemoteFileChangedError as exc:
        return _changed_after_download(db, stored, exc)
    except TransportError:
        pass  # offered again and recognised by its hash next time
    except Exception:
        # A transport's own bug: the file is stored, archiving can wait for the next poll.
        log.exception("archiving %s failed unexpectedly", _clean(name))
    return stored


def _fetch(transport: Transport, remote: RemoteFile, max_bytes: int) -> bytes:
    """The file's bytes; one listed over the cap is refused without asking the server."""
    if remote.size > max_bytes:
        raise RemoteFileTooLargeError(remote.name, size=remote.size, limit=max_bytes)
    return transport.download(remote, max_bytes=max_bytes)


def _not_downloaded(db: Database, quarantine: _NameQuarantine, exc: Exception,
                    limits: InboundLimits) -> InboundResult:
    """What a failed download means: quarantine now (too large, gone, refused by the
    server), count a failed attempt and stop this poll's downloads (a transfer or an
    unexpected error), stop the poll (host key, credentials, set-up), or just wait (the
    file is still being written)."""
    name = quarantine.remote.name
    if isinstance(exc, RemoteFileTooLargeError):
        return quarantine.at_once("too_large", _too_large(name, exc.size, limits.max_bytes))
    if isinstance(exc, RemoteFileChangedError):
        return InboundResult(None, name, "unknown", "deferred", _clean(str(exc)))
    if isinstance(exc, RemoteFileGoneError):
        return _vanished(db, quarantine, exc)
    if isinstance(exc, HostKeyError | AuthenticationError | ConfigurationError):
        raise exc  # the server or our set-up, not this file: the whole poll stops
    if isinstance(exc, TransferError):
        raise _ConnectionTrouble(quarantine.attempt_failed(_clean(str(exc)),
                                                           limits.max_attempts)) from exc
    if isinstance(exc, TransportError):
        return quarantine.at_once("refused", f"{_clean(name)}: the server refused the "
                                  f"download: {_clean(str(exc))}")
    # A transport's own bug must not stop polling for good: counted like a failed transfer.
    log.error("downloading %s failed unexpectedly", _clean(name), exc_info=exc)
    raise _ConnectionTrouble(quarantine.attempt_failed(
        _internal("downloading", name, exc), limits.max_attempts)) from exc


def _too_large(name: str, size: int, limit: int) -> str:
    return (f"{_clean(name)}: {size:,} bytes, over the {limit:,}-byte download limit "
            "(EDIGATEWAY_DOWNLOAD_MAX_BYTES); not downloaded and left on the server — "
            "raise the limit or fetch it by hand")


def _internal(doing: str, name: str, exc: BaseException) -> str:
    return f"internal error {doing} {_clean(name)}: {type(exc).__name__}: {_clean(str(exc))}"


def _vanished(db: Database, quarantine: _NameQuarantine, exc: RemoteFileGoneError
              ) -> InboundResult:
    """A listed file gone by download time. When a file of that name was received within
    the last :data:`CONCURRENT_POLL` (names may be reused, but not that fast), a concurrent
    poll took it: nothing to report. Otherwise it is reported once."""
    remote = quarantine.remote
    with db.transaction() as session:
        held = session.scalars(select(InboundFileRow.id).where(
            InboundFileRow.clearinghouse == quarantine.clearinghouse,
            InboundFileRow.remote_name == _clean(remote.name)[:200],
            InboundFileRow.received_at >= quarantine.now - CONCURRENT_POLL)).first()
    if held is not None:
        return InboundResult(held, remote.name, "unknown", "duplicate",
                             f"{_clean(remote.name)} was taken by another poll meanwhile")
    return quarantine.at_once("vanished", f"{_clean(remote.name)} ({remote.size:,} bytes) was "
                          "listed but gone when it was to be downloaded; nothing was "
                          f"received — ask the clearinghouse to resend it ({_clean(str(exc))})")


def _changed_after_download(db: Database, stored: InboundResult,
                            exc: RemoteFileChangedError) -> InboundResult:
    """The file grew between download and archive: our copy lacks its tail, so it is set
    aside unapplied (``superseded``) and the whole file is fetched on the next poll."""
    message = _clean(str(exc))
    if stored.status == "stored" and stored.inbound_id is not None:
        with db.transaction() as session:
            session.execute(update(InboundFileRow).where(
                InboundFileRow.id == stored.inbound_id, InboundFileRow.status == "stored")
                .values(status="superseded", problem=message))
    return InboundResult(stored.inbound_id, stored.remote_name, stored.kind, "deferred",
                         message)


class _NameQuarantine:
    """Records a remote file we hold no bytes of (see :class:`InboundQuarantineRow`).

    Each change is one transaction with its work item; the row for a name is locked (or,
    when new, guarded by the unique index on live names), so two polls at once record a
    file and open its work item once."""

    def __init__(self, db: Database, clearinghouse: str, remote: RemoteFile,
                 now: datetime) -> None:
        self.db, self.clearinghouse, self.remote, self.now = db, clearinghouse, remote, now
        self.name = _clean(remote.name)

    def at_once(self, reason: QuarantineReason, message: str) -> InboundResult:
        """Quarantine at once (refused name, too large, vanished, refused download)."""
        return self._record(reason, message, quarantine_after=1)

    def attempt_failed(self, message: str, max_attempts: int) -> InboundResult:
        """One more failed download; quarantined once ``max_attempts`` polls have failed."""
        return self._record("download_failed", message, quarantine_after=max_attempts)

    def release(self) -> None:
        """The download succeeded after failures: forget the failed attempts."""
        with self.db.transaction() as session:
            session.execute(update(InboundQuarantineRow).where(
                *self._live(), InboundQuarantineRow.status == "retrying")
                .values(status="released", released_at=self.now, updated_at=self.now))

    def _live(self) -> tuple[ColumnElement[bool], ...]:
        return (InboundQuarantineRow.clearinghouse == self.clearinghouse,
                InboundQuarantineRow.remote_name == self.name,
                InboundQuarantineRow.released_at.is_(None))

    def _record(self, reason: QuarantineReason, message: str, *,
                quarantine_after: int) -> InboundResult:
        try:
            return self._record_once(reason, message, quarantine_after)
        except PersistenceError:
            # Another poll inserted this name's row between our look and our insert (the
            # unique index refused ours); once more, now finding and locking that row.
            return self._record_once(reason, message, quarantine_after)

    def _record_once(self, reason: QuarantineReason, message: str,
                     quarantine_after: int) -> InboundResult:
        with self.db.transaction() as session:
            row = session.scalars(select(InboundQuarantineRow).where(*self._live())
                                  .with_for_update()).first()
            if row is not None and row.status == "quarantined":
                return InboundResult(None, self.remote.name, "unknown", "duplicate",
                                     f"{self.name}: already quarantined ({row.reason})")
            if row is None:
                row = InboundQuarantineRow(
                    clearinghouse=self.clearinghouse, remote_name=self.name,
                    size=self.remote.size, remote_mtime=self.remote.mtime, reason=reason,
                    status="retrying", attempts=0, last_error="", first_seen_at=self.now,
                    updated_at=self.now)
                session.add(row)
            row.attempts += 1
            row.reason, row.last_error, row.updated_at = reason, message, self.now
            row.size, row.remote_mtime = self.remote.size, self.remote.mtime
            if row.attempts < quarantine_after:
                session.flush()
                return InboundResult(None, self.remote.name, "unknown", "deferred",
                                     f"{message} (attempt {row.attempts} of "
                                     f"{quarantine_after}; tried again on the next poll)")
            row.status = "quarantined"
            tries = f" after {row.attempts} failed polls" if quarantine_after > 1 else ""
            session.add(WorkItemRow(
                created_at=self.now, status="open", reason=WorkReason.QUARANTINED.value,
                message=f"received file {self.name} quarantined{tries}: {message}",
                codes=f"inbound:{reason}"))
            session.flush()
            return InboundResult(None, self.remote.name, "unknown", "quarantined", message)


def _live_quarantine(db: Database, clearinghouse: str, listed: list[RemoteFile],
                     limits: InboundLimits, now: datetime) -> dict[str, str]:
    """Live quarantine rows by name (their status). Rows of names no longer listed are
    released, so a later file of the same name is taken as new; so are files refused as too
    large that the (raised) limit now admits."""
    names = {_clean(remote.name): remote for remote in listed}
    with db.transaction() as session:
        rows = list(session.scalars(select(InboundQuarantineRow).where(
            InboundQuarantineRow.clearinghouse == clearinghouse,
            InboundQuarantineRow.released_at.is_(None))))
        done = [row for row in rows if row.remote_name not in names or (
            row.reason == "too_large" and names[row.remote_name].size <= limits.max_bytes)]
        if done:
            session.execute(update(InboundQuarantineRow).where(
                InboundQuarantineRow.id.in_([row.id for row in done]),
                InboundQuarantineRow.released_at.is_(None))
                .values(status="released", released_at=now, updated_at=now))
        return {names[row.remote_name].name: row.status for row in rows if row not in done}


def _store_or_keep_failed(db: Database, clearinghouse: str, name: str, data: bytes,
                          now: datetime) -> InboundResult:
    """:func:`store_inbound`; should it fail for a reason of the file's own (a value the
    database refuses), the bytes are kept anyway, as a ``failed`` file with a work item."""
    try:
        return store_inbound(db, clearinghouse=clearinghouse, name=name, data=data, now=now)
    except Exception as exc:  # one file must not stop the poll
        log.exception("storing %s failed", _clean(name))
        problem = _internal("storing", name, exc)
    digest = hashlib.sha256(data).hexdigest()
    with db.transaction() as session:
        row = InboundFileRow(
            received_at=now, clearinghouse=clearinghouse, remote_name=_clean(name)[:200],
            sha256=digest, kind="unknown", sender_id=None, interchange_control_number=None,
            payload=cipher_of(session).seal_bytes(data, inbound_binding(digest)),
            status="failed", problem=problem)
        session.add(row)
        session.flush()
        session.add(_quarantined_item(now, f"received file not applied: {problem}"))
        return InboundResult(row.id, name, "unknown", "failed", problem)


def store_inbound(db: Database, *, clearinghouse: str, name: str, data: bytes,
                  now: datetime) -> InboundResult:
    """Keep a received file (once: by content hash) before anything else happens to it.

    The bytes are sealed as they came (no text round trip); what the file says about
    itself is checked before it goes into a column, so no content can make this fail.
    """
    digest = hashlib.sha256(data).hexdigest()
    identity = _identify(data, name)
    try:
        return _store(db, clearinghouse, name, data, digest, identity, now)
    except PersistenceError:
        seen = _stored_as(db, digest, name)
        if seen is None:
            raise
        return seen  # a concurrent poll stored the same content a moment ago


def _stored_as(db: Database, digest: str, name: str) -> InboundResult | None:
    with db.transaction() as session:
        seen = session.scalars(select(InboundFileRow).where(
            InboundFileRow.sha256 == digest)).first()
        if seen is None:
            return None
        return InboundResult(seen.id, name, seen.kind, "duplicate",
                             f"same content as {seen.remote_name} received "
                             f"{seen.received_at:%Y-%m-%d %H:%M}; not stored twice")


def _store(db: Database, clearinghouse: str, name: str, data: bytes, digest: str,
           identity: _Identity, now: datetime) -> InboundResult:
    seen = _stored_as(db, digest, name)
    if seen is not None:
        return seen
    kind, sender, isa13 = identity.kind, identity.sender, identity.isa13
    with db.transaction() as session:
        twin = None
        if sender and isa13:
            twin = session.scalars(select(InboundFileRow).where(
                InboundFileRow.sender_id == sender,
                InboundFileRow.interchange_control_number == isa13,
                InboundFileRow.kind == kind)).first()
        status: InboundStatus = "stored"
        problem = identity.problem
        if problem is not None:
            status = identity.status
        elif twin is not None:
            status = "duplicate"
            problem = (f"{_clean(name)}: interchange {isa13} from {sender} was already "
                       f"received as {twin.remote_name} with different content; kept, not "
                       "applied")
        row = InboundFileRow(
            received_at=now, clearinghouse=clearinghouse, remote_name=_clean(name)[:200],
            sha256=digest, kind=kind, sender_id=sender, interchange_control_number=isa13,
            payload=cipher_of(session).seal_bytes(data, inbound_binding(digest)),
            status=status, problem=problem)
        session.add(row)
        session.flush()
        if problem is not None:
            session.add(_quarantined_item(now, f"received file not applied: {problem}"))
        return InboundResult(row.id, name, kind, status, problem or "")


def _quarantined_item(now: datetime, message: str) -> WorkItemRow:
    return WorkItemRow(created_at=now, status="open", reason=WorkReason.QUARANTINED.value,
                       message=_clean(message), codes="")


def inbound_binding(sha256: str) -> Binding:
    """Where a received file's (encrypted) content lives: its content hash."""
    return Binding("inbound_files", "payload", None, sha256)


def inbound_payload(session: Session, row: InboundFileRow) -> str:
    """A received file's text, decrypted (bytes that are not UTF-8 as surrogate escapes)."""
    return cipher_of(session).open(row.payload, inbound_binding(row.sha256))


def inbound_bytes(session: Session, row: InboundFileRow) -> bytes:
    """A received file's bytes exactly as they came, decrypted."""
    return cipher_of(session).open_bytes(row.payload, inbound_binding(row.sha256))


@dataclass(frozen=True, slots=True)
class _Identity:
    """What a received file says about itself, checked before anything is stored."""

    kind: str
    sender: str | None = None
    isa13: str | None = None
    problem: str | None = None
    status: InboundStatus = "unsupported"


_ISA_IDS: Final = (("ISA06", 6, 15, "interchange sender ID"),
                   ("ISA13", 13, 9, "interchange control number"))


def _identify(data: bytes, name: str) -> _Identity:
    """Kind, ISA06 sender and ISA13 of a received file, without trusting it: never raises."""
    try:
        header = sniff_header_bytes(data, name)
        with x12_text_of(data) as stream:
            isa = next(iter_segments(stream, name))
    except X12Error as exc:
        located = str(exc) if exc.location.file else f"{name}: {exc}"
        # X12 whose envelope contradicts itself is malformed (exit 1, like `x12 parse`);
        # what is not X12, or not a version we read, is unsupported (exit 2).
        malformed = isinstance(exc, X12StructureError)
        return _Identity("unknown", problem=_clean(located),
                         status="failed" if malformed else "unsupported")
    except Exception as exc:  # whatever the bytes, the file is still kept
        log.exception("identifying %s failed", _clean(name))
        return _Identity("unknown", problem=_internal("reading", name, exc), status="failed")
    values: dict[str, str | None] = {}
    for element, index, width, what in _ISA_IDS:
        value = isa.element(index).strip()
        if not (value.isascii() and value.isprintable() and len(value) <= width):
            where = X12Location(file=_clean(name), segment_index=1, segment_id="ISA",
                                element=element)
            return _Identity("unknown", problem=(
                f"{where}: the {what} {_clean(value)!r} is not up to {width} printable "
                "ASCII characters, so the file cannot be told apart from others; not "
                "applied"))
        values[element] = value or None
    sender, isa13 = values["ISA06"], values["ISA13"]
    if header.transaction == "TA1":
        return _Identity("TA1", sender, isa13)
    kind = SUPPORTED.get((header.functional_id, header.transaction, header.gs_version))
    if kind in ROUTED_KINDS:
        return _Identity(kind, sender, isa13)
    return _Identity(kind or "unknown", sender, isa13,
                     problem=_not_routed(header, kind, _clean(name)))


def _not_routed(header: FileHeader, kind: str | None, name: str) -> str:
    """Why a well-formed file is not applied: a version of a reply we read in another
    version only, or not a reply at all."""
    versions = sorted(version for (_gs, st, version), routed in SUPPORTED.items()
                      if st == header.transaction and routed in ROUTED_KINDS)
    if kind is None and versions:
        transaction = _clean(header.transaction)
        return (f"{name}: {transaction} in version {_clean(header.gs_version) or 'not stated'}"
                f" (GS08); edigateway reads the {transaction} in {' or '.join(versions)} only")
    what = _clean(kind or f"{header.transaction} {header.gs_version}")
    return (f"{name}: {what} is not something a clearinghouse sends us in reply (TA1, 999, "
            "277CA or 835 expected)")


def _clean(text: str) -> str:
    """``text`` safe for any text column and log: bytes that were not UTF-8 (surrogate
    escapes) shown as ``\\xNN``, NUL (which PostgreSQL refuses in text) as ``\\x00``."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def route_stored(db: Database, *, codes: CodeLists, now: datetime) -> list[InboundResult]:
    """Apply every stored, not yet routed file, oldest first."""
    with db.transaction() as session:
        ids = list(session.scalars(select(InboundFileRow.id).where(
            InboundFileRow.status == "stored").order_by(InboundFileRow.id)))
    return [route(db, inbound_id, codes=codes, now=now) for inbound_id in ids]


def route(db: Database, inbound_id: int, *, codes: CodeLists, now: datetime) -> InboundResult:
    """Apply one stored file: acknowledgments in one transaction with the file's status;
    835s through the posting engine (which has its own and refuses duplicates).

    Nothing escapes: a located X12 problem, any other error of ours, or anything a reader
    or the posting engine throws leaves the file ``failed`` with a work item naming it (and,
    for the unexpected, the traceback in the log); its kept bytes stay for a second look.
    What an acknowledgment had applied before failing is rolled back with it.
    """
    with db.transaction() as session:
        row = session.get(InboundFileRow, inbound_id)
        if row is None or row.status != "stored":
            return InboundResult(inbound_id, row.remote_name if row else "?",
                                 row.kind if row else "?", "duplicate", "already routed")
        name, kind = row.remote_name, row.kind
    try:
        if kind == "835":
            return _post_835(db, inbound_id, name, codes=codes, now=now)
        return _apply_acks(db, inbound_id, name, kind, now=now)
    except X12Error as exc:
        problem = _clean(f"{kind} {name} could not be read: {exc}")
    except EdigatewayError as exc:
        problem = _clean(f"{kind} {name} could not be applied: {exc}")
    except Exception as exc:  # a reader's crash must not stop the poll
        log.exception("routing %s (inbound file %s) failed unexpectedly", name, inbound_id)
        problem = _internal("reading", name, exc)
    return _route_failed(db, inbound_id, name, kind, now, problem)


def _post_835(db: Database, inbound_id: int, name: str, *, codes: CodeLists,
              now: datetime) -> InboundResult:
    with db.transaction() as session:
        row = session.get(InboundFileRow, inbound_id)
        if row is None:
            return InboundResult(inbound_id, name, "835", "duplicate", "already routed")
        data = inbound_bytes(session, row)
    result = post_era_bytes(db, name, data, codes=codes, now=now)
    status: InboundStatus = "processed" if result.status in ("posted", "duplicate") \
        else "failed"
    message = _clean(result.message or result.status)
    with db.transaction() as session:
        session.execute(update(InboundFileRow).where(
            InboundFileRow.id == inbound_id, InboundFileRow.status == "stored")
            .values(status=status, problem=_clean(result.message or "") or None))
    return InboundResult(inbound_id, name, "835", status, message)


def _apply_acks(db: Database, inbound_id: int, name: str, kind: str, *,
                now: datetime) -> InboundResult:
    with db.transaction() as session:
        row = session.get(InboundFileRow, inbound_id, with_for_update=True)
        if row is None or row.status != "stored":
            return InboundResult(inbound_id, name, kind, "duplicate", "already routed")
        payload = inbound_payload(session, row)
        outcome = _ROUTES[kind](session, now, name).apply(payload)
        outcome.inbound_id = inbound_id
        outcome.message = _clean(outcome.message)
        row.status, row.problem = outcome.status, outcome.message or None
        return outcome


def _route_failed(db: Database, inbound_id: int, name: str, kind: str, now: datetime,
                  problem: str) -> InboundResult:
    """Mark a stored file ``failed`` with its work item — once, even if two polls race."""
    with db.transaction() as session:
        changed = session.execute(update(InboundFileRow).where(
            InboundFileRow.id == inbound_id, InboundFileRow.status == "stored")
            .values(status="failed", problem=problem).returning(InboundFileRow.id)).first()
        if changed is None:
            return InboundResult(inbound_id, name, kind, "duplicate",
                                 "already routed by another poll")
        session.add(_quarantined_item(now, problem))
    return InboundResult(inbound_id, name, kind, "failed", problem)


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
            created_at=self.now, status="open", reason=reason.value, message=_clean(message),
            codes=_clean(codes)[:200], claim_id=claim.id if claim else None,
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

