"""The practice's payers and their timely-filing terms (the ERA policy per payer is with
the ERA routes, ``PUT /v1/payers/{payer_id}/era-policy``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from edigateway.api.deps import GatewayDep, JsonBody, PayerPath, answer, scope
from edigateway.api.examples import examples
from edigateway.api.payer_models import FilingLimitsRequest, PayerList, PayerOut
from edigateway.api.problems import responses
from edigateway.services import payer_limits
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/payers", tags=["payers"])
Reader = Annotated[Caller, scope("claims:read")]
Writer = Annotated[Caller, scope("claims:write")]


@router.get("", response_model=PayerList, operation_id="listPayers")
def list_payers(caller: Reader, gateway: GatewayDep) -> PayerList:
    """The practice's payers by name, with their timely-filing terms (a payer is created
    when the first claim to it is stored, with a 365-day limit until one is set)."""
    return answer(PayerList, {"payers": payer_limits.payers(gateway.database, caller.practice_id)})


@router.put(
    "/{payer_id}/filing-limits",
    response_model=PayerOut,
    operation_id="putPayerFilingLimits",
    dependencies=[JsonBody],
    responses=responses(404),
)
def put_filing_limits(
    payer_id: PayerPath,
    request: Annotated[
        FilingLimitsRequest,
        Body(
            openapi_examples=examples(
                "180 days from service; secondaries 90 days from the primary's payment",
                {"timely_filing_days": 180, "secondary_filing_days": 90},
            )
        ),
    ],
    caller: Writer,
    gateway: GatewayDep,
) -> PayerOut:
    """Set the payer's filing terms as a whole (audited): the limit from the date of
    service and, optionally, the secondary claims' window from the primary's payment. The
    submit warnings, the aging report and the secondary claims' deadlines use them from
    the next request on. 404 when the practice knows no such payer."""
    return answer(
        PayerOut,
        payer_limits.set_filing_limits(
            gateway.database,
            payer_id,
            timely_filing_days=request.timely_filing_days,
            secondary_filing_days=request.secondary_filing_days,
            practice_id=caller.practice_id,
            actor=caller.actor,
            now=gateway.clock(),
            remote_addr=caller.remote_addr,
        ),
    )
