"""What one ``POST /v1/claims`` and one ``GET /v1/claims/{id}`` cost in SQL statements,
counted on the engine, so the request path cannot quietly grow back (issue 18: the key
check, the practice lookup, the created row's re-read and the ledger's second query were
removed; each statement is CPU on the one core a SQLite process has)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap
from edigateway.persistence.database import Database
from tests.factories import NOW, api_key, claim_document, settings_for

CREATE = {
    "sqlite": 9,
    "postgresql": 10,  # + the advisory lock on the claim number (two stores at once)
}
"""Per create: the existing claims under the number, the payer, the predetermination
lookup, the claim, line and first-step inserts, the audit row, the event counter and the
event (the answer and the event are built from what was written)."""
READ = 5
"""Per read: the claim with its payer, the audit row, the counted postings (the ledger is
summed from them), the history, the transmissions."""


@pytest.fixture
def client(database: Database, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    gateway = bootstrap(settings_for(tmp_path), clock=lambda: NOW, database=database)
    headers = {"Authorization": f"Bearer {api_key(gateway)}"}
    # no lifespan: its background rounds (webhooks, schedules) would run statements too
    yield TestClient(create_app(gateway), base_url="http://127.0.0.1"), headers
    gateway.close()


def _counted(database: Database) -> list[str]:
    statements: list[str] = []
    event.listen(
        database.engine,
        "before_cursor_execute",
        lambda _c, _cur, text, *_a: statements.append(text),
    )
    return statements


def test_a_create_and_a_read_run_a_fixed_number_of_statements(
    database: Database, client: tuple[TestClient, dict[str, str]]
):
    http, headers = client
    claim = claim_document("05_crown_initial")
    first = http.post("/v1/claims", json=claim, headers=headers)  # the payer row is made
    assert first.status_code == 201, first.text

    statements = _counted(database)
    created = http.post(
        "/v1/claims", json={**claim, "patient_control_number": "COST0002"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert len(statements) == CREATE[database.engine.dialect.name], statements
    assert not any("api_keys" in s or "FROM practices" in s for s in statements)

    statements.clear()
    read = http.get(f"/v1/claims/{created.json()['id']}", headers=headers)
    assert read.status_code == 200, read.text
    assert len(statements) == READ, statements
    assert read.json()["ledger"]["outstanding"] == claim["total_charge"]
    shown = {k: v for k, v in read.json().items() if k in created.json()}
    assert shown == {k: v for k, v in created.json().items() if k != "status"}
    again = http.post(
        "/v1/claims", json={**claim, "patient_control_number": "COST0002"}, headers=headers
    )
    assert again.json() == {**created.json(), "status": "unchanged"}  # as found, not written
