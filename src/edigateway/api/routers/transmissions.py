"""Files sent to the clearinghouse with the practice's claims, and their ack status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from edigateway.api.deps import GatewayDep, page, scope
from edigateway.api.downloads import X12_RESPONSE, x12_download
from edigateway.api.problems import responses
from edigateway.api.schemas import TransmissionPage
from edigateway.services.practice_claims import Caller
from edigateway.services.practice_remittances import list_transmissions
from edigateway.services.raw_x12 import sent_file

router = APIRouter(prefix="/transmissions", tags=["transmissions"])


@router.get("", response_model=TransmissionPage, operation_id="listTransmissions")
def list_all(
    caller: Annotated[Caller, scope("transmissions:read")],
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description=("items to skip"))] = 0,
) -> TransmissionPage:
    """Submissions, newest first: pending → sent, then the 999's verdict."""
    items, total = list_transmissions(gateway.database, caller, limit=limit, offset=offset)
    return page(TransmissionPage, items, total, limit, offset)


@router.get(
    "/{transmission_id:int}/content",
    response_class=Response,
    operation_id="getTransmissionContent",
    responses={**X12_RESPONSE, **responses(404, 409)},
)
def content(
    transmission_id: Annotated[
        int,
        Path(
            ge=1,
            le=2**31 - 1,
            description=(
                "the transmission's ID (from GET /v1/transmissions or a claim's transmissions)"
            ),
        ),
    ],
    caller: Annotated[Caller, scope("transmissions:read")],
    gateway: GatewayDep,
) -> Response:
    """The file sent (the 837D) exactly as it was uploaded (``application/edi-x12``; the
    read is audited). 404 for a file that carried none of this practice's claims; 409 for
    one that also carried another practice's (a batch of several practices' claims
    imported with the CLI)."""
    return x12_download(sent_file(gateway.database, caller, transmission_id, now=gateway.clock()))
