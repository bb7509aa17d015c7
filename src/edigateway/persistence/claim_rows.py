"""Claim rows as the exchange and posting move them: state changes with their history, and
the claims a claim number or a submission names.

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction);
which state a claim moves to is decided by the callers' rules
(:mod:`edigateway.reconcile.plan`, :mod:`edigateway.domain.claim_stages`), never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from edigateway.persistence.tables import ClaimRow, ClaimStateRow, table_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class StateChange:
    """One step of a claim's history: from which state to which, when, why, and (from an
    835) the claim payment that caused it."""

    claim_id: int
    previous_state: str | None
    state: str
    changed_at: datetime
    reason: str
    remittance_claim_id: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimUpdate:
    """A claim's new state, and the payer's claim number when the payment gave one."""

    claim_id: int
    state: str
    changed_at: datetime
    payer_claim_control_number: str | None = None


def update_claims(session: Session, updates: Iterable[ClaimUpdate]) -> None:
    """Set the claims' states (and payer claim numbers) in bulk, by primary key: one
    statement per set of columns."""
    with_number: list[dict[str, Any]] = []
    without: list[dict[str, Any]] = []
    for u in updates:
        values: dict[str, Any] = {
            "id": u.claim_id,
            "state": u.state,
            "state_changed_at": u.changed_at,
        }
        if u.payer_claim_control_number is not None:
            values["payer_claim_control_number"] = u.payer_claim_control_number
            with_number.append(values)
        else:
            without.append(values)
    for rows in (without, with_number):
        if rows:
            session.execute(update(ClaimRow), rows)


def insert_history(session: Session, changes: Sequence[StateChange]) -> None:
    """Add the history rows of state changes."""
    if changes:
        session.execute(
            table_of(ClaimStateRow).insert(),
            [
                {
                    "claim_id": c.claim_id,
                    "previous_state": c.previous_state,
                    "state": c.state,
                    "changed_at": c.changed_at,
                    "reason": c.reason,
                    "remittance_claim_id": c.remittance_claim_id,
                }
                for c in changes
            ],
        )


def move_claim(
    session: Session, claim: ClaimRow, state: str, *, now: datetime, reason: str
) -> None:
    """Move one loaded claim to ``state`` with its history row."""
    session.add(
        ClaimStateRow(
            claim_id=claim.id,
            previous_state=claim.state,
            state=state,
            changed_at=now,
            reason=reason,
        )
    )
    claim.state, claim.state_changed_at = state, now


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
