"""Appeals of a payer's decision on a claim (issue 16, item 3): make one with its letter,
track it (sent, follow-up, outcome), and the reminder that opens on the follow-up date.

An appeal is made for a claim the payer answered (``paid``, ``partially_paid``,
``denied``, or ``appealed`` already: a second-level appeal). Its letter's facts
(:class:`~edigateway.services.appeal_documents.AppealLetter`) are gathered then — the
claim as submitted, its postings per line, each denial's CARC/RARC in words, the
attachments it encloses — and kept sealed with the narrative, so the letter stays the one
that was sent.

Sending it (:func:`mark_sent`: date, method, follow-up date — 30 days later unless
given) moves the claim to ``appealed`` through the one state writer
(:func:`~edigateway.persistence.claim_rows.transition`) and closes the claim's open denial
work items (``denied``, ``line_denied``): the appeal is what was done about them. The
ledger needs no entry for it: a denied amount (posting kind ``denied``) never counted as
settled, so it is outstanding — in A/R — while the appeal runs, and the payer's new 835
(adjudications are allowed from ``appealed``) or a write-off settles it.

The follow-up reminder is a work item (``appeal_follow_up``) opened by
:func:`open_due_reminders` once the date has come and no outcome is recorded; the work
queue runs it before listing (and ``edigateway appeals remind`` from cron, or the
scheduler), so the item appears on its day. Recording the outcome (:func:`record_outcome`)
closes it; a lost appeal opens a ``denied`` item again (write the amount off, or appeal at
the next level).

Every change writes an ``appeal.updated`` event and an audit row; another practice's
appeal or claim is not found.

The use cases live by concern — :mod:`~edigateway.services.appeals_rows` (what they share),
:mod:`~edigateway.services.appeals_letters` (the letter's facts),
:mod:`~edigateway.services.appeals_tracking` (sent, reminders, outcome) — and callers use
them from here.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from edigateway.domain.appeals import AppealReason, AppealStatus, Outcome
from edigateway.errors import ConflictError, NotFoundError
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import (
    AppealRow,
    ClaimRow,
    Practice,
)
from edigateway.services.appeal_documents import AppealLetter
from edigateway.services.appeals_letters import enclosures, gather
from edigateway.services.appeals_rows import (
    APPEALABLE,
    FOLLOW_UP_DAYS,
    NARRATIVE_MAX,
    AppealInfo,
    appeal_of,
    audit,
    check_follow_up,
    checked_narrative,
    claim_of,
    close_items,
    info_of,
    record_change,
    seal_letter,
    sealed,
)
from edigateway.services.appeals_tracking import mark_sent, open_due_reminders, record_outcome

if TYPE_CHECKING:
    from datetime import datetime

    from edigateway.codelists import CodeLists
    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller

__all__ = [
    "APPEALABLE",
    "FOLLOW_UP_DAYS",
    "NARRATIVE_MAX",
    "AppealInfo",
    "appeal",
    "appeals_of",
    "as_json",
    "change",
    "create",
    "file_stem",
    "gather",
    "letter",
    "mark_sent",
    "open_due_reminders",
    "practice_of",
    "record_outcome",
    "sealed",
]


def create(
    db: Database,
    caller: Caller,
    claim_id: int,
    *,
    reason: AppealReason,
    narrative: str,
    attachment_ids: list[int],
    codes: CodeLists,
    now: datetime,
) -> AppealInfo:
    """Make an appeal of the claim with its letter (see module docstring); refused: a
    claim the payer has not answered, or one that already has an appeal not yet sent."""
    text = checked_narrative(narrative)
    with db.transaction() as session:
        claim = claim_of(session, caller, claim_id)
        if claim.state not in APPEALABLE:
            raise ConflictError(
                f"claim {claim_id} is {claim.state}: only a claim the payer answered (paid, "
                "partially paid, denied, or appealed for a second level) can be appealed"
            )
        draft = session.scalar(
            select(AppealRow.id).where(AppealRow.claim_id == claim_id, AppealRow.sent_on.is_(None))
        )
        if draft is not None:
            raise ConflictError(
                f"claim {claim_id} has appeal {draft} not sent yet: change "
                "that one (PATCH) or send it first"
            )
        letter = gather(
            session,
            claim,
            reason=reason,
            narrative=text,
            enclosures=enclosures(session, claim, attachment_ids),
            codes=codes,
            today=now.date(),
        )
        row = AppealRow(
            practice_id=caller.practice_id,
            claim_id=claim_id,
            reason=reason,
            narrative="",
            letter="",
            attachment_ids=json.dumps(attachment_ids),
            denied_amount=letter.denied,
            created_at=now,
            created_by=caller.actor[:60],
            updated_at=now,
            outcome="pending",
        )
        session.add(row)
        session.flush()
        seal_letter(session, row, text, letter)
        audit(session, caller, "create", row, f"claim {claim_id} {reason}", now)
        record_change(session, row, claim, "created", now)
        return info_of(session, row, claim)


def change(
    db: Database,
    caller: Caller,
    appeal_id: int,
    *,
    reason: AppealReason | None = None,
    narrative: str | None = None,
    attachment_ids: list[int] | None = None,
    follow_up_on: date | None = None,
    codes: CodeLists,
    now: datetime,
) -> AppealInfo:
    """Change an appeal: its reason, narrative or enclosures while it is not sent (the
    letter is gathered again), its follow-up date until the outcome is in."""
    with db.transaction() as session:
        row, claim = appeal_of(session, caller, appeal_id, lock=True)
        redraw = reason is not None or narrative is not None or attachment_ids is not None
        if redraw and row.sent_on is not None:
            raise ConflictError(
                f"appeal {appeal_id} was sent on {row.sent_on}: its letter "
                "is what the payer has; make a new appeal instead"
            )
        if follow_up_on is not None:
            if row.outcome != "pending":
                raise ConflictError(f"appeal {appeal_id} is decided ({row.outcome})")
            check_follow_up(follow_up_on, row.sent_on or now.date())
            row.follow_up_on = follow_up_on
            if row.reminder_item_id is not None and follow_up_on > now.date():
                close_items(
                    session, [row.reminder_item_id], f"follow-up moved to {follow_up_on}", now
                )
                row.reminder_item_id = None
        if redraw:
            cipher = cipher_of(session)
            old = AppealLetter.model_validate_json(cipher.open(row.letter, sealed(row, "letter")))
            ids = (
                attachment_ids
                if attachment_ids is not None
                else [int(i) for i in json.loads(row.attachment_ids)]
            )
            text = checked_narrative(narrative) if narrative is not None else old.narrative
            chosen: AppealReason = reason or old.reason
            letter = gather(
                session,
                claim,
                reason=chosen,
                narrative=text,
                enclosures=enclosures(session, claim, ids),
                codes=codes,
                today=now.date(),
            )
            row.reason, row.attachment_ids = chosen, json.dumps(ids)
            row.denied_amount = letter.denied
            seal_letter(session, row, text, letter)
        row.updated_at = now
        audit(session, caller, "change", row, "changed", now)
        record_change(session, row, claim, "changed", now)
        return info_of(session, row, claim)


def appeals_of(
    db: Database,
    caller: Caller,
    *,
    claim_id: int | None = None,
    outcome: Outcome | None = None,
    status: AppealStatus | None = None,
) -> list[AppealInfo]:
    """The practice's appeals (of one claim, outcome or status when given), newest first."""
    with db.transaction() as session:
        query = (
            select(AppealRow, ClaimRow)
            .join(ClaimRow, ClaimRow.id == AppealRow.claim_id)
            .where(AppealRow.practice_id == caller.practice_id)
        )
        if claim_id is not None:
            claim_of(session, caller, claim_id)
            query = query.where(AppealRow.claim_id == claim_id)
        if outcome is not None:
            query = query.where(AppealRow.outcome == outcome)
        found = [
            info_of(session, row, claim)
            for row, claim in session.execute(query.order_by(AppealRow.id.desc()))
        ]
        return [a for a in found if status is None or a.status == status]


