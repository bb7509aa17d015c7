"""Moving claims along the exchange: forward only, each move a history row with its cause.

Sending (:mod:`.outbox`: ``queued → submitted``, or ``predetermination_sent`` for a
predetermination) and the acknowledgment routers (:mod:`.ack_routers`: ``ch_accepted``,
``ch_rejected``, ``payer_accepted``, ``payer_rejected``) move claims through
:class:`Mover`, which asks the lifecycle (:mod:`edigateway.domain.claim_lifecycle`)
whether a move goes forward and moves through the one writer of claim states
(:func:`~edigateway.persistence.claim_rows.transition`): a late or repeated answer never
pulls a claim back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edigateway.domain.claim_lifecycle import Cause, CauseKind, ClaimState, allowed
from edigateway.persistence.claim_rows import Move, transition
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.services.received import clean

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.postings import WorkReason
    from edigateway.persistence.tables import ClaimRow


class Mover:
    """Moves claims forward only, each move a history row with its cause; opens the work
    items the moves call for."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self.moved: dict[str, int] = {}

    def move(self, claim: ClaimRow, state: str, reason: str, *, kind: CauseKind = "file") -> bool:
        """Move ``claim`` to ``state`` unless it is there or beyond already (``kind``:
        what moved it: a received file, or the gateway sending it)."""
        target = ClaimState(state)
        if target is ClaimState.SUBMITTED and claim.kind == "predetermination":
            target = ClaimState.PREDETERMINATION_SENT
        if not allowed(claim.state, target, kind):
            return False
        transition(self.session, [Move(claim, target, Cause(kind, reason))], now=self.now)
        self.moved[state] = self.moved.get(state, 0) + 1
        return True

    def work(
        self,
        reason: WorkReason,
        message: str,
        *,
        claim: ClaimRow | None = None,
        submission_id: int | None = None,
        codes: str = "",
    ) -> None:
        """Open a work item about ``claim`` or a submission."""
        add_work_item(
            self.session,
            created_at=self.now,
            reason=reason,
            message=clean(message),
            codes=clean(codes),
            claim_id=claim.id if claim else None,
            patient_control_number=claim.patient_control_number if claim else None,
            amount=claim.total_charge if claim else None,
            submission_id=submission_id,
        )
