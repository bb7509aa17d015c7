"""Migration 0021 on SQLite and PostgreSQL: ``payers.secondary_filing_days`` and
``claims.primary_paid_on``, and the fill of existing secondary claims from columns only.

The database is built at head the real way — fixtures/era-money/08's claims imported, the
primary's 835 posted (paid 2026-11-12), so the poster stores MNY801-S; a copy of it,
MNY802, whose payment (dated 2026-11-13) is held and approved two days later, when the
approval stores MNY802-S — beside a secondary claim a practice sent itself (OWN1-S, its
primary paid 2026-11-01 by its document). Going back to 0020 drops both columns;
upgrading again fills MNY801-S and MNY802-S from their primary's posted payment (its
history row written in the transaction that stored the secondary, the remittance's
payment date) without opening a document, and leaves OWN1-S NULL: nothing but its sealed
document says when its primary paid, so its limit counts from the date of service."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from alembic import command

from edigateway.bootstrap import bootstrap
from edigateway.domain.claims import Claim, ClaimBatch
from edigateway.reconcile.secondary import build_secondary
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.era_review import approve, pending, set_policy
from edigateway.services.payer_limits import payer_practice, set_secondary_filing
from edigateway.services.posting import post_received
from edigateway.services.received import ReceivedFile
from tests.factories import NOW, PRACTICE_NPI, REPO, SuiteEnvironment, database_at, settings_for

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from edigateway.persistence.database import Database

BACKENDS = ["sqlite"] + (["postgresql"] if SuiteEnvironment().database_url else [])
SCENARIO = REPO / "fixtures" / "era-money" / "08_secondary_remaining_liability"
LATER = NOW + timedelta(days=2)


@pytest.fixture(params=BACKENDS)
def at_head(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A throwaway database migrated to head (it is downgraded: not the suite's shared one)."""
    with database_at("head", request.param, tmp_path) as db:
        yield db


def _columns(db: Database, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def _paid_on(db: Database) -> dict[str, date | None]:
    claims = sa.table(
        "claims",
        sa.column("patient_control_number", sa.String),
        sa.column("primary_paid_on", sa.Date),
    )
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.select(claims.c.patient_control_number, claims.c.primary_paid_on).where(
                claims.c.patient_control_number.like("%-S")
            )
        )
        return {row.patient_control_number: row.primary_paid_on for row in rows}


@pytest.mark.slow  # migrations, like the other migration tests
def test_0021_fills_secondaries_built_from_posted_payments_and_goes_back(
    at_head: Database, tmp_path: Path
):
    with bootstrap(settings_for(tmp_path), clock=lambda: NOW, database=at_head) as gateway:
        batch = load_claim_file(SCENARIO / "claims.json")
        (primary,) = batch.claims
        own = primary.model_copy(update={"patient_control_number": "OWN1"})
        import_claims(
            at_head,
            ClaimBatch(claims=[*batch.claims, build_secondary(own, [], date(2026, 11, 1))]),
            now=NOW,
        )
        era = (SCENARIO / "primary.835").read_bytes()
        post_received(
            at_head, ReceivedFile.of("primary.835", era, source="cli"), codes=gateway.codes, now=NOW
        )
        practice = payer_practice(at_head, PRACTICE_NPI)
        assert practice is not None
        set_secondary_filing(at_head, "GRDN1", 90, practice_id=practice, now=NOW)

        # MNY802: the same claim, its payment (dated 2026-11-13) held for approval, given
        # two days later: the secondary is built then, with the approval's history row
        approved = era.replace(b"MNY801", b"MNY802").replace(b"TRN0801", b"TRN0802")
        approved = approved.replace(b"000000801", b"000000802").replace(
            b"*20261112~", b"*20261113~"
        )
        again = Claim.model_validate_json(primary.model_dump_json().replace("MNY801", "MNY802"))
        import_claims(at_head, ClaimBatch(claims=[again]), now=NOW)
        set_policy(at_head, "review", practice_id=practice, payer_id="DDPIL", now=NOW)
        post_received(
            at_head,
            ReceivedFile.of("held.835", approved, source="cli"),
            codes=gateway.codes,
            now=NOW,
        )
        (waiting,) = pending(at_head, practice_id=practice)
        approve(at_head, waiting.id, now=LATER, actor="test", practice_id=practice)
    at_head_values = {
        "MNY801-S": date(2026, 11, 12),
        "MNY802-S": date(2026, 11, 13),
        "OWN1-S": date(2026, 11, 1),
    }
    assert _paid_on(at_head) == at_head_values

    config = at_head._alembic()
    sqlite = at_head.engine.dialect.name == "sqlite"
    with at_head.engine.connect() as connection:
        if sqlite:  # as Database.upgrade does: SQLite copies the table to drop a column
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, "0020")
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
    assert "primary_paid_on" not in _columns(at_head, "claims")
    assert "secondary_filing_days" not in _columns(at_head, "payers")

    at_head.upgrade("0021")
    assert _paid_on(at_head) == at_head_values | {"OWN1-S": None}
    with at_head.engine.connect() as connection:
        windows = set(connection.scalars(sa.text("SELECT secondary_filing_days FROM payers")))
    assert windows == {None}
