"""Posting an 835: read → balance → match → post, one database transaction per file.

:func:`post_received` posts a :class:`~.received.ReceivedFile` — hashed and identified
once by whoever received it — and is what every path runs: the poller's routing hands it a
stored file (:mod:`.routing`, a :class:`~.received.StoredFile` read from its sealed pieces
in the posting's transaction); ``edigateway era post`` and the worker both run the job
:func:`~edigateway.jobs.post_era_file`, which hands it a file from disk, and the
posting's transaction records that file in ``inbound_files`` just as a polled one is.
The file is streamed (:func:`~edigateway.x12.x835_005010X221A1.iter_835`) and posted in
batches of claims, all inside one transaction, so memory stays flat and the database holds
either the whole file's postings or none of them:

1. the same bytes (SHA-256) already posted → ``duplicate``, nothing written;
2. each payment (ST…SE) already posted — same TRN02/TRN03, or same sender + ISA13 + ST02 —
   is skipped; when every payment of the file was, the file is a ``duplicate``;
3. every SVC and CLP is balanced before its batch is posted, the payment (Σ CLP04 − Σ PLB =
   BPR02) at its SE; any imbalance or X12 problem rolls everything back and the file is
   recorded as ``quarantined`` with the segment that failed (position, ID, loop and
   element: the SVC, CLP or BPR amount that does not add up), plus a work item; a file
   that is not a 005010X221A1 835 at all (4010, GS08 ``005010X221`` without A1, another
   transaction) is recorded the same way but reported ``unsupported``;
4. claims are matched (:mod:`edigateway.reconcile.plan`), postings and work items written,
   claim states moved with their history, reversals linked to what they reverse and to the
   corrected claim, PLB entries written to the provider ledger linked to their claim
   (:mod:`.poster`).

Rows are written by :mod:`edigateway.persistence.remittance_rows`; the rules that read
earlier payments are :mod:`edigateway.reconcile.history`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy.exc import IntegrityError

from edigateway.domain.postings import WorkReason
from edigateway.errors import (
    PersistenceError,
    UnsupportedX12Error,
    X12Error,
    X12Location,
    X12SyntaxError,
)
from edigateway.persistence.event_rows import remittances_posted
from edigateway.persistence.remittance_rows import find_file, insert_file
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.services.parsing import require
from edigateway.services.poster import Poster, Quarantine
from edigateway.services.posting_result import PostingResult, PostingStatus, WorkSummary
from edigateway.services.received import Received, clean, record_outcome
from edigateway.x12.x835_005010X221A1 import GUIDE as GUIDE_835

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.persistence.database import Database

RACE_ATTEMPTS = 3
"""Posting attempts when concurrent posters of the same file or payment collide: the
second attempt finds the winner's rows; a third covers a file racing two others."""


def post_received(
    db: Database,
    file: Received,
    *,
    codes: CodeLists,
    now: datetime,
    fail_after_rows: int | None = None,
) -> PostingResult:
    """Post a received 835 (or record why not), settling its ``inbound_files`` record in
    the same transaction."""
    attempt = 1
    while True:
        seen = _already_received(db, file, now)
        if seen is not None:
            return seen
        try:
            return _post_new(db, file, codes=codes, now=now, fail_after_rows=fail_after_rows)
        except PersistenceError as exc:
            # Another poster (a second process or worker with the same file, or a file
            # with one of its payments) committed between our look and our insert: the
            # unique constraint refused our row. Look again; it is a duplicate now.
            if attempt >= RACE_ATTEMPTS or not isinstance(exc.__cause__, IntegrityError):
                raise
        attempt += 1


_FILE_STATUS: Final[dict[str, tuple[PostingStatus, bool]]] = {
    "posted": ("duplicate", True),
    "quarantined": ("quarantined", True),
    "unsupported": ("unsupported", False),
    "unreadable": ("quarantined", False),
}
"""A ``remittance_files.status`` → the status and readability reported when the same bytes
come again, so a second ``era post`` of a file exits as the first did."""