def appeal(db: Database, caller: Caller, appeal_id: int) -> AppealInfo:
    """One appeal."""
    with db.transaction() as session:
        row, claim = appeal_of(session, caller, appeal_id)
        return info_of(session, row, claim)


def letter(db: Database, caller: Caller, appeal_id: int, *, now: datetime) -> AppealLetter:
    """The appeal's letter (its facts as gathered; the download is audited)."""
    with db.transaction() as session:
        row, _claim_row = appeal_of(session, caller, appeal_id)
        kept = cipher_of(session).open(row.letter, sealed(row, "letter"))
        audit(session, caller, "export", row, "letter", now)
        return AppealLetter.model_validate_json(kept)


def file_stem(info: AppealInfo | AppealLetter, appeal_id: int) -> str:
    """The letter's download name (without extension)."""
    number = info.claim_number if isinstance(info, AppealLetter) else info.patient_control_number
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in number)
    return f"appeal-{appeal_id}-{safe}"


def as_json(info: AppealInfo) -> dict[str, Any]:
    """An appeal as the CLI prints it with ``--json`` (amounts as exact strings)."""
    return {
        "id": info.id,
        "claim_id": info.claim_id,
        "patient_control_number": info.patient_control_number,
        "payer_claim_control_number": info.payer_claim_control_number,
        "claim_state": info.claim_state,
        "status": info.status,
        "reason": info.reason,
        "attachment_ids": info.attachment_ids,
        "denied_amount": str(info.denied_amount),
        "created_at": info.created_at.isoformat(timespec="seconds"),
        "created_by": info.created_by,
        "sent_on": info.sent_on.isoformat() if info.sent_on else None,
        "sent_method": info.sent_method,
        "follow_up_on": info.follow_up_on.isoformat() if info.follow_up_on else None,
        "reminder_work_item_id": info.reminder_work_item_id,
        "outcome": info.outcome,
        "outcome_on": info.outcome_on.isoformat() if info.outcome_on else None,
        "outcome_note": info.outcome_note,
    }


def practice_of(db: Database, appeal_id: int, *, practice_npi: str | None) -> int:
    """The practice of appeal ``appeal_id`` for the command line (which acts for any
    practice): not found when it is none, or not ``practice_npi``'s when that is given."""
    with db.transaction() as session:
        query = select(AppealRow.practice_id).where(AppealRow.id == appeal_id)
        if practice_npi is not None:
            query = query.join(Practice, Practice.id == AppealRow.practice_id).where(
                Practice.npi == practice_npi
            )
        found = session.scalar(query)
    if found is None:
        raise NotFoundError(f"no appeal {appeal_id}")
    return found
