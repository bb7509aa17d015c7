"""Webhooks (Standard Webhooks): a practice registers a URL and the event types it wants;
the gateway POSTs each such event to it, signed, from the event log (:mod:`.events`).

* **Signed** with the ``standardwebhooks`` package: headers ``webhook-id`` (the event's
  ID, the same on every retry, so a receiver de-duplicates on it), ``webhook-timestamp``
  and ``webhook-signature`` (``v1,<HMAC-SHA256>`` of ``id.timestamp.body`` with the
  endpoint's secret). The secret (``whsec_…``) is shown once, when the endpoint is made,
  and stored sealed like PHI. The body is the event exactly as ``GET /v1/events`` lists it.
* **At least once, in order**: an endpoint's events are sent one at a time in event order;
  an attempt that fails (no 2xx within 10 s) is retried on :data:`SCHEDULE` — after 5 s,
  5 min, 30 min, 2 h, 5 h, 10 h and 10 h, about 28 h in all — and later events wait behind
  it, so a receiver that was down gets every event, in order, once it answers again.
* **Disabled after repeated failure**: when the last attempt of the schedule fails the
  delivery is ``failed`` and the endpoint is disabled with a ``webhook.disabled`` event
  (visible in ``GET /v1/events`` and to the practice's other endpoints). Events keep being
  queued for it; ``POST /v1/webhooks/{id}/enable`` resumes delivery where it stopped.
* **Delivery log** per endpoint, each attempt with the receiver's status or the error;
  a delivery can be sent again by hand (``redeliver``).
* **No SSRF**: URLs are checked at registration and before every attempt
  (:mod:`edigateway.transports.webhooks`).

Scheduling uses the gateway's clock; the signature's timestamp is the real time of the
attempt, since receivers compare it with their own clock (Standard Webhooks allows 5 min).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal, Protocol

from sqlalchemy import func, select
from standardwebhooks import Webhook

from edigateway.domain.events import EventType
from edigateway.errors import ClaimInputError, ConflictError, FieldProblem, NotFoundError
from edigateway.persistence.database import cipher_of
from edigateway.persistence.event_rows import EventRow, last_seq, record, utc_text
from edigateway.persistence.webhook_rows import (
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
    due_deliveries,
    endpoints_with_work,
    fan_out,
    live_endpoint,
    release_lease,
    take_lease,
)
from edigateway.security.phi import Binding
from edigateway.services.access import record as audit
from edigateway.services.events import as_event
from edigateway.transports.webhooks import Resolver, UnsafeUrlError, check_url, resolve

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.services.access import AuditAction
    from edigateway.services.practice_claims import Caller
    from edigateway.transports.webhooks import Outcome

SCHEDULE: Final = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
"""Delay before each attempt after the previous one failed (the first is immediate):
Standard Webhooks' suggested schedule, 8 attempts over about 28 hours."""
MAX_ENDPOINTS: Final = 20
"""Endpoints per practice (a PM system needs one or two; a cap keeps fan-out bounded)."""
BATCH: Final = 100
"""Deliveries sent per endpoint per run (the lease is renewed with each)."""
LEASE: Final = timedelta(seconds=60)

WebhookStatus = Literal["enabled", "disabled"]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class Sender(Protocol):
    """What delivering needs from HTTP (:class:`~edigateway.transports.webhooks.WebhookSender`)."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        """One attempt."""


@dataclass(frozen=True, slots=True)
class WebhookInfo:
    """An endpoint as its practice sees it (never its secret, after creation)."""

    id: int
    url: str
    description: str
    event_types: list[EventType]
    status: WebhookStatus
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookCreated:
    """A new endpoint and its signing secret, shown this once."""

    webhook: WebhookInfo
    secret: str


@dataclass(frozen=True, slots=True)
class AttemptInfo:
    """One HTTP attempt of a delivery."""

    attempted_at: datetime
    trigger: Literal["scheduled", "manual"]
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """One event's delivery to one endpoint, with its attempts (oldest first)."""

    id: int
    event_id: str
    event_type: EventType
    event_sequence: int
    status: DeliveryStatus
    attempts: list[AttemptInfo]
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


@dataclass
class DeliveryRun:
    """What one run of :func:`deliver_due` did."""

    delivered: int = 0
    failed_attempts: int = 0
    disabled: list[int] = field(default_factory=list)


