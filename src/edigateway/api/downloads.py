"""X12 files as downloads: ``application/edi-x12`` (RFC 1767), the bytes as exchanged, named
for saving, never cached (``Cache-Control: no-store`` comes with every answer)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import Response

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


def x12_download(file: X12File) -> Response:
    """``file`` as an ``application/edi-x12`` attachment. The body is sent whole: the file
    is stored sealed as one message and is only known once all of it is decrypted (files
    are capped by ``EDIGATEWAY_DOWNLOAD_MAX_BYTES`` when received)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", file.file_name.rsplit("/", 1)[-1]) or "file.x12"
    return Response(
        file.content,
        media_type=X12_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": file.sha256,
        },
    )
