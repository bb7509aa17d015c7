"""Answers written as they are produced, for routes that return large JSON documents.

A route that returns thousands of items should not build the whole answer in memory
first: with a few such requests at once the API process would hold each whole.
:func:`json_response` hands Starlette an iterator instead; it writes each piece as it
comes (a sync iterator runs in the thread pool, so a database cursor behind it does not
block the event loop)::

    @router.get("/remittances/{remittance_id}/claims")
    def remittance_claims(...) -> StreamingResponse:
        return json_response({"items": (Dump(c) for c in claims_of(...))})

The status line and headers are sent before the first piece, so an error found part-way
can no longer become a problem document: the connection is closed early and the JSON
left unterminated (never taken for a whole answer). Check what can fail (access,
existence) before returning the response. Stored X12 files are streamed by
:mod:`edigateway.api.downloads`, a sealed piece at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import StreamingResponse

from edigateway.services.json_stream import iter_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

CHUNK: Final = 64 * 1024
"""Bytes per write of an answer (about)."""


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
