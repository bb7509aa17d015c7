"""Files received from the clearinghouse that carried the practice's payments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from edigateway.api.deps import GatewayDep, page, scope
from edigateway.api.downloads import X12_RESPONSE, x12_download
from edigateway.api.problems import responses
from edigateway.api.schemas import ReceivedFilePage
from edigateway.services.practice_claims import Caller
from edigateway.services.practice_remittances import list_received_files
from edigateway.services.raw_x12 import received_file

router = APIRouter(prefix="/received-files", tags=["received files"])


@router.get("", response_model=ReceivedFilePage, operation_id="listReceivedFiles")
def list_all(
    caller: Annotated[Caller, scope("transmissions:read")],
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description=("items to skip"))] = 0,
) -> ReceivedFilePage:
    """835 files received from the clearinghouse that carried one of this practice's
    payments, newest first: the envelope (name, time, sender, ISA13, status, hash) and
    this practice's payments in each. Acknowledgments (TA1, 999, 277CA) are not listed: the
    gateway does not record which practice's submission one answered (docs/api.md)."""
    items, total = list_received_files(gateway.database, caller, limit=limit, offset=offset)
    return page(ReceivedFilePage, items, total, limit, offset)


@router.get(
    "/{file_id:int}/content",
    response_class=Response,
    operation_id="getReceivedFileContent",
    responses={**X12_RESPONSE, **responses(404, 409)},
)
def content(
    file_id: Annotated[
        int,
        Path(
            ge=1, le=2**31 - 1, description=("the received file's ID (from GET /v1/received-files)")
        ),
    ],
    caller: Annotated[Caller, scope("transmissions:read")],
    gateway: GatewayDep,
) -> Response:
    """The received 835 exactly as the clearinghouse sent it (``application/edi-x12``;
    the read is audited). 404 for a file not listed to this practice; 409 for one that
    also carries another practice's payments (an X12 file cannot be cut down to one
    practice's part; this practice's payments stay readable as JSON)."""
    return x12_download(received_file(gateway.database, caller, file_id, now=gateway.clock()))
