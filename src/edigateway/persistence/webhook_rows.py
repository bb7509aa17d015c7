"""Webhook endpoints, their deliveries and each delivery's attempts, as rows (migration
0010).

An endpoint's deliveries are made from the event log, in event order: ``fanned_out_seq``
is the practice's last event turned into a delivery for it (an endpoint starts at the
practice's newest event, so it receives what happens after it was registered). One
deliverer at a time works on an endpoint — it holds the endpoint's *lease* (a token and an
expiry set by one conditional UPDATE), so two workers never send the same endpoint's
events side by side or out of order; a deliverer that dies simply lets its lease expire.

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from edigateway.persistence.event_rows import ROW_ID, EventRow
from edigateway.persistence.tables import Base, table_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session


class WebhookEndpointRow(Base):
    """A practice's receiver: URL, event types (JSON list; empty = every type), secret
    (sealed like PHI), ``enabled``/``disabled``; deleted endpoints are kept (their log)."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    fanned_out_seq: Mapped[int] = mapped_column(ROW_ID)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def types(self) -> list[str]:
        """The event types it takes (empty: all)."""
        value = json.loads(self.event_types or "[]")
        return [str(v) for v in value] if isinstance(value, list) else []


class WebhookDeliveryRow(Base):
    """One event for one endpoint: ``pending`` (to send, at ``next_attempt_at``),
    ``delivered`` or ``failed`` (every attempt of the schedule failed)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_deliveries_queue", "webhook_id", "status", "event_id"),
    )
    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[int] = mapped_column(ROW_ID, ForeignKey("events.id"))
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class WebhookAttemptRow(Base):
    """One HTTP attempt of a delivery: the receiver's status code or why it failed."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ROW_ID, ForeignKey("webhook_deliveries.id"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(DateTime)
    trigger: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


def live_endpoint(session: Session, practice_id: int, webhook_id: int) -> WebhookEndpointRow | None:
    """The practice's endpoint ``webhook_id`` unless deleted (another practice's is
    ``None``, like a missing one)."""
    return session.scalars(
        select(WebhookEndpointRow).where(
            WebhookEndpointRow.id == webhook_id,
            WebhookEndpointRow.practice_id == practice_id,
            WebhookEndpointRow.deleted_at.is_(None),
        )
    ).first()


def take_lease(
    session: Session, webhook_id: int, token: str, *, now: datetime, until: datetime
) -> bool:
    """Take the endpoint's lease (one conditional UPDATE: free, expired or ours already);
    whether it is ours."""
    taken = session.execute(
        update(WebhookEndpointRow)
        .where(
            WebhookEndpointRow.id == webhook_id,
            or_(
                WebhookEndpointRow.lease_until.is_(None),
                WebhookEndpointRow.lease_until < now,
                WebhookEndpointRow.lease_token == token,
            ),
        )
        .values(lease_token=token, lease_until=until)
        .returning(WebhookEndpointRow.id)
    ).first()
    return taken is not None


def release_lease(session: Session, webhook_id: int, token: str) -> None:
    """Give the lease back (if still ours)."""
    session.execute(
        update(WebhookEndpointRow)
        .where(WebhookEndpointRow.id == webhook_id, WebhookEndpointRow.lease_token == token)
        .values(lease_token=None, lease_until=None)
    )


def fan_out(session: Session, endpoint: WebhookEndpointRow, *, now: datetime, limit: int) -> int:
    """Turn up to ``limit`` of the practice's events after the endpoint's
    ``fanned_out_seq`` into pending deliveries (of its types); how many events were
    passed. Runs under the endpoint's lease, so no other deliverer moves the mark."""
    query = (
        select(EventRow.id, EventRow.seq, EventRow.type)
        .where(EventRow.practice_id == endpoint.practice_id, EventRow.seq > endpoint.fanned_out_seq)
        .order_by(EventRow.seq)
        .limit(limit)
    )
    events = session.execute(query).all()
    if not events:
        return 0
    wanted = set(endpoint.types)
    rows = [
        {
            "webhook_id": endpoint.id,
            "event_id": e.id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for e in events
        if not wanted or e.type in wanted
    ]
    if rows:
        session.execute(table_of(WebhookDeliveryRow).insert(), rows)
    endpoint.fanned_out_seq = events[-1].seq
    return len(events)


def due_deliveries(session: Session, webhook_id: int, limit: int) -> Sequence[WebhookDeliveryRow]:
    """The endpoint's pending deliveries in event order (the first may not be due yet:
    the caller stops there, so later events never overtake it)."""
    return session.scalars(
        select(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.webhook_id == webhook_id, WebhookDeliveryRow.status == "pending")
        .order_by(WebhookDeliveryRow.event_id)
        .limit(limit)
    ).all()


def endpoints_with_work(session: Session, *, now: datetime) -> list[int]:
    """Live, enabled endpoints not leased by a running deliverer."""
    return list(
        session.scalars(
            select(WebhookEndpointRow.id)
            .where(
                WebhookEndpointRow.deleted_at.is_(None),
                WebhookEndpointRow.status == "enabled",
                or_(WebhookEndpointRow.lease_until.is_(None), WebhookEndpointRow.lease_until < now),
            )
            .order_by(WebhookEndpointRow.id)
        )
    )
