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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final, TextIO

from edigateway.errors import (
    DelimiterInDataError,
    UnsupportedX12Error,
    X12Location,
    X12StructureError,
    X12SyntaxError,
)
from edigateway.x12.formats import is_digits, parse_datetime

if TYPE_CHECKING:
    from collections.abc import Iterator

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
        return tuple(c for c in (self.element, self.component, self.repetition, self.segment)
                     if c)


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

    def location(self, file: str | None, loop: str | None, element: int | None = None
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
            "cannot determine the delimiters", loc,
        )
    component = isa[104]
    segment = isa[105]
    # ISA11 is the repetition separator from 4020 on; before, it is a standards ID ("U").
    repetition = fields[11] if fields[12] >= "00402" and not fields[11].isalnum() else ""
    if repetition in (element, component, segment):
        raise X12SyntaxError(
            f"the repetition separator ISA11 {repetition!r} is also the "
            + ("element separator" if repetition == element else
               "component separator (ISA16)" if repetition == component else
               "segment terminator")
            + "; separators must differ, so the file cannot be read unambiguously",
            X12Location(file=file, segment_index=1, segment_id="ISA", element="ISA11"))
    delims = Delimiters(element=element, component=component, repetition=repetition,
                        segment=segment)
    chars = delims.all()
    if len(set(chars)) != len(chars) or any(
            c.isalnum() or c == " " or not c.isascii() for c in chars):
        raise X12SyntaxError(
            f"ISA declares unusable delimiters {delims.all()!r} (they must differ and be "
            "ASCII characters other than letters, digits or spaces)", loc,
        )
    return delims


_ISA_WIDTHS: Final = (3, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


def open_x12_text(path: Path) -> TextIO:
    """Open an X12 file as text, skipping a UTF-8 BOM; bytes that are not UTF-8 are kept
    as latin-1 characters so that reading never stops on them (validation reports them)."""
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
        if delims is None or buffer.startswith("ISA", pos):
            while len(buffer) - pos < ISA_LENGTH and not eof:
                chunk = stream.read(_CHUNK)
                eof = not chunk
                buffer, pos = buffer[pos:] + chunk, 0
            delims = read_delimiters(buffer[pos:pos + ISA_LENGTH], file)
            position += 1
            raw_isa = buffer[pos:pos + ISA_LENGTH - 1]
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
        parts = raw.split(delims.element)
        seg_id = parts[0]
        if not (seg_id.isascii() and seg_id.isalnum()) or not 2 <= len(seg_id) <= 3:
            raise X12SyntaxError(
                f"{seg_id[:20]!r} is not a segment identifier",
                X12Location(file=file, segment_index=position),
            )
        if not raw.isprintable():  # one quick check: undecodable bytes are not printable
            _refuse_unreadable(raw, seg_id, position, delims, file)
        yield Segment(seg_id, parts[1:], position, delims)


_WHITESPACE: Final = " \t\r\n"
MAX_SEGMENT_LENGTH: Final = 1 << 20
"""The longest segment read (1 MiB, terminator excluded). The longest 5010 health care
segments are a few hundred characters (their longest elements are 80, binary segments are
not used), so a longer one is a missing terminator or a hostile file: it is refused at its
position instead of being buffered whole, which keeps a reader's memory bounded."""


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
        "refused here", X12Location(file=file, segment_index=position,
                                    segment_id=seg_id if known else None,
                                    element=f"{seg_id}{index:02d}" if known and index else None))


