"""The "secondary claim due" work items, closed as the secondary claim goes out.

Apart from :mod:`.secondary` (which sends a secondary claim through the outbox) so that the
outbox (:mod:`.submissions`) can close them for every claim it queues without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from edigateway.domain.postings import WorkReason
from edigateway.persistence.tables import ClaimRow, WorkItemRow
from edigateway.reconcile.secondary import secondary_control_number

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

__all__ = ["SUFFIX", "close_secondary_items", "secondary_control_number"]

SUFFIX = secondary_control_number("")
"""What a secondary claim's patient control number ends with (``-S``)."""


def close_secondary_items(
    session: Session, claim_ids: list[int], *, now: datetime, file_name: str
) -> list[int]:
    """Resolve the open "secondary claim due" work items of the primaries whose secondary
    claims (among ``claim_ids``, just queued) are on their way; their IDs. One conditional
    UPDATE: an item resolved by hand meanwhile is left as it is."""
    secondaries = session.execute(
        select(ClaimRow.practice_id, ClaimRow.patient_control_number).where(
            ClaimRow.id.in_(claim_ids), ClaimRow.patient_control_number.endswith(SUFFIX)
        )
    ).all()
    primaries: list[int] = []
    for practice, pcn in secondaries:
        primaries += session.scalars(
            select(ClaimRow.id).where(
                ClaimRow.practice_id == practice,
                ClaimRow.patient_control_number == pcn.removesuffix(SUFFIX),
            )
        ).all()
    if not primaries:
        return []
    return list(
        session.scalars(
            update(WorkItemRow)
            .where(
                WorkItemRow.claim_id.in_(primaries),
                WorkItemRow.status == "open",
                WorkItemRow.reason == WorkReason.SECONDARY_NEEDED.value,
            )
            .values(
                status="resolved",
                resolved_at=now,
                resolution_note=f"the secondary claim was queued in {file_name}",
            )
            .returning(WorkItemRow.id)
        )
    )
