"""Payments a person decides on, and what a person settles by hand.

An 835 claim payment is not posted when a guard holds it (:mod:`edigateway.reconcile.
guards`: review ``held``) or when the payer's ERA policy wants a person to look first
(``semi`` / ``review``: review ``awaiting``). Its postings are written with ``held`` and
count nowhere. Here a person:

* lists them (:func:`pending`);
* **approves** one (:func:`approve`): its postings count, the claim moves to the state the
  payment decided, its work items close — one conditional UPDATE of the payment's review,
  so two people approving at once post it once. Guards win over the policy: a held
  payment is approved only by an explicit act, recorded in the claim's history and the
  audit trail with who;
* **dismisses** one (:func:`dismiss`): it stays written, counted nowhere, for good (a true
  duplicate);
* **writes off** what the payer left on a claim (:func:`write_off`, a ``write_off``
  posting, all or part of what is outstanding) or **closes** it by moving the rest to the
  patient (:func:`close`, a ``patient_transfer`` posting); either closes the claim's
  denial work items.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, TypedDict

from sqlalchemy import func, select, update

from edigateway.domain.claim_lifecycle import Cause, ClaimState, allowed
from edigateway.domain.postings import WorkReason
from edigateway.domain.remittances import ClaimPayment
from edigateway.errors import ConflictError, InputError, NotFoundError, PhiError
from edigateway.persistence.claim_rows import Move, note, transition
from edigateway.persistence.event_rows import work_items_changed
from edigateway.persistence.inbound_rows import StoredPieces, open_stored
from edigateway.persistence.remittance_rows import claim_contexts
from edigateway.persistence.tables import (
    ClaimRow,
    InboundFileRow,
    Payer,
    PostingRow,
    Practice,
    RemittanceClaimRow,
    RemittanceFileRow,
    RemittanceRow,
    WorkItemRow,
)
from edigateway.reconcile.secondary import build_secondary
from edigateway.services.access import record
from edigateway.services.claim_store import open_document, store_claim
from edigateway.services.ledger import ledgers
from edigateway.x12.envelope import iter_segments
from edigateway.x12.x835_005010X221A1 import iter_835

if TYPE_CHECKING:
    from datetime import date, datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller

ZERO = Decimal("0.00")
Review = Literal["held", "awaiting"]
ActorKind = Literal["user", "key"]
_DENIAL_ITEMS = ("denied", "line_denied")


class Acting(TypedDict):
    """Who decides, when and from where: the keyword arguments :func:`approve`,
    :func:`dismiss`, :func:`write_off` and :func:`close` all take, so a front end spells
    them once (``**acting``; mypy checks each key against each function)."""

    now: datetime
    actor: str
    actor_kind: ActorKind
    practice_id: int | None
    remote_addr: str | None


def acting(caller: Caller, *, now: datetime, kind: ActorKind) -> Acting:
    """:class:`Acting` for a front end's caller (an API key's, a signed-in user's)."""
    return Acting(
        now=now,
        actor=caller.actor,
        actor_kind=kind,
        practice_id=caller.practice_id,
        remote_addr=caller.remote_addr,
    )


@dataclass(frozen=True, slots=True)
class PendingPayment:
    """A claim payment written but not posted: held by a guard or awaiting approval."""

    id: int
    claim: str
    claim_id: int | None
    review: Review
    reason: str
    status: str
    paid: Decimal
    charge: Decimal
    payer_claim_control_number: str | None
    planned_state: str | None
    file: str
    trace_number: str


@dataclass(frozen=True, slots=True)
class Decided:
    """What became of a pending payment."""

    id: int
    claim: str
    decision: Literal["approved", "dismissed"]
    state: str | None
    items_closed: int
    secondary_claim: str | None = None
    """The secondary claim stored (state ready) because the approved primary payment made
    it due, as posting an unheld one does."""


@dataclass(frozen=True, slots=True)
class Settled:
    """A claim's balance settled by hand."""

    claim: str
    action: Literal["write_off", "close"]
    amount: Decimal
    state: str
    outstanding: Decimal
    items_closed: int


