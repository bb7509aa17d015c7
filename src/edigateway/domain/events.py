"""The kinds of event a practice-management system is told about, and which claim state
gives which event (pure data: the event log itself is :mod:`edigateway.persistence.event_rows`,
reading it :mod:`edigateway.services.events`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class EventType(StrEnum):
    """What happened. A new type is a documented, additive change (docs/api.md)."""

    CLAIM_CREATED = "claim.created"
    CLAIM_CHANGED = "claim.changed"
    CLAIM_SUBMITTED = "claim.submitted"
    CLAIM_ACCEPTED = "claim.accepted"
    CLAIM_REJECTED = "claim.rejected"
    CLAIM_PAID = "claim.paid"
    CLAIM_DENIED = "claim.denied"
    CLAIM_REVERSED = "claim.reversed"
    REMITTANCE_POSTED = "remittance.posted"
    WORK_ITEM_OPENED = "work_item.opened"
    WORK_ITEM_RESOLVED = "work_item.resolved"
    ELIGIBILITY_COMPLETED = "eligibility.completed"
    APPEAL_UPDATED = "appeal.updated"
    WEBHOOK_DISABLED = "webhook.disabled"


CLAIM_STATE_EVENTS: Final[dict[str, EventType]] = {
    "submitted": EventType.CLAIM_SUBMITTED,
    "predetermination_sent": EventType.CLAIM_SUBMITTED,
    "ch_accepted": EventType.CLAIM_ACCEPTED,
    "payer_accepted": EventType.CLAIM_ACCEPTED,
    "ch_rejected": EventType.CLAIM_REJECTED,
    "payer_rejected": EventType.CLAIM_REJECTED,
    "paid": EventType.CLAIM_PAID,
    "partially_paid": EventType.CLAIM_PAID,
    "denied": EventType.CLAIM_DENIED,
    "reversed": EventType.CLAIM_REVERSED,
    "appealed": EventType.APPEAL_UPDATED,
}
"""The state a claim moves to → its event; any other move is ``claim.changed``."""

STAGE: Final[dict[str, str]] = {
    "ch_accepted": "clearinghouse",
    "ch_rejected": "clearinghouse",
    "payer_accepted": "payer",
    "payer_rejected": "payer",
}
"""Who accepted or rejected a claim: the clearinghouse (999/TA1) or the payer (277CA)."""


def claim_event(state: str) -> EventType:
    """The event of a claim's move to ``state``."""
    return CLAIM_STATE_EVENTS.get(state, EventType.CLAIM_CHANGED)
