"""An in-memory :class:`~edigateway.transports.base.Transport` for unit tests of services.

It keeps the SFTP adapter's promises — unique final names, never overwriting, no ``.part``
files offered inbound, archive or delete after download — so a service tested against it
behaves the same against a real clearinghouse. The test plays the clearinghouse through
:meth:`MemoryTransport.put_inbound` and :attr:`MemoryTransport.outbound`, and can make the
next operations fail to exercise retries::

    transport = MemoryTransport()
    transport.put_inbound("999_0001.x12", b"ISA*00*...")
    transport.fail_next(1)          # the next operation raises TransferError
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from edigateway.errors import (
    RemoteFileChangedError,
    RemoteFileGoneError,
    RemoteFileTooLargeError,
    TransferError,
)
from edigateway.transports.base import RemoteFile, check_name, unique_name

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True, slots=True)
class _Stored:
    data: bytes
    mtime: datetime

    def remote(self, name: str) -> RemoteFile:
        return RemoteFile(name=name, size=len(self.data), mtime=self.mtime)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryTransport:
    """Three folders in dictionaries: outbound (ours to them), inbound, archive."""

    def __init__(
        self,
        *,
        delete_after_download: bool = False,
        clock: Callable[[], datetime] = _utc_now,
        name: str = "memory",
    ) -> None:
        self.delete_after_download = delete_after_download
        self.clock = clock
        self.name = name
        self._outbound: dict[str, _Stored] = {}
        self._inbound: dict[str, _Stored] = {}
        self._archive: dict[str, _Stored] = {}
        self._failures = 0
        self._lock = threading.Lock()

    # -- the clearinghouse's side, for tests
    @property
    def outbound(self) -> dict[str, bytes]:
        """What we delivered, by final name."""
        with self._lock:
            return {name: stored.data for name, stored in self._outbound.items()}

    @property
    def archived(self) -> dict[str, bytes]:
        """Inbound files we archived, by archive name."""
        with self._lock:
            return {name: stored.data for name, stored in self._archive.items()}

    def put_inbound(self, name: str, data: bytes) -> RemoteFile:
        """Place a file in the inbound folder as the clearinghouse would (unique name)."""
        with self._lock:
            final = unique_name(check_name(name), self._inbound.__contains__)
            stored = self._inbound[final] = _Stored(data, self.clock())
        return stored.remote(final)

    def fail_next(self, count: int) -> None:
        """Make the next ``count`` operations raise :class:`TransferError` before acting,
        as a dropped connection would, so retry paths can be tested without sockets."""
        with self._lock:
            self._failures = count

    def _maybe_fail(self, what: str) -> None:
        if self._failures > 0:
            self._failures -= 1
            msg = f"{self.name}: {what}: injected failure"
            raise TransferError(msg)

    # -- the Transport port
    def upload(self, name: str, data: bytes) -> RemoteFile:
        """Store ``data`` under ``name`` or the next free numbered twin."""
        with self._lock:
            self._maybe_fail(f"upload {name}")
            final = unique_name(check_name(name), self._outbound.__contains__)
            stored = self._outbound[final] = _Stored(bytes(data), self.clock())
        return stored.remote(final)

    def delivered(self, name: str) -> bool:
        """Whether ``name`` is in the outbound folder."""
        with self._lock:
            self._maybe_fail(f"look for {name}")
            return check_name(name) in self._outbound

    def list_inbound(self) -> list[RemoteFile]:
        """Inbound files, oldest first, then by name."""
        with self._lock:
            self._maybe_fail("list inbound")
            files = [stored.remote(name) for name, stored in self._inbound.items()]
        return sorted(files, key=lambda f: (f.mtime, f.name))

    def download(self, remote: RemoteFile, *, max_bytes: int | None = None) -> bytes:
        """The content of an inbound file (refused over ``max_bytes``)."""
        with self._lock:
            self._maybe_fail(f"download {remote.name}")
            stored = self._inbound.get(check_name(remote.name))
        if stored is None:
            msg = f"{self.name}: inbound file {remote.name} does not exist"
            raise RemoteFileGoneError(msg)
        if max_bytes is not None and len(stored.data) > max_bytes:
            msg = (
                f"{self.name}: inbound file {remote.name} holds {len(stored.data)} bytes, "
                f"over the {max_bytes}-byte download limit"
            )
            raise RemoteFileTooLargeError(msg, size=len(stored.data), limit=max_bytes)
        return stored.data

    def archive(self, remote: RemoteFile) -> None:
        """Move to the archive under a unique name, or delete when so configured; only
        while the file still holds ``remote.size`` bytes."""
        with self._lock:
            self._maybe_fail(f"archive {remote.name}")
            stored = self._inbound.get(check_name(remote.name))
            if stored is None:
                msg = f"{self.name}: inbound file {remote.name} does not exist"
                raise RemoteFileGoneError(msg)
            if len(stored.data) != remote.size:
                msg = (
                    f"{self.name}: inbound file {remote.name} now holds "
                    f"{len(stored.data)} bytes, not the {remote.size} downloaded; left "
                    "in place"
                )
                raise RemoteFileChangedError(msg)
            del self._inbound[remote.name]
            if not self.delete_after_download:
                self._archive[unique_name(remote.name, self._archive.__contains__)] = stored