def pending(db: Database, *, practice_id: int | None = None) -> list[PendingPayment]:
    """Held and awaiting claim payments (of one practice's claims, when given), oldest
    first."""
    query = (
        select(RemittanceClaimRow, RemittanceRow.trace_number, RemittanceFileRow.name)
        .join(RemittanceRow, RemittanceRow.id == RemittanceClaimRow.remittance_id)
        .join(RemittanceFileRow, RemittanceFileRow.id == RemittanceRow.file_id)
        .where(RemittanceClaimRow.review.in_(("held", "awaiting")))
        .order_by(RemittanceClaimRow.id)
    )
    if practice_id is not None:
        query = query.where(
            RemittanceClaimRow.claim_id.in_(
                select(ClaimRow.id).where(ClaimRow.practice_id == practice_id)
            )
        )
    with db.transaction() as session:
        return [
            PendingPayment(
                id=rc.id,
                claim=rc.patient_control_number,
                claim_id=rc.claim_id,
                review="held" if rc.review == "held" else "awaiting",
                reason=rc.review_reason or "",
                status=rc.status,
                paid=rc.paid,
                charge=rc.charge,
                payer_claim_control_number=rc.payer_claim_control_number,
                planned_state=rc.planned_state,
                file=name,
                trace_number=trace,
            )
            for rc, trace, name in session.execute(query)
        ]


def _pending_row(session: Session, payment_id: int, practice_id: int | None) -> RemittanceClaimRow:
    query = select(RemittanceClaimRow).where(RemittanceClaimRow.id == payment_id)
    if practice_id is not None:
        query = query.where(
            RemittanceClaimRow.claim_id.in_(
                select(ClaimRow.id).where(ClaimRow.practice_id == practice_id)
            )
        )
    row = session.scalars(query.with_for_update()).first()
    if row is None:
        raise NotFoundError(f"no claim payment {payment_id}")
    return row


def _claim_moment(session: Session, payment_id: int, review: str, to: str | None) -> bool:
    """The one conditional UPDATE that decides a pending payment (once, whoever races)."""
    done = session.scalars(
        update(RemittanceClaimRow)
        .where(RemittanceClaimRow.id == payment_id, RemittanceClaimRow.review == review)
        .values(review=to)
        .returning(RemittanceClaimRow.id)
    ).first()
    return done is not None


def _close_items(session: Session, items: list[WorkItemRow], note_text: str, now: datetime) -> int:
    for item in items:
        item.status, item.resolved_at, item.resolution_note = "resolved", now, note_text
    work_items_changed(session, items, at=now)
    return len(items)


def _payment_items(session: Session, row: RemittanceClaimRow) -> list[WorkItemRow]:
    """The open work items about this payment; for the last awaiting payment of a
    remittance under a ``semi`` policy, the remittance's one approval item too."""
    items = list(
        session.scalars(
            select(WorkItemRow).where(
                WorkItemRow.remittance_claim_id == row.id, WorkItemRow.status == "open"
            )
        )
    )
    others = session.scalar(
        select(RemittanceClaimRow.id).where(
            RemittanceClaimRow.remittance_id == row.remittance_id,
            RemittanceClaimRow.review == "awaiting",
            RemittanceClaimRow.id != row.id,
        )
    )
    if others is None:
        items += list(
            session.scalars(
                select(WorkItemRow).where(
                    WorkItemRow.remittance_id == row.remittance_id,
                    WorkItemRow.remittance_claim_id.is_(None),
                    WorkItemRow.claim_id.is_(None),
                    WorkItemRow.reason == "era_review",
                    WorkItemRow.status == "open",
                )
            )
        )
    return items


