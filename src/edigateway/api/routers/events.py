"""The practice's events, in order, with an opaque cursor (long-poll optional)."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from edigateway.api.deps import GatewayDep, scope
from edigateway.api.event_models import EventList
from edigateway.domain.events import EventType
from edigateway.services.events import EventPage, read_events
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/events", tags=["events"])

MAX_WAIT = 30
"""Longest long-poll, in seconds (below common proxies' idle time-outs)."""
POLL_EVERY = 0.5
"""How often a waiting request looks for new events (any process may write them)."""


@router.get("", response_model=EventList, operation_id="listEvents")
async def list_events(
    caller: Annotated[Caller, scope("events:read")],
    gateway: GatewayDep,
    after: Annotated[
        str | None,
        Query(
            max_length=100,
            description=("the next_cursor of the previous page; absent: from the first event"),
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="most events to return")] = 100,
    wait: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_WAIT,
            description=(
                "seconds to wait for an event when none is there yet (long-poll); 0 answers at once"
            ),
        ),
    ] = 0,
    types: Annotated[
        list[EventType] | None,
        Query(
            alias="type",
            description=("only events of these types (repeat the parameter for several)"),
        ),
    ] = None,
) -> EventList:
    """The practice's events after the cursor, oldest first: claims created, changed,
    submitted, accepted, rejected (with the 999/277CA reason), paid, denied, reversed;
    remittances posted (with totals); work items opened and resolved; eligibility
    completed; appeals; webhooks disabled. Poll with ``after=<next_cursor>``; with
    ``wait`` the answer comes as soon as an event does (or empty after ``wait`` seconds).
    Events are in commit order, so no event is ever skipped by reading on from a cursor."""

    def read() -> EventPage:
        return read_events(
            gateway.database, caller.practice_id, after=after, limit=limit, types=types
        )

    deadline = time.monotonic() + wait
    page = await run_in_threadpool(read)
    while not page.items and time.monotonic() + POLL_EVERY <= deadline:
        await asyncio.sleep(POLL_EVERY)
        page = await run_in_threadpool(read)
    return EventList.model_validate(
        {
            "items": [e.payload() for e in page.items],
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
        }
    )