def _info(row: WebhookEndpointRow) -> WebhookInfo:
    return WebhookInfo(
        row.id,
        row.url,
        row.description,
        [EventType(t) for t in row.types if t in EventType._value2member_map_],
        "enabled" if row.status == "enabled" else "disabled",
        row.disabled_reason,
        row.created_at,
        row.updated_at,
    )


def _binding(row: WebhookEndpointRow) -> Binding:
    return Binding("webhook_endpoints", "secret", row.practice_id, str(row.id))


def endpoint_secret(session: Session, row: WebhookEndpointRow) -> str:
    """The endpoint's signing secret, unsealed."""
    return cipher_of(session).open(row.secret, _binding(row))


def _own(session: Session, caller: Caller, webhook_id: int) -> WebhookEndpointRow:
    row = live_endpoint(session, caller.practice_id, webhook_id)
    if row is None:
        raise NotFoundError(f"no webhook {webhook_id}")
    return row


def _audit(
    session: Session,
    caller: Caller,
    action: AuditAction,
    resource_id: str | None,
    now: datetime,
    detail: str = "",
) -> None:
    audit(
        session,
        actor=caller.actor,
        practice_id=caller.practice_id,
        action=action,
        resource="webhook",
        resource_id=resource_id,
        at=now,
        remote_addr=caller.remote_addr,
        detail=detail,
    )


