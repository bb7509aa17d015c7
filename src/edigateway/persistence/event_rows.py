"""Events as rows: the outbox a practice-management system reads (``GET /v1/events``) and
webhooks are delivered from (migration 0010).

Each practice's events are numbered by ``seq`` in commit order. The number is taken from
the practice's ``event_counters`` row by one conditional UPDATE, just before the
transaction commits (``before_commit``); the row stays locked until the commit, so two
transactions writing events for one practice number them in the order they commit, and a
reader that saw ``seq`` N can never later find a committed event below N. Taking the
number at the end keeps that lock for the commit only, not for a whole 835 posting.

A state change calls :func:`record` (or one of the helpers below, which give each kind
of change its event type and data, so every place making the change emits the same event)
inside its own transaction. ``record`` notes the event on the session; every
:data:`SPILL_EVERY` notes are inserted, still uncommitted, under a provisional negative
``seq`` (the transaction's own random range, which no reader asks for), so a transaction
moving 100,000 claims holds a batch of events in memory, not all of them. When the session
commits (``before_commit``), after the rest of the transaction's work was flushed, the
counter is taken and the provisional numbers become the real ones with one UPDATE per
practice, the last notes inserted numbered. A transaction that rolls back writes none of
its events, like the rest of its work. Event data never holds names, member IDs or birth
dates: IDs, claim numbers, states, codes, reasons and amounts (exact decimal strings).

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy import event as orm_event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from edigateway.domain.events import STAGE, EventType, claim_event
from edigateway.persistence.bulk import insert_rows
from edigateway.persistence.tables import (
    Base,
    ClaimRow,
    Practice,
    RemittanceClaimRow,
    RemittanceRow,
    SubmissionClaimRow,
    WorkItemRow,
    table_of,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

_PENDING: Final = "edigateway.events"
CENT: Final = Decimal("0.01")
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit key (SQLite's INTEGER PRIMARY KEY is 64-bit and the only one it increments)."""


class EventCounterRow(Base):
    """The last ``seq`` given to one practice's events."""

    __tablename__ = "event_counters"
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)


class EventRow(Base):
    """One state change a PM system cares about; ``data`` is its JSON (no names, member
    IDs or birth dates: identifiers, states, codes and amounts)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("practice_id", "seq"),
        Index("ix_events_practice_occurred", "practice_id", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    data: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: its public ID is made by the caller (it is also the webhook
    message ID a receiver de-duplicates on)."""

    public_id: str
    practice_id: int
    type: str
    subject: str
    data: str
    occurred_at: datetime


_COUNTERS: Final = table_of(EventCounterRow)
_TAKE: Final = (
    update(_COUNTERS)
    .where(_COUNTERS.c.practice_id == bindparam("practice"))
    .values(last_seq=_COUNTERS.c.last_seq + bindparam("count"))
    .returning(_COUNTERS.c.last_seq)
)
"""The counter's UPDATE, built once: building a statement costs more than running it
(every claim created takes a number)."""


def _reserve(session: Session, practice_id: int, count: int) -> int:
    """Take ``count`` numbers from the practice's counter (created at 0 when missing);
    the last one taken. The row stays locked until the transaction ends."""
    counters = _COUNTERS
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for _ in range(2):
        last = session.execute(_TAKE, {"practice": practice_id, "count": count}).scalar()
        if last is not None:
            return int(last)
        session.execute(
            insert(counters)
            .values(practice_id=practice_id, last_seq=0)
            .on_conflict_do_nothing(index_elements=["practice_id"])
        )
    msg = f"no event counter for practice {practice_id}"
    raise LookupError(msg)


def events_after(
    session: Session,
    practice_id: int,
    after_seq: int,
    limit: int,
    types: Sequence[str] | None = None,
) -> list[EventRow]:
    """The practice's events numbered above ``after_seq``, in order (of ``types`` only,
    when given)."""
    query = select(EventRow).where(EventRow.practice_id == practice_id, EventRow.seq > after_seq)
    if types:
        query = query.where(EventRow.type.in_(types))
    return list(session.scalars(query.order_by(EventRow.seq).limit(limit)))


def last_seq(session: Session, practice_id: int) -> int:
    """The number of the practice's latest committed event (0 before the first)."""
    found = session.scalar(
        select(EventCounterRow.last_seq).where(EventCounterRow.practice_id == practice_id)
    )
    return int(found or 0)


# --------------------------------------------------------------------- recording


