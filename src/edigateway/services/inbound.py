"""Receiving from a clearinghouse: download, store, archive, then route.

:func:`poll_inbound` is safe to stop at any point and run again. A received file is stored
(hash-deduplicated, with sender and ISA13) and committed *before* the remote copy is
archived, and routed (:mod:`.routing`) in a later transaction; a crash between the steps
means the file is downloaded again and recognised by its hash, or routed on the next poll.
Files we hold no bytes of — a refused name, a file gone or over the size cap, downloads
failing poll after poll — are recorded by name (:mod:`.inbound_quarantine`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from edigateway.domain.postings import WorkReason
from edigateway.errors import (
    AuthenticationError,
    ConfigurationError,
    HostKeyError,
    PersistenceError,
    RemoteFileChangedError,
    RemoteFileGoneError,
    RemoteFileTooLargeError,
    TransferError,
    TransportError,
)
from edigateway.persistence.inbound_rows import (
    find_received,
    insert_received,
    received_since,
    settle_stored,
    twin_of,
)
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.services.inbound_quarantine import NameQuarantine, live_quarantine
from edigateway.services.received import (
    NAME_WIDTH,
    InboundResult,
    InboundStatus,
    ReceivedFile,
    clean,
    internal,
)
from edigateway.services.routing import route_stored
from edigateway.settings import DOWNLOAD_MAX_ATTEMPTS, DOWNLOAD_MAX_BYTES
from edigateway.transports.base import check_name

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.persistence.database import Database
    from edigateway.settings import Settings
    from edigateway.transports.base import RemoteFile, Transport

log = logging.getLogger(__name__)
CONCURRENT_POLL: Final = timedelta(hours=1)
"""How recent a received file of the same name must be for a vanished one to count as
taken by a concurrent poll rather than lost."""


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


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of a clearinghouse did: each file received (:func:`poll_inbound`), and
    how many submissions still without a 999 past the profile's limit it turned into work
    items (:func:`~edigateway.services.submissions.flag_missing_acknowledgments`)."""

    files: list[InboundResult]
    missing_999: int


def poll_inbound(
    db: Database,
    transport: Transport,
    *,
    clearinghouse: str,
    codes: CodeLists,
    now: datetime,
    limits: InboundLimits | None = None,
) -> list[InboundResult]:
    """Download, store, archive and route every file waiting for us (see module doc).

    Each file is handled on its own: whatever goes wrong with one — a refused name, a file
    gone or over the size cap, failing downloads, bytes no reader understands, a crash in
    a reader or the posting engine — ends in a quarantine with a work item naming the file,
    and the poll goes on with the next. Only a failure to list the folder or to reach the
    database stops a poll (then nothing has been archived, so nothing is lost).
    """
    limits = limits or InboundLimits()
    listed = transport.list_inbound()
    known = live_quarantine(db, clearinghouse, listed, limits.max_bytes, now)
    results: list[InboundResult] = []
    for remote in listed:
        status = known.get(remote.name)
        if status == "quarantined":
            continue
        try:
            result = _receive(
                db,
                transport,
                remote,
                clearinghouse=clearinghouse,
                limits=limits,
                now=now,
                retrying=status == "retrying",
            )
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


def _receive(
    db: Database,
    transport: Transport,
    remote: RemoteFile,
    *,
    clearinghouse: str,
    limits: InboundLimits,
    now: datetime,
    retrying: bool,
) -> InboundResult:
    """One listed file: download, store, archive (routing comes after the whole listing)."""
    name = remote.name
    quarantine = NameQuarantine(db, clearinghouse, remote, now)
    try:
        check_name(name)
    except TransportError as exc:
        return quarantine.at_once(
            "refused_name",
            f"{clean(name)!r}: this name is refused "
            f"({clean(str(exc))}); the file was not downloaded and "
            "is left on the server, which should rename or remove it",
        )
    try:
        data = _fetch(transport, remote, limits.max_bytes)
    except Exception as exc:  # noqa: BLE001 - _not_downloaded sorts every way it can fail
        return _not_downloaded(db, quarantine, exc, limits)
    stored = _store_or_keep_failed(db, ReceivedFile.of(name, data, source=clearinghouse), now)
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
        log.exception("archiving %s failed unexpectedly", clean(name))
    return stored


