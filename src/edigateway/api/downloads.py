"""X12 files as downloads: ``application/edi-x12`` (RFC 1767), the bytes as exchanged, named
for saving, never cached (``Cache-Control: no-store`` comes with every answer), written a
piece at a time as they are decrypted."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import StreamingResponse

if TYPE_CHECKING:
    from edigateway.services.raw_x12 import X12File

X12_MEDIA_TYPE: Final = "application/edi-x12"
X12_RESPONSE: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "the file exactly as exchanged (ISA to IEA)",
        "content": {X12_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "description": 'attachment; filename="<the file\'s name>"',
                "schema": {"type": "string"},
            },
            "X-Content-SHA256": {
                "description": "the SHA-256 of the body, hex (as listed)",
                "schema": {"type": "string"},
            },
        },
    }
}
"""The OpenAPI ``responses`` entry of a route answering an X12 file."""


def x12_download(file: X12File) -> StreamingResponse:
    """``file`` as an ``application/edi-x12`` attachment, its pieces written as they are
    read (a received file is sealed in pieces, each opened on its own). The length and
    hash are known from the file's record before the first byte: a piece that fails to
    open part-way ends the connection short of ``Content-Length``, never taken for the
    whole file."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", file.file_name.rsplit("/", 1)[-1]) or "file.x12"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if file.size is not None:
        headers["Content-Length"] = str(file.size)
    headers["X-Content-SHA256"] = file.sha256
    return StreamingResponse(iter(file.content), media_type=X12_MEDIA_TYPE, headers=headers)
