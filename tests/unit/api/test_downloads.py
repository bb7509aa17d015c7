"""api/downloads.py: an X12 file is written a piece at a time as its pieces are read, with
its name, length and hash known before the first byte."""

from __future__ import annotations

import asyncio
import hashlib

from edigateway.api.downloads import X12_MEDIA_TYPE, x12_download
from edigateway.services.raw_x12 import X12File

PIECES = [b"ISA*00*", b"\xff\xfe", b"~IEA*1*000000001~"]


def test_pieces_are_read_as_they_are_written():
    pulled: list[int] = []

    def pieces():
        for number, piece in enumerate(PIECES):
            pulled.append(number)
            yield piece

    whole = b"".join(PIECES)
    digest = hashlib.sha256(whole).hexdigest()
    response = x12_download(X12File("in/era 1.835", "835", pieces(), len(whole), digest))
    assert pulled == []  # nothing read before the answer is written
    assert response.media_type == X12_MEDIA_TYPE
    assert response.headers["content-disposition"] == 'attachment; filename="era_1.835"'
    assert response.headers["content-length"] == str(len(whole))
    assert response.headers["x-content-sha256"] == digest

    async def first_then_rest() -> list[object]:
        body = aiter(response.body_iterator)
        written: list[object] = [await anext(body)]
        assert pulled == [0]  # one piece read for the first write
        written.extend([piece async for piece in body])
        return written

    written = asyncio.run(first_then_rest())
    assert all(isinstance(piece, bytes) for piece in written)
    assert b"".join(piece for piece in written if isinstance(piece, bytes)) == whole
    assert pulled == [0, 1, 2]


def test_a_length_not_recorded_is_not_sent():
    response = x12_download(X12File("a.835", "835", (b"ISA~",), None, "0" * 64))
    assert "content-length" not in response.headers