def approve(
    db: Database,
    payment_id: int,
    *,
    now: datetime,
    actor: str,
    actor_kind: ActorKind = "user",
    practice_id: int | None = None,
    remote_addr: str | None = None,
) -> Decided:
    """Post a held or awaiting claim payment (see module doc)."""
    with db.transaction() as session:
        row = _pending_row(session, payment_id, practice_id)
        review = row.review
        if review not in ("held", "awaiting"):
            what = "posted already" if review is None else "dismissed"
            raise ConflictError(f"claim payment {payment_id} was {what}; nothing to approve")
        if not _claim_moment(session, payment_id, review, None):
            raise ConflictError(f"claim payment {payment_id} was decided by someone else")
        session.execute(
            update(PostingRow)
            .where(PostingRow.remittance_claim_id == payment_id)
            .values(held=False)
        )
        _refuse_settling_twice(session, row)
        evidence = f" over the guard: {row.review_reason}" if review == "held" else ""
        cause = Cause(
            actor_kind,
            f"claim payment {payment_id} (CLP02={row.status} paid {row.paid}) approved{evidence}",
            actor=actor,
            remittance_claim_id=payment_id,
        )
        state = _move_claim(session, row, cause, now)
        closed = _close_items(session, _payment_items(session, row), f"approved by {actor}", now)
        secondary = _secondary_after_approval(session, row, now)
        record(
            session,
            actor=actor,
            practice_id=practice_id,
            action="change",
            resource="claim_payment",
            resource_id=str(payment_id),
            at=now,
            remote_addr=remote_addr,
            detail=f"approved ({review})",
        )
        return Decided(payment_id, row.patient_control_number, "approved", state, closed, secondary)


def _secondary_after_approval(
    session: Session, row: RemittanceClaimRow, now: datetime
) -> str | None:
    """Build and store the secondary claim an approved primary payment makes due, as the
    poster does for a payment it posts at once: while the payment was held, the poster
    opened the claim's "secondary claim due" item (the plan decided the secondary is due)
    but built nothing. From the approved CLP loop, read again from the stored 835, the
    secondary (``<pcn>-S``, ``ready``) is built with the primary's payment, AMT*EAF and
    line adjudication, and the item says it is due (it closes when the secondary is sent);
    when it cannot be built, the item says why. Returns the secondary's number."""
    if row.claim_id is None or row.status == "22":
        return None
    due = list(
        session.scalars(
            select(WorkItemRow).where(
                WorkItemRow.claim_id == row.claim_id,
                WorkItemRow.reason == WorkReason.SECONDARY_NEEDED.value,
                WorkItemRow.status == "open",
            )
        )
    )
    if not due:
        return None
    found = _stored_payment(session, row)
    if found is None:
        return None  # the 835 is not kept: the item stays as the poster wrote it
    payment, paid_on = found
    claim = session.get_one(ClaimRow, row.claim_id)
    built = None
    try:
        secondary = build_secondary(open_document(session, claim), [payment], paid_on or now.date())
        store_claim(session, secondary, now=now, state="ready")
    except (ValueError, ConflictError) as exc:
        message = f"the secondary claim could not be built: {exc}"
    else:
        built = secondary.patient_control_number
        message = (
            f"claim {claim.patient_control_number} was processed by the primary payer "
            f"(payment approved); the patient has a secondary plan, so the secondary claim "
            f"{built} is due"
        )
    for item in due:
        item.message = message
    work_items_changed(session, due, at=now)
    return built


def _stored_payment(
    session: Session, row: RemittanceClaimRow
) -> tuple[ClaimPayment, date | None] | None:
    """The CLP loop of ``row`` as the 835 that carried it says (read again from the
    received file), with its remittance's payment date; ``None`` when the file is not
    kept (or, read through, does not hold that loop).

    The file is read where it is kept, a sealed piece at a time (:func:`open_stored`, in
    this transaction), and reading stops once the loop is complete: memory holds a piece
    and a claim, not the file, and what follows the loop is not opened. Stopping there
    skips the SHA-256 check the stream makes at its end, and that is safe: every piece
    opened is authenticated with the PHI key and bound to this file's SHA-256, its place
    and whether it is the last (:func:`~edigateway.persistence.inbound_rows.
    chunk_binding`), so the pieces read are, byte for byte, the beginning the gateway
    sealed for this file; one altered, reordered, moved from another file or missing does
    not open and fails the approval. Only bytes sealed under the right binding that are
    not the file's pass the pieces and not the hash, and sealing needs the key; the bytes
    were checked against the hash when they were kept (hashed as they were sealed) and,
    for a polled 835, again when they were posted from these pieces. A piece that does not
    open fails the approval naming the received file and the piece; the caller's
    transaction rolls back, nothing decided."""
    remittance = session.get_one(RemittanceRow, row.remittance_id)
    era_file = session.get(RemittanceFileRow, remittance.file_id)
    received = (
        None
        if era_file is None
        else session.scalars(
            select(InboundFileRow).where(InboundFileRow.sha256 == era_file.sha256)
        ).first()
    )
    if received is None or row.source_position is None:
        return None
    name = received.remote_name
    try:
        with io.TextIOWrapper(
            open_stored(session, StoredPieces(received.id)),
            encoding="utf-8",
            errors="surrogateescape",
            newline="",
        ) as text:
            for event in iter_835(iter_segments(text, name), name=name):
                if isinstance(event, ClaimPayment) and event.source_position == row.source_position:
                    return event, remittance.payment_date
    except PhiError as exc:
        msg = f"claim payment {row.id} cannot be approved: its 835 {name} does not open: {exc}"
        raise PhiError(msg) from exc
    return None


