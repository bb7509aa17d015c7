"""Delimiters, segment reading and the ISA/GS/ST envelope: the one place that knows them.

Reading is forgiving about what real files carry and strict about what matters:

* a UTF-8 byte-order mark, CR/LF or indentation between segments are skipped;
* the delimiters are taken from the fixed-width ISA (element separator at byte 4,
  repetition separator ISA11, component separator ISA16, segment terminator after it), so
  files using ``|``, ``^``, 0x1D or ``_`` are read the same way;
* segments are yielded one by one from a text stream, so memory stays flat however large
  the file is;
* bytes that are not UTF-8, and control characters other than tab, CR and LF, are refused
  where they stand (segment and element), so no undecodable text or NUL reaches a model, a
  message, a database row (PostgreSQL refuses NUL in text) or a terminal;
* separators must differ: an ISA whose repetition separator (ISA11) is also its element
  or component separator or segment terminator cannot be read unambiguously and is refused
  at ISA11 (an alphanumeric ISA11, ``U`` in 4010 files and some 5010 ones, means "none").

Writing is strict: :class:`SegmentWriter` refuses any value containing a delimiter
(:class:`~edigateway.errors.DelimiterInDataError`) instead of writing a corrupt file.

Example::

    >>> segs = list(iter_segments(io.StringIO(SAMPLE)))
    >>> segs[0].id, segs[1].element(1)
    ('ISA', 'HC')
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO, Final, Protocol, TextIO, TypeVar

from pydantic import ValidationError

from edigateway.domain.acknowledgments import InterchangeAck
from edigateway.errors import (
    DelimiterInDataError,
    UnsupportedX12Error,
    X12Location,
    X12StructureError,
    X12SyntaxError,
)
from edigateway.x12 import spec
from edigateway.x12.formats import is_digits, parse_datetime

ISA_LENGTH: Final = 106
"""Length of the ISA segment including its terminator; every field is fixed width."""
_CHUNK: Final = 1 << 16
_BOM: Final = "\ufeff"


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators of an interchange, as declared by its ISA."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def all(self) -> tuple[str, ...]:
        """Every separator character (used to refuse data containing one)."""
        return tuple(c for c in (self.element, self.component, self.repetition, self.segment) if c)


@dataclass(slots=True)
class Segment:
    """One segment: its ID, its elements (index 1 = first element) and 1-based position.

    ``position`` counts segments from the start of the file (ISA = 1), the way a
    coordinator counts lines in an editor that shows one segment per line.
    """

    id: str
    elements: list[str]
    position: int
    delimiters: Delimiters = field(default_factory=Delimiters)

    def element(self, index: int) -> str:
        """Element ``index`` (1-based, as in ``CLM02``), or ``""`` when absent."""
        return self.elements[index - 1] if 0 < index <= len(self.elements) else ""

    def components(self, index: int) -> list[str]:
        """Element ``index`` split at the component separator."""
        value = self.element(index)
        return value.split(self.delimiters.component) if value else []

    def repeats(self, index: int) -> list[str]:
        """Element ``index`` split at the repetition separator (``EB03`` ``35^23``); the
        whole value when the interchange declares none."""
        value = self.element(index)
        if not value:
            return []
        repetition = self.delimiters.repetition
        return value.split(repetition) if repetition else [value]

    def location(
        self, file: str | None, loop: str | None, element: int | None = None
    ) -> X12Location:
        """This segment's location for an error message."""
        return X12Location(
            file=file,
            segment_index=self.position,
            segment_id=self.id,
            loop=loop,
            element=f"{self.id}{element:02d}" if element is not None else None,
        )


def read_delimiters(isa: str, file: str | None = None) -> Delimiters:
    """Delimiters declared by the first 106 characters of an interchange."""
    loc = X12Location(file=file, segment_index=1, segment_id="ISA")
    if not isa.startswith("ISA"):
        raise X12SyntaxError("file does not start with an ISA segment", loc)
    if len(isa) < ISA_LENGTH:
        raise X12SyntaxError(
            f"ISA segment is truncated ({len(isa)} of {ISA_LENGTH} characters)", loc
        )
    element = isa[3]
    fields = isa[: ISA_LENGTH - 1].split(element)
    if len(fields) != 17 or any(len(f) != w for f, w in zip(fields, _ISA_WIDTHS, strict=True)):
        raise X12SyntaxError(
            "ISA segment is not 106 fixed-width characters with 16 elements; "
            "cannot determine the delimiters",
            loc,
        )
    component = isa[104]
    segment = isa[105]
    # ISA11 is the repetition separator from 4020 on; before, it is a standards ID ("U").
    repetition = fields[11] if fields[12] >= "00402" and not fields[11].isalnum() else ""
    if repetition in (element, component, segment):
        raise X12SyntaxError(
            f"the repetition separator ISA11 {repetition!r} is also the "
            + (
                "element separator"
                if repetition == element
                else "component separator (ISA16)"
                if repetition == component
                else "segment terminator"
            )
            + "; separators must differ, so the file cannot be read unambiguously",
            X12Location(file=file, segment_index=1, segment_id="ISA", element="ISA11"),
        )
    delims = Delimiters(
        element=element, component=component, repetition=repetition, segment=segment
    )
    chars = delims.all()
    if len(set(chars)) != len(chars) or any(
        c.isalnum() or c == " " or not c.isascii() for c in chars
    ):
        raise X12SyntaxError(
            f"ISA declares unusable delimiters {delims.all()!r} (they must differ and be "
            "ASCII characters other than letters, digits or spaces)",
            loc,
        )
    return delims


