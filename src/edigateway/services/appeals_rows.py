"""What the appeal use cases share (issue 16, item 3; :mod:`edigateway.services.appeals`
has the whole story): the appeal as every front end shows it (:class:`AppealInfo`), the
practice's appeal or claim found (another practice's is not found) and locked, the
``appeal.updated`` event and the audit row every change writes, the narrative and
follow-up checks, and closing the work items an appeal settles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy import select

from edigateway.domain.appeals import AppealStatus
from edigateway.domain.claim_lifecycle import Cause, ClaimState
from edigateway.domain.events import EventType
from edigateway.domain.postings import WorkReason
from edigateway.errors import ClaimInputError, FieldProblem, NotFoundError
from edigateway.persistence.database import cipher_of
from edigateway.persistence.event_rows import record as record_event
from edigateway.persistence.event_rows import work_items_changed
from edigateway.persistence.tables import AppealRow, ClaimRow, WorkItemRow
from edigateway.security.phi import Binding
from edigateway.services.access import record
from edigateway.services.appeal_documents import AppealLetter

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.services.practice_claims import Caller


APPEALABLE: Final = frozenset(
    {ClaimState.PAID, ClaimState.PARTIALLY_PAID, ClaimState.DENIED, ClaimState.APPEALED}
)
"""States a claim may be appealed in: the payer answered (an appeal of an appeal is a
second-level appeal)."""
FOLLOW_UP_DAYS: Final = 30
"""Days from sending to the follow-up reminder unless the coordinator gives a date: most
dental payers answer an appeal within 30 to 60 days."""
NARRATIVE_MAX: Final = 8000
DENIAL_ITEMS: Final = (WorkReason.DENIED.value, WorkReason.LINE_DENIED.value)
ZERO: Final = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class AppealInfo:
    """An appeal as the API, CLI and dashboard show it."""

    id: int
    claim_id: int
    patient_control_number: str
    payer_claim_control_number: str | None
    claim_state: str
    status: AppealStatus
    reason: str
    narrative: str
    attachment_ids: list[int]
    denied_amount: Decimal
    created_at: datetime
    created_by: str
    updated_at: datetime
    sent_on: date | None
    sent_method: str | None
    sent_by: str | None
    follow_up_on: date | None
    reminder_work_item_id: int | None
    outcome: str
    outcome_on: date | None
    outcome_note: str | None


def sealed(row: AppealRow, column: str) -> Binding:
    """Where an appeal's sealed ``column`` (narrative, letter) lives: it opens only in that
    row and column (and key rotation re-seals it there)."""
    return Binding("appeals", column, row.practice_id, str(row.id))


def status_of(row: AppealRow) -> AppealStatus:
    if row.outcome != "pending":
        return "decided"
    return "sent" if row.sent_on is not None else "draft"


def info_of(session: Session, row: AppealRow, claim: ClaimRow) -> AppealInfo:
    return AppealInfo(
        id=row.id,
        claim_id=row.claim_id,
        patient_control_number=claim.patient_control_number,
        payer_claim_control_number=claim.payer_claim_control_number,
        claim_state=claim.state,
        status=status_of(row),
        reason=row.reason,
        narrative=cipher_of(session).open(row.narrative, sealed(row, "narrative")),
        attachment_ids=[int(i) for i in json.loads(row.attachment_ids)],
        denied_amount=row.denied_amount,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        sent_on=row.sent_on,
        sent_method=row.sent_method,
        sent_by=row.sent_by,
        follow_up_on=row.follow_up_on,
        reminder_work_item_id=row.reminder_item_id,
        outcome=row.outcome,
        outcome_on=row.outcome_on,
        outcome_note=row.outcome_note,
    )


def claim_of(session: Session, caller: Caller, claim_id: int) -> ClaimRow:
    row = session.get(ClaimRow, claim_id)
    if row is None or row.practice_id != caller.practice_id:
        raise NotFoundError(f"no claim {claim_id}")
    return row


def appeal_of(
    session: Session, caller: Caller, appeal_id: int, *, lock: bool = False
) -> tuple[AppealRow, ClaimRow]:
    query = select(AppealRow).where(
        AppealRow.id == appeal_id, AppealRow.practice_id == caller.practice_id
    )
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFoundError(f"no appeal {appeal_id}")
    claim = session.get(ClaimRow, row.claim_id)
    assert claim is not None  # noqa: S101 - a foreign key
    return row, claim


def record_change(
    session: Session, row: AppealRow, claim: ClaimRow, change: str, at: datetime
) -> None:
    """``appeal.updated``: identifiers, status, dates and amounts (no names, no narrative)."""
    record_event(
        session,
        row.practice_id,
        EventType.APPEAL_UPDATED,
        f"appeals/{row.id}",
        {
            "appeal_id": row.id,
            "claim_id": claim.id,
            "patient_control_number": claim.patient_control_number,
            "change": change,
            "status": status_of(row),
            "reason": row.reason,
            "denied_amount": row.denied_amount,
            "sent_on": row.sent_on,
            "sent_method": row.sent_method,
            "follow_up_on": row.follow_up_on,
            "outcome": row.outcome,
            "outcome_on": row.outcome_on,
        },
        at=at,
    )


def audit(
    session: Session,
    caller: Caller,
    action: Literal["create", "change", "export"],
    row: AppealRow,
    detail: str,
    now: datetime,
) -> None:
    record(
        session,
        actor=caller.actor,
        practice_id=caller.practice_id,
        action=action,
        resource="appeal",
        resource_id=str(row.id),
        at=now,
        remote_addr=caller.remote_addr,
        detail=detail,
    )


def cause_of(caller: Caller, text: str) -> Cause:
    kind: Literal["user", "key"] = "key" if caller.actor.startswith("key:") else "user"
    return Cause(kind, text, actor=caller.actor)


def checked_narrative(text: str) -> str:
    kept = text.strip()
    if not kept:
        raise ClaimInputError(
            "appeal",
            [
                FieldProblem(
                    "narrative", "the narrative is empty: say why the decision should change"
                )
            ],
        )
    if len(kept) > NARRATIVE_MAX:
        raise ClaimInputError(
            "appeal",
            [FieldProblem("narrative", f"{len(kept):,} characters; at most {NARRATIVE_MAX:,}")],
        )
    return kept


def seal_letter(session: Session, row: AppealRow, narrative: str, letter: AppealLetter) -> None:
    cipher = cipher_of(session)
    row.narrative = cipher.seal(narrative, sealed(row, "narrative"))
    row.letter = cipher.seal(letter.model_dump_json(), sealed(row, "letter"))


def check_follow_up(follow_up_on: date, sent_on: date) -> None:
    if follow_up_on < sent_on:
        raise ClaimInputError(
            "appeal",
            [
                FieldProblem(
                    "follow_up_on", f"{follow_up_on} is before the appeal was sent ({sent_on})"
                )
            ],
        )


def close_items(session: Session, item_ids: list[int], text: str, now: datetime) -> int:
    items = list(
        session.scalars(
            select(WorkItemRow).where(WorkItemRow.id.in_(item_ids), WorkItemRow.status == "open")
        )
    )
    for item in items:
        item.status, item.resolved_at, item.resolution_note = "resolved", now, text
    work_items_changed(session, items, at=now)
    return len(items)