def _refuse_settling_twice(session: Session, row: RemittanceClaimRow) -> None:
    """With the payment's postings counted: refuse (rolling back) an approval that would
    leave its claim settled past what was billed, or the treatment paid past its charge
    by every payer together (a payment approved late, after others were posted)."""
    if row.claim_id is None:
        return
    claim = session.get_one(ClaimRow, row.claim_id)
    ledger = ledgers(session, [claim])[claim.id]
    problem = None
    if claim.kind == "claim" and ledger.outstanding < ZERO:
        problem = (
            f"claim {claim.patient_control_number} would be settled "
            f"{ledger.billed - ledger.outstanding} on {ledger.billed} billed"
        )
    facts = claim_contexts(session, [claim])[claim.id].facts
    treatment = {claim.id, *facts.related, *facts.originals}
    paid: dict[int | None, Decimal] = {}
    for line, amount in session.execute(
        select(PostingRow.line_number, func.sum(PostingRow.amount))
        .where(
            PostingRow.claim_id.in_(treatment),
            PostingRow.held.is_(False),
            PostingRow.kind.in_(("paid", "reversal")),
        )
        .group_by(PostingRow.line_number)
    ):
        paid[line] = amount or ZERO
    for line, amount in sorted(paid.items(), key=lambda i: i[0] or 0):
        charge = facts.line_charges.get(line) if line is not None else None
        if charge is not None and amount > charge:
            problem = f"line {line} would be paid {amount} by its payers on {charge} billed"
    if sum(paid.values(), ZERO) > facts.charge:
        problem = f"its payers would have paid {sum(paid.values(), ZERO)} on {facts.charge} billed"
    if problem is not None:
        raise ConflictError(
            f"claim payment {row.id} cannot be approved: {problem}; dismiss it (and ask the "
            "payer to take it back) or undo what settled the claim first"
        )


def _move_claim(
    session: Session, row: RemittanceClaimRow, cause: Cause, now: datetime
) -> str | None:
    if row.claim_id is None:
        return None
    claim = session.get_one(ClaimRow, row.claim_id, with_for_update=True)
    target = ClaimState(row.planned_state) if row.planned_state else None
    if target is not None and allowed(claim.state, target, cause.kind):
        transition(
            session,
            [
                Move(
                    claim,
                    target,
                    cause,
                    None if row.status == "22" else row.payer_claim_control_number,
                )
            ],
            now=now,
        )
    else:
        note(session, claim, cause, now)
    return claim.state


def dismiss(
    db: Database,
    payment_id: int,
    *,
    now: datetime,
    actor: str,
    actor_kind: ActorKind = "user",
    reason: str = "",
    practice_id: int | None = None,
    remote_addr: str | None = None,
) -> Decided:
    """Keep a held or awaiting payment unposted for good (its rows stay as evidence)."""
    with db.transaction() as session:
        row = _pending_row(session, payment_id, practice_id)
        review = row.review
        if review not in ("held", "awaiting"):
            what = "posted" if review is None else "dismissed already"
            raise ConflictError(f"claim payment {payment_id} was {what}; nothing to dismiss")
        if not _claim_moment(session, payment_id, review, "dismissed"):
            raise ConflictError(f"claim payment {payment_id} was decided by someone else")
        why = f": {reason.strip()}" if reason.strip() else ""
        if row.claim_id is not None:
            note(
                session,
                session.get_one(ClaimRow, row.claim_id),
                Cause(
                    actor_kind,
                    f"claim payment {payment_id} dismissed{why}",
                    actor=actor,
                    remittance_claim_id=payment_id,
                ),
                now,
            )
        closed = _close_items(
            session, _payment_items(session, row), f"dismissed by {actor}{why}", now
        )
        record(
            session,
            actor=actor,
            practice_id=practice_id,
            action="change",
            resource="claim_payment",
            resource_id=str(payment_id),
            at=now,
            remote_addr=remote_addr,
            detail=f"dismissed ({review})",
        )
        state = session.get_one(ClaimRow, row.claim_id).state if row.claim_id else None
        return Decided(payment_id, row.patient_control_number, "dismissed", state, closed)


