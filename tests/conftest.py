"""Shared fixtures: a migrated database per test — SQLite always, PostgreSQL when
``EDIGATEWAY_TEST_DATABASE_URL`` is set (each test then gets its own schema)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from edigateway.persistence.database import Database
from edigateway.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "x12-corpus"

BACKENDS = ["sqlite"]
if Settings().test_database_url:
    BACKENDS.append("postgresql")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated database on each configured backend."""
    if request.param == "sqlite":
        db = Database.connect(f"sqlite:///{tmp_path / 'test.sqlite3'}")
        db.upgrade()
        yield db
        db.dispose()
        return
    url = Settings().test_database_url
    assert url is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = Database.connect(url, schema=schema)
    try:
        db.upgrade()
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