def _fetch(transport: Transport, remote: RemoteFile, max_bytes: int) -> bytes:
    """The file's bytes; one listed over the cap is refused without asking the server."""
    if remote.size > max_bytes:
        raise RemoteFileTooLargeError(remote.name, size=remote.size, limit=max_bytes)
    return transport.download(remote, max_bytes=max_bytes)


def _not_downloaded(
    db: Database, quarantine: NameQuarantine, exc: Exception, limits: InboundLimits
) -> InboundResult:
    """What a failed download means: quarantine now (too large, gone, refused by the
    server), count a failed attempt and stop this poll's downloads (a transfer or an
    unexpected error), stop the poll (host key, credentials, set-up), or just wait (the
    file is still being written)."""
    name = quarantine.remote.name
    if isinstance(exc, RemoteFileTooLargeError):
        return quarantine.at_once("too_large", _too_large(name, exc.size, limits.max_bytes))
    if isinstance(exc, RemoteFileChangedError):
        return InboundResult(None, name, "unknown", "deferred", clean(str(exc)))
    if isinstance(exc, RemoteFileGoneError):
        return _vanished(db, quarantine, exc)
    if isinstance(exc, HostKeyError | AuthenticationError | ConfigurationError):
        raise exc  # the server or our set-up, not this file: the whole poll stops
    if isinstance(exc, TransferError):
        raise _ConnectionTrouble(
            quarantine.attempt_failed(clean(str(exc)), limits.max_attempts)
        ) from exc
    if isinstance(exc, TransportError):
        return quarantine.at_once(
            "refused", f"{clean(name)}: the server refused the download: {clean(str(exc))}"
        )
    # A transport's own bug must not stop polling for good: counted like a failed transfer.
    log.error("downloading %s failed unexpectedly", clean(name), exc_info=exc)
    raise _ConnectionTrouble(
        quarantine.attempt_failed(internal("downloading", name, exc), limits.max_attempts)
    ) from exc


def _too_large(name: str, size: int, limit: int) -> str:
    return (
        f"{clean(name)}: {size:,} bytes, over the {limit:,}-byte download limit "
        "(EDIGATEWAY_DOWNLOAD_MAX_BYTES); not downloaded and left on the server — "
        "raise the limit or fetch it by hand"
    )


def _vanished(db: Database, quarantine: NameQuarantine, exc: RemoteFileGoneError) -> InboundResult:
    """A listed file gone by download time. When a file of that name was received within
    the last :data:`CONCURRENT_POLL` (names may be reused, but not that fast), a concurrent
    poll took it: nothing to report. Otherwise it is reported once."""
    remote = quarantine.remote
    with db.transaction() as session:
        held = received_since(
            session,
            quarantine.clearinghouse,
            clean(remote.name)[:NAME_WIDTH],
            quarantine.now - CONCURRENT_POLL,
        )
    if held is not None:
        return InboundResult(
            held,
            remote.name,
            "unknown",
            "duplicate",
            f"{clean(remote.name)} was taken by another poll meanwhile",
        )
    return quarantine.at_once(
        "vanished",
        f"{clean(remote.name)} ({remote.size:,} bytes) was "
        "listed but gone when it was to be downloaded; nothing was "
        f"received — ask the clearinghouse to resend it ({clean(str(exc))})",
    )


