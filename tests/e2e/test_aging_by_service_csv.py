"""A/R aging by sent date or by date of service, and one CSV row per claim (issue 15,
item 7) — the use case, ``GET /v1/reports/aging?by=…`` (JSON, or ``Accept: text/csv``) and
``edigateway report aging --by … --csv FILE``.

fixtures/era/claims.json: twelve claims to DDPIL (PRAIRIE DENTAL PLAN), 6,435.00 billed,
sent on 2026-10-10; ERA106 (175.00) was treated on 2026-09-14, the others on 2026-10-05.
ERA102 (470.00) is then paid in full by its 835 (248.00 paid + 110.00 contractual + 112.00
patient), so it leaves the A/R: 6,435.00 − 470.00 = 5,965.00 outstanding on 11 claims.
On 2026-11-23: sent 44 days ago (31-60) for all; by service ERA106 is 70 days old (61-90,
175.00), the ten others 49 days (31-60, 5,965.00 − 175.00 = 5,790.00)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.cli import app as cli
from edigateway.persistence.database import Database
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.followup import CSV_COLUMNS, aging_report
from edigateway.services.posting import post_received
from edigateway.services.received import ReceivedFile
from tests.factories import NOW, REPO, api_key, settings_for

ERA = REPO / "fixtures" / "era"
BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")
ERA106 = ["ERA106", "DDPIL", "PRAIRIE DENTAL PLAN", "2026-09-14", "2026-10-10"]
ERA106_MONEY = ["175.00", "0.00", "175.00"]


def _buckets(*amounts: str) -> dict[str, str]:
    return dict(zip(BUCKETS, amounts, strict=True))


@pytest.fixture
def gateway(database: Database, tmp_path: Path) -> Iterator[Gateway]:
    with bootstrap(settings_for(tmp_path), clock=lambda: NOW, database=database) as gateway:
        import_claims(database, load_claim_file(ERA / "claims.json"), now=datetime(2026, 10, 10))
        era = ERA / "02_partial_pay_deductible_coinsurance" / "era.835"
        post_received(
            database,
            ReceivedFile.of(str(era), era.read_bytes(), source="cli"),
            codes=gateway.codes,
            now=NOW,
        )
        yield gateway


@pytest.mark.slow  # 2.1 s on the loaded 2-core machine
def test_aging_by_sent_date_and_by_date_of_service(gateway: Gateway):
    sent = aging_report(gateway.database, today=NOW.date())
    assert sent.by == "sent"
    assert sent.as_json()["total"]["buckets"] == _buckets("0.00", "5965.00", "0.00", "0.00", "0.00")
    service = aging_report(gateway.database, today=NOW.date(), by="service")
    assert service.as_json()["total"] == {
        "payer": "TOTAL",
        "claims": 11,
        "buckets": _buckets("0.00", "5790.00", "175.00", "0.00", "0.00"),
        "total": "5965.00",
    }
    # the timely-filing alerts do not depend on how ages are counted
    assert service.timely_filing == sent.timely_filing


def test_one_csv_row_per_claim_oldest_first(gateway: Gateway):
    rows = list(
        csv.reader(
            io.StringIO(aging_report(gateway.database, today=NOW.date(), by="service").csv())
        )
    )
    assert rows[0] == list(CSV_COLUMNS)
    assert "member_id" not in rows[0]
    assert not any("name" in c for c in rows[0])
    assert len(rows) == 1 + 11
    assert rows[1][1:] == [*ERA106, *ERA106_MONEY, "70", "61-90"]
    assert [r[1] for r in rows[2:]] == [f"ERA1{n:02d}" for n in (1, 3, 4, 5, 7, 8, 9, 10, 11, 12)]
    assert {r[-1] for r in rows[2:]} == {"31-60"}
    owed = sum((Decimal(r[CSV_COLUMNS.index("outstanding")]) for r in rows[1:]), Decimal(0))
    assert owed == Decimal("5965.00")
    by_sent = list(csv.reader(io.StringIO(aging_report(gateway.database, today=NOW.date()).csv())))
    era106 = next(r for r in by_sent if r[1] == "ERA106")
    assert era106[-2:] == ["44", "31-60"]


def test_the_api_ages_by_service_and_answers_csv(gateway: Gateway):
    key = {"Authorization": f"Bearer {api_key(gateway)}"}
    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
        plain = client.get("/v1/reports/aging", headers=key)
        assert plain.status_code == 200
        assert plain.json()["by"] == "sent"
        assert plain.json()["total"]["buckets"]["31-60"] == "5965.00"
        service = client.get("/v1/reports/aging", params={"by": "service"}, headers=key)
        assert service.json()["by"] == "service"
        assert service.json()["total"]["buckets"]["61-90"] == "175.00"
        assert (
            client.get("/v1/reports/aging", params={"by": "paid"}, headers=key).status_code == 422
        )

        table = client.get(
            "/v1/reports/aging", params={"by": "service"}, headers=key | {"Accept": "text/csv"}
        )
        assert table.status_code == 200
        assert table.headers["content-type"].startswith("text/csv")
        assert table.headers["content-disposition"] == 'attachment; filename="aging-2026-11-23.csv"'
        rows = list(csv.reader(io.StringIO(table.text)))
        assert rows[0] == list(CSV_COLUMNS)
        assert rows[1][1:] == [*ERA106, *ERA106_MONEY, "70", "61-90"]
        # JSON wins when it comes first or nothing asks for CSV
        either = client.get(
            "/v1/reports/aging", headers=key | {"Accept": "application/json, text/csv"}
        )
        assert either.headers["content-type"].startswith("application/json")


@pytest.mark.slow
def test_the_cli_writes_the_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    monkeypatch.setattr("edigateway.bootstrap.local_now", lambda: NOW)
    runner = CliRunner()
    assert runner.invoke(cli, ["claims", "import", str(ERA / "claims.json")]).exit_code == 0
    target = tmp_path / "aging.csv"
    result = runner.invoke(cli, ["report", "aging", "--by", "service", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    assert "days since the date of service" in result.stdout
    assert f"wrote 12 claim(s) to {target}" in result.stdout
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert rows[0] == list(CSV_COLUMNS)
    # imported (sent) today: 0 days since sending, but 70 since the date of service
    assert rows[1][1:] == [*ERA106[:4], "2026-11-23", *ERA106_MONEY, "70", "61-90"]
    default = runner.invoke(cli, ["report", "aging", "--json"])
    assert '"by": "sent"' in default.stdout
    assert runner.invoke(cli, ["report", "aging", "--by", "paid"]).exit_code != 0
