"""Migration 0020 on SQLite and PostgreSQL: ``claims (member_index, kind)`` replaces the
index on ``member_index`` alone. Every claim stored asks for its member's priced
predeterminations; at 0019 SQLite answered by reading every claim of the member, from 0020
it reaches the predeterminations alone, and the search by member alone still uses an
index. Going back to 0019 restores the old index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from alembic import command

from edigateway.persistence.tables import ClaimRow, RemittanceClaimRow
from edigateway.services.predetermination_numbers import _ANSWERED
from tests.factories import SuiteEnvironment, database_at

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from edigateway.persistence.database import Database

BACKENDS = ["sqlite"] + (["postgresql"] if SuiteEnvironment().database_url else [])
BY_MEMBER = "SELECT id FROM claims WHERE member_index = 'x' AND practice_id = 1"


@pytest.fixture(params=BACKENDS)
def at_0019(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to 0019 only."""
    with database_at("0019", request.param, tmp_path) as db:
        yield db


def _indexes(db: Database) -> set[str]:
    return {index["name"] or "" for index in sa.inspect(db.engine).get_indexes("claims")}


def _plan(db: Database, query: str) -> str:
    with db.engine.connect() as connection:
        return " | ".join(
            str(row[-1]) for row in connection.execute(sa.text(f"EXPLAIN QUERY PLAN {query}"))
        )


def _priced_predeterminations(db: Database) -> str:
    """The claim store's own question (its joins and conditions, which choose the index),
    with values in place of its parameters; it selects only columns 0019 already had, as
    the store's entity grows with later migrations (0021: ``claims.primary_paid_on``)."""
    statement = _ANSWERED.with_only_columns(
        ClaimRow.id, RemittanceClaimRow.payer_claim_control_number
    ).params(practices=[1], members=["x"])
    return str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))


@pytest.mark.slow  # migrations, like the other migration tests
def test_the_predetermination_look_up_reaches_predeterminations_only_from_0020(
    at_0019: Database,
):
    assert "ix_claims_member_index" in _indexes(at_0019)
    if at_0019.engine.dialect.name == "sqlite":
        assert "ix_claims_member_index (member_index=?)" in _plan(
            at_0019, _priced_predeterminations(at_0019)
        )

    at_0019.upgrade("0020")
    indexes = _indexes(at_0019)
    assert "ix_claims_member_kind" in indexes
    assert "ix_claims_member_index" not in indexes
    if at_0019.engine.dialect.name == "sqlite":
        assert "ix_claims_member_kind (member_index=? AND kind=?)" in _plan(
            at_0019, _priced_predeterminations(at_0019)
        )
        assert "ix_claims_member_kind (member_index=?)" in _plan(at_0019, BY_MEMBER)

    config = at_0019._alembic()
    with at_0019.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0019")
    indexes = _indexes(at_0019)
    assert "ix_claims_member_index" in indexes
    assert "ix_claims_member_kind" not in indexes
