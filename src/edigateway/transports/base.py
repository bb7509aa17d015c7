"""The file-exchange port every clearinghouse transport implements, and its shared rules.

Services submit 837D/270 files and collect 999/277CA/835 files through :class:`Transport`
without knowing whether the other side is SFTP, a folder or the in-memory fake. The rules
that make an exchange safe to repeat live here, so every adapter applies them alike:

* a delivered file appears under its final name complete or not at all, and never replaces
  a file already there: :func:`unique_name` picks ``claims-2.837`` when ``claims.837`` is
  taken, because a clearinghouse may still be reading the first one;
* names are plain file names (:func:`check_name`), never paths, never hidden or ``.part``
  names, which are reserved for files still being written;
* a download is read to the file's end and then checked against the file's size again;
  it is capped (``max_bytes``), and an inbound file is archived only while it still has
  the size that was downloaded, so a file still being written is neither truncated nor
  moved away with its tail unread;
* failed connections and transfers are retried by one :class:`RetryPolicy` with bounded
  exponential backoff; refused host keys and credentials are not, as retrying cannot help.

Example::

    policy = RetryPolicy(attempts=4, base_delay=1, max_delay=30)
    remote = policy.run(lambda: transport.upload("claims.837", data))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from edigateway.errors import ConfigurationError, TransferError, TransportError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

T = TypeVar("T")

PART_SUFFIX = ".part"
MAX_NAME_TRIES = 1000


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """One complete file in a remote folder: its plain name, size in bytes and timestamp."""

    name: str
    size: int
    mtime: datetime


class Transport(Protocol):
    """Delivers our files to a clearinghouse and collects theirs (see module docstring)."""

    def upload(self, name: str, data: bytes) -> RemoteFile:
        """Deliver ``data`` as exactly one new file in the outbound folder.

        The file appears under ``name`` or, when that is taken, under another unique name
        from :func:`unique_name`; the returned :class:`RemoteFile` says which.
        """
        ...

    def delivered(self, name: str) -> bool:
        """Whether a complete file called ``name`` is in the outbound folder now.

        A sender that died after uploading but before recording it asks this on restart:
        our names carry the interchange control number, so a file of that name is ours.
        ``False`` also when the clearinghouse has already taken the file away; it then
        refuses the second copy by its ISA13 (TA1 note 025), which the poller expects.
        """
        ...

    def list_inbound(self) -> list[RemoteFile]:
        """Complete files waiting in the inbound folder (never ``.part`` or hidden files)."""
        ...

    def download(self, remote: RemoteFile, *, max_bytes: int | None = None) -> bytes:
        """The whole content of an inbound file, read to its end in linear time.

        Raises :class:`~edigateway.errors.RemoteFileTooLargeError` before or while reading
        when the file holds more than ``max_bytes``,
        :class:`~edigateway.errors.RemoteFileGoneError` when it is no longer there, and
        :class:`~edigateway.errors.RemoteFileChangedError` when its size after the
        download is not the number of bytes read (still being written: try next time).
        """
        ...

    def archive(self, remote: RemoteFile) -> None:
        """Move an inbound file out of the way once it is stored, or delete it if the
        profile says so, so that the next :meth:`list_inbound` does not offer it again.

        Only while it still holds ``remote.size`` bytes (pass the size downloaded): a file
        that grew since is left in place
        (:class:`~edigateway.errors.RemoteFileChangedError`), so no tail is ever archived
        unread.
        """
        ...


def check_name(name: str) -> str:
    """Refuse anything but a plain, visible file name, so no upload can escape its folder
    or pose as a file still being written.

    >>> check_name("claims_000000123.837")
    'claims_000000123.837'
    """
    if (
        not name
        or name in {".", ".."}
        or name.startswith(".")
        or name.endswith(PART_SUFFIX)
        or any(c in name for c in "/\\\0")
    ):
        msg = f"{name!r}: not a plain file name (no paths, hidden or {PART_SUFFIX} names)"
        raise TransportError(msg)
    return name


def unique_name(name: str, taken: Callable[[str], bool]) -> str:
    """``name`` if it is free, else ``stem-2.ext``, ``stem-3.ext`` … whichever is free first.

    Never overwriting matters because a clearinghouse may be picking the earlier file up
    at this very moment; a numbered twin is visible and harmless.

    >>> unique_name("claims.837", {"claims.837", "claims-2.837"}.__contains__)
    'claims-3.837'
    """
    if not taken(name):
        return name
    stem, dot, extension = name.rpartition(".")
    if not stem:
        stem, dot, extension = name, "", ""
    for number in range(2, MAX_NAME_TRIES + 1):
        candidate = f"{stem}-{number}{dot}{extension}"
        if not taken(candidate):
            return candidate
    msg = f"{name}: no free name after {MAX_NAME_TRIES} tries; clean up the outbound folder"
    raise TransportError(msg)


def _real_sleep() -> Callable[[float], None]:
    return time.sleep


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff for operations that may fail on the way, not by design.

    Attempt ``n`` (1-based) that fails with a :class:`~edigateway.errors.TransferError` is
    followed by ``min(max_delay, base_delay * 2 ** (n - 1))`` seconds of ``sleep`` and another
    attempt, up to ``attempts`` in all. Any other error (a refused host key or credentials, a
    missing file) propagates at once. Tests inject ``sleep`` so they never wait::

        delays: list[float] = []
        policy = RetryPolicy(attempts=3, base_delay=1, max_delay=5, sleep=delays.append)
    """

    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Callable[[float], None] = field(default_factory=_real_sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < self.base_delay:
            msg = (
                f"retry policy needs attempts >= 1 and 0 <= base_delay <= max_delay; got "
                f"{self.attempts}, {self.base_delay}, {self.max_delay}"
            )
            raise ConfigurationError(msg)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based).

        >>> [RetryPolicy(base_delay=1, max_delay=5).delay(n) for n in (1, 2, 3, 4)]
        [1.0, 2.0, 4.0, 5.0]
        """
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def run(self, operation: Callable[[], T], *, on_failure: Callable[[], None] | None = None) -> T:
        """Run ``operation`` until it succeeds, retrying on :class:`TransferError`.

        ``on_failure`` runs after every failed attempt (an adapter drops its broken
        connection there). The last error is re-raised with the number of attempts added;
        its own message already names host and file.
        """
        attempt = 1
        while True:
            try:
                return operation()
            except TransferError as exc:
                if on_failure is not None:
                    on_failure()
                if attempt >= self.attempts:
                    if self.attempts == 1:
                        raise
                    msg = f"{exc} (gave up after {self.attempts} attempts)"
                    raise TransferError(msg) from exc
            self.sleep(self.delay(attempt))
            attempt += 1
