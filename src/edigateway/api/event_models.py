"""What the events, webhooks, raw-file and claim-status routes accept and return (the
wire conventions of :mod:`edigateway.api.schemas`: money as exact decimal strings, times
RFC 3339 in UTC, code values as enums, every property described, an example per model)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AnyUrl, BaseModel, ConfigDict, Field

from edigateway.api.schemas import Timestamp
from edigateway.domain.events import EventType

EVENT_EXAMPLE: dict[str, Any] = {
    "id": "evt_5f1c2a9be0d4473c8a11f2d0",
    "type": "claim.rejected",
    "sequence": 12,
    "timestamp": "2026-11-23T09:05:00Z",
    "subject": "claims/41",
    "data": {
        "claim_id": 41,
        "patient_control_number": "BHD2047",
        "state": "payer_rejected",
        "previous_state": "ch_accepted",
        "stage": "payer",
        "total_charge": "218.43",
        "payer_claim_control_number": None,
        "reason": "277CA-000000045.277: 277CA A3:21 Missing or invalid information",
    },
}

WEBHOOK_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "url": "https://pm.example.com/hooks/edigateway",
    "description": "claim and payment updates",
    "event_types": ["claim.rejected", "remittance.posted"],
    "status": "enabled",
    "disabled_reason": None,
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z",
}


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EventOut(_Out):
    """One event: a state change the practice's PM system cares about. The same JSON is
    the body of a webhook delivery."""

    model_config = ConfigDict(json_schema_extra={"examples": [EVENT_EXAMPLE]})

    id: str = Field(
        description="the event's ID (evt_…); webhook deliveries carry it as "
        "webhook-id, the same on every retry — de-duplicate on it"
    )
    type: EventType = Field(description="what happened")
    sequence: int = Field(
        description="the event's number in this practice's log: increasing, in commit order"
    )
    timestamp: Timestamp = Field(description="when it happened")
    subject: str = Field(
        description="the record it is about, as a path: claims/41, "
        "remittances/5, work-items/7, webhooks/3, eligibility"
    )
    data: dict[str, Any] = Field(
        description="the record's state after the change: IDs, "
        "claim numbers, states, reasons, codes and amounts (exact "
        "decimal strings); never names, member IDs or birth dates "
        "(docs/api.md lists each type's fields)"
    )


class EventList(_Out):
    """Events after a cursor, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [EVENT_EXAMPLE], "next_cursor": "ZXYxOjEy", "has_more": False}]
        }
    )

    items: list[EventOut] = Field(description="the events, in order")
    next_cursor: str = Field(
        description="send as after= to read on (the same cursor when "
        "nothing new came: keep it and ask again)"
    )
    has_more: bool = Field(description="more events are waiting: ask again at once")


class WebhookRequest(BaseModel):
    """An endpoint to deliver the practice's events to."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://pm.example.com/hooks/edigateway",
                    "event_types": ["claim.rejected", "remittance.posted"],
                    "description": "claim and payment updates",
                }
            ]
        },
    )

    url: AnyUrl = Field(
        description="where to POST the events: https, resolving to public "
        "addresses (docs/api.md#webhooks)",
        json_schema_extra={"maxLength": 2000},
    )
    event_types: list[EventType] = Field(
        default_factory=list,
        max_length=len(EventType),
        description="the event types to send; empty or absent: every type",
    )
    description: str = Field(
        default="", max_length=200, description="what the endpoint is for, for people"
    )


class WebhookOut(_Out):
    """A registered endpoint (its secret is only shown when it is created)."""

    model_config = ConfigDict(json_schema_extra={"examples": [WEBHOOK_EXAMPLE]})

    id: int = Field(description="the endpoint's ID")
    url: str = Field(description="where events are POSTed")
    description: str = Field(description="what it is for")
    event_types: list[EventType] = Field(description="the types it receives; empty: all")
    status: Literal["enabled", "disabled"] = Field(
        description="disabled after every attempt of a delivery failed for about 28 hours "
        "(a webhook.disabled event says so); POST …/enable resumes it"
    )
    disabled_reason: str | None = Field(description="why it was disabled")
    created_at: Timestamp = Field(description="when it was registered")
    updated_at: Timestamp = Field(description="when it last changed")


class WebhookCreatedOut(WebhookOut):
    """The endpoint registered, with its signing secret — shown this once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**WEBHOOK_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]
        }
    )

    secret: str = Field(
        description="the Standard Webhooks signing secret (whsec_…): "
        "verify each delivery's webhook-signature with it; it is never shown "
        "again"
    )