def _claim_row(session: Session, claim: str | int, practice_id: int | None) -> ClaimRow:
    """The claim by its gateway ID (an ``int``: the API's) or by its number (the one in
    force, not superseded: the CLI's), locked."""
    if isinstance(claim, int):
        query = select(ClaimRow).where(ClaimRow.id == claim)
    else:
        query = select(ClaimRow).where(
            ClaimRow.patient_control_number == claim, ClaimRow.superseded_by_id.is_(None)
        )
    if practice_id is not None:
        query = query.where(ClaimRow.practice_id == practice_id)
    found = list(session.scalars(query.order_by(ClaimRow.id.desc()).with_for_update()))
    if not found:
        raise NotFoundError(f"no claim {claim}")
    patient_control_number = found[0].patient_control_number
    if len({c.practice_id for c in found}) > 1:
        raise InputError(
            f"claim {patient_control_number} exists in several practices; "
            "say which with --practice NPI"
        )
    return found[0]


def _settle(
    db: Database,
    claim_key: str | int,
    *,
    action: Literal["write_off", "close"],
    amount: Decimal | None,
    now: datetime,
    actor: str,
    actor_kind: ActorKind,
    note_text: str,
    practice_id: int | None,
    remote_addr: str | None,
) -> Settled:
    with db.transaction() as session:
        claim = _claim_row(session, claim_key, practice_id)
        patient_control_number = claim.patient_control_number
        ledger = ledgers(session, [claim])[claim.id]
        target = ClaimState.WRITTEN_OFF if action == "write_off" else ClaimState.CLOSED
        if claim.kind != "claim":
            raise InputError(f"claim {patient_control_number} is a {claim.kind}: it owes nothing")
        if ledger.outstanding <= ZERO:
            raise ConflictError(
                f"claim {patient_control_number} has nothing outstanding "
                f"(billed {ledger.billed}, paid {ledger.paid})"
            )
        if not allowed(claim.state, target, actor_kind):
            raise ConflictError(
                f"claim {patient_control_number} is {claim.state}: only a claim the payer "
                "answered (paid, partially paid, denied, reversed or appealed) can be "
                f"{'written off' if action == 'write_off' else 'closed'}"
            )
        value = ledger.outstanding if amount is None else amount
        if value <= ZERO or value > ledger.outstanding or value != value.quantize(ZERO):
            raise InputError(
                f"amount {value} must be more than 0.00 and at most the outstanding "
                f"{ledger.outstanding}, in cents"
            )
        kind = "write_off" if action == "write_off" else "patient_transfer"
        session.add(
            PostingRow(
                remittance_id=None,
                remittance_claim_id=None,
                held=False,
                created_at=now,
                actor=actor[:60],
                note=note_text or None,
                claim_id=claim.id,
                line_number=None,
                kind=kind,
                amount=value,
                remark_codes="",
            )
        )
        left = ledger.outstanding - value
        what = "written off" if action == "write_off" else "moved to the patient"
        cause = Cause(
            actor_kind, f"{value} {what}" + (f": {note_text}" if note_text else ""), actor=actor
        )
        if left == ZERO:
            transition(session, [Move(claim, target, cause)], now=now)
        else:
            note(session, claim, cause, now)
        closed = 0
        if left == ZERO:
            closed = _close_items(
                session,
                list(
                    session.scalars(
                        select(WorkItemRow).where(
                            WorkItemRow.claim_id == claim.id,
                            WorkItemRow.status == "open",
                            WorkItemRow.reason.in_(_DENIAL_ITEMS),
                        )
                    )
                ),
                f"{what} by {actor}",
                now,
            )
        record(
            session,
            actor=actor,
            practice_id=claim.practice_id,
            action="change",
            resource="claim",
            resource_id=str(claim.id),
            at=now,
            remote_addr=remote_addr,
            detail=f"{action} {value}",
        )
        return Settled(patient_control_number, action, value, claim.state, left, closed)


