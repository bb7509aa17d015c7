"""Files sent to the clearinghouse with the practice's claims, and their ack status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from edigateway.api.deps import GatewayDep, page, scope
from edigateway.api.schemas import TransmissionPage
from edigateway.services.practice_claims import Caller
from edigateway.services.practice_remittances import list_transmissions

router = APIRouter(prefix="/transmissions", tags=["transmissions"])


@router.get("", response_model=TransmissionPage, operation_id="listTransmissions")
def list_all(caller: Annotated[Caller, scope("transmissions:read")], gateway: GatewayDep,
             limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
             offset: Annotated[int, Query(ge=0, le=10_000_000, description=(
                 "items to skip"))] = 0) -> TransmissionPage:
    """Submissions, newest first: pending → sent, then the 999's verdict."""
    items, total = list_transmissions(gateway.database, caller, limit=limit, offset=offset)
    return page(TransmissionPage, items, total, limit, offset)
