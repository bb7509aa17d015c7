"""A received file, whatever brought it: what it says about itself, and its one record.

Every file that comes to us — downloaded by the poller from a clearinghouse, or handed to
``edigateway era post`` / the worker's ``post_era_file`` — is hashed and identified once
(:meth:`ReceivedFile.of` for bytes in memory, :meth:`ReceivedFile.at` for a file on disk):
SHA-256, ISA06 sender, ISA13, and its header (what transaction in which version), or why
it cannot be read. That identity travels with the bytes to storage, routing and posting;
nobody sniffs or hashes the file again.

A file on disk is never read whole: it is hashed a piece at a time, posting streams it,
and storing it seals it a piece at a time (checking it still has the hash it was posted
under). A downloaded file is in memory already (the download is capped); nothing copies it.
Once stored, a polled 835 is routed to posting as a :class:`StoredFile`: posting reads its
sealed pieces in its own transaction, so the file is never whole in memory again.

Each content is kept once in ``inbound_files`` (unique SHA-256), sealed in pieces. Its
``clearinghouse`` column says where it came from: the clearinghouse profile's name for a
polled file, :data:`LocalSource` (``cli``, ``worker``) for a file posted from disk. A
polled file is stored before its remote copy is archived (:mod:`.inbound`) and settled
when routed; a file posted from disk is recorded in its posting's own transaction
(:func:`record_outcome`), so both paths leave the same trace.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from edigateway.errors import X12Error, X12Location, X12StructureError
from edigateway.persistence.inbound_rows import (
    StoredPieces,
    find_received,
    insert_received,
    settle_stored,
)
from edigateway.x12.envelope import SUPPORTED, read_segments, sniff_header

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.x12.envelope import FileHeader, Segment

InboundStatus = Literal[
    "processed",
    "duplicate",
    "unmatched",
    "unsupported",
    "failed",
    "stored",
    "quarantined",
    "deferred",
]
"""``stored`` is internal (routed later in the same poll); ``quarantined``: a file recorded
by name only, with a work item; ``deferred``: left on the server for the next poll."""
LocalSource = Literal["cli", "worker"]
"""Who handed us a file from disk: ``edigateway era post`` or the worker's job."""
ROUTED_KINDS: Final = frozenset({"TA1", "999", "277CA", "835"})
"""What a clearinghouse sends us in reply: acknowledgments are applied by
:mod:`.ack_routers`, 835s posted by :mod:`.posting`."""
NAME_WIDTH: Final = 200
"""``inbound_files.remote_name``."""

log = logging.getLogger(__name__)


@dataclass(slots=True)
class InboundResult:
    """What happened to one received file."""

    inbound_id: int | None
    remote_name: str
    kind: str
    status: InboundStatus
    message: str = ""
    claims_moved: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Identity:
    """What a received file says about itself, checked before anything is stored.

    ``problem`` (with ``status``) says why it will not be applied; ``header`` is what the
    sniff read, ``error`` what it raised instead (a file posted from disk reports it as
    ``era post`` always did).
    """

    kind: str
    sender: str | None = None
    isa13: str | None = None
    problem: str | None = None
    status: InboundStatus = "unsupported"
    header: FileHeader | None = None
    error: Exception | None = None


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A file's bytes (in memory, or the file on disk that holds them) with their SHA-256,
    where they came from and what they said."""

    name: str
    data: bytes | Path
    sha256: str
    source: str
    identity: Identity

    @classmethod
    def of(cls, name: str, data: bytes, *, source: str) -> ReceivedFile:
        """Hash and identify ``data`` (never raises, whatever the bytes)."""
        return cls(name, data, hashlib.sha256(data).hexdigest(), source, identify(data, name))

    @classmethod
    def at(cls, path: str, *, source: str) -> ReceivedFile:
        """Hash and identify the file at ``path`` (its name as given), reading it a piece at
        a time (an unreadable file raises :class:`OSError`; its bytes never make it raise)."""
        on_disk = Path(path)
        return cls(path, on_disk, file_sha256(on_disk), source, identify(on_disk, path))

    @property
    def size(self) -> int:
        """How many bytes the file has."""
        return len(self.data) if isinstance(self.data, bytes) else self.data.stat().st_size


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A polled file already kept in ``inbound_files`` (sealed in pieces), routed to posting:
    posting reads its pieces in its own transaction rather than a copy of its bytes."""

    name: str
    stored: StoredPieces
    sha256: str
    size: int
    source: str
    identity: Identity

    @property
    def data(self) -> StoredPieces:
        """Where posting reads the bytes (as :attr:`ReceivedFile.data`)."""
        return self.stored


