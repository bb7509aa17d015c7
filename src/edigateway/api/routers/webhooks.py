"""Webhooks (Standard Webhooks): register endpoints, read their delivery logs, redeliver."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response

from edigateway.api.deps import (
    GatewayDep,
    IdempotencyKey,
    JsonBody,
    PrincipalDep,
    RowId,
    idempotent,
    scope,
)
from edigateway.api.event_models import (
    DeliveryOut,
    DeliveryPage,
    WebhookCreatedOut,
    WebhookList,
    WebhookOut,
    WebhookRequest,
)
from edigateway.api.examples import examples
from edigateway.api.problems import responses
from edigateway.services import webhooks
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
Reader = Annotated[Caller, scope("webhooks:read")]
Writer = Annotated[Caller, scope("webhooks:write")]


def _out(model: type[WebhookOut], value: object) -> WebhookOut:
    return model.model_validate(value, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreatedOut,
    operation_id="createWebhook",
    dependencies=[JsonBody],
    responses=responses(409),
)
def create_webhook(
    request: Annotated[
        WebhookRequest,
        Body(
            openapi_examples=examples(
                "claim rejections and payments",
                {
                    "url": "https://pm.example.com/hooks/edigateway",
                    "event_types": ["claim.rejected", "remittance.posted"],
                    "description": "claim and payment updates",
                },
            )
        ),
    ],
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Register an endpoint for the practice's events from now on. The answer holds the
    signing secret, shown this once. The URL must be https and resolve to public
    addresses (422 naming ``url`` otherwise) unless the gateway allows private URLs."""

    def run() -> tuple[int, WebhookCreatedOut]:
        created = webhooks.create_webhook(
            gateway.database,
            caller,
            url=str(request.url),
            event_types=request.event_types,
            description=request.description,
            allow_private=gateway.settings.webhooks_allow_private_urls,
            now=gateway.clock(),
        )
        return 201, WebhookCreatedOut.model_validate(
            {**asdict(created.webhook), "secret": created.secret}
        )

    return idempotent(gateway, principal, idempotency_key, request, run)


@router.get("", response_model=WebhookList, operation_id="listWebhooks")
def list_webhooks(caller: Reader, gateway: GatewayDep) -> WebhookList:
    """The practice's endpoints (never their secrets)."""
    return WebhookList(
        items=[_out(WebhookOut, w) for w in webhooks.list_webhooks(gateway.database, caller)]
    )


@router.get(
    "/{webhook_id:int}",
    response_model=WebhookOut,
    operation_id="getWebhook",
    responses=responses(404),
)
def get_webhook(webhook_id: RowId, caller: Reader, gateway: GatewayDep) -> WebhookOut:
    """One endpoint."""
    return _out(WebhookOut, webhooks.get_webhook(gateway.database, caller, webhook_id))


@router.delete(
    "/{webhook_id:int}", status_code=204, operation_id="deleteWebhook", responses=responses(404)
)
def delete_webhook(webhook_id: RowId, caller: Writer, gateway: GatewayDep) -> Response:
    """Stop delivering to the endpoint at once (its delivery log is kept)."""
    webhooks.delete_webhook(gateway.database, caller, webhook_id, now=gateway.clock())
    return Response(status_code=204)


@router.post(
    "/{webhook_id:int}/enable",
    response_model=WebhookOut,
    operation_id="enableWebhook",
    responses=responses(404),
)
def enable_webhook(webhook_id: RowId, caller: Writer, gateway: GatewayDep) -> WebhookOut:
    """Resume a disabled endpoint: the events queued meanwhile go out, oldest first."""
    return _out(
        WebhookOut,
        webhooks.enable_webhook(gateway.database, caller, webhook_id, now=gateway.clock()),
    )


@router.get(
    "/{webhook_id:int}/deliveries",
    response_model=DeliveryPage,
    operation_id="listWebhookDeliveries",
    responses=responses(404),
)
def list_deliveries(
    webhook_id: RowId,
    caller: Reader,
    gateway: GatewayDep,
    status: Annotated[
        Literal["pending", "delivered", "failed"] | None,
        Query(description="only deliveries in this status"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> DeliveryPage:
    """The endpoint's delivery log, newest event first, each attempt with the receiver's
    status or the error."""
    items, total = webhooks.list_deliveries(
        gateway.database, caller, webhook_id, limit=limit, offset=offset, status=status
    )
    return DeliveryPage.model_validate(
        {
            "items": items,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None,
        },
        from_attributes=True,
    )


@router.post(
    "/{webhook_id:int}/deliveries/{delivery_id:int}/redeliver",
    response_model=DeliveryOut,
    operation_id="redeliverWebhookDelivery",
    responses=responses(404),
)
def redeliver(
    webhook_id: RowId, delivery_id: RowId, caller: Writer, gateway: GatewayDep
) -> DeliveryOut:
    """Send one delivery again now (same ``webhook-id``, freshly signed); the answer is the
    delivery with this attempt in its log."""
    return DeliveryOut.model_validate(
        webhooks.redeliver(
            gateway.database,
            caller,
            webhook_id,
            delivery_id,
            sender=gateway.webhook_sender,
            now=gateway.clock(),
        ),
        from_attributes=True,
    )
