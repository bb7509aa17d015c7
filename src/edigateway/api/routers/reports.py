"""Reports: A/R aging with timely-filing alerts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from edigateway.api.deps import GatewayDep, scope
from edigateway.services.followup import aging_report
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/aging")
def aging(caller: Annotated[Caller, Depends(scope("reports:read"))],
          gateway: GatewayDep) -> dict[str, Any]:
    """Insurance A/R by payer and age bucket (0-30 … 120+ days since submission)."""
    return aging_report(gateway.database, today=gateway.clock().date(),
                        practice_id=caller.practice_id)
