"""An appeal's life after it is made (issue 16, item 3): sent (the claim becomes
``appealed``, its denial work items close, the follow-up date is set), the follow-up
reminder opened once its day has come, and the payer's answer recorded (a lost appeal
opens a ``denied`` item again). Each step is once only: the appeal row is locked in the
transaction that writes its event (``tests/integration/test_appeal_race.py``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.domain.appeals import Decision, SendMethod
from edigateway.domain.claim_lifecycle import ClaimState
from edigateway.domain.postings import WorkReason
from edigateway.errors import ClaimInputError, ConflictError, FieldProblem
from edigateway.persistence.claim_rows import Move, note, transition
from edigateway.persistence.tables import (
    AppealRow,
    ClaimRow,
    WorkItemRow,
)
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.services.appeals_rows import (
    APPEALABLE,
    DENIAL_ITEMS,
    FOLLOW_UP_DAYS,
    AppealInfo,
    appeal_of,
    audit,
    cause_of,
    check_follow_up,
    close_items,
    info_of,
    record_change,
)

if TYPE_CHECKING:
    from datetime import datetime

    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller


def mark_sent(
    db: Database,
    caller: Caller,
    appeal_id: int,
    *,
    method: SendMethod,
    sent_on: date | None = None,
    follow_up_on: date | None = None,
    now: datetime,
) -> AppealInfo:
    """Record that the appeal went to the payer: the claim becomes ``appealed`` (its
    denied amount stays outstanding), its denial work items close, and the follow-up
    reminder is set (``sent_on`` + 30 days unless given)."""
    day = sent_on or now.date()
    if day > now.date():
        raise ClaimInputError(
            "appeal",
            [
                FieldProblem(
                    "sent_on", f"{day} is in the future; record the send when it has happened"
                )
            ],
        )
    due = follow_up_on or day + timedelta(days=FOLLOW_UP_DAYS)
    check_follow_up(due, day)
    with db.transaction() as session:
        row, claim = appeal_of(session, caller, appeal_id, lock=True)
        if row.sent_on is not None:
            raise ConflictError(
                f"appeal {appeal_id} was sent already on {row.sent_on} ({row.sent_method})"
            )
        session.refresh(claim, with_for_update=True)
        if claim.state not in APPEALABLE:
            raise ConflictError(
                f"claim {claim.id} is {claim.state} now; the appeal cannot be sent for it"
            )
        cause = cause_of(caller, f"appeal {row.id} sent by {method} on {day}")
        if claim.state == ClaimState.APPEALED:
            note(session, claim, cause, now)
        else:
            transition(session, [Move(claim, ClaimState.APPEALED, cause)], now=now)
        open_items = list(
            session.scalars(
                select(WorkItemRow.id).where(
                    WorkItemRow.claim_id == claim.id,
                    WorkItemRow.status == "open",
                    WorkItemRow.reason.in_(DENIAL_ITEMS),
                )
            )
        )
        close_items(session, open_items, f"appeal {row.id} sent by {method} on {day}", now)
        row.sent_on, row.sent_method, row.sent_by = day, method, caller.actor[:60]
        row.follow_up_on, row.updated_at = due, now
        audit(session, caller, "change", row, f"sent by {method} on {day}", now)
        record_change(session, row, claim, "sent", now)
        return info_of(session, row, claim)


def record_outcome(
    db: Database,
    caller: Caller,
    appeal_id: int,
    *,
    outcome: Decision,
    decided_on: date | None = None,
    note_text: str | None = None,
    now: datetime,
) -> AppealInfo:
    """Record the payer's answer to a sent appeal. The money comes with the payer's 835
    (or a write-off); a lost appeal opens a ``denied`` work item again for what is left."""
    day = decided_on or now.date()
    with db.transaction() as session:
        row, claim = appeal_of(session, caller, appeal_id, lock=True)
        if row.sent_on is None:
            raise ConflictError(f"appeal {appeal_id} has not been sent; record the send first")
        if row.outcome != "pending":
            raise ConflictError(
                f"appeal {appeal_id} was decided already ({row.outcome} on {row.outcome_on})"
            )
        if day < row.sent_on:
            raise ClaimInputError(
                "appeal",
                [
                    FieldProblem(
                        "decided_on", f"{day} is before the appeal was sent ({row.sent_on})"
                    )
                ],
            )
        row.outcome, row.outcome_on = outcome, day
        row.outcome_note = (note_text or "").strip()[:2000] or None
        row.updated_at = now
        if row.reminder_item_id is not None:
            close_items(session, [row.reminder_item_id], f"appeal {row.id} {outcome}", now)
        note(session, claim, cause_of(caller, f"appeal {row.id} {outcome.replace('_', ' ')}"), now)
        if outcome == "lost":
            add_work_item(
                session,
                created_at=now,
                reason=WorkReason.DENIED,
                message=f"appeal {row.id} of claim {claim.patient_control_number} lost on "
                f"{day}: write off what is left or appeal at the next level",
                claim_id=claim.id,
                patient_control_number=claim.patient_control_number,
                amount=row.denied_amount,
            )
        audit(session, caller, "change", row, f"outcome {outcome}", now)
        record_change(session, row, claim, "decided", now)
        return info_of(session, row, claim)


def open_due_reminders(db: Database, *, now: datetime, practice_id: int | None = None) -> int:
    """Open the follow-up work item of each sent, undecided appeal whose follow-up date
    has come (once each); how many were opened."""
    with db.transaction() as session:
        query = select(AppealRow).where(
            AppealRow.outcome == "pending",
            AppealRow.sent_on.is_not(None),
            AppealRow.follow_up_on <= now.date(),
            AppealRow.reminder_item_id.is_(None),
        )
        if practice_id is not None:
            query = query.where(AppealRow.practice_id == practice_id)
        rows = list(session.scalars(query.order_by(AppealRow.id).with_for_update(skip_locked=True)))
        for row in rows:
            claim = session.get(ClaimRow, row.claim_id)
            assert claim is not None  # noqa: S101 - a foreign key
            add_work_item(
                session,
                created_at=now,
                reason=WorkReason.APPEAL_FOLLOW_UP,
                message=f"appeal {row.id} of claim {claim.patient_control_number} sent by "
                f"{row.sent_method} on {row.sent_on}: no answer recorded; follow up with "
                "the payer, then record the outcome",
                claim_id=claim.id,
                patient_control_number=claim.patient_control_number,
                amount=row.denied_amount,
            )
            row.reminder_item_id = session.scalar(
                select(WorkItemRow.id).where(
                    WorkItemRow.claim_id == claim.id,
                    WorkItemRow.status == "open",
                    WorkItemRow.reason == WorkReason.APPEAL_FOLLOW_UP.value,
                )
            )
        return len(rows)