_UNREADABLE: Final = re.compile("[\udc80-\udcff]+|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Bytes that were not UTF-8 (as ``surrogateescape`` decoding keeps them), and control
characters other than tab, CR and LF."""


def _refuse_unreadable(raw: str, seg_id: str, position: int, delims: Delimiters,
                       file: str | None) -> None:
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
            what = (f"bytes that are not UTF-8 text "
                    f"({bytes(ord(c) - 0xDC00 for c in found.group()[:8])!r})")
        else:
            what = f"the control character {found.group()!r}"
        raise X12StructureError(
            f"{what}; X12 allows only the basic and extended character sets",
            X12Location(file=file, segment_index=position, segment_id=seg_id,
                        element=f"{seg_id}{index:02d}" if index else None))


def read_segments(path: Path) -> Iterator[Segment]:
    """Segments of the X12 file at ``path`` (see :func:`iter_segments`)."""
    with open_x12_text(path) as stream:
        yield from iter_segments(stream, str(path))


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
}
"""(GS01, ST01, GS08) of the transactions edigateway reads, with their short names."""


def sniff_header(path: Path) -> FileHeader:
    """Read just enough of a file to know its version and transaction.

    Raises :class:`X12SyntaxError` when it is not X12, :class:`UnsupportedX12Error`
    for versions other than 5010 (ISA12 00501), said plainly, and
    :class:`X12StructureError` when the functional group (GS01) is not the one its
    transaction set (ST01) belongs in.
    """
    return _sniff(read_segments(path), str(path))


def sniff_header_text(text: str, file: str | None = None) -> FileHeader:
    """:func:`sniff_header` for X12 held in memory."""
    return _sniff(iter_segments(io.StringIO(text), file), file)


def sniff_header_bytes(data: bytes, file: str | None = None) -> FileHeader:
    """:func:`sniff_header` for a file's bytes held in memory."""
    with x12_text_of(data) as stream:
        return _sniff(iter_segments(stream, file), file)


FUNCTIONAL_GROUPS: Final = {
    "270": "HS", "271": "HB", "275": "PI", "276": "HR", "277": "HN", "278": "HI",
    "820": "RA", "824": "AG", "834": "BE", "835": "HP", "837": "HC", "997": "FA", "999": "FA",
}
"""ST01 → the GS01 its functional group must have (X12's functional identifier codes)."""
_GROUP_NAMES: Final = {
    "HS": "eligibility inquiries (270)", "HB": "eligibility responses (271)",
    "PI": "patient information (275)", "HR": "claim status inquiries (276)",
    "HN": "claim status responses (277)", "HI": "services reviews (278)",
    "RA": "payment orders (820)", "AG": "application advice (824)",
    "BE": "benefit enrollments (834)", "HP": "claim payments (835)", "HC": "claims (837)",
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
            gs.location(file, "GS", 1))
    return FileHeader(isa_version, gs_version, functional_id, transaction,
                      gs.position if gs is not None else None,
                      st.position if st is not None else None)


@dataclass(frozen=True, slots=True)
class InterchangeParams:
    """Everything the ISA/GS/ST/BHT envelope needs besides the claims.

    Control numbers come from the caller (later: allocated from the database, unique per
    sender); ``created`` fixes the ISA/GS/BHT date and time so a file can be rebuilt byte
    for byte.
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


def params_from_envelope(isa: Segment, gs: Segment, first_st: str, file: str | None,
                         text: str | None = None) -> InterchangeParams:
    """The :class:`InterchangeParams` a file was written with, read back from its ISA/GS
    (so a reader can rebuild the file byte for byte)."""

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
                seg.location(file, seg.id, index))
        numbers.append(int(number))
    delimiters = isa.delimiters
    line_breaks = text is not None and (delimiters.segment + "\n") in text[:200]
    return InterchangeParams(
        sender_qualifier=isa.element(5).strip(), sender_id=isa.element(6).strip(),
        receiver_qualifier=isa.element(7).strip(), receiver_id=isa.element(8).strip(),
        gs_sender_code=gs.element(2), gs_receiver_code=gs.element(3),
        interchange_control_number=numbers[0], group_control_number=numbers[1],
        first_transaction_control_number=int(first_st) if is_digits(first_st, 9) else 1,
        created=created, usage_indicator=isa.element(15),
        acknowledgment_requested=isa.element(14), delimiters=delimiters,
        line_breaks=line_breaks,
    )


class SegmentWriter:
    """Collects segments, refusing delimiter characters inside values.

    ``context`` (claim ID and loop) is attached to any error so that the message says
    which claim and which element held the bad value.
    """

    def __init__(self, delimiters: Delimiters, *, line_breaks: bool = True) -> None:
        self.delimiters = delimiters
        self._terminator = delimiters.segment + ("\n" if line_breaks else "")
        self._forbidden = frozenset(delimiters.all())
        self.parts: list[str] = []
        self.count = 0
        self.loop: str | None = None
        self.claim: str | None = None

    def segment(self, seg_id: str, *elements: str | list[str] | tuple[str, ...] | None
                ) -> None:
        """Append a segment; ``list`` values are composites, ``tuple`` values repeat
        (joined by the repetition separator, e.g. ``EB03`` ``23^41``); trailing empties are
        dropped."""
        values: list[str] = []
        for index, value in enumerate(elements, start=1):
            if isinstance(value, list):
                values.append(self._composite(seg_id, index, value))
            elif isinstance(value, tuple):
                values.append(self.delimiters.repetition.join(
                    self._check(seg_id, index, v) for v in value))
            else:
                values.append(self._check(seg_id, index, value or ""))
        while values and values[-1] == "":
            values.pop()
        self.parts.append(self.delimiters.element.join([seg_id, *values]) + self._terminator)
        self.count += 1

    def raw(self, text: str) -> None:
        """Append an already-formatted segment (the fixed-width ISA)."""
        self.parts.append(text + self._terminator)
        self.count += 1

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
                X12Location(segment_index=self.count + 1, segment_id=seg_id, loop=self.loop,
                            element=f"{seg_id}{index:02d}"),
            )
        return value

    def text(self) -> str:
        """The file written so far."""
        return "".join(self.parts)


def isa_segment(params: InterchangeParams) -> str:
    """The fixed-width ISA for ``params`` (without its terminator)."""
    d = params.delimiters
    fields = [
        "ISA", "00", " " * 10, "00", " " * 10,
        params.sender_qualifier.ljust(2), params.sender_id.ljust(15)[:15],
        params.receiver_qualifier.ljust(2), params.receiver_id.ljust(15)[:15],
        params.created.strftime("%y%m%d"), params.created.strftime("%H%M"),
        d.repetition, "00501", f"{params.interchange_control_number:09d}",
        params.acknowledgment_requested, params.usage_indicator, d.component,
    ]
    for value in (params.sender_id, params.receiver_id):
        if len(value) > 15:
            raise UnsupportedX12Error(f"ISA sender/receiver ID {value!r} is longer than 15")
        if set(value) & set(d.all()):
            raise DelimiterInDataError(f"ISA ID {value!r} contains a delimiter",
                                       X12Location(segment_index=1, segment_id="ISA"))
    return d.element.join(fields)
