"""Outbox rows (``submissions``) and the claims each carries, as sending and routing read them.

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.persistence.tables import ClaimRow, SubmissionClaimRow, SubmissionRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def waiting_to_send(session: Session, clearinghouse: str, limit: int | None = None) -> list[int]:
    """IDs of the clearinghouse's ``pending`` and left-over ``sending`` rows, oldest first."""
    return list(
        session.scalars(
            select(SubmissionRow.id)
            .where(
                SubmissionRow.clearinghouse == clearinghouse,
                SubmissionRow.status.in_(("pending", "sending")),
            )
            .order_by(SubmissionRow.id)
            .limit(limit)
        )
    )


def latest_sent_as(
    session: Session,
    sender_id: str,
    *,
    interchange_control_number: str | None = None,
    group_control_number: str | None = None,
) -> SubmissionRow | None:
    """The newest submission we sent as ``sender_id`` with this ISA13 and/or GS06."""
    query = select(SubmissionRow).where(SubmissionRow.sender_id == sender_id)
    if interchange_control_number is not None:
        query = query.where(SubmissionRow.interchange_control_number == interchange_control_number)
    if group_control_number is not None:
        query = query.where(SubmissionRow.group_control_number == group_control_number)
    return session.scalars(query.order_by(SubmissionRow.id.desc())).first()


def claims_of(session: Session, submission_id: int) -> list[ClaimRow]:
    """The claims a submission carries, in ID order."""
    links = select(SubmissionClaimRow.claim_id).where(
        SubmissionClaimRow.submission_id == submission_id
    )
    return list(
        session.scalars(select(ClaimRow).where(ClaimRow.id.in_(links)).order_by(ClaimRow.id))
    )


def transaction_numbers(session: Session, submission_id: int) -> dict[int, str]:
    """Claim ID → the ST02 of the transaction set that carried it in a submission."""
    return {
        link.claim_id: link.transaction_control_number
        for link in session.scalars(
            select(SubmissionClaimRow).where(SubmissionClaimRow.submission_id == submission_id)
        )
    }
