"""api/streaming.py: JSON documents and files written as they are produced."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from edigateway.api.streaming import CHUNK, X12, chunks_of, file_response, json_response
from edigateway.domain.common import PersonName
from edigateway.services.json_stream import Dump, Later

if TYPE_CHECKING:
    from collections.abc import Iterator

NAMES = [PersonName(last_name=f"DOE{n}", first_name="ZOË") for n in range(5000)]


def _app(pulled: list[int]) -> FastAPI:
    app = FastAPI()

    def names() -> Iterator[Dump]:
        for number, name in enumerate(NAMES):
            pulled.append(number)
            yield Dump(name, exclude_none=True)

    @app.get("/names")
    def all_names() -> object:
        response = json_response({"items": names(), "total": Later(lambda: len(pulled))})
        assert pulled == []  # nothing read before Starlette writes the answer
        return response

    @app.get("/file")
    def a_file() -> object:
        return file_response(chunks_of(b"ISA*00~" * 30_000), filename="0001.837")

    return app


def test_json_answer_is_the_compact_document_streamed():
    pulled: list[int] = []
    with TestClient(_app(pulled)) as client:
        answer = client.get("/names")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert "content-length" not in answer.headers  # sent in pieces
    want = {
        "items": [n.model_dump(mode="json", exclude_none=True) for n in NAMES],
        "total": len(NAMES),
    }
    assert answer.content == json.dumps(want, separators=(",", ":")).encode()
    assert len(pulled) == len(NAMES)


def test_file_answer_is_an_attachment_in_pieces():
    with TestClient(_app([])) as client:
        answer = client.get("/file")
    assert answer.content == b"ISA*00~" * 30_000
    assert answer.headers["content-type"] == X12
    assert answer.headers["content-disposition"] == 'attachment; filename="0001.837"'
    assert "content-length" not in answer.headers


def test_chunks_cover_the_data_in_order():
    data = bytes(range(256)) * 1000
    pieces = list(chunks_of(data))
    assert b"".join(pieces) == data
    assert {len(p) for p in pieces[:-1]} == {CHUNK}
    assert list(chunks_of(b"")) == []


@pytest.mark.parametrize("name", ["", 'a".837', "../x", "a\r\nSet-Cookie: x", "a\\b"])
def test_a_file_name_that_could_break_the_header_is_refused(name: str):
    with pytest.raises(ValueError, match="not a plain file name"):
        file_response([b"x"], filename=name)
