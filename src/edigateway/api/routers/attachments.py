"""Claim attachments: upload a file to a claim (multipart), list, read, download and delete
them, and the printable packet for payers that take no 275 (:mod:`edigateway.services.
attachments` says what happens to them when the claim is sent)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import Response
from pydantic import Field

from edigateway.api.deps import GatewayDep, RowId, answer, scope
from edigateway.api.problems import responses
from edigateway.api.schemas import Timestamp, _Out
from edigateway.domain.attachments import REPORT_TYPES
from edigateway.errors import FileTooLargeError, UnsupportedFileTypeError
from edigateway.services import attachments
from edigateway.services.practice_claims import Caller

router = APIRouter(tags=["attachments"])
Reader = Annotated[Caller, scope("claims:read")]
Writer = Annotated[Caller, scope("claims:write")]
ReportType = Literal[
    "B4", "DA", "DG", "EB", "OZ", "P6", "RB", "RR", "04", "07", "09", "PN", "PO", "RX"
]
_CHUNK = 1 << 16


class ClaimAttachment(_Out):
    """A file supporting a claim (its bytes at ``/v1/attachments/{id}/content``)."""

    id: int = Field(description="the attachment's ID")
    claim_id: int = Field(description="the claim it supports")
    patient_control_number: str = Field(description="CLM01 of that claim")
    control_number: str = Field(
        description="the attachment control number: PWK06 on the "
        "837D, TRN02 of the 275, and on the packet's cover sheet "
        "— what the payer matches the file to the claim by"
    )
    report_type: ReportType = Field(description="PWK01: what the document is")
    report_description: str = Field(description="the report type in words")
    media_type: str = Field(
        description="the file's type as judged by its content: "
        "image/jpeg, image/png, image/tiff or application/pdf"
    )
    file_name: str = Field(description="the name it was uploaded with")
    size: int = Field(description="its size in bytes")
    sha256: str = Field(description="SHA-256 of its bytes (hex)")
    created_at: Timestamp = Field(description="when it was uploaded")
    created_by: str = Field(description="who uploaded it")
    transmission: str | None = Field(
        description="PWK02, set when the claim was queued: EL "
        "(sent in a 275 with the claim) or how the packet goes "
        "(BM mail, FX fax …); null until then"
    )
    sent_at: Timestamp | None = Field(description="when it went with its claim (queued)")


class ClaimAttachments(_Out):
    """A claim's attachments, oldest first."""

    items: list[ClaimAttachment] = Field(description="the attachments")


@router.post(
    "/claims/{claim_id}/attachments",
    response_model=ClaimAttachment,
    status_code=201,
    operation_id="uploadClaimAttachment",
    responses={
        **responses(404, 409),
        413: {
            **responses(413)[413],
            "description": "the file is over the attachment size limit "
            "(EDIGATEWAY_ATTACHMENT_MAX_BYTES)",
        },
        415: {
            **responses(415)[415],
            "description": "the file is not a JPEG, PNG, TIFF or PDF (judged by its content)",
        },
    },
)
async def upload_attachment(
    claim_id: RowId,
    caller: Writer,
    gateway: GatewayDep,
    file: Annotated[
        UploadFile, File(description="the file: JPEG, PNG, TIFF or PDF (judged by its content)")
    ],
    report_type: Annotated[
        ReportType,
        Form(
            description="PWK01: "
            + "; ".join(f"{code} {what}" for code, what in REPORT_TYPES.items())
        ),
    ],
) -> ClaimAttachment:
    """Attach a file to the claim, sealed like all PHI, with a new attachment control
    number; it goes with the claim when the claim is sent (a 275 to payers that take
    one, else the printable packet)."""
    limit = gateway.settings.attachment_max_bytes
    data = bytearray()
    while chunk := await file.read(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise HTTPException(
                413,
                f"{file.filename or 'the file'} is over {limit:,} "
                "bytes, the most an attachment may be",
            )
    try:
        info = attachments.upload(
            gateway.database,
            caller,
            claim_id,
            file_name=file.filename or "",
            data=bytes(data),
            report_type=report_type,
            max_bytes=limit,
            now=gateway.clock(),
        )
    except FileTooLargeError as exc:
        raise HTTPException(413, str(exc)) from exc
    except UnsupportedFileTypeError as exc:
        raise HTTPException(415, str(exc)) from exc
    return answer(ClaimAttachment, info)


@router.get(
    "/claims/{claim_id}/attachments",
    response_model=ClaimAttachments,
    operation_id="listClaimAttachments",
    responses=responses(404),
)
def list_attachments(claim_id: RowId, caller: Reader, gateway: GatewayDep) -> ClaimAttachments:
    """The claim's attachments (metadata), oldest first."""
    return ClaimAttachments.model_validate(
        {"items": attachments.attachments_of(gateway.database, caller, claim_id)},
        from_attributes=True,
    )


@router.get(
    "/claims/{claim_id}/attachments/packet",
    operation_id="getClaimAttachmentPacket",
    response_class=Response,
    responses={
        200: {
            "content": {"application/zip": {}},
            "description": "a zip: a cover sheet naming the claim and each attachment "
            "control number, then the files",
        },
        **responses(404),
    },
)
def get_packet(claim_id: RowId, caller: Reader, gateway: GatewayDep) -> Response:
    """The claim's attachments to print, mail or fax, for a payer that takes no 275
    (audited as an export)."""
    name, data = attachments.packet(gateway.database, caller, claim_id, now=gateway.clock())
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/attachments/{attachment_id}",
    response_model=ClaimAttachment,
    operation_id="getAttachment",
    responses=responses(404),
)
def get_attachment(attachment_id: RowId, caller: Reader, gateway: GatewayDep) -> ClaimAttachment:
    """One attachment's metadata."""
    return answer(ClaimAttachment, attachments.attachment(gateway.database, caller, attachment_id))


@router.get(
    "/attachments/{attachment_id}/content",
    operation_id="getAttachmentContent",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in attachments.EXTENSIONS},
            "description": "the file exactly as uploaded",
        },
        **responses(404),
    },
)
def get_content(attachment_id: RowId, caller: Reader, gateway: GatewayDep) -> Response:
    """Download the file exactly as uploaded (audited)."""
    info, data = attachments.content(gateway.database, caller, attachment_id, now=gateway.clock())
    extension = attachments.EXTENSIONS.get(info.media_type, "bin")
    return Response(
        data,
        media_type=info.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{info.control_number}.{extension}"',
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/attachments/{attachment_id}",
    status_code=204,
    operation_id="deleteAttachment",
    response_class=Response,
    responses=responses(404, 409),
)
def delete_attachment(attachment_id: RowId, caller: Writer, gateway: GatewayDep) -> Response:
    """Delete an attachment that has not gone with its claim (the claim is still ready);
    once sent, it stays on record (409)."""
    attachments.delete(gateway.database, caller, attachment_id, now=gateway.clock())
    return Response(status_code=204)