def utc_text(moment: datetime) -> str:
    """A stored time (naive local wall-clock, as every column keeps it) as RFC 3339 in
    UTC."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.quantize(CENT), "f")
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    msg = f"{type(value).__name__} is not JSON"
    raise TypeError(msg)


def record(
    session: Session,
    practice_id: int,
    type: EventType,  # noqa: A002 - the event's type, as the brief names it
    subject: str,
    data: dict[str, Any],
    *,
    at: datetime,
) -> str:
    """Note an event of ``practice_id`` in the caller's transaction; it is numbered when
    the transaction commits, and never written if it rolls back. Its public ID
    (``evt_…``), which webhook deliveries carry as ``webhook-id``, is returned."""
    public_id = "evt_" + secrets.token_hex(12)
    text = json.dumps(data, default=_json_value, separators=(",", ":"), sort_keys=True)
    pending = _pending_of(session)
    pending.notes.append(NewEvent(public_id, practice_id, type.value, subject[:80], text, at))
    if len(pending.notes) >= SPILL_EVERY:
        _spill(session, pending)
    return public_id


SPILL_EVERY: Final = 500
"""Notes kept in memory before they are inserted under provisional numbers (an 835's
posting batch moves about as many claims)."""
_PROVISIONAL_SPAN: Final = 2**62
"""Provisional numbers are ``-(base + k)`` with ``base`` drawn below this: two concurrent
transactions' ranges overlap with a chance of about n²/2⁶² (then the second only waits
on the unique index until the first commits, renumbered); the sum stays within 64 bits."""


@dataclass(slots=True)
class _Pending:
    """A transaction's events not numbered yet: ``notes`` still in memory, ``spilled``
    the count per practice already inserted as ``seq = -(base + k)``, k = 0, 1, …"""

    base: int
    notes: list[NewEvent]
    spilled: dict[int, int]


def _pending_of(session: Session) -> _Pending:
    found: _Pending | None = session.info.get(_PENDING)
    if found is None:
        found = _Pending(1 + secrets.randbelow(_PROVISIONAL_SPAN), [], {})
        session.info[_PENDING] = found
    return found


def _spill(session: Session, pending: _Pending) -> None:
    """Insert the notes held in memory under provisional numbers, in order per practice
    (one ``executemany`` of tuples: :func:`~edigateway.persistence.bulk.insert_rows`)."""
    rows = []
    for e in pending.notes:
        k = pending.spilled.get(e.practice_id, 0)
        pending.spilled[e.practice_id] = k + 1
        rows.append(
            (
                e.public_id,
                e.practice_id,
                -(pending.base + k),
                e.type,
                e.subject,
                e.data,
                e.occurred_at,
            )
        )
    pending.notes = []
    insert_rows(session, table_of(EventRow), _SPILLED, rows)


_SPILLED: Final = ("public_id", "practice_id", "seq", "type", "subject", "data", "occurred_at")
"""Every column of an event but its ID, in the order :func:`_spill` gives them."""


_RENUMBER: Final = (
    update(table_of(EventRow))
    .where(
        table_of(EventRow).c.practice_id == bindparam("practice"),
        table_of(EventRow).c.seq <= bindparam("high"),
        table_of(EventRow).c.seq >= bindparam("low"),
    )
    .values(seq=bindparam("offset") - table_of(EventRow).c.seq)
)
"""Provisional ``-(base + k)`` to ``first + k`` (``offset`` = first − base), reading the
``(practice_id, seq)`` index: only this transaction's rows are in its range (another
transaction's uncommitted rows are invisible to it, committed ones are positive)."""


def _number(session: Session, pending: _Pending) -> None:
    """Number the transaction's events per practice (practices in ID order, so two
    transactions never wait on each other's counters in opposite orders): the spilled
    ones by :data:`_RENUMBER`, the rest inserted after them."""
    held: dict[int, list[NewEvent]] = {}
    for e in pending.notes:
        held.setdefault(e.practice_id, []).append(e)
    base = pending.base
    rows = []
    for practice_id in sorted(held.keys() | pending.spilled.keys()):
        spilled = pending.spilled.get(practice_id, 0)
        mine = held.get(practice_id, [])
        last = _reserve(session, practice_id, spilled + len(mine))
        first = last - spilled - len(mine) + 1
        if spilled:
            session.execute(
                _RENUMBER,
                {
                    "practice": practice_id,
                    "high": -base,
                    "low": -(base + spilled - 1),
                    "offset": first - base,
                },
            )
        rows += [
            {
                "public_id": e.public_id,
                "practice_id": practice_id,
                "seq": first + spilled + i,
                "type": e.type,
                "subject": e.subject,
                "data": e.data,
                "occurred_at": e.occurred_at,
            }
            for i, e in enumerate(mine)
        ]
    if rows:
        session.execute(table_of(EventRow).insert(), rows)


