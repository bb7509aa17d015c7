"""The schema the migrations build is the one the table classes describe, on SQLite and
PostgreSQL: an index or column changed in a table class without its migration (or the
other way round) fails here, not on a production upgrade. Alembic's own comparison
(``compare_metadata``, types included) of a database upgraded to head with every table
module's metadata."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import BigInteger, Integer

import edigateway.persistence
from edigateway.persistence.tables import Base
from tests.factories import SuiteEnvironment, database_at

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.types import TypeEngine

BACKENDS = ["sqlite"] + (["postgresql"] if SuiteEnvironment().database_url else [])
INTEGERS = (Integer, BigInteger)


def _every_table_module() -> None:
    """Table classes live in several modules of the persistence package; each registers
    its tables in ``Base.metadata`` when imported."""
    for module in pkgutil.iter_modules(edigateway.persistence.__path__):
        if module.name != "migrations":
            importlib.import_module(f"edigateway.persistence.{module.name}")


def _compare_type(
    context: MigrationContext,
    inspected: Any,
    metadata_column: Any,
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """SQLite's integers are all 64-bit: INTEGER and BIGINT name the same storage (a
    ``BigInteger`` key is declared ``INTEGER`` there so that it auto-increments)."""
    if (
        context.dialect.name == "sqlite"
        and isinstance(inspected_type, INTEGERS)
        and isinstance(metadata_type, INTEGERS)
    ):
        return False
    return None


@pytest.mark.slow  # migrations, like the migration tests
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migrated_schema_is_the_tables_schema(backend: str, tmp_path: Path):
    _every_table_module()
    with database_at("head", backend, tmp_path) as db, db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": _compare_type})
        assert compare_metadata(context, Base.metadata) == []