def write_off(
    db: Database,
    claim: str | int,
    *,
    now: datetime,
    actor: str,
    amount: Decimal | None = None,
    actor_kind: ActorKind = "user",
    note_text: str = "",
    practice_id: int | None = None,
    remote_addr: str | None = None,
) -> Settled:
    """Write off what the payer left on a claim (its gateway ID or number; all of it by
    default, or ``amount``); the claim becomes ``written_off`` when nothing is left."""
    return _settle(
        db,
        claim,
        action="write_off",
        amount=amount,
        now=now,
        actor=actor,
        actor_kind=actor_kind,
        note_text=note_text,
        practice_id=practice_id,
        remote_addr=remote_addr,
    )


def close(
    db: Database,
    claim: str | int,
    *,
    now: datetime,
    actor: str,
    actor_kind: ActorKind = "user",
    note_text: str = "",
    practice_id: int | None = None,
    remote_addr: str | None = None,
) -> Settled:
    """Close a claim (its gateway ID or number) the payer will pay no more on: what is
    outstanding becomes the patient's to pay (``patient_transfer``) and the claim
    ``closed``."""
    return _settle(
        db,
        claim,
        action="close",
        amount=None,
        now=now,
        actor=actor,
        actor_kind=actor_kind,
        note_text=note_text,
        practice_id=practice_id,
        remote_addr=remote_addr,
    )


EraPolicy = Literal["full", "semi", "review"]


def set_policy(
    db: Database,
    policy: EraPolicy,
    *,
    practice_id: int,
    payer_id: str | None = None,
    actor: str = "cli",
    now: datetime,
) -> str:
    """Set a payer's ERA automation (``payer_id``) or the practice's default; a payer set
    to the practice's default again follows later changes of it. Returns what was set."""
    if policy not in ("full", "semi", "review"):
        raise InputError(f"ERA policy {policy!r} is not one of full, semi, review")
    with db.transaction() as session:
        if payer_id is None:
            practice = session.get_one(Practice, practice_id)
            practice.era_policy = policy
            target = f"practice {practice.npi} default"
        else:
            payer = session.scalars(
                select(Payer).where(Payer.practice_id == practice_id, Payer.payer_id == payer_id)
            ).first()
            if payer is None:
                raise NotFoundError(
                    f"payer {payer_id} is unknown for this practice (payers are created "
                    "when its claims are imported)"
                )
            payer.era_policy = policy
            target = f"payer {payer_id}"
        record(
            session,
            actor=actor,
            practice_id=practice_id,
            action="change",
            resource="era_policy",
            resource_id=payer_id or "default",
            at=now,
            detail=policy,
        )
    return target


@dataclass(frozen=True, slots=True)
class PayerPolicy:
    """One payer's ERA automation: its own, or ``None`` when it follows the default."""

    payer_id: str
    name: str
    policy: EraPolicy | None
    effective: EraPolicy


@dataclass(frozen=True, slots=True)
class EraPolicies:
    """A practice's ERA automation: its default and each payer's."""

    default: EraPolicy
    payers: tuple[PayerPolicy, ...]


def _policy(value: str | None) -> EraPolicy | None:
    return value if value in ("full", "semi", "review") else None  # type: ignore[return-value]


def policies(db: Database, *, practice_id: int) -> EraPolicies:
    """The practice's default ERA policy and every payer's (by payer ID)."""
    with db.transaction() as session:
        default = _policy(session.get_one(Practice, practice_id).era_policy) or "full"
        return EraPolicies(
            default,
            tuple(
                PayerPolicy(
                    p.payer_id, p.name, _policy(p.era_policy), _policy(p.era_policy) or default
                )
                for p in session.scalars(
                    select(Payer).where(Payer.practice_id == practice_id).order_by(Payer.payer_id)
                )
            ),
        )
