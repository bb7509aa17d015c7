"""The app's lifespan owns its gateway: when the server shuts down, the gateway's reused
real-time HTTP client is closed; ``create_app(gateway)`` without a lifespan run (a plain
TestClient) leaves the gateway as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap
from edigateway.settings import Settings
from tests.factories import NOW, REPO


@pytest.mark.slow  # 2.3 s on the loaded 2-core machine
def test_shutdown_closes_the_gateway(tmp_path: Path):
    gateway = bootstrap(
        Settings(data_dir=tmp_path, mappings_dir=REPO / "mappings"), clock=lambda: NOW
    )
    client = gateway.core_client(gateway.profile())
    app = create_app(gateway)
    TestClient(app, base_url="http://127.0.0.1").get("/v1/openapi.json")
    assert not client._http.is_closed
    with TestClient(app, base_url="http://127.0.0.1") as http:
        assert http.get("/v1/openapi.json").status_code == 200
        assert not client._http.is_closed
    assert client._http.is_closed
