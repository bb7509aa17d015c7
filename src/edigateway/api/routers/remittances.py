"""835 payments of the practice, with their postings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from edigateway.api.deps import GatewayDep, RowId, scope
from edigateway.api.schemas import Page, RemittanceDetail, RemittanceSummary
from edigateway.services.practice_claims import Caller
from edigateway.services.practice_remittances import get_remittance, list_remittances

router = APIRouter(prefix="/remittances", tags=["remittances"])
Reader = Annotated[Caller, Depends(scope("remittances:read"))]


@router.get("", response_model=Page[RemittanceSummary])
def list_all(caller: Reader, gateway: GatewayDep,
             limit: Annotated[int, Query(ge=1, le=200)] = 50,
             offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, object]:
    """Payments, newest first."""
    items, total = list_remittances(gateway.database, caller, limit=limit, offset=offset,
                                    now=gateway.clock())
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None}


@router.get("/{remittance_id:int}", response_model=RemittanceDetail)
def get_one(remittance_id: RowId, caller: Reader, gateway: GatewayDep) -> dict[str, object]:
    """A payment with each posting traced to its segment and its PLB ledger."""
    return get_remittance(gateway.database, caller, remittance_id, now=gateway.clock())
