"""Received files held by name only: what the poller could not or would not fetch.

A name the transport refuses, a file gone by download time, one over the download cap (not
fetched, left on the server) and one whose download failed in ``max_attempts`` polls in a
row have no bytes to keep, so they are recorded by name in ``inbound_quarantine`` (see
:class:`~edigateway.persistence.tables.InboundQuarantineRow`) with one work item. Such a
name is skipped while it stays listed and released once it leaves the folder (one too large
also once a raised limit admits it), so a later file of that name is new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from edigateway.domain.postings import WorkReason
from edigateway.errors import PersistenceError
from edigateway.persistence.inbound_rows import (
    live_names,
    lock_live_name,
    release_names,
    release_retrying,
)
from edigateway.persistence.tables import InboundQuarantineRow
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.services.received import InboundResult, clean

if TYPE_CHECKING:
    from datetime import datetime

    from edigateway.persistence.database import Database
    from edigateway.transports.base import RemoteFile

QuarantineReason = Literal["refused_name", "too_large", "vanished", "refused", "download_failed"]


class NameQuarantine:
    """Records a remote file we hold no bytes of.

    Each change is one transaction with its work item; the row for a name is locked (or,
    when new, guarded by the unique index on live names), so two polls at once record a
    file and open its work item once."""

    def __init__(self, db: Database, clearinghouse: str, remote: RemoteFile, now: datetime) -> None:
        self.db, self.clearinghouse, self.remote, self.now = db, clearinghouse, remote, now
        self.name = clean(remote.name)

    def at_once(self, reason: QuarantineReason, message: str) -> InboundResult:
        """Quarantine at once (refused name, too large, vanished, refused download)."""
        return self._record(reason, message, quarantine_after=1)

    def attempt_failed(self, message: str, max_attempts: int) -> InboundResult:
        """One more failed download; quarantined once ``max_attempts`` polls have failed."""
        return self._record("download_failed", message, quarantine_after=max_attempts)

    def release(self) -> None:
        """The download succeeded after failures: forget the failed attempts."""
        with self.db.transaction() as session:
            release_retrying(session, self.clearinghouse, self.name, self.now)

    def _record(
        self, reason: QuarantineReason, message: str, *, quarantine_after: int
    ) -> InboundResult:
        try:
            return self._record_once(reason, message, quarantine_after)
        except PersistenceError:
            # Another poll inserted this name's row between our look and our insert (the
            # unique index refused ours); once more, now finding and locking that row.
            return self._record_once(reason, message, quarantine_after)

    def _record_once(
        self, reason: QuarantineReason, message: str, quarantine_after: int
    ) -> InboundResult:
        with self.db.transaction() as session:
            row = lock_live_name(session, self.clearinghouse, self.name)
            if row is not None and row.status == "quarantined":
                return InboundResult(
                    None,
                    self.remote.name,
                    "unknown",
                    "duplicate",
                    f"{self.name}: already quarantined ({row.reason})",
                )
            if row is None:
                row = InboundQuarantineRow(
                    clearinghouse=self.clearinghouse,
                    remote_name=self.name,
                    size=self.remote.size,
                    remote_mtime=self.remote.mtime,
                    reason=reason,
                    status="retrying",
                    attempts=0,
                    last_error="",
                    first_seen_at=self.now,
                    updated_at=self.now,
                )
                session.add(row)
            row.attempts += 1
            row.reason, row.last_error, row.updated_at = reason, message, self.now
            row.size, row.remote_mtime = self.remote.size, self.remote.mtime
            if row.attempts < quarantine_after:
                session.flush()
                return InboundResult(
                    None,
                    self.remote.name,
                    "unknown",
                    "deferred",
                    f"{message} (attempt {row.attempts} of "
                    f"{quarantine_after}; tried again on the next poll)",
                )
            row.status = "quarantined"
            tries = f" after {row.attempts} failed polls" if quarantine_after > 1 else ""
            add_work_item(
                session,
                created_at=self.now,
                reason=WorkReason.QUARANTINED,
                message=f"received file {self.name} quarantined{tries}: {message}",
                codes=f"inbound:{reason}",
            )
            session.flush()
            return InboundResult(None, self.remote.name, "unknown", "quarantined", message)


def live_quarantine(
    db: Database, clearinghouse: str, listed: list[RemoteFile], max_bytes: int, now: datetime
) -> dict[str, str]:
    """Live quarantine rows by name (their status). Rows of names no longer listed are
    released, so a later file of the same name is taken as new; so are files refused as too
    large that the (raised) limit ``max_bytes`` now admits."""
    names = {clean(remote.name): remote for remote in listed}
    with db.transaction() as session:
        rows = live_names(session, clearinghouse)
        done = [
            row
            for row in rows
            if row.remote_name not in names
            or (row.reason == "too_large" and names[row.remote_name].size <= max_bytes)
        ]
        if done:
            release_names(session, [row.id for row in done], now)
        return {names[row.remote_name].name: row.status for row in rows if row not in done}
