"""The database handle: engine, sessions, and migrations run from inside the package.

``Database.connect(url)`` opens SQLite or PostgreSQL; :meth:`Database.upgrade` applies the
Alembic migrations shipped in ``edigateway/persistence/migrations`` (the embedded default
does that on first use, so ``edigateway era post`` works on a fresh machine). A
:meth:`Database.transaction` is one unit of work: everything inside is committed together or
not at all, and SQLAlchemy's errors come out as :class:`~edigateway.errors.PersistenceError`.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from edigateway.errors import EdigatewayError, PersistenceError
from edigateway.security.files import (
    PRIVATE_FILE,
    create_private_file,
    make_private_dirs,
    tighten,
)
from edigateway.security.phi import Keyring, PhiCipher

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """An engine, its session factory and the cipher for PHI columns.

    Every session carries the cipher in ``session.info`` (:func:`cipher_of`), so the code
    that writes or reads an encrypted column needs nothing more than its session. Without
    a configured keyring a random one is made: fine for a test, and the gateway always
    passes the configured one (:mod:`edigateway.bootstrap`).
    """

    def __init__(self, engine: Engine, phi: PhiCipher | None = None) -> None:
        self.engine = engine
        self.phi = phi or PhiCipher(Keyring.generate())
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._one_at_a_time = (
            threading.RLock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        schema: str | None = None,
        phi: PhiCipher | None = None,
        **engine_options: Any,
    ) -> Database:
        """Open ``url``; a SQLite file is created private (0600, its folder 0700: it
        holds PHI). ``schema`` (PostgreSQL) sets the search path, which the tests use to
        give every test its own schema."""
        options: dict[str, Any] = dict(engine_options)
        if schema and not url.startswith("sqlite"):
            options.setdefault("connect_args", {})["options"] = f"-csearch_path={schema}"
        try:
            engine = create_engine(url, **options)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise PersistenceError(f"cannot open database {_safe(url)}: {exc}") from exc
        if engine.dialect.name == "sqlite":
            _private_sqlite_file(engine.url.database)
            event.listen(engine, "connect", _sqlite_pragmas)
        return cls(engine, phi)

    def _alembic(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Apply every migration not yet applied, up to ``revision`` (idempotent).

        Migrations receive the PHI cipher (``config.attributes["phi"]``) for data they
        must read, e.g. 0008 takes each practice's payer name from its claim documents.
        On SQLite foreign keys are off while migrating — a table is changed by copying it,
        and dropping the original would otherwise fail on the rows referring to it — and
        every reference is checked (``PRAGMA foreign_key_check``) before the commit.

        A database already at :attr:`head` is left alone without starting alembic's
        upgrade: the embedded SQLite file is "upgraded" by every command that opens it,
        and the reference check of an upgrade that applies nothing read the whole
        database each time (0.2 s after one 20,000-claim ERA, growing with every file).
        """
        if revision == "head" and self.is_current():
            return
        config = self._alembic()
        config.attributes["phi"] = self.phi
        sqlite = self.engine.dialect.name == "sqlite"
        try:
            with self.engine.connect() as connection:
                _foreign_keys(connection, on=False)
                try:
                    with connection.begin():
                        config.attributes["connection"] = connection
                        command.upgrade(config, revision)
                        if sqlite:
                            _check_foreign_keys(connection)
                finally:
                    _foreign_keys(connection, on=True)
        except SQLAlchemyError as exc:
            raise PersistenceError(
                f"migrating {_safe(str(self.engine.url))} failed: {exc}"
            ) from exc

    @functools.cached_property
    def head(self) -> str | None:
        """The newest migration this process's code expects, read once from the migration
        scripts: later calls do not go to the disk, and a script added while the process
        runs (a deployment in progress) does not change what this process needs."""
        return ScriptDirectory.from_config(self._alembic()).get_current_head()

    def is_current(self) -> bool:
        """Whether the database is at the newest migration this process knows
        (:attr:`head`): behind it (not migrated yet) or ahead of it (migrated by newer code)
        the process must not serve."""
        head = self.head
        try:
            with self.engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as exc:
            raise PersistenceError(f"cannot read {_safe(str(self.engine.url))}: {exc}") from exc
        return current == head

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error.

        On SQLite, transactions of one process take turns: SQLite allows one writer at a
        time, and threads that race for its lock either sleep in its busy handler (long
        latency under load) or fail outright when a reading transaction tries to write.
        Waiting on a lock of our own is fair and immediate; other processes still meet
        SQLite's own locking. PostgreSQL transactions run concurrently.
        """
        session = self._sessions()
        session.info["phi"] = self.phi
        try:
            with self._one_at_a_time, session.begin():
                yield session
        except EdigatewayError:
            raise
        except SQLAlchemyError as exc:
            raise PersistenceError(f"database error: {exc}") from exc
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _private_sqlite_file(database: str | None) -> None:
    """Create the SQLite file 0600 (its folder 0700) before SQLite opens it: SQLite gives
    its -wal, -shm and -journal files the main file's mode, so they are private too. An
    existing file (and side files) with a looser mode is tightened, with a log line."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    make_private_dirs(path.parent)
    create_private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix), PRIVATE_FILE)


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    """Switch SQLite's foreign-key enforcement (outside a transaction, where the pragma
    works); other databases are left alone."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
        connection.commit()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        listed = ", ".join(f"{row[0]} row {row[1]} → {row[2]}" for row in broken[:5])
        msg = f"the migration left {len(broken)} broken reference(s): {listed}"
        raise PersistenceError(msg)


def cipher_of(session: Session) -> PhiCipher:
    """The PHI cipher of the database ``session`` belongs to."""
    cipher = session.info.get("phi")
    if not isinstance(cipher, PhiCipher):
        msg = "this session was not opened by Database.transaction(); no PHI cipher"
        raise PersistenceError(msg)
    return cipher


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
    return url
