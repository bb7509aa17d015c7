"""The body limit over a real socket: uvicorn on loopback, httpx as the client. A body over
1 MiB gets 413 problem+json whether it declares its length or streams in chunks (which
declare none), and the connection stays usable; a body under the limit reaches the route."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from edigateway.api.app import create_app
from edigateway.api.middleware import MAX_BODY_BYTES
from edigateway.bootstrap import bootstrap
from edigateway.services.access import create_key
from edigateway.settings import Settings
from tests.factories import NOW, REPO


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    import uvicorn

    gateway = bootstrap(Settings(data_dir=tmp_path_factory.mktemp("limits"),
                                 mappings_dir=REPO / "mappings"), clock=lambda: NOW)
    token = create_key(gateway.database, practice="1456789019", scopes="admin", name="t",
                       keyring=gateway.keyring, now=NOW, create_name="MAPLE").token
    server = uvicorn.Server(uvicorn.Config(create_app(gateway), host="127.0.0.1", port=0,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/json"}
    server.should_exit = True
    thread.join()
    gateway.database.dispose()


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A JSON array of ``total`` bytes, streamed (httpx sends Transfer-Encoding: chunked)."""
    yield b"["
    sent = 2
    while sent < total:
        part = min(size, total - sent)
        yield b" " * part
        sent += part
    yield b"]"


def _too_large(answer: httpx.Response) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Request body too large"


def test_oversize_bodies_get_413_chunked_or_not(served: tuple[str, dict[str, str]]):
    base, headers = served
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        chunked = client.build_request("POST", "/v1/claims", content=_chunks(2 << 20))
        assert chunked.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in chunked.headers
        _too_large(client.send(chunked))
        _too_large(client.post("/v1/claims", content=b"[" + b" " * (2 << 20) + b"]"))
        _too_large(client.post("/ui/login", content=_chunks(2 << 20),
                               headers={"Content-Type": "application/x-www-form-urlencoded"}))
        under = client.post("/v1/claims", content=_chunks(MAX_BODY_BYTES - 100))
        assert under.status_code == 422  # read whole, then refused as not a claim
        assert client.get("/v1/claims").status_code == 200
