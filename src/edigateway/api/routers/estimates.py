"""Patient cost estimates from benefits and a treatment plan (pure computation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import Response

from edigateway.api.deps import JsonBody, render, scope
from edigateway.api.examples import BENEFITS, PLAN, examples
from edigateway.api.schemas import EstimateRequest
from edigateway.domain.eligibility import Estimate
from edigateway.estimates.engine import estimate
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/estimates", tags=["estimates"])


@router.post("", response_model=Estimate, operation_id="createEstimate",
             dependencies=[JsonBody])
def create_estimate(request: Annotated[EstimateRequest, Body(openapi_examples=examples(
                        "a cleaning and a filling", {"benefits": BENEFITS, "plan": PLAN}))],
                    caller: Annotated[Caller, scope("estimates")]) -> Response:
    """Insurance and patient portions of each planned procedure, each with its rule."""
    return render(estimate(request.benefits, request.plan))
