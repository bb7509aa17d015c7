"""Files received from the clearinghouse that carried the practice's payments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from edigateway.api.deps import GatewayDep, page, scope
from edigateway.api.schemas import ReceivedFilePage
from edigateway.services.practice_claims import Caller
from edigateway.services.practice_remittances import list_received_files

router = APIRouter(prefix="/received-files", tags=["received files"])


@router.get("", response_model=ReceivedFilePage, operation_id="listReceivedFiles")
def list_all(caller: Annotated[Caller, scope("transmissions:read")], gateway: GatewayDep,
             limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
             offset: Annotated[int, Query(ge=0, le=10_000_000, description=(
                 "items to skip"))] = 0) -> ReceivedFilePage:
    """835 files received from the clearinghouse that carried one of this practice's
    payments, newest first: the envelope (name, time, sender, ISA13, status, hash) and
    this practice's payments in each. Acknowledgments (TA1, 999, 277CA) are not listed: the
    gateway does not record which practice's submission one answered (docs/api.md)."""
    items, total = list_received_files(gateway.database, caller, limit=limit, offset=offset)
    return page(ReceivedFilePage, items, total, limit, offset)
