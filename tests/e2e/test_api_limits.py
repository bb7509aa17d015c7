"""The body limit over a real socket: uvicorn on loopback, httpx as the client. A body over
1 MiB gets 413 problem+json whether it declares its length or streams in chunks (which
declare none), and the connection stays usable; a body under the limit reaches the route.
Every route that takes a body — enumerated from the app, so a new one is checked as soon
as it exists — answers 413 both ways."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from edigateway.api.app import create_app
from edigateway.api.middleware import MAX_BODY_BYTES, BodyLimit
from edigateway.api.problems import PROBLEM_TYPES
from edigateway.bootstrap import bootstrap
from edigateway.services.access import create_key
from edigateway.settings import Settings
from tests.factories import NOW, REPO

SAMPLE_PATH_VALUES = {"payer_id": "DDPIL"}
"""A path parameter's value when not a record ID (which is 1: the body is refused before
anything looks the record up)."""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    gateway = bootstrap(
        Settings(data_dir=tmp_path_factory.mktemp("limits"), mappings_dir=REPO / "mappings"),
        clock=lambda: NOW,
    )
    yield create_app(gateway)
    gateway.database.dispose()


@pytest.fixture(scope="module")
def served(app: FastAPI) -> Iterator[tuple[str, dict[str, str]]]:
    import uvicorn

    gateway = app.state.gateway
    token = create_key(
        gateway.database,
        practice="1456789019",
        scopes="admin",
        name="t",
        keyring=gateway.keyring,
        now=NOW,
        create_name="MAPLE",
    ).token
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield (
        f"http://127.0.0.1:{port}",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    server.should_exit = True
    thread.join()


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A JSON array of ``total`` bytes, streamed (httpx sends Transfer-Encoding: chunked)."""
    yield b"["
    sent = 2
    while sent < total:
        part = min(size, total - sent)
        yield b" " * part
        sent += part
    yield b"]"


MULTIPART = "multipart/form-data; boundary=edg"
FILE_PART = (
    b'--edg\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n"
)


def _multipart(total: int) -> Iterator[bytes]:
    """A well-formed multipart form of ``total`` bytes, one file field, streamed."""
    yield FILE_PART
    body = total - len(FILE_PART) - len(b"\r\n--edg--\r\n")
    for chunk in _chunks(body):
        yield chunk.replace(b"[", b" ").replace(b"]", b" ")
    yield b"\r\n--edg--\r\n"


def _too_large(answer: httpx.Response) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Request body too large"
    assert answer.json()["type"] == PROBLEM_TYPES["body-too-large"].uri


def test_oversize_bodies_get_413_chunked_or_not(served: tuple[str, dict[str, str]]):
    base, headers = served
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        chunked = client.build_request("POST", "/v1/claims", content=_chunks(2 << 20))
        assert chunked.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in chunked.headers
        _too_large(client.send(chunked))
        _too_large(client.post("/v1/claims", content=b"[" + b" " * (2 << 20) + b"]"))
        _too_large(
            client.post(
                "/ui/login",
                content=_chunks(2 << 20),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        )
        under = client.post("/v1/claims", content=_chunks(MAX_BODY_BYTES - 100))
        assert under.status_code == 422  # read whole, then refused as not a claim
        assert client.get("/v1/claims").status_code == 200


def _body_routes(app: FastAPI, *, reading: bool = True) -> list[tuple[str, str]]:
    """(method, path) of every route that reads a request body (JSON or a form) — or, with
    ``reading=False``, of every POST, PUT or DELETE that reads none —, its path parameters
    filled in."""
    routes: list[tuple[str, str]] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or (route.body_field is not None) != reading:
            continue
        assert context.path_format is not None, route
        path = context.path_format.format(
            **{name: SAMPLE_PATH_VALUES.get(name, 1) for name in context.param_convertors}
        )
        routes.extend(
            (method, path)
            for method in sorted(route.methods or ())
            if reading or method in ("POST", "PUT", "PATCH", "DELETE")
        )
    return routes


def _form(app: FastAPI, path: str) -> bool:
    """Whether the route at ``path`` reads a form — the dashboard's, or an operation whose
    documented body is one — so its body is sent as one (a form parser reads the whole
    stream; a JSON body sent there would be left unread)."""
    if path.startswith("/ui/"):
        return True
    for context in iter_route_contexts(app.routes):
        template = re.sub(r"\{[^}]+\}", "[^/]+", context.path_format or "")
        if isinstance(context.original_route, APIRoute) and re.fullmatch(template, path):
            operations = app.openapi()["paths"].get(context.path_format, {})
            return any(
                media.startswith(("multipart/", "application/x-www-form"))
                for operation in operations.values()
                for media in operation.get("requestBody", {}).get("content", {})
            )
    return False


def _limit_of(app: FastAPI, path: str) -> int:
    """The body limit the app's :class:`BodyLimit` applies to ``path`` (a route taking
    files may have a larger one of its own)."""
    (options,) = [m.kwargs for m in app.user_middleware if m.cls is BodyLimit]  # type: ignore[comparison-overlap]
    uploads: Any = options.get("uploads")
    if uploads is not None and uploads[0].match(path):
        return int(uploads[1])
    return int(options.get("limit", MAX_BODY_BYTES))  # type: ignore[call-overload]


@pytest.mark.slow  # 3.3 s on the loaded 2-core machine
def test_every_route_taking_a_body_answers_413(app: FastAPI, served: tuple[str, dict[str, str]]):
    base, headers = served
    routes = _body_routes(app)
    assert {("POST", "/v1/claims"), ("POST", "/v1/claims/1/replace"), ("POST", "/ui/login")} <= set(
        routes
    )
    key = {"Authorization": headers["Authorization"]}
    with httpx.Client(base_url=base, headers=key, timeout=30) as client:
        for method, path in routes:
            over = _limit_of(app, path) + 1024
            if _form(app, path):
                kind, body = {"Content-Type": MULTIPART}, _multipart
            else:
                kind, body = {"Content-Type": "application/json"}, _chunks
            _too_large(client.request(method, path, content=body(over), headers=kind))
            _too_large(client.request(method, path, content=b"".join(body(over)), headers=kind))
        for method, path in _body_routes(app, reading=False):  # refused unread
            _too_large(client.request(method, path, content=b" " * (_limit_of(app, path) + 1024)))
        assert client.get("/v1/claims").status_code == 200  # the connection is still usable
    print(f"413 on {len(routes)} routes taking a body, chunked and with Content-Length")
