"""Interchange/group/transaction control numbers, unique per sender.

A clearinghouse rejects an interchange whose ISA13 it has already seen from the same
sender, so numbers must never repeat, even across processes. Until the database holds them,
they live in a small JSON file in the data folder, updated under an exclusive lock and
replaced atomically (write to a temporary file, then rename), so a crash never leaves a
half-written counter.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MAX_CONTROL_NUMBER = 999_999_999


@dataclass(frozen=True, slots=True)
class ControlNumbers:
    """The numbers for one interchange: ISA13, GS06 and the first ST02."""

    interchange: int
    group: int
    first_transaction: int


class ControlNumberSource(Protocol):
    """Where control numbers come from (a file now, the database later)."""

    def allocate(self, sender: str) -> ControlNumbers:
        """Reserve the next numbers for ``sender``; never returns the same ISA13 twice."""
        ...


class MemoryControlNumbers:
    """In-memory source for tests and one-off builds."""

    def __init__(self, start: int = 1) -> None:
        self._next: dict[str, int] = {}
        self._start = start

    def allocate(self, sender: str) -> ControlNumbers:
        """Next numbers for ``sender``, starting at ``start``."""
        number = self._next.get(sender, self._start)
        self._next[sender] = number % MAX_CONTROL_NUMBER + 1
        return ControlNumbers(number, number, 1)


class FileControlNumbers:
    """Control numbers kept in ``path`` (JSON: sender → last number used)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, int]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_suffix(".lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state: dict[str, int] = (
                json.loads(self.path.read_text()) if self.path.exists() else {}
            )
            yield state
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, sort_keys=True))
            tmp.replace(self.path)

    def allocate(self, sender: str) -> ControlNumbers:
        """Next numbers for ``sender`` (wrapping after 999,999,999)."""
        with self._locked() as state:
            number = state.get(sender, 0) % MAX_CONTROL_NUMBER + 1
            state[sender] = number
        return ControlNumbers(number, number, 1)
