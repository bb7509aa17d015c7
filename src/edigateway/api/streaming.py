"""Answers written as they are produced, for routes that return files or large documents.

A route that returns a list of thousands of items, or a stored file (an 837D we sent, an
835 we received), should not build the whole answer in memory first: with a few such
requests at once the API process would hold each whole. These helpers hand Starlette an
iterator instead; it writes each piece as it comes (a sync iterator runs in the thread
pool, so a database cursor behind it does not block the event loop):

    @router.get("/remittances/{remittance_id}/claims")
    def remittance_claims(...) -> StreamingResponse:
        return json_response({"items": (Dump(c) for c in claims_of(...))})

    @router.get("/transmissions/{transmission_id}/file")
    def transmission_file(...) -> StreamingResponse:
        return file_response(chunks_of(payload), filename="0001.837", media_type=X12)

The status line and headers are sent before the first piece, so an error found part-way
can no longer become a problem document: the connection is closed early instead, and a
JSON answer is left unterminated (never taken for a whole one). Check what can fail
(access, existence) before returning the response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import StreamingResponse

from edigateway.services.json_stream import iter_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

X12: Final = "application/edi-x12"
"""The media type of an X12 file (RFC 1767)."""
CHUNK: Final = 64 * 1024
"""Bytes per piece of a file answer."""


def json_response(
    document: Any, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    """``document`` as compact JSON (lists may be iterators, models
    :class:`~edigateway.services.json_stream.Dump`, totals
    :class:`~edigateway.services.json_stream.Later`), written as it is produced."""
    return StreamingResponse(
        _utf8(iter_json(document, indent=None)),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def file_response(
    chunks: Iterable[bytes],
    *,
    filename: str,
    media_type: str = X12,
    headers: Mapping[str, str] | None = None,
) -> StreamingResponse:
    """A file to download, written piece by piece (``Content-Disposition: attachment``;
    ``filename`` must be a plain name: quotes, slashes and control characters refused)."""
    if not filename or any(c in filename for c in '"\\/\r\n') or not filename.isprintable():
        raise ValueError(f"not a plain file name: {filename!r}")
    answer_headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        **(headers or {}),
    }
    return StreamingResponse(iter(chunks), media_type=media_type, headers=answer_headers)


def chunks_of(data: bytes, size: int = CHUNK) -> Iterator[bytes]:
    """``data`` in pieces of ``size`` bytes (a stored file already in memory: the answer
    then holds no second copy of it while it is sent)."""
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


def _utf8(pieces: Iterable[str]) -> Iterator[bytes]:
    """The pieces as UTF-8, joined into writes of about :data:`CHUNK` bytes (one write
    per small piece would cost a system call each)."""
    held: list[str] = []
    length = 0
    for piece in pieces:
        held.append(piece)
        length += len(piece)
        if length >= CHUNK:
            yield "".join(held).encode()
            held, length = [], 0
    if held:
        yield "".join(held).encode()
