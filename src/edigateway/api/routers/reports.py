"""Reports: A/R aging with timely-filing alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from edigateway.api.deps import GatewayDep, scope
from edigateway.api.schemas import AgingReport
from edigateway.services.followup import aging_report
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/aging", response_model=AgingReport, operation_id="getAgingReport")
def aging(caller: Annotated[Caller, scope("reports:read")], gateway: GatewayDep) -> AgingReport:
    """Insurance A/R by payer and age bucket (0-30 … 120+ days since submission)."""
    return AgingReport.model_validate(
        aging_report(gateway.database, today=gateway.clock().date(), practice_id=caller.practice_id)
    )