def _already_received(db: Database, file: Received, now: datetime) -> PostingResult | None:
    """The outcome for a file whose bytes were already posted or set aside, if so."""
    with db.transaction() as session:
        seen = find_file(session, file.sha256)
        if seen is None:
            return None
        status, readable = _FILE_STATUS.get(seen.status, ("quarantined", True))
        what = "posted" if seen.status == "posted" else "received and not posted"
        result = PostingResult(
            file.name,
            status,
            readable=readable,
            file_id=seen.id,
            message=(
                f"this file was already {what} on {seen.received_at:%Y-%m-%d %H:%M} "
                f"(file {seen.id}); nothing new was posted"
                + (f": {seen.problem}" if seen.problem else "")
            ),
        )
        _settle(session, file, result, now)
        return result


def _post_new(
    db: Database,
    file: Received,
    *,
    codes: CodeLists,
    now: datetime,
    fail_after_rows: int | None,
) -> PostingResult:
    """Post a file not seen before, or quarantine it."""
    try:
        _refuse_unless_835(file)
        with db.transaction() as session:
            result = Poster(session, file.name, codes, now, fail_after_rows).post(
                file.data, file.sha256, file.size
            )
            if result.status == "duplicate":
                session.rollback()  # every payment was skipped: only the file row to undo
            else:
                if result.file_id is not None:
                    remittances_posted(session, result.file_id, at=now)
                # last: concurrent posters of one file meet at the engine's own registry
                # (remittance_files), where the loser waits, then retries as a duplicate
                _settle(session, file, result, now)
    except Quarantine as exc:
        return _quarantine(db, file, now, exc.message, exc.location, file_status="quarantined")
    except UnsupportedX12Error as exc:
        return _quarantine(db, file, now, exc.message, exc.location, file_status="unsupported")
    except X12SyntaxError as exc:
        return _quarantine(db, file, now, exc.message, exc.location, file_status="unreadable")
    except X12Error as exc:
        return _quarantine(db, file, now, exc.message, exc.location, file_status="quarantined")
    if result.status == "duplicate":
        with db.transaction() as session:
            _settle(session, file, result, now)
    return result


def _refuse_unless_835(file: Received) -> None:
    """Raise what identifying the file found, or refuse (unsupported) a file that is not
    a 005010X221A1 835. A polled file reaches posting only as an 835 (its stored kind)."""
    identity = file.identity
    if identity.error is not None:
        raise identity.error
    if identity.header is not None:
        require(identity.header, file.name, "835", GUIDE_835, "era post")


def _settle(session: Session, file: Received, result: PostingResult, now: datetime) -> None:
    """Record in the file's ``inbound_files`` row what posting made of it."""
    record_outcome(
        session,
        file,
        "processed" if result.status in ("posted", "duplicate") else "failed",
        clean(result.message or "") or None,
        now,
    )


def _quarantine(
    db: Database,
    file: Received,
    now: datetime,
    message: str,
    location: X12Location,
    *,
    file_status: Literal["quarantined", "unsupported", "unreadable"],
) -> PostingResult:
    """Record a file that was not posted, with its work item; ``file_status`` is what
    ``remittance_files.status`` keeps (see ``_FILE_STATUS``)."""
    where = str(
        X12Location(
            None, location.segment_index, location.segment_id, location.loop, location.element
        )
    )
    problem = _storable(f"{where}: {message}" if where else message)
    status, readable = _FILE_STATUS[file_status]
    with db.transaction() as session:
        file_id = insert_file(
            session,
            name=_storable(file.name),
            sha256=file.sha256,
            size=file.size,
            received_at=now,
            status=file_status,
            problem=problem,
            problem_position=location.segment_index,
        )
        add_work_item(
            session,
            created_at=now,
            reason=WorkReason.QUARANTINED,
            message=f"835 file {_storable(file.name)} was not posted: {problem}",
            file_id=file_id,
            source_position=location.segment_index,
        )
        result = PostingResult(
            file.name,
            status,
            readable=readable,
            message=problem,
            problem=location,
            file_id=file_id,
            work_items=[WorkSummary(None, "quarantined", [], problem)],
        )
        _settle(session, file, result, now)
    return result


def _storable(text: str) -> str:
    """``text`` that any database and terminal take: a file name that is not UTF-8 (Linux
    allows any bytes) keeps its odd bytes as ``\\udcXX`` escapes instead of failing the
    insert that records the quarantine."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
