"""Files and folders that hold PHI or keys: created private, looser ones tightened.

The data folder holds the SQLite database (claims, remittances) and the generated keys, so
only the gateway's own user may read it: folders are 0700 and files 0600.

Why it is done this way:

* **Created with the mode, not chmod-ed afterwards**: ``os.mkdir(path, 0o700)`` and
  ``os.open(path, O_CREAT | O_EXCL, 0o600)`` never leave a moment in which the file is
  readable by others, whatever the umask (a umask can only take bits away).
* **Then checked**: a file system that ignores modes, or a file someone else made first,
  is found by ``stat`` — and tightened, with a log line saying from what to what.
* **Existing folders and files are tightened at start-up** (a data folder made by an
  older version with 0755, a database file at 0644), again with a log line. A file or
  folder we may not change (owned by someone else, a read-only mount such as a container
  secret) is reported, not fatal: refusing to start would not make it private either.
* A folder or file that cannot be created is a :class:`ConfigurationError` naming it.
* A world-writable folder with the sticky bit (``/tmp``) is never tightened: it is shared
  by design, and what matters is the private folder or file inside it.

Example::

    private_dir(settings.data_dir)               # 0700, created or tightened
    create_private_file(data_dir / "db.sqlite3")  # 0600 before SQLite opens it
"""

from __future__ import annotations

import logging
import os
import stat
from typing import TYPE_CHECKING, Final

from edigateway.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

PRIVATE_DIR: Final = 0o700
PRIVATE_FILE: Final = 0o600

log = logging.getLogger(__name__)


def make_private_dirs(path: Path) -> Path:
    """Create ``path`` and every missing folder above it with mode 0700; folders that
    already exist are left as they are (see :func:`private_dir` to tighten one)."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another process made it meanwhile
            pass
        except OSError as exc:
            msg = f"cannot create the folder {folder}: {exc.strerror or exc}"
            raise ConfigurationError(msg) from exc
        tighten(folder, PRIVATE_DIR)
    return path


def private_dir(path: Path) -> Path:
    """``path`` as a private folder: created 0700 (with missing parents) or, when it
    exists with a looser mode, tightened to 0700 with a log line."""
    make_private_dirs(path)
    tighten(path, PRIVATE_DIR)
    return path


def create_private_file(path: Path) -> bool:
    """Make sure ``path`` exists with mode 0600: created empty with that mode when missing
    (True), else tightened when looser (False). Its folder must exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        tighten(path, PRIVATE_FILE)
        return False
    except OSError as exc:
        raise ConfigurationError(f"cannot create {path}: {exc.strerror or exc}") from exc
    os.close(fd)
    tighten(path, PRIVATE_FILE)
    return True


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file, then a rename), the file
    created 0600 from the start. A stale temporary file is removed first, so a looser mode
    it may have had is not inherited."""
    make_private_dirs(path.parent)
    temp = path.with_name(f".{path.name}.part")
    try:
        temp.unlink(missing_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
        tighten(temp, PRIVATE_FILE)
        temp.replace(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror or exc}") from exc


def tighten(path: Path, mode: int) -> None:
    """Take away every permission bit ``path`` has beyond ``mode`` (a log line says what
    changed); a missing path is left alone, a shared sticky folder too."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    current = stat.S_IMODE(status.st_mode)
    if not current & ~mode:
        return
    if stat.S_ISDIR(status.st_mode) and current & stat.S_ISVTX and current & stat.S_IWOTH:
        log.warning(
            "%s is a shared folder (mode %04o); not tightened — keep PHI in a "
            "private folder inside it",
            path,
            current,
        )
        return
    try:
        path.chmod(current & mode)
    except OSError as exc:
        log.warning(
            "%s has mode %04o and could not be tightened to %04o (%s): other users may read it",
            path,
            current,
            current & mode,
            exc.strerror or exc,
        )
        return
    after = stat.S_IMODE(path.stat().st_mode)
    if after & ~mode:
        log.warning(
            "%s keeps mode %04o after chmod (a file system without POSIX modes?): "
            "other users may read it",
            path,
            after,
        )
    else:
        log.warning("tightened %s from %04o to %04o: it holds PHI or keys", path, current, after)