@orm_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Flush the transaction's own work first (so the counters are the last locks it
    asks for), then number its events. Listening on every session once (a session
    without events returns at once) costs less than a listener added per transaction."""
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is not None:
        session.flush()
        _number(session, pending)


@orm_event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    """A rolled-back transaction's events are gone with it, the spilled rows included:
    the next transaction of the session starts with none."""
    session.info.pop(_PENDING, None)


# --------------------------------------------------------------------- claims


def _claim_data(claim: ClaimRow | NewClaim, **more: Any) -> dict[str, Any]:
    return {
        "claim_id": claim.id,
        "patient_control_number": claim.patient_control_number,
        "state": claim.state,
        "total_charge": claim.total_charge,
        "payer_claim_control_number": claim.payer_claim_control_number,
        **more,
    }


def claim_created(
    session: Session, claim: ClaimRow | NewClaim, *, at: datetime, replaces: int | None = None
) -> None:
    """``claim.created`` for a claim just stored (``replaces``: the claim it supersedes)."""
    record(
        session,
        claim.practice_id,
        EventType.CLAIM_CREATED,
        f"claims/{claim.id}",
        _claim_data(claim, kind=claim.kind, frequency=claim.frequency, replaces_claim_id=replaces),
        at=at,
    )


@dataclass(frozen=True, slots=True)
class NewClaim:
    """What ``claim.created`` says of a claim, from the values its INSERT just wrote (the
    store has them all): reading the rows back cost a third of the event's share of a
    create."""

    id: int
    practice_id: int
    patient_control_number: str
    state: str
    total_charge: Decimal
    """Written to the event with two places, as every amount (:func:`_json_value`)."""
    payer_claim_control_number: str | None
    kind: str
    frequency: str


def claims_created(session: Session, claims: Iterable[NewClaim], *, at: datetime) -> None:
    """:func:`claim_created` for claims just stored, in order."""
    for claim in claims:
        claim_created(session, claim, at=at)


def claim_moved(
    session: Session,
    claim: ClaimRow,
    previous: str | None,
    state: str,
    reason: str,
    *,
    at: datetime,
) -> None:
    """The event of a claim's move from ``previous`` to ``state``: submitted, accepted or
    rejected (with the acknowledgment's reason and who gave it), paid, denied, reversed,
    appeal updated, else changed."""
    extra: dict[str, Any] = {"previous_state": previous, "reason": reason}
    if state in STAGE:
        extra["stage"] = STAGE[state]
    data = _claim_data(claim, **extra) | {"state": state}
    record(session, claim.practice_id, claim_event(state), f"claims/{claim.id}", data, at=at)


_MOVED: Final = select(
    ClaimRow.id,
    ClaimRow.practice_id,
    ClaimRow.patient_control_number,
    ClaimRow.state,
    ClaimRow.total_charge,
    ClaimRow.payer_claim_control_number,
).where(ClaimRow.id.in_(bindparam("ids", expanding=True)))
"""What a move's event says of the claim, read as plain rows: not the whole ORM row with
its encrypted document, for every claim an 835 moves."""


def claims_moved(
    session: Session, moves: Iterable[tuple[int, str | None, str, str]], *, at: datetime
) -> None:
    """:func:`claim_moved` for claims given by ID: ``(claim_id, previous, state,
    reason)`` each (one query for all the claims)."""
    moves = list(moves)
    if not moves:
        return
    rows = {r.id: r for r in session.execute(_MOVED, {"ids": list({m[0] for m in moves})})}
    for claim_id, previous, state, reason in moves:
        claim_moved(session, rows[claim_id], previous, state, reason, at=at)  # type: ignore[arg-type] # a Row with its columns


def history_events(
    session: Session, steps: Sequence[Mapping[str, object]], *, at: datetime
) -> None:
    """The events of claim history rows just written (``claim_states`` columns as a
    mapping each): what the one function that moves claims calls, so every move — by an
    acknowledgment, an 835, a person or the gateway — has its event."""
    claims_moved(
        session,
        (
            (
                int(str(h["claim_id"])),
                None if h["previous_state"] is None else str(h["previous_state"]),
                str(h["state"]),
                str(h["reason"]),
            )
            for h in steps
        ),
        at=at,
    )


# --------------------------------------------------------------------- posting


def remittances_posted(session: Session, file_id: int, *, at: datetime) -> None:
    """``remittance.posted`` with totals for each payment of one posted 835 file and each
    practice whose claims it touched, read back from what posting wrote (the claims it
    moved have their events from the move itself, :func:`history_events`)."""
    remittances = list(
        session.scalars(
            select(RemittanceRow).where(RemittanceRow.file_id == file_id).order_by(RemittanceRow.id)
        )
    )
    if not remittances:
        return
    session.flush()
    ids = [r.id for r in remittances]
    totals = session.execute(
        select(
            RemittanceClaimRow.remittance_id,
            ClaimRow.practice_id,
            func.count(),
            func.sum(RemittanceClaimRow.charge),
            func.sum(RemittanceClaimRow.paid),
            func.sum(func.coalesce(RemittanceClaimRow.patient_responsibility, 0)),
        )
        .join(ClaimRow, ClaimRow.id == RemittanceClaimRow.claim_id)
        .where(RemittanceClaimRow.remittance_id.in_(ids))
        .group_by(RemittanceClaimRow.remittance_id, ClaimRow.practice_id)
        .order_by(RemittanceClaimRow.remittance_id, ClaimRow.practice_id)
    ).all()
    by_id = {r.id: r for r in remittances}
    for remittance_id, practice_id, count, charge, paid, patient in totals:
        row = by_id[remittance_id]
        record(
            session,
            practice_id,
            EventType.REMITTANCE_POSTED,
            f"remittances/{row.id}",
            {
                "remittance_id": row.id,
                "trace_number": row.trace_number,
                "payer_id": row.payer_id,
                "payer_name": row.payer_name,
                "payment_amount": row.payment_amount,
                "credit_debit": row.credit_debit,
                "payment_method": row.payment_method,
                "payment_date": row.payment_date,
                "totals": {
                    "claims": count,
                    "charge": Decimal(charge) * CENT,
                    "paid": Decimal(paid) * CENT,
                    "patient_responsibility": Decimal(patient) * CENT,
                },
            },
            at=at,
        )


# --------------------------------------------------------------------- work items


def _work_data(item: WorkItemRow) -> dict[str, Any]:
    return {
        "work_item_id": item.id,
        "reason": item.reason,
        "status": item.status,
        "claim_id": item.claim_id,
        "patient_control_number": item.patient_control_number,
        "codes": [c for c in (item.codes or "").split(",") if c],
        "amount": item.amount,
        "message": item.message,
    }


def _practices_of(session: Session, item: WorkItemRow) -> list[int]:
    """The practices a work item concerns — its claim's, its submission's claims', its
    payment's payee — as the work queue shows it to exactly these."""
    if item.claim_id is not None:
        found = session.scalar(select(ClaimRow.practice_id).where(ClaimRow.id == item.claim_id))
        return [found] if found is not None else []
    if item.submission_id is not None:
        return sorted(
            set(
                session.scalars(
                    select(ClaimRow.practice_id)
                    .join(SubmissionClaimRow, SubmissionClaimRow.claim_id == ClaimRow.id)
                    .where(SubmissionClaimRow.submission_id == item.submission_id)
                )
            )
        )
    if item.remittance_id is not None:
        return sorted(
            set(
                session.scalars(
                    select(Practice.id)
                    .join(RemittanceRow, RemittanceRow.payee_id == Practice.npi)
                    .where(RemittanceRow.id == item.remittance_id)
                )
            )
        )
    return []


def work_items_changed(session: Session, items: Sequence[WorkItemRow], *, at: datetime) -> None:
    """``work_item.opened`` or ``work_item.resolved`` (by the item's status) for each item
    that concerns a practice; an item about no practice's record (a file quarantined
    before anything in it was read) is for the operator's queue, not a PM system's."""
    if not items:
        return
    session.flush()
    for item in items:
        kind = (
            EventType.WORK_ITEM_RESOLVED
            if item.status == "resolved"
            else EventType.WORK_ITEM_OPENED
        )
        for practice_id in _practices_of(session, item):
            record(session, practice_id, kind, f"work-items/{item.id}", _work_data(item), at=at)
