"""Routing received files: each answer tied to what we sent, claims moved forward only.

A stored file (:mod:`.inbound`) is routed in its own transaction: acknowledgments by their
routers (:mod:`.ack_routers`) in one transaction with the file's status, 835s through the
posting engine (:func:`~.posting.post_received`, which has its own transaction
and refuses a file or payment twice). Each is handed the stored file's bytes, SHA-256 and
identified kind — nothing is sniffed or hashed again. See docs/design.md "Identifiers":

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

A claim only moves forward (:mod:`edigateway.domain.claim_stages`): a late 999 never pulls
a paid claim back to ``ch_accepted``. A clearinghouse that already took a file away refuses
a second copy by its ISA13 (TA1 note 025), which is harmless once the first was answered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from edigateway.domain.postings import WorkReason
from edigateway.errors import EdigatewayError, X12Error
from edigateway.persistence.inbound_rows import (
    StoredPieces,
    inbound_bytes,
    settle_stored,
    stored_ids,
)
from edigateway.persistence.tables import InboundFileRow
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.services.ack_routers import ROUTERS
from edigateway.services.posting import post_received
from edigateway.services.received import (
    Identity,
    InboundResult,
    InboundStatus,
    StoredFile,
    clean,
    internal,
)

if TYPE_CHECKING:
    from datetime import datetime

    from edigateway.codelists import CodeLists
    from edigateway.persistence.database import Database

log = logging.getLogger(__name__)


def route_stored(db: Database, *, codes: CodeLists, now: datetime) -> list[InboundResult]:
    """Apply every stored, not yet routed file, oldest first."""
    with db.transaction() as session:
        ids = stored_ids(session)
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
            return InboundResult(
                inbound_id,
                row.remote_name if row else "?",
                row.kind if row else "?",
                "duplicate",
                "already routed",
            )
        name, kind = row.remote_name, row.kind
    try:
        if kind == "835":
            return _post_835(db, inbound_id, name, codes=codes, now=now)
        return _apply_acks(db, inbound_id, name, kind, now=now)
    except X12Error as exc:
        problem = clean(f"{kind} {name} could not be read: {exc}")
    except EdigatewayError as exc:
        problem = clean(f"{kind} {name} could not be applied: {exc}")
    except Exception as exc:  # a reader's crash must not stop the poll
        log.exception("routing %s (inbound file %s) failed unexpectedly", name, inbound_id)
        problem = internal("reading", name, exc)
    return _route_failed(db, inbound_id, name, kind, now, problem)


def _post_835(
    db: Database, inbound_id: int, name: str, *, codes: CodeLists, now: datetime
) -> InboundResult:
    """Post a stored 835; the posting's transaction settles the file's status."""
    with db.transaction() as session:
        row = session.get(InboundFileRow, inbound_id)
        if row is None:
            return InboundResult(inbound_id, name, "835", "duplicate", "already routed")
        stored = StoredFile(
            name,
            StoredPieces(row.id),
            row.sha256,
            len(inbound_bytes(session, row)) if row.size is None else row.size,
            row.clearinghouse,
            Identity(row.kind, row.sender_id, row.interchange_control_number),
        )
    result = post_received(db, stored, codes=codes, now=now)
    status: InboundStatus = "processed" if result.status in ("posted", "duplicate") else "failed"
    return InboundResult(inbound_id, name, "835", status, clean(result.message or result.status))


def _apply_acks(
    db: Database, inbound_id: int, name: str, kind: str, *, now: datetime
) -> InboundResult:
    with db.transaction() as session:
        row = session.get(InboundFileRow, inbound_id, with_for_update=True)
        if row is None or row.status != "stored":
            return InboundResult(inbound_id, name, kind, "duplicate", "already routed")
        outcome = ROUTERS[kind](session, now, name).apply(inbound_bytes(session, row))
        outcome.inbound_id = inbound_id
        outcome.message = clean(outcome.message)
        row.status, row.problem = outcome.status, outcome.message or None
        return outcome


def _route_failed(
    db: Database, inbound_id: int, name: str, kind: str, now: datetime, problem: str
) -> InboundResult:
    """Mark a stored file ``failed`` with its work item — once, even if two polls race."""
    with db.transaction() as session:
        if not settle_stored(session, inbound_id, "failed", problem):
            return InboundResult(
                inbound_id, name, kind, "duplicate", "already routed by another poll"
            )
        add_work_item(
            session, created_at=now, reason=WorkReason.QUARANTINED, message=clean(problem)
        )
    return InboundResult(inbound_id, name, kind, "failed", problem)
