"""Migration 0008 on a database that was in use: a payer row shared by three practices
becomes one row per practice, each named as that practice sent it, with the limit the
shared row had; claims follow their practice's row; a row nobody uses is dropped.
SQLite always, PostgreSQL when ``EDIGATEWAY_TEST_DATABASE_URL`` is set."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from edigateway.domain.claims import ClaimBatch
from edigateway.persistence.database import Database
from edigateway.security.phi import Keyring, PhiCipher
from edigateway.services.claim_store import document_binding, import_claims
from edigateway.services.followup import aging_report
from edigateway.services.payer_limits import PayerLimit, payers
from edigateway.settings import Settings
from tests.factories import NOW, REPO, SuiteEnvironment, database_at

A, B, C = "1456789019", "1234567893", "1992753818"

BACKENDS = ["sqlite"] + (["postgresql"] if SuiteEnvironment().database_url else [])
_practices = sa.table(
    "practices",
    sa.column("id"),
    sa.column("name"),
    sa.column("npi"),
    sa.column("tin"),
    sa.column("created_at"),
)
_payers = sa.table(
    "payers",
    sa.column("id"),
    sa.column("payer_id"),
    sa.column("name"),
    sa.column("timely_filing_days"),
)
_claims = sa.table(
    "claims",
    *(
        sa.column(c)
        for c in (
            "practice_id",
            "payer_id",
            "patient_control_number",
            "kind",
            "frequency",
            "payer_claim_control_number",
            "total_charge",
            "first_service_date",
            "submitted_on",
            "state",
            "state_changed_at",
            "superseded_by_id",
            "document_sha256",
            "document",
            "member_index",
            "created_at",
        )
    ),
)


@pytest.fixture(params=BACKENDS)
def at_0005(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to 0005 only (before payers were per practice)."""
    with database_at("0005", request.param, tmp_path) as db:
        yield db


def _claim_row(
    db: Database,
    practice: int,
    payer: int,
    pcn: str,
    payer_name: str,
    cipher: PhiCipher | None = None,
) -> dict[str, object]:
    """A claim row as the 0005 code stored it: the document sealed to its row."""
    document = json.dumps(
        {"patient_control_number": pcn, "payer": {"payer_id": "DDPIL", "name": payer_name}}
    )
    digest = pcn.rjust(64, "0")
    return {
        "practice_id": practice,
        "payer_id": payer,
        "patient_control_number": pcn,
        "kind": "claim",
        "frequency": "1",
        "payer_claim_control_number": None,
        "total_charge": 10000,
        "first_service_date": date(2026, 10, 5),
        "submitted_on": date(2026, 10, 6),
        "state": "submitted",
        "state_changed_at": NOW,
        "superseded_by_id": None,
        "document_sha256": digest,
        "member_index": None,
        "created_at": NOW,
        "document": (cipher or db.phi).seal(document, document_binding(practice, pcn, digest)),
    }


