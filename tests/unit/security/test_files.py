"""Private folders and files: created 0700/0600 whatever the umask, looser ones tightened
with a log line, shared sticky folders left alone."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from edigateway.errors import ConfigurationError
from edigateway.security.files import (
    create_private_file,
    make_private_dirs,
    private_dir,
    tighten,
    write_private,
)
from edigateway.security.phi import Keyring


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True, params=[0o022, 0o000])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The usual umask, and none at all: the modes must not depend on it."""
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_folders_and_files_are_created_private(tmp_path: Path):
    base = tmp_path / "open"
    base.mkdir(mode=0o755)
    base.chmod(0o755)
    nested = make_private_dirs(base / "a" / "b")
    assert [mode(p) for p in (base, base / "a", nested)] == [0o755, 0o700, 0o700]
    assert create_private_file(nested / "db") is True
    assert mode(nested / "db") == 0o600
    write_private(nested / "keys", "secret\n")
    assert (mode(nested / "keys"), (nested / "keys").read_text()) == (0o600, "secret\n")
    Keyring.generate().save(nested / "k" / "phi.keys")
    assert (mode(nested / "k"), mode(nested / "k" / "phi.keys")) == (0o700, 0o600)


def test_looser_existing_ones_are_tightened_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    folder = tmp_path / "var"
    folder.mkdir()
    folder.chmod(0o755)
    (folder / "db").write_text("")
    (folder / "db").chmod(0o644)
    (folder / ".keys.part").write_text("stale")
    (folder / ".keys.part").chmod(0o666)
    with caplog.at_level(logging.WARNING):
        private_dir(folder)
        assert create_private_file(folder / "db") is False
        write_private(folder / "keys", "new")
    assert (mode(folder), mode(folder / "db"), mode(folder / "keys")) == (0o700, 0o600, 0o600)
    assert f"tightened {folder} from 0755 to 0700" in caplog.text
    assert f"tightened {folder / 'db'} from 0644 to 0600" in caplog.text
    assert ".keys.part" not in caplog.text  # the stale temporary file was replaced


def test_a_shared_sticky_folder_is_not_tightened(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with caplog.at_level(logging.WARNING):
        tighten(shared, 0o700)
    assert mode(shared) == 0o1777
    assert "shared folder" in caplog.text
    tighten(tmp_path / "missing", 0o700)  # nothing to do, no error


def test_a_folder_or_file_that_cannot_be_made_is_named(tmp_path: Path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigurationError, match=r"cannot create the folder .*/file/var: "):
        private_dir(tmp_path / "file" / "var")
    with pytest.raises(ConfigurationError, match=r"cannot create .*/file/db: "):
        create_private_file(tmp_path / "file" / "db")
