"""The gateway owns what it opens: one reused real-time HTTP client per profile and the
database's pool, both released by ``close()`` (idempotent; a closed gateway reopens them on
its next use), while a database handed in by the caller stays the caller's."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from edigateway.bootstrap import Gateway, bootstrap
from edigateway.persistence.database import Database
from edigateway.settings import Settings
from tests.factories import NOW, REPO


def _gateway(tmp_path: Path, **kwargs) -> Gateway:
    return bootstrap(
        Settings(data_dir=tmp_path / "data", mappings_dir=REPO / "mappings"),
        clock=lambda: NOW,
        **kwargs,
    )


def _pooled(database: Database) -> int:
    with database.transaction() as session:  # leaves one connection in the pool
        session.execute(text("SELECT 1"))
    return database.engine.pool.checkedin()  # type: ignore[attr-defined]


def test_one_http_client_per_profile_reused_until_close(tmp_path: Path):
    gateway = _gateway(tmp_path)
    profile = gateway.profile()
    client = gateway.core_client(profile)
    assert gateway.core_client(profile) is client
    gateway.close()
    assert client._http.is_closed
    again = gateway.core_client(profile)
    assert again is not client
    assert not again._http.is_closed
    gateway.close()


def test_close_disposes_the_pool_it_opened_twice_without_harm_and_reopens(tmp_path: Path):
    with _gateway(tmp_path) as gateway:
        assert _pooled(gateway.database) == 1
    assert gateway.database.engine.pool.checkedin() == 0  # type: ignore[attr-defined]
    gateway.close()
    assert _pooled(gateway.database) == 1  # usable again: a test may hand it to two apps
    gateway.close()


def test_a_database_handed_in_stays_open(tmp_path: Path):
    database = Database.connect(f"sqlite:///{tmp_path / 'given.sqlite3'}")
    database.upgrade()
    try:
        gateway = _gateway(tmp_path, database=database)
        assert _pooled(gateway.database) == 1
        gateway.close()
        assert database.engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    finally:
        database.dispose()


def test_threads_asking_first_at_once_share_one_keyring_and_database(tmp_path: Path):
    gateway = _gateway(tmp_path)
    start = threading.Barrier(6)
    seen: list[tuple[object, Database]] = []

    def ask() -> None:
        start.wait()
        seen.append((gateway.keyring, gateway.database))  # key file created once, too

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 6
    assert len({(id(keys), id(database)) for keys, database in seen}) == 1
    gateway.close()
