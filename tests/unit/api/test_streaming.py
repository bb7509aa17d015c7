"""api/streaming.py: JSON documents written as they are produced."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.testclient import TestClient

from edigateway.api.streaming import json_response
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
