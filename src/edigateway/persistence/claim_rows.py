"""Claim rows as the exchange, posting and people move them: :func:`transition`, the one
function that changes a claim's state, and the claims a claim number names.

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction).
Which moves are allowed, and for what cause, is the lifecycle's rule
(:mod:`edigateway.domain.claim_lifecycle`), checked here for every move so no writer can
skip it; every move writes a history row with its cause (file and segment position, the
user or the API key) in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from edigateway.domain.claim_lifecycle import (
    Cause,
    ClaimState,
    allowed,
    check,
    is_exchange_answer,
)
from edigateway.persistence.bulk import insert_rows, update_rows
from edigateway.persistence.event_rows import claims_created, history_events
from edigateway.persistence.tables import ClaimRow, ClaimStateRow, table_of

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.event_rows import NewClaim

SENT_STATES = (ClaimState.SUBMITTED, ClaimState.PREDETERMINATION_SENT)
"""Reaching one of these is when a claim was sent: its ``submitted_on``."""


@dataclass(frozen=True, slots=True)
class Move:
    """One claim (a loaded row, or its ID for a conditional move) to one state."""

    claim: ClaimRow | int
    target: ClaimState
    cause: Cause
    payer_claim_control_number: str | None = None


def transition(
    session: Session,
    moves: Sequence[Move],
    *,
    now: datetime,
    expect: ClaimState | None = None,
) -> list[Move]:
    """Move claims, each with its history row; the moves made.

    * Loaded rows: an acknowledgment (999, TA1, 277CA) that would not move a claim forward
      is skipped (it arrived late or twice); any other move the lifecycle does not allow
      raises :class:`~edigateway.errors.ClaimTransitionError` (the caller's transaction
      rolls back).
    * IDs with ``expect``: one conditional ``UPDATE … WHERE state = expect`` for all of
      them, so of two transactions making the same move only one succeeds (the claim rows
      must be locked first on PostgreSQL); the moves whose claim was not in ``expect``
      are left out of the result.
    """
    if expect is not None:
        return _conditional(session, moves, now=now, expect=expect)
    made: list[Move] = []
    history: list[dict[str, object]] = []
    changes: dict[int, dict[str, object]] = {}
    for move in moves:
        row = move.claim
        assert isinstance(row, ClaimRow)  # noqa: S101 - IDs only with expect
        if is_exchange_answer(move.target) and not allowed(row.state, move.target, move.cause.kind):
            continue
        check(row.state, move.target, move.cause)
        history.append(_history(row.id, row.state, move, now))
        change: dict[str, object] = {"state": move.target.value, "state_changed_at": now}
        if move.target in SENT_STATES and row.submitted_on is None:
            change["submitted_on"] = now.date()
        if move.payer_claim_control_number:
            change["payer_claim_control_number"] = move.payer_claim_control_number
        for name, value in change.items():
            set_committed_value(row, name, value)
        changes.setdefault(row.id, {}).update(change)
        made.append(move)
    _write_moves(session, changes)
    if history:
        insert_rows(
            session,
            table_of(ClaimStateRow),
            HISTORY_COLUMNS,
            [tuple(step[c] for c in HISTORY_COLUMNS) for step in history],
        )
        history_events(session, history, at=now)
    return made


def _write_moves(session: Session, changes: dict[int, dict[str, object]]) -> None:
    """The columns each moved claim changed, by ID: one ``executemany`` per set of columns
    (a move sets the state and its time, some also the payer's claim number or the day
    it was sent), as the ORM would write them — but without its per-row bookkeeping, as
    the rows were set as committed (:func:`~sqlalchemy.orm.attributes.set_committed_value`)."""
    by_columns: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
    for claim_id, change in changes.items():
        by_columns.setdefault(tuple(change), []).append((*change.values(), claim_id))
    for columns, rows in by_columns.items():
        update_rows(session, table_of(ClaimRow), columns, rows)


def _conditional(
    session: Session, moves: Sequence[Move], *, now: datetime, expect: ClaimState
) -> list[Move]:
    by_id: dict[int, Move] = {}
    for move in moves:
        check(expect, move.target, move.cause)
        claim_id = move.claim if isinstance(move.claim, int) else move.claim.id
        by_id[claim_id] = move
    targets = {m.target for m in by_id.values()}
    if len(targets) != 1:
        msg = "a conditional move takes its claims to one state"
        raise ValueError(msg)
    (target,) = targets
    values: dict[str, object] = {"state": target.value, "state_changed_at": now}
    moved = set(
        session.scalars(
            update(ClaimRow)
            .where(ClaimRow.id.in_(by_id), ClaimRow.state == expect.value)
            .values(**values)
            .returning(ClaimRow.id)
        )
    )
    if target in SENT_STATES and moved:
        session.execute(
            update(ClaimRow)
            .where(ClaimRow.id.in_(moved), ClaimRow.submitted_on.is_(None))
            .values(submitted_on=now.date())
        )
    made = [by_id[i] for i in sorted(moved)]
    if made:
        steps = [_history(i, expect.value, by_id[i], now) for i in sorted(moved)]
        session.execute(table_of(ClaimStateRow).insert(), steps)
        history_events(session, steps, at=now)
    return made


HISTORY_COLUMNS = (
    "claim_id",
    "previous_state",
    "state",
    "changed_at",
    "reason",
    "remittance_claim_id",
)
"""What :func:`_history` gives of a step, in insert order."""


def _history(claim_id: int, previous: str | None, move: Move, now: datetime) -> dict[str, object]:
    return {
        "claim_id": claim_id,
        "previous_state": previous,
        "state": move.target.value,
        "changed_at": now,
        "reason": move.cause.describe(),
        "remittance_claim_id": move.cause.remittance_claim_id,
    }


def first_steps(
    session: Session, claims: Sequence[NewClaim], state: ClaimState, cause: Cause, now: datetime
) -> None:
    """The first history step of claims just stored (from nothing to ``state``), and their
    ``claim.created`` events."""
    if claims:
        session.execute(
            table_of(ClaimStateRow).insert(),
            [
                {
                    "claim_id": claim.id,
                    "previous_state": None,
                    "state": state.value,
                    "changed_at": now,
                    "reason": cause.describe(),
                    "remittance_claim_id": None,
                }
                for claim in claims
            ],
        )
        claims_created(session, claims, at=now)


def note(session: Session, claim: ClaimRow, cause: Cause, now: datetime) -> None:
    """A history row that records an event without a state change (a 277 status answer,
    a payment held for review): from the claim's state to the same state."""
    session.add(
        ClaimStateRow(
            claim_id=claim.id,
            previous_state=claim.state,
            state=claim.state,
            changed_at=now,
            reason=cause.describe(),
            remittance_claim_id=cause.remittance_claim_id,
        )
    )


def current_claims(session: Session, patient_control_number: str) -> list[ClaimRow]:
    """The claims with this number that no replacement or void superseded, newest first."""
    return list(
        session.scalars(
            select(ClaimRow)
            .where(
                ClaimRow.patient_control_number == patient_control_number,
                ClaimRow.superseded_by_id.is_(None),
            )
            .order_by(ClaimRow.id.desc())
        )
    )
