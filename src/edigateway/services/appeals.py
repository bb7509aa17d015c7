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
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import func, select

from edigateway.domain.appeals import AppealReason, AppealStatus, Decision, Outcome, SendMethod
from edigateway.domain.attachments import REPORT_TYPES
from edigateway.domain.claim_lifecycle import Cause, ClaimState
from edigateway.domain.events import EventType
from edigateway.domain.postings import WorkReason
from edigateway.errors import ClaimInputError, ConflictError, FieldProblem, NotFoundError
from edigateway.persistence.claim_rows import Move, note, transition
from edigateway.persistence.database import cipher_of
from edigateway.persistence.event_rows import record as record_event
from edigateway.persistence.event_rows import work_items_changed
from edigateway.persistence.tables import (
    AppealRow,
    ClaimAttachmentRow,
    ClaimRow,
    PostingRow,
    Practice,
    WorkItemRow,
)
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.security.phi import Binding
from edigateway.services.access import record
from edigateway.services.appeal_documents import (
    AppealLetter,
    Denial,
    Enclosure,
    LetterLine,
    Remark,
)
from edigateway.services.attachments import sealed_binding
from edigateway.services.claim_store import open_document

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.domain.claims import Claim
    from edigateway.domain.common import PersonName
    from edigateway.persistence.database import Database
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
_DECISION_KINDS: Final = frozenset({"denied", "other_adjustment"})
"""Posting kinds the letter lists as the payer's decision (a contractual reduction too
when the appeal is about an underpayment)."""
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


def _binding(row: AppealRow, column: str) -> Binding:
    return Binding("appeals", column, row.practice_id, str(row.id))


def sealed(row: AppealRow, column: str) -> Binding:
    """Where an appeal's sealed ``column`` (narrative, letter) lives (key rotation)."""
    return _binding(row, column)


def _status(row: AppealRow) -> AppealStatus:
    if row.outcome != "pending":
        return "decided"
    return "sent" if row.sent_on is not None else "draft"


