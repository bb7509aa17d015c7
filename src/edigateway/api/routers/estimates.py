"""Patient cost estimates from benefits and a treatment plan (pure computation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from edigateway.api.deps import scope
from edigateway.api.schemas import EstimateRequest
from edigateway.domain.eligibility import Estimate
from edigateway.estimates.engine import estimate
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/estimates", tags=["estimates"])


@router.post("", response_model=Estimate)
def create_estimate(request: EstimateRequest,
                    caller: Annotated[Caller, Depends(scope("estimates"))]) -> Estimate:
    """Insurance and patient portions of each planned procedure, each with its rule."""
    return estimate(request.benefits, request.plan)