@pytest.mark.slow  # 2.0 s on the loaded 2-core machine
def test_a_shared_payer_row_becomes_one_row_per_practice(
    at_0005: Database, caplog: pytest.LogCaptureFixture
):
    db = at_0005
    stranger = PhiCipher(Keyring.generate())  # a document this upgrade cannot open
    with db.engine.begin() as connection:
        a, b, c = (
            connection.execute(
                _practices.insert().returning(_practices.c.id),
                {"name": f"P{npi}", "npi": npi, "tin": None, "created_at": NOW},
            ).scalar_one()
            for npi in (A, B, C)
        )
        shared, unused = (
            connection.execute(
                _payers.insert().returning(_payers.c.id),
                {"payer_id": payer_id, "name": name, "timely_filing_days": days},
            ).scalar_one()
            for payer_id, name, days in (
                ("DDPIL", "PRAIRIE DENTAL PLAN", 90),
                ("NOBODY", "UNUSED", 365),
            )
        )
        for row in (
            _claim_row(db, a, shared, "A1", "PRAIRIE DENTAL PLAN"),
            _claim_row(db, b, shared, "B1", "DELTA OF ILLINOIS"),
            _claim_row(db, a, shared, "A2", "PRAIRIE DENTAL"),
            _claim_row(db, b, shared, "B2", "DELTA IL"),
            _claim_row(db, b, shared, "B3", "delta of  illinois"),
            _claim_row(db, c, shared, "C1", "SECRET NAME", cipher=stranger),
        ):
            connection.execute(_claims.insert(), row)  # in order: A1 is the first claim
    with caplog.at_level(logging.WARNING):
        db.upgrade()

    assert payers(db, a) == [PayerLimit("DDPIL", "PRAIRIE DENTAL PLAN", ("PRAIRIE DENTAL",), 90)]
    assert payers(db, b) == [PayerLimit("DDPIL", "DELTA OF ILLINOIS", ("DELTA IL",), 90)]
    assert payers(db, c) == [PayerLimit("DDPIL", "DDPIL", (), 90)]
    assert "1 practice payer row(s) named by their payer ID" in caplog.text
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT p.practice_id, c.practice_id FROM claims c JOIN payers p "
                "ON p.id = c.payer_id"
            )
        ).all()
        assert len(rows) == 6
        assert all(payer_practice == claim_practice for payer_practice, claim_practice in rows)
        assert (
            connection.execute(
                sa.text("SELECT count(*) FROM payers WHERE id = :id"), {"id": unused}
            ).scalar()
            == 0
        )
        assert (
            connection.execute(
                sa.text(  # the first practice kept the shared row
                    "SELECT id FROM payers WHERE practice_id = :a"
                ),
                {"a": a},
            ).scalar()
            == shared
        )
    for practice, name in ((a, "PRAIRIE DENTAL PLAN"), (b, "DELTA OF ILLINOIS")):
        report = aging_report(db, today=NOW.date(), practice_id=practice)
        assert [r.payer for r in report.payers] == [name]

    # the row named by its payer ID takes the name of the practice's next claim
    document = json.loads((REPO / "fixtures/era/claims.json").read_text())
    claim = document["claims"][0]
    claim["billing_provider"]["npi"] = C
    claim["payer"]["name"] = "CENTRAL PLAN"
    import_claims(db, ClaimBatch.model_validate({**document, "claims": [claim]}), now=NOW)
    assert payers(db, c)[0].name == "CENTRAL PLAN"


def test_db_upgrade_reads_claims_with_the_gateways_own_keys(tmp_path: Path):
    """`edigateway db upgrade` migrates with the gateway's PHI keys: 0008 can open the
    claims and names each practice's row as it sent it (with a random keyring every row
    would be named by its payer ID)."""
    from typer.testing import CliRunner

    from edigateway.bootstrap import bootstrap
    from edigateway.cli import app

    settings = Settings(data_dir=tmp_path / "data", mappings_dir=REPO / "mappings")
    keyring = bootstrap(settings).keyring
    db = Database.connect(settings.resolved_database_url, phi=PhiCipher(keyring))
    db.upgrade("0005")
    with db.engine.begin() as connection:
        a, b = (
            connection.execute(
                _practices.insert().returning(_practices.c.id),
                {"name": f"P{npi}", "npi": npi, "tin": None, "created_at": NOW},
            ).scalar_one()
            for npi in (A, B)
        )
        shared = connection.execute(
            _payers.insert().returning(_payers.c.id),
            {"payer_id": "DDPIL", "name": "PRAIRIE DENTAL PLAN", "timely_filing_days": 90},
        ).scalar_one()
        connection.execute(_claims.insert(), _claim_row(db, a, shared, "A1", "PRAIRIE"))
        connection.execute(_claims.insert(), _claim_row(db, b, shared, "B1", "DELTA IL"))
    db.dispose()

    result = CliRunner().invoke(
        app,
        ["db", "upgrade"],
        env={
            "EDIGATEWAY_DATA_DIR": str(settings.data_dir),
            "EDIGATEWAY_MAPPINGS_DIR": str(REPO / "mappings"),
        },
    )
    assert result.exit_code == 0, result.output
    db = Database.connect(settings.resolved_database_url, phi=PhiCipher(keyring))
    try:
        assert [p.name for p in payers(db, a)] == ["PRAIRIE DENTAL PLAN"]
        assert [p.name for p in payers(db, b)] == ["DELTA IL"]
    finally:
        db.dispose()