def _info(session: Session, row: AppealRow, claim: ClaimRow) -> AppealInfo:
    return AppealInfo(
        id=row.id,
        claim_id=row.claim_id,
        patient_control_number=claim.patient_control_number,
        payer_claim_control_number=claim.payer_claim_control_number,
        claim_state=claim.state,
        status=_status(row),
        reason=row.reason,
        narrative=cipher_of(session).open(row.narrative, _binding(row, "narrative")),
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


def _claim(session: Session, caller: Caller, claim_id: int) -> ClaimRow:
    row = session.get(ClaimRow, claim_id)
    if row is None or row.practice_id != caller.practice_id:
        raise NotFoundError(f"no claim {claim_id}")
    return row


def _appeal(
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


def _event(session: Session, row: AppealRow, claim: ClaimRow, change: str, at: datetime) -> None:
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
            "status": _status(row),
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


def _audit(
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


def _cause(caller: Caller, text: str) -> Cause:
    kind: Literal["user", "key"] = "key" if caller.actor.startswith("key:") else "user"
    return Cause(kind, text, actor=caller.actor)


def _narrative(text: str) -> str:
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


def _enclosures(session: Session, claim: ClaimRow, attachment_ids: list[int]) -> list[Enclosure]:
    """The attachments named, each of this claim, in the order given."""
    if len(set(attachment_ids)) != len(attachment_ids):
        raise ClaimInputError(
            "appeal", [FieldProblem("attachment_ids", "an attachment is named twice")]
        )
    rows = {
        r.id: r
        for r in session.scalars(
            select(ClaimAttachmentRow).where(
                ClaimAttachmentRow.id.in_(attachment_ids), ClaimAttachmentRow.claim_id == claim.id
            )
        )
    }
    missing = [
        FieldProblem(
            f"attachment_ids[{n}]",
            f"claim {claim.id} has no attachment {i} (upload it first: "
            f"POST /v1/claims/{claim.id}/attachments)",
        )
        for n, i in enumerate(attachment_ids)
        if i not in rows
    ]
    if missing:
        raise ClaimInputError("appeal", missing)
    cipher = cipher_of(session)
    return [
        Enclosure(
            control_number=rows[i].control_number,
            report_type=rows[i].report_type,
            description=REPORT_TYPES.get(rows[i].report_type, rows[i].report_type),
            file_name=cipher.open(rows[i].file_name, sealed_binding(rows[i], "file_name")),
        )
        for i in attachment_ids
    ]


def _name(person: PersonName) -> str:
    return " ".join(
        p for p in (person.first_name, person.middle_name, person.last_name, person.suffix) if p
    )


def _address(claim: Claim) -> list[str]:
    where = claim.billing_provider.address
    lines = [
        where.line1,
        *([where.line2] if where.line2 else []),
        f"{where.city}, {where.state} {where.postal_code[:5]}",
    ]
    contact = claim.billing_provider.contact
    if contact is not None and contact.phone:
        phone = contact.phone
        lines.append(f"Phone ({phone[:3]}) {phone[3:6]}-{phone[6:]}")
    return lines


def _payer_address(claim: Claim) -> list[str]:
    where = claim.payer.address
    if where is None:
        return []
    return [
        where.line1,
        *([where.line2] if where.line2 else []),
        f"{where.city}, {where.state} {where.postal_code[:5]}",
    ]


def gather(
    session: Session,
    claim_row: ClaimRow,
    *,
    reason: AppealReason,
    narrative: str,
    enclosures: list[Enclosure],
    codes: CodeLists,
    today: date,
) -> AppealLetter:
    """The letter's facts from the claim as submitted and what was posted against it."""
    claim = open_document(session, claim_row)
    practice = session.get(Practice, claim_row.practice_id)
    assert practice is not None  # noqa: S101 - a foreign key
    sums: dict[tuple[int | None, str], Decimal] = {}
    for line_number, kind, amount in session.execute(
        select(PostingRow.line_number, PostingRow.kind, func.sum(PostingRow.amount))
        .where(PostingRow.claim_id == claim_row.id, PostingRow.held.is_(False))
        .group_by(PostingRow.line_number, PostingRow.kind)
    ):
        sums[(line_number, kind)] = amount or ZERO

    def paid(line: int | None) -> Decimal:
        return sums.get((line, "paid"), ZERO) + sums.get((line, "reversal"), ZERO)

    kinds = _DECISION_KINDS | ({"contractual"} if reason == "underpayment" else set())
    found: dict[tuple[int | None, str, str, str], Decimal] = {}
    for row in session.scalars(
        select(PostingRow)
        .where(
            PostingRow.claim_id == claim_row.id,
            PostingRow.held.is_(False),
            PostingRow.reason_code.is_not(None),
            PostingRow.kind.in_(kinds),
        )
        .order_by(PostingRow.id)
    ):
        key = (row.line_number, row.group_code or "", row.reason_code or "", row.remark_codes)
        found[key] = found.get(key, ZERO) + row.amount
    procedures = {n: line.procedure_code for n, line in enumerate(claim.lines, start=1)}
    denials = [
        Denial(
            line_number=line,
            procedure_code=procedures.get(line) if line else None,
            group=group,
            code=code,
            meaning=codes.describe_carc(code) or "a reason code not in our list",
            remarks=[
                Remark(code=r, meaning=codes.describe_rarc(r) or "a remark code not in our list")
                for r in remarks.split(",")
                if r
            ],
            amount=amount,
        )
        for (line, group, code, remarks), amount in found.items()
        if amount != ZERO
    ]
    shown = {r.code for d in denials for r in d.remarks}
    claim_remarks = [
        Remark(code=r, meaning=codes.describe_rarc(r) or "a remark code not in our list")
        for r in dict.fromkeys(
            code
            for text in session.scalars(
                select(WorkItemRow.codes)
                .where(WorkItemRow.claim_id == claim_row.id, WorkItemRow.reason.in_(DENIAL_ITEMS))
                .order_by(WorkItemRow.id)
            )
            for code in text.split(",")
            if code and "-" not in code
        )
        if r not in shown
    ]
    lines = [
        LetterLine(
            line_number=n,
            procedure_code=line.procedure_code,
            description=line.description,
            teeth=", ".join(
                t.tooth + ("".join(t.surfaces) and f" {''.join(t.surfaces)}") for t in line.teeth
            ),
            service_date=line.service_date or claim.service_date,
            charge=line.charge,
            paid=paid(n),
            denied=sums.get((n, "denied"), ZERO),
        )
        for n, line in enumerate(claim.lines, start=1)
    ]
    dates = [d for d in (ln.service_date for ln in lines) if d is not None]
    patient = claim.patient.name if claim.patient else claim.subscriber.name
    contact = claim.billing_provider.contact
    total_paid = sum((paid(n) for n in [None, *procedures]), ZERO)
    return AppealLetter(
        prepared_on=today,
        practice_name=claim.billing_provider.display_name or practice.name,
        practice_npi=claim.billing_provider.npi,
        practice_tax_id=claim.billing_provider.tax_id,
        practice_address=_address(claim),
        signer=contact.name if contact is not None else "Billing office",
        payer_name=claim.payer.name,
        payer_id=claim.payer.payer_id,
        payer_address=_payer_address(claim),
        patient_name=_name(patient),
        patient_birth_date=claim.patient.date_of_birth
        if claim.patient
        else claim.subscriber.date_of_birth,
        subscriber_name=_name(claim.subscriber.name),
        member_id=claim.subscriber.member_id,
        group_number=claim.subscriber.group_number,
        claim_number=claim.patient_control_number,
        payer_claim_number=claim_row.payer_claim_control_number,
        first_service_date=min(dates, default=None),
        last_service_date=max(dates, default=None),
        submitted_on=claim_row.submitted_on,
        lines=lines,
        billed=claim.total_charge,
        paid=total_paid,
        denied=sum((amount for (_l, kind), amount in sums.items() if kind == "denied"), ZERO),
        denials=denials,
        remarks=claim_remarks,
        reason=reason,
        narrative=narrative,
        enclosures=enclosures,
    )


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
    text = _narrative(narrative)
    with db.transaction() as session:
        claim = _claim(session, caller, claim_id)
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
            enclosures=_enclosures(session, claim, attachment_ids),
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
        _seal(session, row, text, letter)
        _audit(session, caller, "create", row, f"claim {claim_id} {reason}", now)
        _event(session, row, claim, "created", now)
        return _info(session, row, claim)


def _seal(session: Session, row: AppealRow, narrative: str, letter: AppealLetter) -> None:
    cipher = cipher_of(session)
    row.narrative = cipher.seal(narrative, _binding(row, "narrative"))
    row.letter = cipher.seal(letter.model_dump_json(), _binding(row, "letter"))


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
        row, claim = _appeal(session, caller, appeal_id, lock=True)
        redraw = reason is not None or narrative is not None or attachment_ids is not None
        if redraw and row.sent_on is not None:
            raise ConflictError(
                f"appeal {appeal_id} was sent on {row.sent_on}: its letter "
                "is what the payer has; make a new appeal instead"
            )
        if follow_up_on is not None:
            if row.outcome != "pending":
                raise ConflictError(f"appeal {appeal_id} is decided ({row.outcome})")
            _check_follow_up(follow_up_on, row.sent_on or now.date())
            row.follow_up_on = follow_up_on
            if row.reminder_item_id is not None and follow_up_on > now.date():
                _close(session, [row.reminder_item_id], f"follow-up moved to {follow_up_on}", now)
                row.reminder_item_id = None
        if redraw:
            cipher = cipher_of(session)
            old = AppealLetter.model_validate_json(cipher.open(row.letter, _binding(row, "letter")))
            ids = (
                attachment_ids
                if attachment_ids is not None
                else [int(i) for i in json.loads(row.attachment_ids)]
            )
            text = _narrative(narrative) if narrative is not None else old.narrative
            chosen: AppealReason = reason or old.reason
            letter = gather(
                session,
                claim,
                reason=chosen,
                narrative=text,
                enclosures=_enclosures(session, claim, ids),
                codes=codes,
                today=now.date(),
            )
            row.reason, row.attachment_ids = chosen, json.dumps(ids)
            row.denied_amount = letter.denied
            _seal(session, row, text, letter)
        row.updated_at = now
        _audit(session, caller, "change", row, "changed", now)
        _event(session, row, claim, "changed", now)
        return _info(session, row, claim)


def _check_follow_up(follow_up_on: date, sent_on: date) -> None:
    if follow_up_on < sent_on:
        raise ClaimInputError(
            "appeal",
            [
                FieldProblem(
                    "follow_up_on", f"{follow_up_on} is before the appeal was sent ({sent_on})"
                )
            ],
        )


def _close(session: Session, item_ids: list[int], text: str, now: datetime) -> int:
    items = list(
        session.scalars(
            select(WorkItemRow).where(WorkItemRow.id.in_(item_ids), WorkItemRow.status == "open")
        )
    )
    for item in items:
        item.status, item.resolved_at, item.resolution_note = "resolved", now, text
    work_items_changed(session, items, at=now)
    return len(items)


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
    _check_follow_up(due, day)
    with db.transaction() as session:
        row, claim = _appeal(session, caller, appeal_id, lock=True)
        if row.sent_on is not None:
            raise ConflictError(
                f"appeal {appeal_id} was sent already on {row.sent_on} ({row.sent_method})"
            )
        session.refresh(claim, with_for_update=True)
        if claim.state not in APPEALABLE:
            raise ConflictError(
                f"claim {claim.id} is {claim.state} now; the appeal cannot be sent for it"
            )
        cause = _cause(caller, f"appeal {row.id} sent by {method} on {day}")
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
        _close(session, open_items, f"appeal {row.id} sent by {method} on {day}", now)
        row.sent_on, row.sent_method, row.sent_by = day, method, caller.actor[:60]
        row.follow_up_on, row.updated_at = due, now
        _audit(session, caller, "change", row, f"sent by {method} on {day}", now)
        _event(session, row, claim, "sent", now)
        return _info(session, row, claim)


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
        row, claim = _appeal(session, caller, appeal_id, lock=True)
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
            _close(session, [row.reminder_item_id], f"appeal {row.id} {outcome}", now)
        note(session, claim, _cause(caller, f"appeal {row.id} {outcome.replace('_', ' ')}"), now)
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
        _audit(session, caller, "change", row, f"outcome {outcome}", now)
        _event(session, row, claim, "decided", now)
        return _info(session, row, claim)


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
            _claim(session, caller, claim_id)
            query = query.where(AppealRow.claim_id == claim_id)
        if outcome is not None:
            query = query.where(AppealRow.outcome == outcome)
        found = [
            _info(session, row, claim)
            for row, claim in session.execute(query.order_by(AppealRow.id.desc()))
        ]
        return [a for a in found if status is None or a.status == status]


def appeal(db: Database, caller: Caller, appeal_id: int) -> AppealInfo:
    """One appeal."""
    with db.transaction() as session:
        row, claim = _appeal(session, caller, appeal_id)
        return _info(session, row, claim)


def letter(db: Database, caller: Caller, appeal_id: int, *, now: datetime) -> AppealLetter:
    """The appeal's letter (its facts as gathered; the download is audited)."""
    with db.transaction() as session:
        row, _claim_row = _appeal(session, caller, appeal_id)
        kept = cipher_of(session).open(row.letter, _binding(row, "letter"))
        _audit(session, caller, "export", row, "letter", now)
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
