"""Which of the fixing and sending actions a claim offers now, so that the dashboard shows a
coordinator only the buttons that can work (the use cases themselves still refuse a claim
that moved in between: this is guidance, not the check)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.domain.claim_lifecycle import REJECTED, ClaimState
from edigateway.domain.postings import WorkReason
from edigateway.errors import NotFoundError
from edigateway.persistence.tables import ClaimRow, WorkItemRow

if TYPE_CHECKING:
    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller


@dataclass(frozen=True, slots=True)
class ClaimActions:
    """What can be done with a claim now."""

    submit: bool
    """Ready and not sent: queue it in an 837D."""
    edit: bool
    """Ready: correct it before it is sent."""
    resubmit: bool
    """Rejected by the 999 or 277CA and not resent: correct it and send it again."""
    cancel: bool
    """Ready, or rejected and not resent: it will never be sent."""
    replace: bool
    """The payer has it (its claim number is known) and nothing superseded it: a
    replacement (frequency 7) or a void (8)."""
    secondary: bool
    """The primary payer's 835 built its secondary claim, not sent yet."""


def available(db: Database, caller: Caller, claim_id: int) -> ClaimActions:
    """The actions claim ``claim_id`` of the caller's practice offers now."""
    with db.transaction() as session:
        row = session.scalars(
            select(ClaimRow).where(
                ClaimRow.id == claim_id, ClaimRow.practice_id == caller.practice_id
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no claim {claim_id}")
        secondary_due = session.scalars(
            select(WorkItemRow.id).where(
                WorkItemRow.claim_id == row.id,
                WorkItemRow.status == "open",
                WorkItemRow.reason == WorkReason.SECONDARY_NEEDED.value,
            )
        ).first()
        current = row.superseded_by_id is None
        ready = row.state == ClaimState.READY and current
        rejected = row.state in REJECTED and current
        return ClaimActions(
            submit=ready,
            edit=ready,
            resubmit=rejected,
            cancel=ready or rejected,
            replace=bool(row.payer_claim_control_number) and current,
            secondary=secondary_due is not None,
        )
