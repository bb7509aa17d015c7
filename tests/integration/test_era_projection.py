"""Posting matches an 835 against each claim's non-PHI projection (``claim_lines`` and
``claims.other_payer_roles``, migration 0017) instead of its decrypted document: the
projection says what the document says, every ERA scenario posts the same either way, and
0017 fills the column from the documents of claims stored before it (SQLite always,
PostgreSQL when configured)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from edigateway.cli.era import posting_document
from edigateway.persistence import remittance_rows as rows
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ClaimRow, ClaimStateRow, PostingRow, WorkItemRow
from edigateway.security.phi import Keyring, PhiCipher
from edigateway.services.claim_store import document_binding, open_document
from tests.factories import NOW, SuiteEnvironment, database_at
from tests.integration.test_era_scenarios import CODES, SCENARIOS, post_era
from tests.integration.test_era_scenarios import NOW as POSTED
from tests.integration.test_era_scenarios import _seed as seed

BACKENDS = ["sqlite"] + (["postgresql"] if SuiteEnvironment().database_url else [])


def test_the_projection_says_what_the_document_says(database: Database):
    seed(database)
    with database.transaction() as session:
        claims = list(session.scalars(select(ClaimRow).order_by(ClaimRow.id)))
        projected = rows.projections(session, claims)
        assert set(projected) == {c.id for c in claims}
        assert any(c.other_payer_roles for c in claims)  # the fixtures have a secondary
        for row in claims:
            claim, projection = open_document(session, row), projected[row.id]
            assert [(o.responsibility,) for o in projection.other_payers] == [
                (o.responsibility,) for o in claim.other_payers
            ]
            assert projection.is_predetermination == claim.is_predetermination
            assert [
                (
                    ln.procedure_code,
                    ln.charge,
                    ln.service_date,
                    ln.line_control_number,
                    [t.tooth for t in ln.teeth],
                )
                for ln in projection.lines
            ] == [
                (
                    ln.procedure_code,
                    ln.charge,
                    ln.service_date or claim.service_date,
                    ln.line_control_number,
                    [t.tooth for t in ln.teeth],
                )
                for ln in claim.lines
            ]


def test_a_claim_without_its_projection_is_left_to_its_document(database: Database):
    seed(database)
    with database.transaction() as session:
        session.execute(update(ClaimRow).values(other_payer_roles=None))
        assert rows.projections(session, list(session.scalars(select(ClaimRow)))) == {}


def _everything(db: Database, scenario: Path) -> list[Any]:
    """What posting a scenario's files reports and writes (IDs and times left out)."""
    results = [
        posting_document(post_era(db, scenario / want["file"], codes=CODES, now=POSTED))
        for want in json.loads((scenario / "expected.json").read_text())["files"]
    ]
    with db.transaction() as session:
        claims = [
            (c.patient_control_number, c.state, c.payer_claim_control_number, c.total_charge)
            for c in session.scalars(select(ClaimRow).order_by(ClaimRow.id))
        ]
        postings = [
            (p.claim_id, p.line_number, p.kind, p.amount, p.held, p.reason_code, p.remark_codes)
            for p in session.scalars(select(PostingRow).order_by(PostingRow.id))
        ]
        history = [
            (s.claim_id, s.previous_state, s.state, s.reason)
            for s in session.scalars(select(ClaimStateRow).order_by(ClaimStateRow.id))
        ]
        work = [
            (w.reason, w.patient_control_number, w.message, w.codes, w.amount)
            for w in session.scalars(select(WorkItemRow).order_by(WorkItemRow.id))
        ]
    return [results, claims, postings, history, work]


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_scenario_posts_the_same_from_projections_or_documents(
    database: Database, scenario: Path, tmp_path: Path
):
    seed(database)
    projected = _everything(database, scenario)
    other = Database.connect(f"sqlite:///{tmp_path / 'documents.sqlite3'}", phi=database.phi)
    try:
        other.upgrade()
        seed(other)
        with other.transaction() as session:  # as if stored before migration 0017 could read them
            session.execute(update(ClaimRow).values(other_payer_roles=None))
        assert _everything(other, scenario) == projected
    finally:
        other.dispose()


# --------------------------------------------------------------------------- migration 0017

_claims = sa.table(
    "claims",
    *(
        sa.column(c)
        for c in (
            "id",
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
def at_0016(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to 0016 only (before claims kept their other plans' roles)."""
    with database_at("0016", request.param, tmp_path) as db:
        yield db


@pytest.mark.slow  # 2.4 s on the loaded 2-core machine
def test_0017_fills_the_roles_from_the_documents(
    at_0016: Database, caplog: pytest.LogCaptureFixture
):
    db = at_0016
    stranger = PhiCipher(Keyring.generate())  # a document this upgrade cannot open
    documents = {
        "NONE": ({"patient_control_number": "NONE"}, db.phi),
        "SECONDARY": (
            {"other_payers": [{"responsibility": "S"}, {"responsibility": "T"}]},
            db.phi,
        ),
        "SEALED": ({"other_payers": [{"responsibility": "S"}]}, stranger),
    }
    with db.engine.begin() as connection:
        practice = connection.execute(
            sa.text(
                "INSERT INTO practices (name, npi, created_at, era_policy) "
                "VALUES ('P', '1456789019', :now, 'full') RETURNING id"
            ),
            {"now": NOW},
        ).scalar_one()
        payer = connection.execute(
            sa.text(
                "INSERT INTO payers (practice_id, payer_id, name, aliases, timely_filing_days) "
                "VALUES (:practice, 'P1', 'PAYER', '[]', 365) RETURNING id"
            ),
            {"practice": practice},
        ).scalar_one()
        for pcn, (document, cipher) in documents.items():
            digest = pcn.rjust(64, "0")
            connection.execute(
                _claims.insert(),
                {
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
                    "document": cipher.seal(
                        json.dumps(document), document_binding(practice, pcn, digest)
                    ),
                },
            )
    with caplog.at_level(logging.WARNING):
        db.upgrade()
    assert "0017: 1 claim document(s) did not open" in caplog.text
    with db.engine.connect() as connection:
        roles: dict[str, str | None] = dict(
            connection.execute(
                sa.text("SELECT patient_control_number, other_payer_roles FROM claims")
            ).all()
        )
    assert roles == {"NONE": "", "SECONDARY": "ST", "SEALED": None}
