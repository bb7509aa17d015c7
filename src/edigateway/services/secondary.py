"""Send the secondary claim: coordination of benefits after the primary payer's 835.

Posting the primary's 835 stores the secondary claim (``<PCN>-S``, state ``ready``, built by
:func:`~edigateway.reconcile.secondary.build_secondary` with the primary's payment, AMT*EAF
and line adjudication) and opens a "secondary claim due" work item on the primary. A
coordinator then sends it by naming either claim — its ID or its patient control number —
from the CLI (``edigateway claims send-secondary``) or the API
(``POST /v1/claims/{id}/secondary``): :func:`send_secondary` queues it in the outbox in one
transaction with the audit event, and the work item closes as it is queued (the outbox
calls :func:`~edigateway.services.secondary_items.close_secondary_items` for every claim it
queues, so a secondary sent through the ordinary submit closes it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.domain.claims import ClaimBatch
from edigateway.domain.edits import ensure_clean
from edigateway.domain.postings import WorkReason
from edigateway.errors import ConflictError, InputError, NotFoundError
from edigateway.persistence.tables import ClaimRow, WorkItemRow
from edigateway.services.access import record
from edigateway.services.claim_store import open_document
from edigateway.services.secondary_items import SUFFIX, secondary_control_number

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.persistence.database import Database
    from edigateway.services.control_numbers import ControlNumberSource
    from edigateway.services.followup import FilingWarning
    from edigateway.settings import Settings


@dataclass(frozen=True, slots=True)
class SecondarySent:
    """The secondary claim queued in the outbox, and the work items it closed."""

    primary_id: int
    primary_control_number: str
    secondary_id: int
    patient_control_number: str
    submission_id: int
    file_name: str
    interchange_control_number: str
    work_items_closed: tuple[int, ...]
    warnings: tuple[FilingWarning, ...]
    """The secondary claim's timely-filing warning, if its deadline is near or past (the
    outbox's, :attr:`~edigateway.services.submissions.Queued.warnings`), as the aging
    report counts it (:func:`~edigateway.reconcile.followup.filing_deadline`): the
    secondary payer's limit from the date of service or, when that payer gives secondary
    claims their own window (``payers.secondary_filing_days``), that many days from the
    primary's payment (``claims.primary_paid_on``, the day the 835 paid it) if that ends
    later — the message then says so; it is queued all the same."""


def send_secondary(
    db: Database,
    claim: int | str,
    *,
    practice_id: int | None,
    settings: Settings,
    clearinghouse: ClearinghouseProfile,
    numbers: ControlNumberSource,
    now: datetime,
    actor: str,
    remote_addr: str | None = None,
) -> SecondarySent:
    """Queue the secondary claim of ``claim`` (the primary's or the secondary's own ID or
    patient control number) in one 837D; ``practice_id`` None (the CLI) finds it in any
    practice, else only in that one (another practice's claim is not found).

    Raises :class:`NotFoundError` when no such claim exists, :class:`InputError` when the
    claim names no secondary payer, :class:`ConflictError` when its secondary claim is not
    built yet (the primary's 835 has not been posted) or was sent already, and
    :class:`~edigateway.errors.CleanClaimError` when it fails the clean-claim edits.
    """
    from edigateway.services.submissions import record_outbox

    with db.transaction() as session:
        primary, secondary = _pair(session, claim, practice_id)
        if secondary.state != "ready":
            raise ConflictError(
                f"the secondary claim {secondary.patient_control_number} (claim "
                f"{secondary.id}) is {secondary.state}: it was sent already; send a "
                "replacement to change it"
            )
        document = open_document(session, secondary)
        ensure_clean(ClaimBatch(claims=[document]), today=now.date())
        due = _due_items(session, [primary.id])
        queued = record_outbox(
            session,
            ClaimBatch(claims=[document]),
            [secondary.id],
            settings=settings,
            clearinghouse=clearinghouse,
            numbers=numbers,
            now=now,
        )
        record(
            session,
            actor=actor,
            practice_id=secondary.practice_id,
            action="transmit",
            resource="submission",
            resource_id=str(queued.submission_id),
            at=now,
            remote_addr=remote_addr,
            detail=f"secondary claim {secondary.id} of claim {primary.id} queued as "
            f"{queued.file_name}",
        )
        return SecondarySent(
            primary_id=primary.id,
            primary_control_number=primary.patient_control_number,
            secondary_id=secondary.id,
            patient_control_number=secondary.patient_control_number,
            submission_id=queued.submission_id,
            file_name=queued.file_name,
            interchange_control_number=queued.interchange_control_number,
            work_items_closed=tuple(due),
            warnings=queued.warnings,
        )


def _due_items(session: Session, primary_ids: list[int]) -> list[int]:
    return list(
        session.scalars(
            select(WorkItemRow.id)
            .where(
                WorkItemRow.claim_id.in_(primary_ids),
                WorkItemRow.status == "open",
                WorkItemRow.reason == WorkReason.SECONDARY_NEEDED.value,
            )
            .order_by(WorkItemRow.id)
        )
    )


def _pair(session: Session, claim: int | str, practice_id: int | None) -> tuple[ClaimRow, ClaimRow]:
    """The primary claim and its secondary claim, given either."""
    row = _current(session, claim, practice_id)
    if row.patient_control_number.endswith(SUFFIX):
        primary = _current(
            session, row.patient_control_number.removesuffix(SUFFIX), row.practice_id
        )
        return primary, row
    secondary_pcn = secondary_control_number(row.patient_control_number)
    try:
        return row, _current(session, secondary_pcn, row.practice_id)
    except NotFoundError:
        pass
    document = open_document(session, row)
    if not any(o.responsibility == "S" for o in document.other_payers):
        raise InputError(
            f"claim {row.id} ({row.patient_control_number}) names no secondary payer "
            "(other_payers with responsibility S): there is no secondary claim to send"
        )
    raise ConflictError(
        f"claim {row.id} ({row.patient_control_number}) has no secondary claim yet: it is "
        f"built when the primary payer's 835 is posted (the claim is {row.state})"
    )


def _current(session: Session, claim: int | str, practice_id: int | None) -> ClaimRow:
    """A claim by ID, or by patient control number (the one not superseded: a replacement
    keeps its original's number)."""
    query = select(ClaimRow)
    if practice_id is not None:
        query = query.where(ClaimRow.practice_id == practice_id)
    if isinstance(claim, int):
        found = session.scalars(query.where(ClaimRow.id == claim)).first()
        if found is None:
            raise NotFoundError(f"no claim {claim}")
        return found
    rows = session.scalars(
        query.where(
            ClaimRow.patient_control_number == claim, ClaimRow.superseded_by_id.is_(None)
        ).order_by(ClaimRow.id.desc())
    ).all()
    if not rows:
        raise NotFoundError(f"no claim {claim}")
    if len({r.practice_id for r in rows}) > 1:
        raise InputError(f"claim number {claim} is used by several practices: give the claim's ID")
    return rows[0]
