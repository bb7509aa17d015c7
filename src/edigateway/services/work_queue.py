"""The work queue: what a person has to look at (rejections, denials, held payments,
missing acknowledgments…), listed per practice and closed with a note.

Items are opened by the flows that find them (posting, routing, follow-up); this module
only lists and resolves them, audited, with the ``work_item.*`` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import or_, select

from edigateway.errors import ConflictError, InputError, NotFoundError
from edigateway.persistence.tables import (
    ClaimRow,
    Practice,
    RemittanceRow,
    SubmissionClaimRow,
    WorkItemRow,
)

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from edigateway.persistence.database import Database

WorkStatus = Literal["open", "resolved"]


def practice_work_items(practice_id: int) -> Any:
    """Work items of one practice: about its claims, its submissions or its payments."""
    mine = select(ClaimRow.id).where(ClaimRow.practice_id == practice_id)
    npi = select(Practice.npi).where(Practice.id == practice_id).scalar_subquery()
    return or_(
        WorkItemRow.claim_id.in_(mine),
        WorkItemRow.submission_id.in_(
            select(SubmissionClaimRow.submission_id).where(SubmissionClaimRow.claim_id.in_(mine))
        ),
        WorkItemRow.remittance_id.in_(
            select(RemittanceRow.id).where(RemittanceRow.payee_id == npi)
        ),
    )


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A work item as the queue lists it (times to the second, as stored)."""

    id: int
    created_at: datetime
    status: WorkStatus
    reason: str
    claim: str | None
    """The claim number it is about, if any."""
    codes: tuple[str, ...]
    message: str
    amount: Decimal | None
    source_position: int | None
    file_id: int | None
    resolved_at: datetime | None
    resolution_note: str | None

    @classmethod
    def of(cls, row: WorkItemRow) -> WorkItem:
        """The item of a stored row."""
        return cls(
            id=row.id,
            created_at=row.created_at.replace(microsecond=0),
            status="resolved" if row.status == "resolved" else "open",
            reason=row.reason,
            claim=row.patient_control_number,
            codes=tuple(c for c in row.codes.split(",") if c),
            message=row.message,
            amount=row.amount,
            source_position=row.source_position,
            file_id=row.file_id,
            resolved_at=row.resolved_at.replace(microsecond=0) if row.resolved_at else None,
            resolution_note=row.resolution_note,
        )

    def as_json(self) -> dict[str, object]:
        """The item as ``workqueue list --json`` prints it (amount as an exact string)."""
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "status": self.status,
            "reason": self.reason,
            "claim": self.claim,
            "codes": list(self.codes),
            "message": self.message,
            "amount": None if self.amount is None else str(self.amount),
            "source_position": self.source_position,
            "file_id": self.file_id,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "resolution_note": self.resolution_note,
        }


def work_items(
    db: Database,
    *,
    include_resolved: bool = False,
    practice_id: int | None = None,
    reason: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    updated_since: datetime | None = None,
) -> list[WorkItem]:
    """Work items, oldest first (one practice's when ``practice_id``; ``updated_since``:
    opened or resolved at or after it)."""
    query = select(WorkItemRow).order_by(WorkItemRow.id)
    if not include_resolved:
        query = query.where(WorkItemRow.status == "open")
    if practice_id is not None:
        query = query.where(practice_work_items(practice_id))
    if reason is not None:
        query = query.where(WorkItemRow.reason == reason)
    if updated_since is not None:
        query = query.where(
            or_(WorkItemRow.created_at >= updated_since, WorkItemRow.resolved_at >= updated_since)
        )
    query = query.offset(offset).limit(limit)
    with db.transaction() as session:
        return [WorkItem.of(w) for w in session.scalars(query)]


@dataclass(frozen=True, slots=True)
class ResolvedItem:
    """A work item just closed, with the note given."""

    id: int
    resolution_note: str
    status: Literal["resolved"] = "resolved"


def resolve_work_item(
    db: Database,
    item_id: int,
    *,
    note: str,
    now: datetime,
    practice_id: int | None = None,
    actor: str = "cli",
    remote_addr: str | None = None,
) -> ResolvedItem:
    """Close a work item with a note (audited); another practice's item is not found."""
    from edigateway.persistence.event_rows import work_items_changed
    from edigateway.services.access import record

    if not note.strip():
        raise InputError("a resolution note is required (what was done: appeal sent, …)")
    with db.transaction() as session:
        query = select(WorkItemRow).where(WorkItemRow.id == item_id)
        if practice_id is not None:
            query = query.where(practice_work_items(practice_id))
        item = session.scalars(query).first()
        if item is None:
            raise NotFoundError(f"no work item {item_id}")
        if item.status != "open":
            raise ConflictError(
                f"work item {item_id} was already resolved on {item.resolved_at:%Y-%m-%d}"
            )
        item.status, item.resolved_at, item.resolution_note = "resolved", now, note.strip()
        work_items_changed(session, [item], at=now)
        record(
            session,
            actor=actor,
            practice_id=practice_id,
            action="change",
            resource="work_item",
            resource_id=str(item_id),
            at=now,
            remote_addr=remote_addr,
            detail="resolved",
        )
    return ResolvedItem(item_id, note.strip())