class WebhookList(_Out):
    """The practice's endpoints."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [WEBHOOK_EXAMPLE]}]})

    items: list[WebhookOut] = Field(description="every live endpoint, oldest first")


class AttemptOut(_Out):
    """One HTTP attempt of a delivery."""

    attempted_at: Timestamp = Field(description="when it was made")
    trigger: Literal["scheduled", "manual"] = Field(
        description="scheduled (the delivery schedule) or manual (redeliver)"
    )
    status_code: int | None = Field(
        description="the receiver's HTTP status; null when there was no answer"
    )
    error: str | None = Field(
        description="why it failed (timeout, refused address, non-2xx status); null on success"
    )
    duration_ms: int = Field(description="how long it took")


class DeliveryOut(_Out):
    """One event's delivery to the endpoint, with every attempt."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "event_id": "evt_5f1c2a9be0d4473c8a11f2d0",
                    "event_type": "claim.rejected",
                    "event_sequence": 12,
                    "status": "delivered",
                    "next_attempt_at": None,
                    "delivered_at": "2026-11-23T09:05:01Z",
                    "created_at": "2026-11-23T09:05:00Z",
                    "attempts": [
                        {
                            "attempted_at": "2026-11-23T09:05:01Z",
                            "trigger": "scheduled",
                            "status_code": 204,
                            "error": None,
                            "duration_ms": 31,
                        }
                    ],
                }
            ]
        }
    )

    id: int = Field(description="the delivery's ID")
    event_id: str = Field(description="the event delivered (its webhook-id)")
    event_type: EventType = Field(description="the event's type")
    event_sequence: int = Field(description="the event's number in the practice's log")
    status: Literal["pending", "delivered", "failed"] = Field(
        description="pending (to send or retry), delivered (a 2xx came back), failed (every "
        "attempt of the schedule failed)"
    )
    attempts: list[AttemptOut] = Field(description="every attempt, oldest first")
    next_attempt_at: Timestamp | None = Field(description="when it is tried next, while pending")
    delivered_at: Timestamp | None = Field(description="when a 2xx first came back")
    created_at: Timestamp = Field(description="when it was queued")


class DeliveryPage(_Out):
    """One page of an endpoint's deliveries, newest event first."""

    items: list[DeliveryOut] = Field(description="this page's deliveries")
    total: int = Field(description="how many deliveries match in all")
    limit: int = Field(description="the page size asked for")
    offset: int = Field(description="how many come before this page")
    next_offset: int | None = Field(
        description="the offset of the next page; null on the last page"
    )


class ClaimStatusRequest(BaseModel):
    """The claim to ask its payer about, in real time (276 → 277)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"claim_id": 41}]})

    claim_id: int = Field(ge=1, le=2**31 - 1, description="the claim's ID (it must have been sent)")


class ClaimStatusOut(_Out):
    """What the payer said about the claim; it is also in the claim's history, and an
    answer a person must act on opens a work item."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "claim_id": 41,
                    "patient_control_number": "BHD2047",
                    "outcome": "pending",
                    "message": "A1:20 Accepted for processing",
                    "asked_at": "2026-11-23T09:00:00Z",
                }
            ]
        }
    )

    claim_id: int = Field(description="the claim asked about")
    patient_control_number: str = Field(description="its claim number (CLM01)")
    outcome: Literal[
        "acknowledged",
        "pending",
        "paid",
        "denied",
        "finalized",
        "not_found",
        "rejected",
        "information_requested",
        "request_error",
        "unknown",
    ] = Field(description="the payer's answer as a category (docs/api.md#claim-status)")
    message: str = Field(description="the 277's status codes and text")
    asked_at: Timestamp = Field(description="when the payer was asked")
