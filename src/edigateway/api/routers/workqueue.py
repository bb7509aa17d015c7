"""The work queue: what a coordinator must act on, and resolving it with a note."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from edigateway.api.deps import GatewayDep, JsonBody, RowId, UpdatedSince, answer, scope
from edigateway.api.examples import examples
from edigateway.api.problems import responses
from edigateway.api.schemas import Resolved, ResolveRequest, WorkItem, WorkItemPage, stored_time
from edigateway.domain.postings import WorkReason
from edigateway.services.appeals import open_due_reminders
from edigateway.services.practice_claims import Caller
from edigateway.services.work_queue import resolve_work_item, work_items

router = APIRouter(prefix="/workqueue", tags=["workqueue"])


@router.get("", response_model=WorkItemPage, operation_id="listWorkItems")
def list_items(
    caller: Annotated[Caller, scope("workqueue:read")],
    gateway: GatewayDep,
    include_resolved: Annotated[
        bool, Query(description=("resolved items too, not only open ones"))
    ] = False,
    reason: Annotated[WorkReason | None, Query(description=("only items of this reason"))] = None,
    updated_since: UpdatedSince = None,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description=("items to skip"))] = 0,
) -> WorkItemPage:
    """Open items (or all), oldest first, optionally of one reason or opened or resolved
    since a time. Appeals whose follow-up date has come get their reminder item first."""
    open_due_reminders(gateway.database, now=gateway.clock(), practice_id=caller.practice_id)
    items = work_items(
        gateway.database,
        include_resolved=include_resolved,
        practice_id=caller.practice_id,
        reason=reason,
        limit=limit + 1,
        offset=offset,
        updated_since=stored_time(updated_since) if updated_since else None,
    )
    more = len(items) > limit
    return WorkItemPage.model_validate(
        {
            "items": [answer(WorkItem, i) for i in items[:limit]],
            "total": offset + len(items[:limit]) + int(more),
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if more else None,
        }
    )


@router.post(
    "/{item_id:int}/resolve",
    response_model=Resolved,
    operation_id="resolveWorkItem",
    dependencies=[JsonBody],
    responses=responses(404, 409),
)
def resolve(
    item_id: RowId,
    request: Annotated[
        ResolveRequest,
        Body(
            openapi_examples=examples(
                "what was done", {"note": "appealed with the x-rays on 2026-11-24"}
            )
        ),
    ],
    caller: Annotated[Caller, scope("workqueue:write")],
    gateway: GatewayDep,
) -> Resolved:
    """Close an item with what was done (audited); an item already resolved is a 409."""
    return answer(
        Resolved,
        resolve_work_item(
            gateway.database,
            item_id,
            note=request.note,
            now=gateway.clock(),
            practice_id=caller.practice_id,
            actor=caller.actor,
            remote_addr=caller.remote_addr,
        ),
    )