_ISA_WIDTHS: Final = (3, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


def open_x12_text(path: Path) -> TextIO:
    """Open an X12 file as text, skipping a UTF-8 BOM; bytes that are not UTF-8 are kept
    (``surrogateescape``) so that reading never stops on them: the segment holding them is
    refused where it stands."""
    raw: BinaryIO = path.open("rb")
    head = raw.read(3)
    if head != codecs.BOM_UTF8:
        raw.seek(0)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")


def x12_text_of(data: bytes) -> TextIO:
    """:func:`open_x12_text` for bytes already in memory (a downloaded file)."""
    raw = io.BytesIO(data)
    if data[:3] == codecs.BOM_UTF8:
        raw.seek(3)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")


Source = bytes | Path | Iterable[Segment]
"""What every reader takes: a file's bytes, its path, or segments already read (a caller
that split or checked them first, such as validation and the simulator)."""


def source_name(source: Source, name: str | None) -> str | None:
    """The name errors give a source: ``name``, else the path."""
    return name if name is not None or not isinstance(source, Path) else str(source)


def read_segments(source: Source, name: str | None = None) -> Generator[Segment, None, None]:
    """The segments of ``source`` one at a time (see :func:`iter_segments`); a file is
    streamed and closed when the iteration ends."""
    if isinstance(source, bytes):
        with x12_text_of(source) as stream:
            yield from iter_segments(stream, name)
    elif isinstance(source, Path):
        with open_x12_text(source) as stream:
            yield from iter_segments(stream, source_name(source, name))
    else:
        yield from source


def head_of(source: Source) -> str | None:
    """The first characters of a file (after a BOM), enough to see how it breaks lines;
    ``None`` for segments, which no longer say."""
    if isinstance(source, Path):
        with source.open("rb") as raw:
            source = raw.read(_HEAD + 3)
    if not isinstance(source, bytes):
        return None
    return source.removeprefix(codecs.BOM_UTF8)[:_HEAD].decode("utf-8", "surrogateescape")


_HEAD: Final = 200


def iter_segments(stream: TextIO, file: str | None = None) -> Iterator[Segment]:
    """Yield the segments of every interchange in ``stream``, one at a time.

    Delimiters are re-read at each ISA, so concatenated interchanges with different
    separators are fine. White space (CR, LF, indentation) around segments is dropped.
    The stream is read in 64 KiB chunks; memory holds one chunk, whatever the file size.
    """
    buffer = ""
    pos = 0
    eof = False
    first = True
    delims: Delimiters | None = None
    position = 0
    while True:
        # Skip white space between segments, reading on when the chunk is exhausted.
        while True:
            while pos < len(buffer) and buffer[pos] in _WHITESPACE:
                pos += 1
            if pos < len(buffer) or eof:
                break
            buffer, pos = stream.read(_CHUNK), 0
            eof = not buffer
            if first and buffer.startswith(_BOM):
                buffer, first = buffer[1:], False
            first = False
        if pos >= len(buffer):
            return
        if delims is not None:
            # The common case, a run of ordinary segments, split in one go up to the last
            # terminator in the buffer: no ISA (new delimiters) or BIN (a length, not a
            # terminator, ends it) anywhere in the run, none longer than the limit. The
            # same checks and positions as one segment at a time below.
            last = buffer.rfind(delims.segment, pos)
            if (
                last > pos
                and last - pos <= MAX_SEGMENT_LENGTH
                and buffer.find("ISA", pos, last) < 0
                and buffer.find(_BIN, pos, last) < 0
            ):
                for piece in buffer[pos:last].split(delims.segment):
                    raw = piece.strip(_WHITESPACE)
                    if raw:
                        position += 1
                        yield _segment(raw, position, delims, file)
                pos = last + 1
                continue
        if delims is not None and buffer.startswith(_BIN, pos):
            while len(buffer) - pos < len(_BIN) + 1 and not eof:
                chunk = stream.read(_CHUNK)
                eof = not chunk
                buffer, pos = buffer[pos:] + chunk, 0
            if buffer[pos + len(_BIN) : pos + len(_BIN) + 1] == delims.element:
                position += 1
                binary = _BinaryRead(stream, buffer, pos, eof, delims, position, file)
                yield binary.segment()
                buffer, pos, eof = binary.buffer, binary.pos, binary.eof
                continue
        if delims is None or buffer.startswith("ISA", pos):
            while len(buffer) - pos < ISA_LENGTH and not eof:
                chunk = stream.read(_CHUNK)
                eof = not chunk
                buffer, pos = buffer[pos:] + chunk, 0
            delims = read_delimiters(buffer[pos : pos + ISA_LENGTH], file)
            position += 1
            raw_isa = buffer[pos : pos + ISA_LENGTH - 1]
            pos += ISA_LENGTH
            if not raw_isa.isprintable():
                _refuse_unreadable(raw_isa, "ISA", position, delims, file)
            yield Segment("ISA", raw_isa.split(delims.element)[1:], position, delims)
            continue
        end = buffer.find(delims.segment, pos)
        while end < 0 and not eof:
            if len(buffer) - pos > MAX_SEGMENT_LENGTH:
                _refuse_long(buffer[pos:], position + 1, delims, file)
            chunk = stream.read(_CHUNK)
            eof = not chunk
            searched = len(buffer) - pos
            buffer, pos = buffer[pos:] + chunk, 0
            end = buffer.find(delims.segment, searched)
        if (len(buffer) if end < 0 else end) - pos > MAX_SEGMENT_LENGTH:
            _refuse_long(buffer[pos:], position + 1, delims, file)
        raw = buffer[pos:] if end < 0 else buffer[pos:end]
        pos = len(buffer) if end < 0 else end + 1
        raw = raw.strip(_WHITESPACE)
        if not raw:
            continue
        position += 1
        yield _segment(raw, position, delims, file)


def _segment(raw: str, position: int, delims: Delimiters, file: str | None) -> Segment:
    """The segment ``raw`` (its text without terminator or surrounding white space), its
    identifier and characters checked."""
    parts = raw.split(delims.element)
    seg_id = parts[0]
    if not (seg_id.isascii() and seg_id.isalnum()) or not 2 <= len(seg_id) <= 3:
        raise X12SyntaxError(
            f"{seg_id[:20]!r} is not a segment identifier",
            X12Location(file=file, segment_index=position),
        )
    if not raw.isprintable():  # one quick check: undecodable bytes are not printable
        _refuse_unreadable(raw, seg_id, position, delims, file)
    return Segment(seg_id, parts[1:], position, delims)


_WHITESPACE: Final = " \t\r\n"
_BIN: Final = "BIN"
MAX_BINARY_LENGTH: Final = 64 << 20
"""The most binary data one BIN segment may carry (64 MiB): far above any attachment a
payer takes (they cap at a few MiB per file), low enough to keep a reader's memory
bounded. A longer BIN01 is refused at its position before any data is buffered."""
MAX_SEGMENT_LENGTH: Final = 1 << 20
"""The longest segment read (1 MiB, terminator excluded). The longest 5010 health care
segments are a few hundred characters (their longest elements are 80, binary segments are
not used), so a longer one is a missing terminator or a hostile file: it is refused at its
position instead of being buffered whole, which keeps a reader's memory bounded."""


def encoded_size(text: str) -> int:
    """How many bytes ``text`` was read from: its UTF-8 length, each undecodable byte kept
    as a surrogate escape counting one (:func:`open_x12_text`)."""
    try:
        return len(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return -1


class _BinaryRead:
    """One BIN segment read from a text stream: ``BIN*<length>*<data>~`` where the data is
    exactly BIN01 *bytes* of anything — the segment terminator and separators included —
    so its end is found by counting, never by searching for the terminator (X12's binary
    data segment; the 275 carries an attachment in it).

    The stream is text decoded with ``surrogateescape``: an ASCII character or an
    undecodable byte is one byte, a decoded multi-byte character two to four. The data
    starts after an ASCII separator and ends before the ASCII terminator, neither of which
    can be part of a multi-byte sequence, so its characters are exactly its bytes' and the
    count is exact. A BIN01 that is no length, too large, or that does not end where the
    terminator stands is refused at BIN01.
    """

    def __init__(
        self,
        stream: TextIO,
        buffer: str,
        pos: int,
        eof: bool,
        delims: Delimiters,
        position: int,
        file: str | None,
    ) -> None:
        self.stream, self.buffer, self.pos, self.eof = stream, buffer, pos, eof
        self.delims, self.position, self.file = delims, position, file

    def _fail(self, element: int | None, message: str) -> X12SyntaxError:
        return X12SyntaxError(
            message,
            X12Location(
                file=self.file,
                segment_index=self.position,
                segment_id=_BIN,
                element=f"BIN{element:02d}" if element else None,
            ),
        )

    def _more(self) -> bool:
        """Read another chunk onto the unread part of the buffer; false at the end."""
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        self.eof = not chunk
        self.buffer, self.pos = self.buffer[self.pos :] + chunk, 0
        return bool(chunk)

    def segment(self) -> Segment:
        start = self.pos + len(_BIN) + 1
        while True:
            sep = self.buffer.find(self.delims.element, start)
            if sep >= 0 or len(self.buffer) - start > _LENGTH_DIGITS:
                break
            offset = start - self.pos
            if not self._more():
                break
            start = self.pos + offset
        length_text = self.buffer[start:sep] if sep >= 0 else self.buffer[start : start + 20]
        if sep < 0 or not is_digits(length_text, _LENGTH_DIGITS) or sep - start < 1:
            raise self._fail(
                1,
                f"BIN01 {length_text[:20]!r} is not a length in bytes "
                "followed by the binary data (BIN02)",
            )
        length = int(length_text)
        if length < 1:
            raise self._fail(1, "BIN01 is 0: a binary data segment carries at least one byte")
        if length > MAX_BINARY_LENGTH:
            raise self._fail(
                1,
                f"BIN01 says {length:,} bytes; edigateway reads at most "
                f"{MAX_BINARY_LENGTH:,} bytes of binary data in one segment",
            )
        self.pos = sep + 1
        pieces: list[str] = []
        need = length
        while need > 0:
            if self.pos >= len(self.buffer) and not self._more():
                raise self._fail(
                    2,
                    f"the file ends inside the binary data: BIN01 says "
                    f"{length:,} bytes, {length - need:,} follow",
                )
            take = min(need, len(self.buffer) - self.pos)
            while True:
                piece = self.buffer[self.pos : self.pos + take]
                size = encoded_size(piece)
                if 0 <= size <= need:
                    break
                if take == 1:
                    raise self._fail(
                        1,
                        f"BIN01 says {length:,} bytes, but byte "
                        f"{length - need + 1:,} of the data is inside a "
                        "multi-byte character: the length is wrong",
                    )
                take //= 2
            pieces.append(piece)
            need -= size
            self.pos += take
        if self.pos >= len(self.buffer):
            self._more()
        if self.buffer[self.pos : self.pos + 1] != self.delims.segment:
            raise self._fail(
                1,
                f"BIN01 says {length:,} bytes, but the segment terminator "
                f"{self.delims.segment!r} does not follow them: the length is "
                "wrong or the data was altered",
            )
        self.pos += 1
        return Segment(_BIN, [length_text, "".join(pieces)], self.position, self.delims)


_LENGTH_DIGITS: Final = 15
"""BIN01 (data element 784) is at most 15 digits."""


def binary_data(seg: Segment) -> bytes:
    """The bytes of a BIN segment's data (BIN02), exactly as read."""
    return seg.element(2).encode("utf-8", "surrogateescape")


def _refuse_long(raw: str, position: int, delims: Delimiters, file: str | None) -> None:
    """Refuse a segment longer than :data:`MAX_SEGMENT_LENGTH`, naming the element that
    runs past it."""
    head = raw[:MAX_SEGMENT_LENGTH].lstrip(_WHITESPACE)
    seg_id = head.split(delims.element, 1)[0][:3]
    known = seg_id.isascii() and seg_id.isalnum() and len(seg_id) >= 2
    index = head.count(delims.element)
    raise X12SyntaxError(
        f"segment {position} runs past {MAX_SEGMENT_LENGTH:,} characters without a segment "
        f"terminator {delims.segment!r}: no X12 5010 segment is that long, so the file is "
        "refused here",
        X12Location(
            file=file,
            segment_index=position,
            segment_id=seg_id if known else None,
            element=f"{seg_id}{index:02d}" if known and index else None,
        ),
    )


_UNREADABLE: Final = re.compile("[\udc80-\udcff]+|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Bytes that were not UTF-8 (as ``surrogateescape`` decoding keeps them), and control
characters other than tab, CR and LF."""


def _refuse_unreadable(
    raw: str, seg_id: str, position: int, delims: Delimiters, file: str | None
) -> None:
    """Refuse a segment holding bytes that are not UTF-8 or control characters (not the
    file's own delimiters, such as 0x1D), naming the element they are in.

    Reading keeps undecodable bytes (``surrogateescape``) so that a file is never cut short
    before this point; past it they would break every consumer (pydantic, the database, a
    terminal), as would a NUL (PostgreSQL refuses it in text). The file is wrong anyway:
    X12 allows the basic and extended character sets only. Proper UTF-8 text beyond ASCII
    is kept.
    """
    separators = delims.all()
    for found in _UNREADABLE.finditer(raw):
        if found.group() in separators:
            continue
        index = raw.count(delims.element, 0, found.start())
        if found.group()[0] >= "\udc80":
            what = (
                f"bytes that are not UTF-8 text "
                f"({bytes(ord(c) - 0xDC00 for c in found.group()[:8])!r})"
            )
        else:
            what = f"the control character {found.group()!r}"
        raise X12StructureError(
            f"{what}; X12 allows only the basic and extended character sets",
            X12Location(
                file=file,
                segment_index=position,
                segment_id=seg_id,
                element=f"{seg_id}{index:02d}" if index else None,
            ),
        )


@dataclass(frozen=True, slots=True)
class FileHeader:
    """What a file says it is: interchange version, functional group and transactions."""

    isa_version: str
    gs_version: str
    functional_id: str
    transaction: str
    gs_position: int | None = None
    st_position: int | None = None


SUPPORTED: Final = {
    ("HC", "837", "005010X224A2"): "837D",
    ("HC", "837", "005010X222A1"): "837P",
    ("HC", "837", "005010X223A2"): "837I",
    ("HP", "835", "005010X221A1"): "835",
    ("FA", "999", "005010X231A1"): "999",
    ("HS", "270", "005010X279A1"): "270",
    ("HB", "271", "005010X279A1"): "271",
    ("HN", "277", "005010X214"): "277CA",
    ("HR", "276", "005010X212"): "276",
    ("HN", "277", "005010X212"): "277",
    ("PI", "275", "005010X210"): "275",
}
"""(GS01, ST01, GS08) of the transactions edigateway reads, with their short names."""


def sniff_header(source: Source, name: str | None = None) -> FileHeader:
    """Read just enough of a file to know its version and transaction.

    Raises :class:`X12SyntaxError` when it is not X12, :class:`UnsupportedX12Error`
    for versions other than 5010 (ISA12 00501), said plainly, and
    :class:`X12StructureError` when the functional group (GS01) is not the one its
    transaction set (ST01) belongs in.
    """
    name = source_name(source, name)
    with closing(read_segments(source, name)) as segments:
        return _sniff(segments, name)


FUNCTIONAL_GROUPS: Final = {
    "270": "HS",
    "271": "HB",
    "275": "PI",
    "276": "HR",
    "277": "HN",
    "278": "HI",
    "820": "RA",
    "824": "AG",
    "834": "BE",
    "835": "HP",
    "837": "HC",
    "997": "FA",
    "999": "FA",
}
"""ST01 → the GS01 its functional group must have (X12's functional identifier codes)."""
_GROUP_NAMES: Final = {
    "HS": "eligibility inquiries (270)",
    "HB": "eligibility responses (271)",
    "PI": "patient information (275)",
    "HR": "claim status inquiries (276)",
    "HN": "claim status responses (277)",
    "HI": "services reviews (278)",
    "RA": "payment orders (820)",
    "AG": "application advice (824)",
    "BE": "benefit enrollments (834)",
    "HP": "claim payments (835)",
    "HC": "claims (837)",
    "FA": "functional acknowledgments (997, 999)",
}


def _sniff(segments: Iterator[Segment], file: str | None) -> FileHeader:
    isa_version = gs_version = functional_id = transaction = ""
    gs: Segment | None = None
    st: Segment | None = None
    for seg in segments:
        if seg.id == "ISA":
            isa_version = seg.element(12)
        elif seg.id == "GS":
            functional_id, gs_version, gs = seg.element(1), seg.element(8), seg
        elif seg.id == "ST":
            transaction, st = seg.element(1), seg
            break
        elif seg.id == "TA1":
            transaction = "TA1"
            break
    if not isa_version:
        raise X12SyntaxError("no ISA segment found", X12Location(file=file))
    if isa_version != "00501" or (gs_version and not gs_version.startswith("005010")):
        raise UnsupportedX12Error(
            f"version {gs_version or isa_version} is not supported: edigateway reads "
            f"X12 5010 (ISA12 00501, GS08 005010…); this file has ISA12 {isa_version}"
            + (f" and GS08 {gs_version}" if gs_version else ""),
            X12Location(file=file, segment_index=1, segment_id="ISA", element="ISA12"),
        )
    expected = FUNCTIONAL_GROUPS.get(transaction)
    if gs is not None and expected is not None and functional_id != expected:
        # One message for what is wrong (the envelope), rather than "no map for a 276 …
        # edigateway validates 276": the pair is refused before any version is looked up.
        theirs = _GROUP_NAMES.get(functional_id)
        raise X12StructureError(
            f"GS01 {functional_id!r} does not fit ST01 {transaction!r}: "
            f"{_GROUP_NAMES[expected]} go in a functional group with GS01 {expected!r}"
            + (f", and GS01 {functional_id!r} is the group for {theirs}" if theirs else "")
            + "; the file's GS01 or its ST01 is wrong",
            gs.location(file, "GS", 1),
        )
    return FileHeader(
        isa_version,
        gs_version,
        functional_id,
        transaction,
        gs.position if gs is not None else None,
        st.position if st is not None else None,
    )


# --------------------------------------------------------------------------- parameters


class OutboundSettings(Protocol):
    """Our side of an interchange, as the settings give it."""

    @property
    def isa_sender_qualifier(self) -> str: ...
    @property
    def isa_sender_id(self) -> str: ...
    @property
    def isa_receiver_qualifier(self) -> str: ...
    @property
    def isa_receiver_id(self) -> str: ...
    @property
    def gs_sender_code(self) -> str: ...
    @property
    def gs_receiver_code(self) -> str: ...
    @property
    def usage_indicator(self) -> str: ...


class ReceiverIds(Protocol):
    """A clearinghouse profile's IDs for the ISA/GS receiver."""

    @property
    def receiver_qualifier(self) -> str: ...
    @property
    def receiver_id(self) -> str: ...
    @property
    def gs_receiver_code(self) -> str: ...


class AllocatedNumbers(Protocol):
    """The control numbers allocated for one interchange."""

    @property
    def interchange(self) -> int: ...
    @property
    def group(self) -> int: ...
    @property
    def first_transaction(self) -> int: ...


@dataclass(frozen=True, slots=True)
class InterchangeParams:
    """Everything the ISA/GS/ST/BHT envelope needs besides the claims.

    Control numbers come from the caller (allocated from the database, unique per sender);
    ``created`` fixes the ISA/GS/BHT date and time so a file can be rebuilt byte for byte.
    """

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    gs_sender_code: str
    gs_receiver_code: str
    interchange_control_number: int
    group_control_number: int
    first_transaction_control_number: int
    created: datetime
    usage_indicator: str = "T"
    acknowledgment_requested: str = "0"
    delimiters: Delimiters = field(default_factory=Delimiters)
    line_breaks: bool = True

    @classmethod
    def outbound(
        cls,
        settings: OutboundSettings,
        profile: ReceiverIds | None,
        numbers: AllocatedNumbers,
        now: datetime,
    ) -> InterchangeParams:
        """What we send: our IDs from the settings, the receiver's from the clearinghouse
        ``profile`` (else the settings' default receiver), freshly allocated ``numbers``,
        stamped ``now`` to the minute (ISA10 and GS05 carry no seconds)."""
        receiver: ReceiverIds = profile if profile is not None else _DefaultReceiver(settings)
        return cls(
            sender_qualifier=settings.isa_sender_qualifier,
            sender_id=settings.isa_sender_id,
            receiver_qualifier=receiver.receiver_qualifier,
            receiver_id=receiver.receiver_id,
            gs_sender_code=settings.gs_sender_code,
            gs_receiver_code=receiver.gs_receiver_code,
            interchange_control_number=numbers.interchange,
            group_control_number=numbers.group,
            first_transaction_control_number=numbers.first_transaction,
            created=now.replace(second=0, microsecond=0),
            usage_indicator=settings.usage_indicator,
        )


@dataclass(frozen=True, slots=True)
class _DefaultReceiver:
    """The settings' own receiver IDs, when no clearinghouse profile names one."""

    settings: OutboundSettings

    @property
    def receiver_qualifier(self) -> str:
        return self.settings.isa_receiver_qualifier

    @property
    def receiver_id(self) -> str:
        return self.settings.isa_receiver_id

    @property
    def gs_receiver_code(self) -> str:
        return self.settings.gs_receiver_code


def params_from_envelope(
    isa: Segment, gs: Segment, first_st: str, file: str | None, head: str | None = None
) -> InterchangeParams:
    """The :class:`InterchangeParams` a file was written with, read back from its ISA/GS
    (so a reader can rebuild the file byte for byte); ``head``: the file's first
    characters, which say whether it breaks lines after each segment."""
    try:
        created = parse_datetime(gs.element(4), gs.element(5))
    except ValueError as exc:
        raise X12StructureError(str(exc), gs.location(file, "GS", 4)) from exc
    numbers = []
    for seg, index, what in ((isa, 13, "interchange"), (gs, 6, "group")):
        number = seg.element(index).strip() or "0"
        if not is_digits(number, 9):
            raise X12StructureError(
                f"the {what} control number {number[:20]!r} is not 1 to 9 digits",
                seg.location(file, seg.id, index),
            )
        numbers.append(int(number))
    delimiters = isa.delimiters
    return InterchangeParams(
        sender_qualifier=isa.element(5).strip(),
        sender_id=isa.element(6).strip(),
        receiver_qualifier=isa.element(7).strip(),
        receiver_id=isa.element(8).strip(),
        gs_sender_code=gs.element(2),
        gs_receiver_code=gs.element(3),
        interchange_control_number=numbers[0],
        group_control_number=numbers[1],
        first_transaction_control_number=int(first_st) if is_digits(first_st, 9) else 1,
        created=created,
        usage_indicator=isa.element(15),
        acknowledgment_requested=isa.element(14),
        delimiters=delimiters,
        line_breaks=head is not None and (delimiters.segment + "\n") in head,
    )


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Expect:
    """The functional groups a reader takes: GS01, ST01 and the GS08 versions.

    ``verify=False`` reads the envelope without checking its counts, control numbers and
    nesting (SE01, GE01/02, IEA01/02, a file cut short): the 837D, 270 and 271 readers take
    what a file holds, as they always have, and leave those checks to ``x12 validate``
    (pyx12 reports them; validation reads an 837D's claims however its envelope counts).
    ``sniffed``: the services read this transaction's header first
    (:func:`sniff_header`, which calls other versions unsupported), so the reader leaves
    ISA12 to the sniff and calls a GS08 it does not read malformed (837D, 835, 270/271);
    the acknowledgment and claim status readers judge the version themselves and call
    another ISA12 or GS08 unsupported. ``iea02_error``: an IEA02 that differs from ISA13
    refuses the file (the 835: a spliced payment file must never be posted); elsewhere it
    is a warning, as TA105 ``001`` prescribes that ISA13 counts.
    """

    functional_id: str
    transaction: str
    versions: frozenset[str]
    verify: bool = True
    sniffed: bool = False
    iea02_error: bool = False

    @classmethod
    def of(
        cls,
        key: str,
        *,
        also: Iterable[str] = (),
        verify: bool = True,
        sniffed: bool = False,
        iea02_error: bool = False,
    ) -> Expect:
        """What guide ``key``'s spec says its envelope carries (and ``also`` other GS08
        versions read the same way)."""
        ids = spec.guide(key).identity()
        return cls(
            ids.functional_id,
            ids.transaction_set,
            frozenset({ids.version, *also}),
            verify,
            sniffed,
            iea02_error,
        )


@dataclass(frozen=True, slots=True)
class ReadWarning:
    """Something wrong in a file that did not stop it being read, with where it is."""

    location: X12Location
    message: str

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message


class EnvelopeReader:
    """Checks ISA/GS/ST…SE/GE/IEA around every transaction, for every reader, and collects
    the TA1 segments standing between ISA and GS.

    :meth:`feed` returns the envelope segment's ID (``ISA``, ``TA1``, ``GS``, ``ST``,
    ``SE``, ``GE``, ``IEA``) once it is checked, or ``""`` for a segment of the transaction
    body, which the caller reads; ``tracker`` (the guide's loops) then says which loop that
    segment stands in. Checked: nesting, ISA12 00501, GS01/GS08/ST01 against ``expect``
    (``None`` accepts any group and skips its content, as the TA1 reader does), SE01 against
    the segments counted, SE02/ST02, GE01/GE02, IEA01/IEA02, and a file that ends inside an
    interchange — or, for an :class:`Expect` with ``verify=False``, only GS08 and ST01.
    ``trailers=False`` leaves SE01/SE02 and GE01/GE02 to the caller: a clearinghouse answers
    the interchange envelope with a TA1 and those per group in its 999 (IK5, AK9).
    """

    def __init__(
        self,
        file: str | None,
        expect: Expect | None = None,
        tracker: spec.LoopTracker | None = None,
        *,
        trailers: bool = True,
    ) -> None:
        self.file = file
        self.expect = expect
        self.tracker = tracker
        self.trailers = trailers
        self.loop = "ISA"
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: Segment | None = None
        self.last: Segment | None = None
        self.first_isa: Segment | None = None
        self.first_gs: Segment | None = None
        self.first_st: str | None = None
        self.groups = 0
        self.groups_read = 0
        self.transactions = 0
        self.st_count = 0
        self.interchange_acks: list[InterchangeAck] = []
        self.warnings: list[ReadWarning] = []
        self.verify = expect is None or expect.verify
        self._checks = _ENVELOPE if self.verify else _IDENTIFY

    def fail(self, seg: Segment, element: int | None, message: str) -> X12StructureError:
        """An error located at ``seg`` (and its ``element``), in the current loop."""
        return X12StructureError(message, seg.location(self.file, self.loop, element))

    def feed(self, seg: Segment) -> str:
        """Check one segment; see the class docstring for the return value."""
        self.last = seg
        if self.st is not None:
            self.st_count += 1
        check = self._checks.get(seg.id)
        if check is not None:
            check(self, seg)
            return seg.id
        if self.st is None and self.verify and not (self.expect is None and self.gs is not None):
            raise self.fail(seg, None, f"{seg.id} outside a transaction set (ST…SE)")
        if self.tracker is not None:
            self.tracker.advance(seg.id, seg.elements, seg.delimiters.component)
            self.loop = self.tracker.loop or self.loop
        return ""

    def finish(self) -> None:
        """Refuse a file that ends inside an interchange (truncated), or holds none."""
        if not self.verify:
            return
        if self.isa is None:
            if self.last is None:
                raise X12StructureError(
                    "the file holds no interchange (no ISA)", X12Location(file=self.file)
                )
            return
        missing = "SE" if self.st is not None else "GE" if self.gs is not None else "IEA"
        where = self.last.location(self.file, self.loop) if self.last else None
        raise X12StructureError(f"the file ends without its {missing} segment (truncated?)", where)

    def params(self, head: str | None = None, *, need_st: bool = False) -> InterchangeParams:
        """The first interchange's :class:`InterchangeParams` (see
        :func:`params_from_envelope`); ``need_st``: refuse a file without a transaction."""
        if self.first_isa is None or self.first_gs is None or (need_st and self.first_st is None):
            raise X12StructureError(
                f"no ISA/GS{'/ST' if need_st else ''} envelope found", X12Location(file=self.file)
            )
        return params_from_envelope(
            self.first_isa, self.first_gs, self.first_st or "", self.file, head
        )

    def _isa(self, seg: Segment) -> None:
        if self.isa is not None:
            raise self.fail(seg, None, "ISA before the previous interchange's IEA")
        self.loop = "ISA"
        if seg.element(12) != "00501" and not (self.expect is not None and self.expect.sniffed):
            raise UnsupportedX12Error(
                f"interchange version {seg.element(12)!r} is not supported: edigateway "
                "reads X12 5010 (ISA12 00501)",
                seg.location(self.file, "ISA", 12),
            )
        self.isa, self.groups = seg, 0
        self.first_isa = self.first_isa or seg

    def _ta1(self, seg: Segment) -> None:
        if self.isa is None or self.gs is not None:
            raise self.fail(seg, None, "TA1 must stand between ISA and the first GS")
        self.loop = "TA1"
        self.interchange_acks.append(read_ta1_segment(seg, self.file))

    def _gs(self, seg: Segment) -> None:
        if self.isa is None:
            raise self.fail(seg, None, "GS outside an interchange (no ISA)")
        if self.gs is not None:
            raise self.fail(seg, None, "GS before the previous group's GE")
        self.loop = "GS"
        if self.expect is not None and seg.element(1) != self.expect.functional_id:
            raise self.fail(
                seg, 1, f"functional group {seg.element(1)!r} is not {self.expect.functional_id}"
            )
        self._version(seg)
        self.gs = seg
        self.first_gs = self.first_gs or seg
        self.groups += 1
        self.groups_read += 1
        self.transactions = 0

    def _st(self, seg: Segment) -> None:
        if self.gs is None:
            raise self.fail(seg, None, "ST outside a functional group (no GS)")
        if self.st is not None:
            raise self.fail(seg, None, "ST before the previous transaction's SE")
        self._transaction(seg)
        self.st, self.st_count = seg, 1
        self.transactions += 1

    def _version(self, seg: Segment) -> None:
        """GS08 must be a version the reader reads."""
        expect = self.expect
        if expect is not None and seg.element(8) not in expect.versions:
            error = X12StructureError if expect.sniffed else UnsupportedX12Error
            raise error(
                f"GS08 version {seg.element(8)!r} is not {' or '.join(sorted(expect.versions))}",
                seg.location(self.file, "GS", 8),
            )

    def _transaction(self, seg: Segment) -> None:
        """ST01 must be the transaction the reader reads; its loops start afresh."""
        self.loop = "ST"
        if self.expect is not None and seg.element(1) != self.expect.transaction:
            raise self.fail(
                seg,
                1,
                f"transaction {seg.element(1)!r} is not "
                f"{_article(self.expect.transaction)} {self.expect.transaction}",
            )
        if self.first_st is None:
            self.first_st = seg.element(2)
        if self.tracker is not None:
            self.tracker.reset()

    def _se(self, seg: Segment) -> None:
        if self.st is None:
            if self.expect is None and self.gs is not None:
                return  # a group the TA1 reader skips
            raise self.fail(seg, None, "SE without its ST")
        self.loop = "SE"
        if not self.trailers:
            self.st = None
            return
        if seg.element(1) != str(self.st_count):
            raise self.fail(
                seg,
                1,
                f"SE01 says {seg.element(1)[:20] or 'nothing'} segments "
                f"but the transaction has {self.st_count} (ST…SE); the file may be "
                "truncated or edited",
            )
        if seg.element(2) != self.st.element(2):
            raise self.fail(
                seg, 2, f"SE02 {seg.element(2)!r} does not match ST02 {self.st.element(2)!r}"
            )
        self.st = None

    def _ge(self, seg: Segment) -> None:
        if self.gs is None or self.st is not None:
            raise self.fail(seg, None, "GE without its GS, or inside a transaction")
        self.loop = "GE"
        if not self.trailers:
            self.gs = None
            return
        if seg.element(1) != str(self.transactions):
            raise self.fail(
                seg,
                1,
                f"GE01 says {seg.element(1)!r} transactions; the group has {self.transactions}",
            )
        if seg.element(2) != self.gs.element(6):
            raise self.fail(
                seg, 2, f"GE02 {seg.element(2)!r} does not match GS06 {self.gs.element(6)!r}"
            )
        self.gs = None

    def _iea(self, seg: Segment) -> None:
        if self.isa is None or self.gs is not None:
            raise self.fail(seg, None, "IEA without its ISA, or inside a group")
        self.loop = "IEA"
        if seg.element(1) != str(self.groups):
            raise self.fail(
                seg, 1, f"IEA01 says {seg.element(1)!r} groups; the interchange has {self.groups}"
            )
        if seg.element(2) != self.isa.element(13):
            message = f"IEA02 {seg.element(2)!r} does not match ISA13 {self.isa.element(13)!r}"
            if self.expect is not None and self.expect.iea02_error:
                raise self.fail(seg, 2, message)
            self.warnings.append(
                ReadWarning(
                    seg.location(self.file, self.loop, 2),
                    f"{message}; the ISA13 value is taken (as TA105 001 prescribes)",
                )
            )
        self.isa = None

    def _taken(self, seg: Segment) -> None:
        """Without verifying: note where the reader is and what the file says it is."""
        self.loop = seg.id
        if seg.id == "ISA":
            self.first_isa = self.first_isa or seg
        elif seg.id == "GS":
            self._version(seg)
            self.first_gs = self.first_gs or seg
            self.groups_read += 1
        elif seg.id == "ST":
            self._transaction(seg)


_ENVELOPE: Final[dict[str, Callable[[EnvelopeReader, Segment], None]]] = {
    "ISA": EnvelopeReader._isa,
    "TA1": EnvelopeReader._ta1,
    "GS": EnvelopeReader._gs,
    "ST": EnvelopeReader._st,
    "SE": EnvelopeReader._se,
    "GE": EnvelopeReader._ge,
    "IEA": EnvelopeReader._iea,
}
_IDENTIFY: Final[dict[str, Callable[[EnvelopeReader, Segment], None]]] = dict.fromkeys(
    ("ISA", "GS", "ST", "SE", "GE", "IEA"), EnvelopeReader._taken
)
""":class:`Expect` ``verify=False``: envelope segments are taken as they come (a TA1 is an
ordinary segment to such a reader)."""


def _article(name: str) -> str:
    """ "an 835", "an 837", "a 271" (X12 health care transactions start with 2, 8 or 9)."""
    return "an" if name.startswith("8") else "a"


_TA1_ELEMENTS: Final = 5


def read_ta1_segment(seg: Segment, file: str | None = None) -> InterchangeAck:
    """One TA1 segment as an :class:`InterchangeAck`; errors name the element. TA1s stand
    in any interchange (alone, or in front of a 999), so every reader meets them here."""

    def fail(element: int | None, message: str) -> X12StructureError:
        return X12StructureError(message, seg.location(file, "TA1", element))

    if len(seg.elements) > _TA1_ELEMENTS and any(seg.elements[_TA1_ELEMENTS:]):
        raise fail(
            _TA1_ELEMENTS + 1, f"TA1 has {len(seg.elements)} elements; it has five (TA101–TA105)"
        )
    number = seg.element(1)
    if not is_digits(number, 9):
        raise fail(1, f"TA101 {number!r} is not an interchange control number (digits)")
    try:
        stamp = interchange_date(seg.element(2))
    except ValueError as exc:
        raise fail(2, f"TA102 {exc}") from exc
    try:
        moment = interchange_time(seg.element(3))
    except ValueError as exc:
        raise fail(3, f"TA103 {exc}") from exc
    if seg.element(4) not in ("A", "E", "R"):
        raise fail(
            4,
            f"TA104 {seg.element(4)!r} is not A (accepted), E (accepted with "
            "errors) or R (rejected)",
        )
    note = seg.element(5)
    if len(note) != 3 or not is_digits(note):
        raise fail(5, f"TA105 {note!r} is not a three-digit interchange note code")
    try:
        return InterchangeAck(
            interchange_control_number=number,
            interchange_date=stamp,
            interchange_time=moment,
            ack_code=seg.element(4),
            note_code=note,
        )
    except ValidationError as exc:
        raise fail(None, exc.errors()[0]["msg"]) from exc


def interchange_date(text: str) -> date:
    """An ISA09/TA102 YYMMDD date; :class:`ValueError` saying why when it is none. The year
    has two digits: every 5010 interchange is from this century."""
    if len(text) != 6 or not is_digits(text):
        raise ValueError(f"{text!r} is not a YYMMDD date")
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a calendar date ({exc})") from exc


def interchange_time(text: str) -> time:
    """An ISA10/TA103 HHMM time; :class:`ValueError` saying why when it is none."""
    if len(text) != 4 or not is_digits(text):
        raise ValueError(f"{text!r} is not an HHMM time")
    try:
        return time(int(text[:2]), int(text[2:]))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a time of day ({exc})") from exc


def answer_interchange(isa: Segment, ack_code: str, note_code: str, today: date) -> InterchangeAck:
    """The TA1 answering the interchange ``isa``: TA101–TA103 repeat its ISA13, ISA09 and
    ISA10, so the sender can match it. An answer must go out even to an ISA whose date or
    time is no date or time (that may be why it is rejected): ``today`` and 0000 stand in.
    :class:`ValueError` (the model's) when ISA13 is no control number."""
    try:
        stamp = interchange_date(isa.element(9))
    except ValueError:
        stamp = today
    try:
        moment = interchange_time(isa.element(10))
    except ValueError:
        moment = time(0, 0)
    return InterchangeAck(
        interchange_control_number=isa.element(13).strip(),
        interchange_date=stamp,
        interchange_time=moment,
        ack_code=ack_code,
        note_code=note_code,
    )


def ta1_elements(ack: InterchangeAck) -> tuple[str, str, str, str, str]:
    """TA101–TA105 of ``ack`` (for a TA1 written into any interchange)."""
    return (
        ack.interchange_control_number,
        ack.interchange_date.strftime("%y%m%d"),
        ack.interchange_time.strftime("%H%M"),
        ack.ack_code,
        ack.note_code,
    )


# --------------------------------------------------------------------------- writing


class SegmentWriter:
    """Collects segments, refusing delimiter characters inside values.

    ``context`` (claim ID and loop) is attached to any error so that the message says
    which claim and which element held the bad value. With a ``tracker`` (the guide's
    loops, as :func:`write_interchange` gives it), the loop follows the segments written.
    """

    def __init__(
        self,
        delimiters: Delimiters,
        *,
        line_breaks: bool = True,
        tracker: spec.LoopTracker | None = None,
    ) -> None:
        self.delimiters = delimiters
        self._terminator = delimiters.segment + ("\n" if line_breaks else "")
        self._forbidden = frozenset(delimiters.all())
        self.tracker = tracker
        self.parts: list[str] = []
        self.count = 0
        self.loop: str | None = None
        self.claim: str | None = None

    def segment(self, seg_id: str, *elements: str | list[str] | tuple[str, ...] | None) -> None:
        """Append a segment; ``list`` values are composites, ``tuple`` values repeat
        (joined by the repetition separator, e.g. ``EB03`` ``23^41``); trailing empties are
        dropped."""
        if self.tracker is not None:
            self.tracker.advance(
                seg_id, [self._raw(v) for v in elements[:3]], self.delimiters.component
            )
            self.loop = self.tracker.loop
        values: list[str] = []
        for index, value in enumerate(elements, start=1):
            if isinstance(value, list):
                values.append(self._composite(seg_id, index, value))
            elif isinstance(value, tuple):
                values.append(
                    self.delimiters.repetition.join(self._check(seg_id, index, v) for v in value)
                )
            else:
                values.append(self._check(seg_id, index, value or ""))
        while values and values[-1] == "":
            values.pop()
        self.parts.append(self.delimiters.element.join([seg_id, *values]) + self._terminator)
        self.count += 1

    def binary(self, seg_id: str, data: bytes) -> None:
        """Append a binary data segment (``BIN*<length>*<data>``): the bytes go in as they
        are, delimiters and all, since the reader counts BIN01 bytes instead of looking
        for the terminator. The text holds them as surrogate escapes; encode it with
        ``surrogateescape`` (:meth:`data`) to get the file."""
        if not data:
            raise UnsupportedX12Error("a binary data segment carries at least one byte")
        if self.tracker is not None:
            self.tracker.advance(seg_id, [str(len(data))], self.delimiters.component)
            self.loop = self.tracker.loop
        e = self.delimiters.element
        self.parts.append(
            f"{seg_id}{e}{len(data)}{e}"
            + data.decode("utf-8", "surrogateescape")
            + self._terminator
        )
        self.count += 1

    def raw(self, text: str) -> None:
        """Append an already-formatted segment (the fixed-width ISA)."""
        self.parts.append(text + self._terminator)
        self.count += 1

    def _raw(self, value: str | list[str] | tuple[str, ...] | None) -> str:
        """An element as the tracker matches qualifiers on it (composites joined)."""
        if isinstance(value, list):
            return self.delimiters.component.join(v or "" for v in value)
        if isinstance(value, tuple):
            return value[0] if value else ""
        return value or ""

    def _composite(self, seg_id: str, index: int, components: list[str]) -> str:
        checked = [self._check(seg_id, index, c or "") for c in components]
        while checked and checked[-1] == "":
            checked.pop()
        return self.delimiters.component.join(checked)

    def _check(self, seg_id: str, index: int, value: str) -> str:
        bad = self._forbidden.intersection(value)
        if bad:
            who = f"claim {self.claim}: " if self.claim else ""
            raise DelimiterInDataError(
                f"{who}value {value!r} contains the delimiter character(s) "
                f"{''.join(sorted(bad))!r}; remove it before sending",
                X12Location(
                    segment_index=self.count + 1,
                    segment_id=seg_id,
                    loop=self.loop,
                    element=f"{seg_id}{index:02d}",
                ),
            )
        return value

    def text(self) -> str:
        """The file written so far."""
        return "".join(self.parts)


def isa_segment(params: InterchangeParams) -> str:
    """The fixed-width ISA for ``params`` (without its terminator)."""
    d = params.delimiters
    fields = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        params.sender_qualifier.ljust(2),
        params.sender_id.ljust(15)[:15],
        params.receiver_qualifier.ljust(2),
        params.receiver_id.ljust(15)[:15],
        params.created.strftime("%y%m%d"),
        params.created.strftime("%H%M"),
        d.repetition,
        "00501",
        f"{params.interchange_control_number:09d}",
        params.acknowledgment_requested,
        params.usage_indicator,
        d.component,
    ]
    for value in (params.sender_id, params.receiver_id):
        if len(value) > 15:
            raise UnsupportedX12Error(f"ISA sender/receiver ID {value!r} is longer than 15")
        if set(value) & set(d.all()):
            raise DelimiterInDataError(
                f"ISA ID {value!r} contains a delimiter",
                X12Location(segment_index=1, segment_id="ISA"),
            )
    return d.element.join(fields)


Item = TypeVar("Item")


def write_interchange(
    params: InterchangeParams,
    key: str | None,
    items: Iterable[Item] = (),
    body: Callable[[SegmentWriter, str, Item], None] | None = None,
    *,
    acks: Iterable[InterchangeAck] = (),
    outside: Mapping[str, str] | None = None,
) -> str:
    """One interchange: ISA, any TA1 ``acks``, then — for guide ``key`` (``"835"`` …) —
    one functional group with one ST…SE per item (GS01, ST01, GS08 and ST03 as the guide's
    spec says; ST02 from the first transaction control number on), GE and IEA.

    ``body(out, control, item)`` writes one transaction set's segments between ST and SE
    (``control``: its ST02); the writer names their loops from the spec (``outside``: names
    for segments outside any loop, see :class:`~edigateway.x12.spec.LoopTracker`).
    ``key=None`` writes a TA1-only interchange (``IEA*0``). Counts (SE01, GE01, IEA01) are
    computed, never passed in.
    """
    tracker = spec.LoopTracker(spec.guide(key), outside) if key is not None else None
    out = SegmentWriter(params.delimiters, line_breaks=params.line_breaks, tracker=tracker)
    out.raw(isa_segment(params))
    out.loop = "ISA"
    for ack in acks:
        out.loop = "TA1"
        out.segment("TA1", *ta1_elements(ack))
    groups = 0
    if key is not None and tracker is not None:
        ids = tracker.guide.identity()
        groups = 1
        out.tracker = None
        out.loop = "GS"
        out.segment(
            "GS",
            ids.functional_id,
            params.gs_sender_code,
            params.gs_receiver_code,
            params.created.strftime("%Y%m%d"),
            params.created.strftime("%H%M"),
            str(params.group_control_number),
            "X",
            ids.version,
        )
        count = 0
        for offset, item in enumerate(items):
            control = f"{params.first_transaction_control_number + offset:04d}"
            start = out.count
            out.tracker, out.loop = None, "ST"
            out.segment("ST", ids.transaction_set, control, ids.version if ids.st03 else None)
            tracker.reset()
            out.tracker = tracker
            if body is not None:
                body(out, control, item)
            out.tracker, out.loop, out.claim = None, "SE", None
            out.segment("SE", str(out.count - start + 1), control)
            count += 1
        out.loop = "GE"
        out.segment("GE", str(count), str(params.group_control_number))
    out.tracker, out.loop = None, "IEA"
    out.segment("IEA", str(groups), f"{params.interchange_control_number:09d}")
    return out.text()
