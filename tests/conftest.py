"""Fixtures the whole suite shares.

* ``database``: a migrated database per test — SQLite always (a copy of one migrated
  file), PostgreSQL too when ``EDIGATEWAY_TEST_DATABASE_URL`` is set (each test then gets
  a migrated schema of its own: one migrated once and emptied after the test before the
  next one takes it, see :class:`PostgresSchemas`);
* every gateway a test bootstraps on a new SQLite file starts from that same migrated file
  instead of running the migrations again (:func:`sqlite_from_template`);
* ``validator``: one :class:`Validator` for the session (its pyx12 maps assembled once, in
  the session's temporary folder);
* ``built_demo``: the 50-patient demo run once per session; a test that changes its data
  works on a copy (:meth:`BuiltDemo.copy_to`).

Under pytest-xdist each worker has a PostgreSQL database of its own (``<name>_gw0_<run>``
…, created here when the worker starts and dropped when it ends; see
:class:`tests.factories.SuiteEnvironment`).

Nothing is written into the checkout: Hypothesis keeps its example database under the
system's temporary folder (``edigateway-hypothesis``) instead of ``.hypothesis/``.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis.configuration import set_hypothesis_home_dir

from edigateway.bootstrap import Gateway, bootstrap
from edigateway.demo.job import run_demo
from edigateway.persistence.database import Database
from edigateway.settings import Settings
from edigateway.x12.validation import Validator
from tests.factories import MAPPINGS, NOW, SuiteEnvironment, settings_for

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "edigateway-hypothesis")

BACKENDS = ["sqlite"]
if SuiteEnvironment().database_url:
    BACKENDS.append("postgresql")


def pytest_configure() -> None:
    """An xdist worker creates its own PostgreSQL database (``<name>_gw0_<run>`` …) on the
    configured server, so no two workers (of this run or another) ever share one."""
    suite = SuiteEnvironment()
    if suite.worker_database_url:
        _worker_database(suite, create=True)


def pytest_collection_finish() -> None:
    """What collecting leaves alive (the imported gateway, the test modules, their
    parameters: several hundred thousand objects) lives as long as the process, yet every
    full collection walked it again, among them the five pytest runs as each process ends:
    1.5-3 s of CPU per process on ``--collect-only`` alone, paid by every xdist worker.
    Frozen (:func:`gc.freeze`), it is left out of them; what the tests allocate is
    collected as before (posting hands frozen objects back with :func:`gc.unfreeze`)."""
    gc.freeze()


def pytest_unconfigure() -> None:
    """The worker's database goes when the worker ends."""
    suite = SuiteEnvironment()
    if suite.worker_database_url:
        _worker_database(suite, create=False)


def _worker_database(suite: SuiteEnvironment, *, create: bool) -> None:
    assert suite.server_url is not None
    assert suite.worker_database_url is not None
    name = sa.make_url(suite.worker_database_url).database
    admin = sa.create_engine(suite.server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


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


@pytest.fixture(scope="session", autouse=True)
def sqlite_from_template(migrated_sqlite: Path) -> Iterator[None]:
    """Migrating an empty SQLite file to the newest revision copies :func:`migrated_sqlite`
    into it (SQLite's backup API, a few milliseconds) instead of running every migration
    again (~0.4 s, over a second on a loaded machine). That file was made by the real
    migrations in this session, so the result is the same; a migration to another
    revision, or of a file that has tables already, runs the real migrations."""
    migrate = Database.upgrade

    def upgrade(self: Database, revision: str = "head") -> None:
        if revision != "head" or self.engine.dialect.name != "sqlite" or not _empty(self):
            migrate(self, revision)
            return
        with (
            self.engine.connect() as connection,
            contextlib.closing(sqlite3.connect(migrated_sqlite)) as template,
        ):
            target = connection.connection.driver_connection
            assert isinstance(target, sqlite3.Connection)
            template.backup(target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Database, "upgrade", upgrade)
        yield


def _empty(db: Database) -> bool:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0


@dataclass
class PostgresSchemas:
    """Migrated PostgreSQL schemas lent to one test at a time. Migrating a schema takes
    over a second; emptying one (every table but ``alembic_version`` deleted, sequences
    restarted) a hundredth, and leaves it as a freshly migrated one. A
    schema whose test left it at another revision is dropped instead of lent again."""

    url: str
    admin: sa.Engine = field(init=False)
    free: list[str] = field(default_factory=list)
    made: list[str] = field(default_factory=list)
    head: str | None = None

    def __post_init__(self) -> None:
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")

    def take(self) -> str:
        """A migrated, empty schema for one test."""
        if self.free:
            return self.free.pop()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        self.made.append(schema)
        db = Database.connect(self.url, schema=schema)
        try:
            db.upgrade()
            self.head = db.head
        finally:
            db.dispose()
        return schema

    def give_back(self, schema: str) -> None:
        """Empty ``schema`` for the next test (or drop it, see the class)."""
        with (
            self.admin.connect().execution_options(isolation_level="READ COMMITTED") as connection,
            connection.begin(),
        ):
            connection.execute(sa.text("SET LOCAL lock_timeout = '20s'"))
            version = connection.execute(
                sa.text(f'SELECT version_num FROM "{schema}".alembic_version')  # noqa: S608 (our name)
            ).scalar_one_or_none()
            if version != self.head:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                self.made.remove(schema)
                return
            # DELETE in any order with triggers off (the audit table's append-only trigger,
            # the foreign keys' checks): a hundred times faster than TRUNCATE, which makes
            # new files for every table and index
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for (table,) in connection.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                    "AND tablename <> 'alembic_version'"
                ),
                {"schema": schema},
            ).all():
                connection.execute(sa.text(f'DELETE FROM "{schema}"."{table}"'))  # noqa: S608 (ours)
            for sequence, start in connection.execute(
                sa.text(
                    "SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = :schema"
                ),
                {"schema": schema},
            ).all():
                connection.execute(
                    sa.text("SELECT setval(:sequence, :start, false)"),
                    {"sequence": f'"{schema}"."{sequence}"', "start": start},
                )
        self.free.append(schema)

    def close(self) -> None:
        """Drop every schema made."""
        with self.admin.connect() as connection:
            for schema in self.made:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    """The session's lender of migrated schemas (PostgreSQL configured only)."""
    url = SuiteEnvironment().database_url
    assert url is not None
    schemas = PostgresSchemas(url)
    try:
        yield schemas
    finally:
        schemas.close()


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
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    schema = schemas.take()
    db = Database.connect(url, schema=schema)
    try:
        yield db
    finally:
        db.dispose()
        schemas.give_back(schema)


@pytest.fixture
def gateway(database: Database, tmp_path: Path) -> Iterator[Gateway]:
    """The gateway on the test's database with its clock stopped at :data:`NOW`: what the
    API, dashboard and use-case tests on both backends start from (a module that needs a
    simulator or other settings defines its own ``gateway``)."""
    with bootstrap(settings_for(tmp_path), clock=lambda: NOW, database=database) as gateway:
        yield gateway


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