Received = ReceivedFile | StoredFile
"""What posting takes: a file in memory or on disk, or one kept already."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path``, read a piece at a time."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


_ISA_IDS: Final = (
    ("ISA06", 6, 15, "interchange sender ID"),
    ("ISA13", 13, 9, "interchange control number"),
)


def identify(data: bytes | Path, name: str) -> Identity:
    """Kind, ISA06 sender and ISA13 of a received file, without trusting it: never raises."""
    first: list[Segment] = []
    try:
        header = sniff_header(_keeping_first(read_segments(data, name), first), name)
    except X12Error as exc:
        located = str(exc) if exc.location.file else f"{name}: {exc}"
        # X12 whose envelope contradicts itself is malformed (exit 1, like `x12 parse`);
        # what is not X12, or not a version we read, is unsupported (exit 2).
        malformed = isinstance(exc, X12StructureError)
        return Identity(
            "unknown",
            problem=clean(located),
            status="failed" if malformed else "unsupported",
            error=exc,
        )
    except Exception as exc:  # whatever the bytes, the file is still kept
        log.exception("identifying %s failed", clean(name))
        return Identity(
            "unknown", problem=internal("reading", name, exc), status="failed", error=exc
        )
    values: dict[str, str | None] = {}
    for element, index, width, what in _ISA_IDS:
        value = first[0].element(index).strip()  # the sniff read it: the file's ISA
        if not (value.isascii() and value.isprintable() and len(value) <= width):
            where = X12Location(
                file=clean(name), segment_index=1, segment_id="ISA", element=element
            )
            return Identity(
                "unknown",
                problem=(
                    f"{where}: the {what} {clean(value)!r} is not up to {width} printable "
                    "ASCII characters, so the file cannot be told apart from others; not "
                    "applied"
                ),
                header=header,
            )
        values[element] = value or None
    sender, isa13 = values["ISA06"], values["ISA13"]
    if header.transaction == "TA1":
        return Identity("TA1", sender, isa13, header=header)
    kind = SUPPORTED.get((header.functional_id, header.transaction, header.gs_version))
    if kind in ROUTED_KINDS:
        return Identity(kind, sender, isa13, header=header)
    return Identity(
        kind or "unknown",
        sender,
        isa13,
        problem=_not_routed(header, kind, clean(name)),
        header=header,
    )


def _keeping_first(segments: Iterator[Segment], first: list[Segment]) -> Iterator[Segment]:
    """``segments``, the first of them also put in ``first`` (the sniff reads the ISA once
    for both)."""
    for segment in segments:
        if not first:
            first.append(segment)
        yield segment


def _not_routed(header: FileHeader, kind: str | None, name: str) -> str:
    """Why a well-formed file is not applied: a version of a reply we read in another
    version only, or not a reply at all."""
    versions = sorted(
        version
        for (_gs, st, version), routed in SUPPORTED.items()
        if st == header.transaction and routed in ROUTED_KINDS
    )
    if kind is None and versions:
        transaction = clean(header.transaction)
        return (
            f"{name}: {transaction} in version {clean(header.gs_version) or 'not stated'}"
            f" (GS08); edigateway reads the {transaction} in {' or '.join(versions)} only"
        )
    what = clean(kind or f"{header.transaction} {header.gs_version}")
    return (
        f"{name}: {what} is not something a clearinghouse sends us in reply (TA1, 999, "
        "277CA or 835 expected)"
    )


def record_outcome(
    session: Session, file: Received, status: InboundStatus, problem: str | None, now: datetime
) -> None:
    """Settle what became of ``file`` in its ``inbound_files`` row, in the caller's
    transaction: a stored (polled) row moves on once; a file posted from disk that has no
    row yet gets one, its bytes sealed (read again a piece at a time when on disk); a row
    already settled stays as it is."""
    if isinstance(file, StoredFile):
        settle_stored(session, file.stored.inbound_id, status, problem)
        return
    row = find_received(session, file.sha256)
    if row is None:
        identity = file.identity
        insert_received(
            session,
            received_at=now,
            clearinghouse=file.source,
            remote_name=clean(file.name)[:NAME_WIDTH],
            sha256=file.sha256,
            data=file.data,
            kind=identity.kind,
            sender_id=identity.sender,
            interchange_control_number=identity.isa13,
            status=status,
            problem=problem,
        )
    elif row.status == "stored":
        settle_stored(session, row.id, status, problem)


def clean(text: str) -> str:
    """``text`` safe for any text column and log: bytes that were not UTF-8 (surrogate
    escapes) shown as ``\\xNN``, NUL (which PostgreSQL refuses in text) as ``\\x00``."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def internal(doing: str, name: str, exc: BaseException) -> str:
    """The problem text of an unexpected exception (its traceback goes to the log)."""
    return f"internal error {doing} {clean(name)}: {type(exc).__name__}: {clean(str(exc))}"
