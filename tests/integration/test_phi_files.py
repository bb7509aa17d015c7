"""PHI on disk: on a fresh folder with umask 022 the gateway's data folder is 0700, the
SQLite file and its -wal/-shm 0600, keys/ 0700 and every key file 0600; looser ones left by
an earlier version are tightened at start-up. The simulator keeps its plain-text files in
its own private folder beside (not inside) the data folder, and the gateway still finds
its host key there with default settings."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from edigateway.bootstrap import bootstrap
from edigateway.settings import Settings
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import NOW, REPO


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", mappings_dir=REPO / "mappings")


def _use(settings: Settings) -> None:
    """Open the database (and write to it) and the key file, as any command does."""
    gateway = bootstrap(settings, clock=lambda: NOW)
    with gateway.database.transaction() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS touch (x INTEGER)"))
    assert gateway.keyring.active
    gateway.database.dispose()


def test_a_fresh_data_folder_and_the_simulators_are_private(settings: Settings, tmp_path: Path):
    data = settings.data_dir
    gateway = bootstrap(settings, clock=lambda: NOW)
    with gateway.database.transaction() as session:
        session.execute(text("CREATE TABLE touch (x INTEGER)"))
        assert {p.name: mode(p) for p in data.iterdir() if "sqlite3" in p.name} == {
            "edigateway.sqlite3": 0o600,
            "edigateway.sqlite3-wal": 0o600,
            "edigateway.sqlite3-shm": 0o600,
        }
    assert gateway.keyring.active
    assert (mode(data), mode(data / "keys"), mode(data / "keys" / "phi.keys")) == (
        0o700,
        0o700,
        0o600,
    )

    validator = Validator(REPO / "mappings", tmp_path / "cache")
    with Simulator(
        settings, validator=validator, clock=lambda: NOW, sftp_port=0, http_port=0
    ) as sim:
        assert sim.folder == tmp_path / "var-sim"
        assert not sim.folder.is_relative_to(data)
        assert sim.notice == (
            f"the clearinghouse simulator stores received files and its "
            f"state in PLAINTEXT under {sim.folder}: test data only"
        )
        assert (
            mode(sim.folder),
            mode(sim.folder / "keys"),
            mode(sim.folder / "keys" / "ssh_host_ed25519"),
        ) == (0o700, 0o700, 0o600)
        assert mode(data / "keys" / "id_ed25519") == 0o600
        # default settings (only the free ports differ): the host key comes from the
        # simulator's folder, our key from the data folder
        client = bootstrap(
            settings.model_copy(update={"sim_sftp_port": sim.sftp.port}),
            clock=lambda: NOW,
            database=gateway.database,
        )
        with client.sftp_transport(client.profile("simulator")) as transport:
            assert transport.list_inbound() == []
    assert not (data / "sim").exists()
    gateway.database.dispose()


def test_looser_modes_left_by_an_earlier_version_are_tightened(
    settings: Settings, caplog: pytest.LogCaptureFixture
):
    data = settings.data_dir
    _use(settings)
    loose = {
        data: 0o755,
        data / "keys": 0o755,
        data / "keys" / "phi.keys": 0o644,
        data / "edigateway.sqlite3": 0o644,
    }
    for path, bits in loose.items():
        path.chmod(bits)
    with caplog.at_level(logging.WARNING, logger="edigateway.security.files"):
        _use(settings)
    assert {path: mode(path) for path in loose} == {
        data: 0o700,
        data / "keys": 0o700,
        data / "keys" / "phi.keys": 0o600,
        data / "edigateway.sqlite3": 0o600,
    }
    for path, bits in loose.items():
        assert f"tightened {path} from {bits:04o} to {bits & 0o700:04o}" in caplog.text