def create_webhook(
    db: Database,
    caller: Caller,
    *,
    url: str,
    event_types: Sequence[EventType],
    description: str,
    allow_private: bool,
    now: datetime,
    resolver: Resolver = resolve,
) -> WebhookCreated:
    """Register an endpoint for the practice's events from now on (``event_types`` empty:
    every type); its URL must pass the SSRF policy. The secret is returned once."""
    try:
        check_url(url, allow_private=allow_private, resolver=resolver)
    except UnsafeUrlError as exc:
        raise ClaimInputError("webhook", [FieldProblem("url", str(exc))]) from exc
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with db.transaction() as session:
        count = (
            session.scalar(
                select(func.count())
                .select_from(WebhookEndpointRow)
                .where(
                    WebhookEndpointRow.practice_id == caller.practice_id,
                    WebhookEndpointRow.deleted_at.is_(None),
                )
            )
            or 0
        )
        if count >= MAX_ENDPOINTS:
            raise ConflictError(
                f"this practice has {count} webhooks, the most it may have; delete one first"
            )
        row = WebhookEndpointRow(
            practice_id=caller.practice_id,
            url=url,
            description=description,
            event_types=json.dumps(sorted({t.value for t in event_types})),
            secret="",
            status="enabled",
            fanned_out_seq=last_seq(session, caller.practice_id),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        row.secret = cipher_of(session).seal(secret, _binding(row))
        _audit(session, caller, "create", str(row.id), now, "webhook registered")
        return WebhookCreated(_info(row), secret)


def list_webhooks(db: Database, caller: Caller) -> list[WebhookInfo]:
    """The practice's live endpoints, oldest first."""
    with db.transaction() as session:
        return [
            _info(r)
            for r in session.scalars(
                select(WebhookEndpointRow)
                .where(
                    WebhookEndpointRow.practice_id == caller.practice_id,
                    WebhookEndpointRow.deleted_at.is_(None),
                )
                .order_by(WebhookEndpointRow.id)
            )
        ]


def get_webhook(db: Database, caller: Caller, webhook_id: int) -> WebhookInfo:
    """One of the practice's endpoints."""
    with db.transaction() as session:
        return _info(_own(session, caller, webhook_id))


def delete_webhook(db: Database, caller: Caller, webhook_id: int, *, now: datetime) -> None:
    """Stop delivering to the endpoint at once (its delivery log is kept)."""
    with db.transaction() as session:
        row = _own(session, caller, webhook_id)
        row.deleted_at = row.updated_at = now
        _audit(session, caller, "change", str(row.id), now, "webhook deleted")


def enable_webhook(db: Database, caller: Caller, webhook_id: int, *, now: datetime) -> WebhookInfo:
    """Resume a disabled endpoint: its queued events go out again, oldest first, and a
    failed delivery that disabled it is tried once more."""
    with db.transaction() as session:
        row = _own(session, caller, webhook_id)
        if row.status != "enabled":
            row.status, row.disabled_reason, row.updated_at = "enabled", None, now
            for failed in session.scalars(
                select(WebhookDeliveryRow).where(
                    WebhookDeliveryRow.webhook_id == row.id, WebhookDeliveryRow.status == "failed"
                )
            ):
                failed.status, failed.next_attempt_at = "pending", now
            _audit(session, caller, "change", str(row.id), now, "webhook enabled")
        return _info(row)


def _delivery_info(session: Session, delivery: WebhookDeliveryRow, event: EventRow) -> DeliveryInfo:
    attempts = [
        AttemptInfo(
            a.attempted_at,
            "manual" if a.trigger == "manual" else "scheduled",
            a.status_code,
            a.error,
            a.duration_ms,
        )
        for a in session.scalars(
            select(WebhookAttemptRow)
            .where(WebhookAttemptRow.delivery_id == delivery.id)
            .order_by(WebhookAttemptRow.id)
        )
    ]
    status: DeliveryStatus = (
        "delivered"
        if delivery.status == "delivered"
        else "failed"
        if delivery.status == "failed"
        else "pending"
    )
    return DeliveryInfo(
        delivery.id,
        event.public_id,
        EventType(event.type),
        event.seq,
        status,
        attempts,
        delivery.next_attempt_at if status == "pending" else None,
        delivery.delivered_at,
        delivery.created_at,
    )


def list_deliveries(
    db: Database,
    caller: Caller,
    webhook_id: int,
    *,
    limit: int,
    offset: int,
    status: DeliveryStatus | None = None,
) -> tuple[list[DeliveryInfo], int]:
    """A page of the endpoint's deliveries, newest event first, and how many in all."""
    with db.transaction() as session:
        row = _own(session, caller, webhook_id)
        query = (
            select(WebhookDeliveryRow, EventRow)
            .join(EventRow, EventRow.id == WebhookDeliveryRow.event_id)
            .where(WebhookDeliveryRow.webhook_id == row.id)
        )
        if status is not None:
            query = query.where(WebhookDeliveryRow.status == status)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        found = session.execute(
            query.order_by(WebhookDeliveryRow.event_id.desc()).offset(offset).limit(limit)
        ).all()
        return [_delivery_info(session, d, e) for d, e in found], total


def redeliver(
    db: Database,
    caller: Caller,
    webhook_id: int,
    delivery_id: int,
    *,
    sender: Sender,
    now: datetime,
) -> DeliveryInfo:
    """Send one delivery again now (delivered or not), as a ``manual`` attempt; the
    delivery log shows the outcome. A delivered event sent again keeps its ID, so the
    receiver can tell."""
    with db.transaction() as session:
        endpoint = _own(session, caller, webhook_id)
        delivery = session.scalars(
            select(WebhookDeliveryRow).where(
                WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.webhook_id == endpoint.id
            )
        ).first()
        if delivery is None:
            raise NotFoundError(f"no delivery {delivery_id} of webhook {webhook_id}")
        event = session.get_one(EventRow, delivery.event_id)
        url, secret = endpoint.url, endpoint_secret(session, endpoint)
        body = _body(event)
        _audit(
            session, caller, "transmit", str(endpoint.id), now, f"delivery {delivery_id} sent again"
        )
    outcome = sender.post(url, body, sign(secret, event.public_id, body))
    with db.transaction() as session:
        delivery = session.get_one(WebhookDeliveryRow, delivery_id)
        _log_attempt(session, delivery, outcome, now, "manual")
        if outcome.delivered and delivery.status != "delivered":
            delivery.status, delivery.delivered_at = "delivered", now
        return _delivery_info(session, delivery, session.get_one(EventRow, delivery.event_id))


# --------------------------------------------------------------------- delivering


def _body(event: EventRow) -> bytes:
    return json.dumps(as_event(event).payload(), separators=(",", ":")).encode()


def sign(
    secret: str, message_id: str, body: bytes, *, at: datetime | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (``at``: now by default)."""
    moment = at or datetime.now(UTC)
    signature = Webhook(secret).sign(message_id, moment, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }


def _log_attempt(
    session: Session,
    delivery: WebhookDeliveryRow,
    outcome: Outcome,
    now: datetime,
    trigger: Literal["scheduled", "manual"],
) -> None:
    session.add(
        WebhookAttemptRow(
            delivery_id=delivery.id,
            attempted_at=now,
            trigger=trigger,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    delivery.last_attempt_at, delivery.last_status_code = now, outcome.status_code
    delivery.last_error = outcome.error


def _disable(session: Session, endpoint: WebhookEndpointRow, reason: str, now: datetime) -> None:
    endpoint.status, endpoint.disabled_reason, endpoint.updated_at = "disabled", reason, now
    record(
        session,
        endpoint.practice_id,
        EventType.WEBHOOK_DISABLED,
        f"webhooks/{endpoint.id}",
        {"webhook_id": endpoint.id, "url": endpoint.url, "reason": reason},
        at=now,
    )


def _settle(
    db: Database, delivery_id: int, outcome: Outcome, now: datetime, run: DeliveryRun
) -> bool:
    """Record a scheduled attempt; whether the endpoint may go on to its next event."""
    with db.transaction() as session:
        delivery = session.get_one(WebhookDeliveryRow, delivery_id)
        _log_attempt(session, delivery, outcome, now, "scheduled")
        delivery.attempts += 1
        if outcome.delivered:
            delivery.status, delivery.delivered_at = "delivered", now
            delivery.next_attempt_at = None
            run.delivered += 1
            return True
        run.failed_attempts += 1
        if delivery.attempts < len(SCHEDULE):
            delivery.next_attempt_at = now + SCHEDULE[delivery.attempts]
            return False
        delivery.status, delivery.next_attempt_at = "failed", None
        endpoint = session.get_one(WebhookEndpointRow, delivery.webhook_id)
        first = delivery.created_at
        _disable(
            session,
            endpoint,
            f"delivery {delivery.id} failed {delivery.attempts} "
            f"times since {utc_text(first)} (last: {outcome.error})",
            now,
        )
        run.disabled.append(endpoint.id)
        return False


def deliver_endpoint(
    db: Database,
    webhook_id: int,
    *,
    sender: Sender,
    clock: Callable[[], datetime],
    run: DeliveryRun,
) -> None:
    """Send the endpoint's due events in order, under its lease (nothing if another
    deliverer holds it)."""
    token = secrets.token_hex(16)
    now = clock()
    with db.transaction() as session:
        if not take_lease(session, webhook_id, token, now=now, until=now + LEASE):
            return
    try:
        with db.transaction() as session:
            endpoint = session.get_one(WebhookEndpointRow, webhook_id)
            if endpoint.status != "enabled" or endpoint.deleted_at is not None:
                return
            while fan_out(session, endpoint, now=now, limit=1000):
                pass
        for _ in range(BATCH):
            now = clock()
            with db.transaction() as session:
                endpoint = session.get_one(WebhookEndpointRow, webhook_id)
                if (
                    endpoint.status != "enabled"
                    or endpoint.deleted_at is not None
                    or not take_lease(session, webhook_id, token, now=now, until=now + LEASE)
                ):
                    return
                head = next(iter(due_deliveries(session, webhook_id, 1)), None)
                if head is None or (
                    head.next_attempt_at is not None and head.next_attempt_at > now
                ):
                    return
                event = session.get_one(EventRow, head.event_id)
                url, secret, body = endpoint.url, endpoint_secret(session, endpoint), _body(event)
                delivery_id, message_id = head.id, event.public_id
            outcome = sender.post(url, body, sign(secret, message_id, body))
            if not _settle(db, delivery_id, outcome, clock(), run):
                return
    finally:
        with db.transaction() as session:
            release_lease(session, webhook_id, token)


def deliver_due(db: Database, *, sender: Sender, clock: Callable[[], datetime]) -> DeliveryRun:
    """One round over every enabled endpoint: new events queued, due ones sent in order
    (the job the worker and ``edigateway webhooks deliver`` run)."""
    run = DeliveryRun()
    with db.transaction() as session:
        endpoints = endpoints_with_work(session, now=clock())
    for webhook_id in endpoints:
        deliver_endpoint(db, webhook_id, sender=sender, clock=clock, run=run)
    return run
