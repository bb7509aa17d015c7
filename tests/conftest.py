"""Fixtures the whole suite shares.

* ``database``: a migrated database per test — SQLite always (a copy of one migrated
  file), PostgreSQL too when ``EDIGATEWAY_TEST_DATABASE_URL`` is set (each test then gets
  its own schema, migrated);
* ``validator``: one :class:`Validator` for the session (its pyx12 maps assembled once, in
  the session's temporary folder);
* ``built_demo``: the 50-patient demo run once per session; a test that changes its data
  works on a copy (:meth:`BuiltDemo.copy_to`).

Nothing is written into the checkout: Hypothesis keeps its example database under the
system's temporary folder (``edigateway-hypothesis``) instead of ``.hypothesis/``.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis.configuration import set_hypothesis_home_dir

from edigateway.demo.job import run_demo
from edigateway.persistence.database import Database
from edigateway.settings import Settings
from edigateway.x12.validation import Validator
from tests.factories import MAPPINGS, NOW, SuiteEnvironment, settings_for

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "edigateway-hypothesis")

BACKENDS = ["sqlite"]
if SuiteEnvironment().database_url:
    BACKENDS.append("postgresql")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with every migration applied, made once: each test's database is a
    copy of it (a copy takes milliseconds, running the migrations ~0.4 s)."""
    path = tmp_path_factory.mktemp("migrated") / "template.sqlite3"
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    leftovers = sorted(p.name for p in path.parent.iterdir() if p != path)
    assert not leftovers, f"the closed template still has {leftovers}"
    return path


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[Database]:
    """A freshly migrated database on each configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_sqlite, path)
        db = Database.connect(f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    url = SuiteEnvironment().database_url
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


@pytest.fixture(scope="session")
def validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    """The suite's validator: our maps over pyx12's, assembled once per session."""
    return Validator(mappings_dir=MAPPINGS, cache_dir=tmp_path_factory.mktemp("pyx12-maps"))


@dataclass(frozen=True)
class BuiltDemo:
    """The demo's data folder after ``run_demo`` at :data:`~tests.factories.NOW`, and the
    summary it printed. The folder is shared by the session: read it, or copy it."""

    folder: Path
    summary: dict[str, Any]

    def copy_to(self, target: Path) -> Settings:
        """A private copy of the demo's data (database, PHI keys, stored files) in
        ``target`` (which must not exist yet), and settings pointing at it."""
        shutil.copytree(self.folder, target)
        return settings_for(target)


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> BuiltDemo:
    """The 50-patient demo, run once for every test that needs its data."""
    folder = tmp_path_factory.mktemp("demo") / "data"
    summary = run_demo(settings_for(folder), clock=lambda: NOW, progress=False)
    return BuiltDemo(folder, summary)