def _changed_after_download(
    db: Database, stored: InboundResult, exc: RemoteFileChangedError
) -> InboundResult:
    """The file grew between download and archive: our copy lacks its tail, so it is set
    aside unapplied (``superseded``) and the whole file is fetched on the next poll."""
    message = clean(str(exc))
    if stored.status == "stored" and stored.inbound_id is not None:
        with db.transaction() as session:
            settle_stored(session, stored.inbound_id, "superseded", message)
    return InboundResult(stored.inbound_id, stored.remote_name, stored.kind, "deferred", message)


# --------------------------------------------------------------------------- storing


def store_inbound(
    db: Database, *, clearinghouse: str, name: str, data: bytes, now: datetime
) -> InboundResult:
    """Keep a file received from ``clearinghouse`` (once: by content hash) before anything
    else happens to it (see :func:`_store`)."""
    return _store(db, ReceivedFile.of(name, data, source=clearinghouse), now)


def _store_or_keep_failed(db: Database, file: ReceivedFile, now: datetime) -> InboundResult:
    """:func:`_store`; should it fail for a reason of the file's own (a value the database
    refuses), the bytes are kept anyway, as a ``failed`` file with a work item."""
    try:
        return _store(db, file, now)
    except Exception as exc:  # one file must not stop the poll
        log.exception("storing %s failed", clean(file.name))
        problem = internal("storing", file.name, exc)
    with db.transaction() as session:
        row = insert_received(
            session,
            received_at=now,
            clearinghouse=file.source,
            remote_name=clean(file.name)[:NAME_WIDTH],
            sha256=file.sha256,
            data=file.data,
            kind="unknown",
            sender_id=None,
            interchange_control_number=None,
            status="failed",
            problem=problem,
        )
        _not_applied(session, now, problem)
        return InboundResult(row.id, file.name, "unknown", "failed", problem)


def _store(db: Database, file: ReceivedFile, now: datetime) -> InboundResult:
    """Keep a received file, sealed as it came (no text round trip); what it says about
    itself was checked before it goes into a column, so no content can make this fail."""
    try:
        return _store_once(db, file, now)
    except PersistenceError:
        seen = _stored_as(db, file)
        if seen is None:
            raise
        return seen  # a concurrent poll stored the same content a moment ago


def _stored_as(db: Database, file: ReceivedFile) -> InboundResult | None:
    with db.transaction() as session:
        seen = find_received(session, file.sha256)
        if seen is None:
            return None
        return InboundResult(
            seen.id,
            file.name,
            seen.kind,
            "duplicate",
            f"same content as {seen.remote_name} received "
            f"{seen.received_at:%Y-%m-%d %H:%M}; not stored twice",
        )


def _store_once(db: Database, file: ReceivedFile, now: datetime) -> InboundResult:
    seen = _stored_as(db, file)
    if seen is not None:
        return seen
    identity = file.identity
    kind, sender, isa13 = identity.kind, identity.sender, identity.isa13
    with db.transaction() as session:
        twin = twin_of(session, sender, isa13, kind) if sender and isa13 else None
        status: InboundStatus = "stored"
        problem = identity.problem
        if problem is not None:
            status = identity.status
        elif twin is not None:
            status = "duplicate"
            problem = (
                f"{clean(file.name)}: interchange {isa13} from {sender} was already "
                f"received as {twin.remote_name} with different content; kept, not "
                "applied"
            )
        row = insert_received(
            session,
            received_at=now,
            clearinghouse=file.source,
            remote_name=clean(file.name)[:NAME_WIDTH],
            sha256=file.sha256,
            data=file.data,
            kind=kind,
            sender_id=sender,
            interchange_control_number=isa13,
            status=status,
            problem=problem,
        )
        if problem is not None:
            _not_applied(session, now, problem)
        return InboundResult(row.id, file.name, kind, status, problem or "")


def _not_applied(session: Session, now: datetime, problem: str) -> None:
    add_work_item(
        session,
        created_at=now,
        reason=WorkReason.QUARANTINED,
        message=clean(f"received file not applied: {problem}"),
    )
