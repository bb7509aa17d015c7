"""835 payments of the practice, with their postings."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from edigateway.api.deps import (
    ETAG,
    NOT_MODIFIED,
    GatewayDep,
    IfNoneMatch,
    RowId,
    UpdatedSince,
    answer,
    conditional,
    page,
    scope,
)
from edigateway.api.problems import responses
from edigateway.api.schemas import RemittanceDetail, RemittancePage, stored_time
from edigateway.services.practice_claims import Caller
from edigateway.services.practice_remittances import (
    RemittanceFilter,
    get_remittance,
    list_remittances,
)

router = APIRouter(prefix="/remittances", tags=["remittances"])
Reader = Annotated[Caller, scope("remittances:read")]


@router.get("", response_model=RemittancePage, operation_id="listRemittances")
def list_all(
    caller: Reader,
    gateway: GatewayDep,
    claim_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description=("only payments for this claim (its ID)"))
    ] = None,
    payer_id: Annotated[
        str | None,
        Query(
            max_length=80,
            description=("only payments from this payer (its ID as the 835 gives it)"),
        ),
    ] = None,
    paid_from: Annotated[
        date | None, Query(description=("only payments dated (BPR16) on or after this day"))
    ] = None,
    paid_to: Annotated[
        date | None, Query(description=("only payments dated (BPR16) on or before this day"))
    ] = None,
    trace_number: Annotated[
        str | None,
        Query(
            max_length=50,
            description=("only the payment with this check or EFT trace number (TRN02)"),
        ),
    ] = None,
    updated_since: UpdatedSince = None,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description=("items to skip"))] = 0,
) -> RemittancePage:
    """Payments, newest first, filtered by claim, payer, payment date, check/EFT number or
    the time they were posted."""
    only = RemittanceFilter(
        claim_id=claim_id,
        payer_id=payer_id,
        paid_from=paid_from,
        paid_to=paid_to,
        trace_number=trace_number,
        updated_since=stored_time(updated_since) if updated_since else None,
    )
    items, total = list_remittances(
        gateway.database, caller, limit=limit, offset=offset, now=gateway.clock(), only=only
    )
    return page(RemittancePage, items, total, limit, offset)


@router.get(
    "/{remittance_id:int}",
    response_model=RemittanceDetail,
    operation_id="getRemittance",
    responses={**responses(404), 200: {"headers": ETAG}, **NOT_MODIFIED},
)
def get_one(
    remittance_id: RowId, caller: Reader, gateway: GatewayDep, if_none_match: IfNoneMatch = None
) -> Response:
    """A payment with each posting traced to its segment and its PLB ledger. The answer
    carries an ``ETag``; with ``If-None-Match`` it is 304 while nothing changed."""
    return conditional(
        answer(
            RemittanceDetail,
            get_remittance(gateway.database, caller, remittance_id, now=gateway.clock()),
        ),
        if_none_match,
    )
