"""The work queue: what a coordinator must act on, and resolving it with a note."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from edigateway.api.deps import GatewayDep, RowId, scope
from edigateway.api.schemas import Page, Resolved, ResolveRequest, WorkItem
from edigateway.services.followup import resolve_work_item, work_items
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/workqueue", tags=["work queue"])


@router.get("", response_model=Page[WorkItem])
def list_items(caller: Annotated[Caller, Depends(scope("workqueue:read"))],
               gateway: GatewayDep, include_resolved: bool = False,
               reason: Annotated[str | None, Query(max_length=20)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, object]:
    """Open items (or all), oldest first, optionally of one reason."""
    items = work_items(gateway.database, include_resolved=include_resolved,
                       practice_id=caller.practice_id, reason=reason, limit=limit + 1,
                       offset=offset)
    more = len(items) > limit
    return {"items": items[:limit], "total": offset + len(items[:limit]) + int(more),
            "limit": limit, "offset": offset, "next_offset": offset + limit if more else None}


@router.post("/{item_id:int}/resolve", response_model=Resolved)
def resolve(item_id: RowId, request: ResolveRequest,
            caller: Annotated[Caller, Depends(scope("workqueue:write"))],
            gateway: GatewayDep) -> dict[str, object]:
    """Close an item with what was done (audited)."""
    return resolve_work_item(gateway.database, item_id, note=request.note, now=gateway.clock(),
                             practice_id=caller.practice_id, actor=caller.actor,
                             remote_addr=caller.remote_addr)
