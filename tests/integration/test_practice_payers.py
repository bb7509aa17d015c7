"""Payers belong to a practice: two practices sending the same payer ID under different
names, with different filing limits, each see only their own name and limit — in the
payer list, the aging report and its CSV, timely-filing alerts, the coordinator's Today
page and the HTTP API — on SQLite and PostgreSQL; concurrent first claims for a new
payer create one row."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap
from edigateway.domain.claims import ClaimBatch
from edigateway.errors import InputError, NotFoundError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import Payer, Practice
from edigateway.services import dashboard
from edigateway.services.access import create_key
from edigateway.services.claim_store import import_claims
from edigateway.services.followup import aging_report
from edigateway.services.payer_limits import PayerLimit, payer_practice, payers, set_timely_filing
from edigateway.services.practice_claims import Caller
from edigateway.settings import Settings
from tests.factories import NOW, REPO

A, B, C = "1456789019", "1234567893", "1992753818"
A_NAME, B_NAME = "PRAIRIE DENTAL PLAN", "DELTA OF ILLINOIS"


def batch(npi: str, payer_name: str, prefix: str = "ERA", payer_id: str = "DDPIL") -> ClaimBatch:
    """The ERA fixtures' twelve claims, billed by ``npi`` to ``payer_id`` under
    ``payer_name`` (claim numbers start with ``prefix``)."""
    document = json.loads((REPO / "fixtures/era/claims.json").read_text())
    for claim in document["claims"]:
        claim["billing_provider"]["npi"] = npi
        claim["payer"].update(payer_id=payer_id, name=payer_name)
        claim["patient_control_number"] = prefix + claim["patient_control_number"][3:]
    return ClaimBatch.model_validate(document)


def practice(db: Database, npi: str) -> int:
    found = payer_practice(db, npi)
    assert found is not None
    return found


@pytest.fixture
def two_practices(database: Database) -> tuple[int, int]:
    import_claims(database, batch(A, A_NAME), now=NOW)
    import_claims(database, batch(B, B_NAME, prefix="ERB"), now=NOW)
    a, b = practice(database, A), practice(database, B)
    set_timely_filing(database, "DDPIL", 60, practice_id=a, now=NOW)
    set_timely_filing(database, "DDPIL", 65, practice_id=b, now=NOW)
    return a, b


def test_each_practice_sees_its_own_name_and_limit(
    database: Database, two_practices: tuple[int, int]
):
    a, b = two_practices
    assert payers(database, a) == [PayerLimit("DDPIL", A_NAME, (), 60)]
    assert payers(database, b) == [PayerLimit("DDPIL", B_NAME, (), 65)]
    with database.transaction() as session:
        rows = session.execute(
            select(Payer.practice_id, Payer.name).where(Payer.payer_id == "DDPIL")
        ).all()
    assert sorted(rows) == sorted([(a, A_NAME), (b, B_NAME)])  # no row shared

    for who, name, days, prefix in ((a, A_NAME, 60, "ERA"), (b, B_NAME, 65, "ERB")):
        report = aging_report(database, today=NOW.date(), practice_id=who)
        assert [(r.payer, r.claims) for r in report.payers] == [(name, 12)]
        alerts = {x.claim: x for x in report.timely_filing}
        assert {x.payer for x in alerts.values()} == {name}
        # treated on 2026-09-14, reached the payer on 2026-11-23: each practice's own limit
        # sets the deadline (both passed; claims that reached the payer in time raise none)
        deadline = date(2026, 9, 14) + timedelta(days=days)
        assert alerts[f"{prefix}106"].deadline == deadline
        rows_csv = list(csv.reader(io.StringIO(dashboard.aging_csv(report))))
        assert [r[0] for r in rows_csv[1:]] == [name, "TOTAL"]
        today = dashboard.today(database, Caller(who, "test"), now=NOW)
        assert today.filing is not None
        assert {x.payer for x in today.filing} == {name}

    # the whole-gateway report (CLI `report aging`) keeps each name with its own claims
    everyone = aging_report(database, today=NOW.date())
    assert sorted((r.payer, r.claims) for r in everyone.payers) == [
        (B_NAME, 12),
        (A_NAME, 12),
    ]


def test_the_api_shows_each_practice_its_own_payer_name(
    database: Database, two_practices: tuple[int, int], tmp_path: Path
):
    gateway = bootstrap(
        Settings(data_dir=tmp_path, mappings_dir=REPO / "mappings"),
        clock=lambda: NOW,
        database=database,
    )
    headers = {}
    for npi in (A, B):
        key = create_key(
            database, practice=npi, scopes="admin", name="t", keyring=gateway.keyring, now=NOW
        )
        headers[npi] = {"Authorization": f"Bearer {key.token}"}
    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
        for npi, name in ((A, A_NAME), (B, B_NAME)):
            report = client.get("/v1/reports/aging", headers=headers[npi]).json()
            assert [r["payer"] for r in report["payers"]] == [name]
            assert {x["payer"] for x in report["timely_filing"]} == {name}


def test_other_names_a_practice_sends_become_its_aliases(
    database: Database, two_practices: tuple[int, int]
):
    a, b = two_practices
    later = batch(A, "PRAIRIE DENTAL", prefix="ERC")
    later.claims[1] = batch(A, "prairie  dental plan", prefix="ERC").claims[1]  # same name
    import_claims(database, later, now=NOW)
    assert payers(database, a)[0].aliases == ("PRAIRIE DENTAL",)
    assert payers(database, a)[0].name == A_NAME
    assert payers(database, b)[0].aliases == ()


def test_a_formula_as_payer_name_is_text_in_the_csv(database: Database):
    import_claims(database, batch(C, '=HYPERLINK("http://x")', prefix="ERD"), now=NOW)
    report = aging_report(database, today=NOW.date(), practice_id=practice(database, C))
    (header, row, total) = list(csv.reader(io.StringIO(dashboard.aging_csv(report))))
    assert row[0] == '\'=HYPERLINK("http://x")'
    assert row[header.index("total")] == total[header.index("total")] == "6435.00"


def test_payer_commands_need_a_practice_when_there_are_several(
    database: Database, two_practices: tuple[int, int]
):
    with pytest.raises(InputError, match=rf"several practices \({B}, {A}\).*--practice NPI"):
        payer_practice(database, None)
    with pytest.raises(NotFoundError, match="no practice '1999999999'"):
        payer_practice(database, "1999999999")
    with pytest.raises(NotFoundError, match="payer GRDN1 is unknown for this practice"):
        set_timely_filing(database, "GRDN1", 90, practice_id=two_practices[0], now=NOW)


def test_concurrent_first_claims_create_one_practice_and_one_payer(database: Database):
    claims = batch(C, "GUARDIAN", prefix="ERE", payer_id="GRDN1").claims[:8]
    start = threading.Barrier(len(claims))
    errors: list[BaseException] = []

    def one(index: int) -> None:
        start.wait()
        try:
            import_claims(database, ClaimBatch(claims=[claims[index]]), now=NOW)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(claims))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.transaction() as session:
        counts: dict[str, Any] = {
            "practices": session.scalar(
                select(func.count()).select_from(Practice).where(Practice.npi == C)
            ),
            "payers": session.scalar(
                select(func.count()).select_from(Payer).where(Payer.payer_id == "GRDN1")
            ),
        }
    assert counts == {"practices": 1, "payers": 1}
    assert payers(database, practice(database, C))[0].name == "GUARDIAN"
