"""Migration 0019 on SQLite and PostgreSQL: ``ix_claims_superseded_by_id`` becomes partial
(superseded claims only). At 0018 SQLite looked up current claims by number through it
(``superseded_by_id IS NULL`` matches nearly every claim: a walk of the whole table per
batch of an 835); from 0019 through ``ix_claims_pcn``, while "which claims did these
replace" still uses the partial index. Going back to 0018 restores the full index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from alembic import command

from tests.factories import SuiteEnvironment, database_at

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from edigateway.persistence.database import Database

BACKENDS = ["sqlite"] + (["postgresql"] if SuiteEnvironment().database_url else [])
CURRENT_BY_NUMBER = (
    "SELECT id FROM claims WHERE patient_control_number IN ('PC1', 'PC2') "
    "AND superseded_by_id IS NULL AND practice_id = 1"
)
REPLACED_BY = "SELECT id, superseded_by_id FROM claims WHERE superseded_by_id IN (1, 2)"


@pytest.fixture(params=BACKENDS)
def at_0018(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to 0018 only."""
    with database_at("0018", request.param, tmp_path) as db:
        yield db


def _definition(db: Database) -> str:
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE name = 'ix_claims_superseded_by_id'"
        else:
            query = (
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_claims_superseded_by_id' "
                "AND schemaname = current_schema()"
            )
        return str(connection.execute(sa.text(query)).scalar_one())


def _plan(db: Database, query: str) -> str:
    with db.engine.connect() as connection:
        return " | ".join(
            str(row[-1]) for row in connection.execute(sa.text(f"EXPLAIN QUERY PLAN {query}"))
        )


@pytest.mark.slow  # migrations, like the other migration tests
def test_the_index_holds_superseded_claims_only_from_0019(at_0018: Database):
    assert "IS NOT NULL" not in _definition(at_0018)
    if at_0018.engine.dialect.name == "sqlite":
        assert "ix_claims_superseded_by_id" in _plan(at_0018, CURRENT_BY_NUMBER)

    at_0018.upgrade("0019")
    assert "superseded_by_id IS NOT NULL" in _definition(at_0018)
    if at_0018.engine.dialect.name == "sqlite":
        assert "ix_claims_pcn" in _plan(at_0018, CURRENT_BY_NUMBER)
        assert "ix_claims_superseded_by_id" in _plan(at_0018, REPLACED_BY)

    config = at_0018._alembic()
    with at_0018.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0018")
    assert "IS NOT NULL" not in _definition(at_0018)
