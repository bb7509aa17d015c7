"""Text X12 cannot carry (é, ñ, typographic dashes) is refused where a claim comes in —
``POST /v1/claims``, ``claims import`` and ``x12 build`` — naming the field, instead of
being sent and the whole transaction rejected by the 999."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap
from edigateway.cli import app
from edigateway.services.access import create_key
from edigateway.settings import Settings
from tests.factories import NOW, REPO

FIXTURE = REPO / "fixtures" / "claims" / "16_spouse_dependent.json"


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FIXTURE.read_text())
    document["claims"][0]["patient"]["name"]["last_name"] = "MUÑOZ"
    return document


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDIGATEWAY_MAPPINGS_DIR", str(REPO / "mappings"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_document(), ensure_ascii=False), encoding="utf-8")
    return bad


@pytest.mark.parametrize("command", [["x12", "build", "837d"], ["claims", "import"]])
def test_cli_refuses_non_x12_text_naming_the_field(cli_env: Path, command: list[str]):
    result = CliRunner().invoke(app, [*command, str(cli_env)])
    assert result.exit_code == 1
    assert "[E013]" in result.stderr
    assert "patient.name.last_name" in result.stderr
    assert "U+00D1" in result.stderr


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings(data_dir=tmp_path, mappings_dir=REPO / "mappings")
    gateway = bootstrap(settings, clock=lambda: NOW)
    created = create_key(
        gateway.database,
        practice="1456789019",
        scopes="admin",
        name="test",
        keyring=gateway.keyring,
        now=NOW,
        create_name="MAPLE",
    )
    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as test_client:
        yield test_client, {"Authorization": f"Bearer {created.token}"}
    gateway.database.dispose()


def test_api_refuses_non_x12_text_naming_the_field(client: tuple[TestClient, dict[str, str]]):
    test_client, headers = client
    response = test_client.post("/v1/claims", json=_document()["claims"][0], headers=headers)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["path"] for e in errors] == ["patient.name.last_name"]
    assert errors[0]["message"].startswith("E013: ")
