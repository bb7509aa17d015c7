"""TA1 interchange acknowledgments, and the envelope checks all acknowledgment readers share.

A TA1 answers one interchange as a whole: it sits between ISA and IEA, outside any
functional group, and says whether the envelope could be read (``TA104`` A/E/R) and, if not,
why (``TA105``)::

    ISA*00*…*00501*000000101*0*P*:~
    TA1*000000042*261122*1000*R*024~     -> InterchangeAck(interchange_control_number=
    IEA*0*000000101~                         "000000042", ack_code="R", note_code="024", …)

Clearinghouses send it alone or in front of a 999 in the same interchange, so
:class:`EnvelopeReader` — used by the 999 and 277CA readers too — collects TA1 segments
wherever they legally stand and checks the envelope: SE01 against the segments counted,
SE02/ST02, GE01/GE02 and IEA01. A mismatched IEA02 is only a warning: the TA1 rules
themselves say the ISA13 value is the one that counts (TA105 ``001``), and refusing a
whole acknowledgment for it would hide a rejection from the coordinator.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING, Final

from pydantic import ValidationError

from edigateway.domain.acknowledgments import InterchangeAck
from edigateway.errors import UnsupportedX12Error, X12Location, X12StructureError
from edigateway.x12.envelope import (
    InterchangeParams,
    Segment,
    SegmentWriter,
    isa_segment,
    iter_segments,
    read_segments,
)
from edigateway.x12.formats import is_digits

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

_TA1_ELEMENTS: Final = 5


@dataclass(frozen=True, slots=True)
class ReadWarning:
    """Something wrong in a file that did not stop it being read, with where it is."""

    location: X12Location
    message: str

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message


@dataclass(slots=True)
class ParsedTA1:
    """Every TA1 of a file, in order."""

    acks: list[InterchangeAck]
    warnings: list[ReadWarning] = field(default_factory=list)


# --------------------------------------------------------------------------- envelope


class EnvelopeReader:
    """Checks ISA/GS/ST…SE/GE/IEA around an acknowledgment and collects its TA1 segments.

    :meth:`feed` returns the envelope segment's ID (``ISA``, ``TA1``, ``GS``, ``ST``, ``SE``,
    ``GE``, ``IEA``) once it is checked, or ``""`` for a segment of the transaction body,
    which the caller reads. ``group`` (GS01, GS08 versions, ST01) restricts the groups the
    file may hold; ``None`` accepts any group (a TA1 reader skips their content).
    """

    def __init__(self, file: str | None,
                 group: tuple[str, frozenset[str], str] | None = None) -> None:
        self.file = file
        self.group = group
        self.loop = "ISA"
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: Segment | None = None
        self.last: Segment | None = None
        self.groups = 0
        self.transactions = 0
        self.st_count = 0
        self.interchange_acks: list[InterchangeAck] = []
        self.warnings: list[ReadWarning] = []

    def fail(self, seg: Segment, element: int | None, message: str) -> X12StructureError:
        """An error located at ``seg`` (and its ``element``), in the current loop."""
        return X12StructureError(message, seg.location(self.file, self.loop, element))

    def feed(self, seg: Segment) -> str:
        """Check one segment; see the class docstring for the return value."""
        self.last = seg
        if self.st is not None:
            self.st_count += 1
        sid = seg.id
        if sid == "ISA":
            self._isa(seg)
        elif sid == "TA1":
            self._ta1(seg)
        elif sid == "GS":
            self._gs(seg)
        elif sid == "ST":
            self._st(seg)
        elif sid == "SE":
            self._se(seg)
        elif sid == "GE":
            self._ge(seg)
        elif sid == "IEA":
            self._iea(seg)
        elif self.st is None and not (self.group is None and self.gs is not None):
            raise self.fail(seg, None, f"{sid} outside a transaction set (ST…SE)")
        else:
            return ""
        return sid

    def finish(self) -> None:
        """Refuse a file that ends inside an interchange (truncated)."""
        if self.isa is None:
            if self.last is None:
                raise X12StructureError("the file holds no interchange (no ISA)",
                                        X12Location(file=self.file))
            return
        missing = "SE" if self.st is not None else "GE" if self.gs is not None else "IEA"
        where = self.last.location(self.file, self.loop) if self.last else None
        raise X12StructureError(f"the file ends without its {missing} segment (truncated?)",
                                where)

    def _isa(self, seg: Segment) -> None:
        if self.isa is not None:
            raise self.fail(seg, None, "ISA before the previous interchange's IEA")
        if seg.element(12) != "00501":
            raise UnsupportedX12Error(
                f"interchange version {seg.element(12)!r} is not supported: edigateway reads "
                "X12 5010 acknowledgments (ISA12 00501)", seg.location(self.file, "ISA", 12))
        self.isa, self.groups, self.loop = seg, 0, "ISA"

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
        if self.group is not None:
            functional_id, versions, _ = self.group
            if seg.element(1) != functional_id:
                raise self.fail(seg, 1, f"functional group {seg.element(1)!r} is not "
                                f"{functional_id}")
            if seg.element(8) not in versions:
                raise UnsupportedX12Error(
                    f"version {seg.element(8)!r} is not supported here; expected "
                    f"{' or '.join(sorted(versions))}", seg.location(self.file, "GS", 8))
        self.gs = seg
        self.groups += 1
        self.transactions = 0

    def _st(self, seg: Segment) -> None:
        if self.gs is None:
            raise self.fail(seg, None, "ST outside a functional group (no GS)")
        if self.st is not None:
            raise self.fail(seg, None, "ST before the previous transaction's SE")
        if self.group is not None and seg.element(1) != self.group[2]:
            raise self.fail(seg, 1, f"transaction {seg.element(1)!r} is not a {self.group[2]}")
        self.st, self.st_count, self.loop = seg, 1, "ST"
        self.transactions += 1

    def _se(self, seg: Segment) -> None:
        if self.st is None:
            if self.group is None and self.gs is not None:
                return  # a group the TA1 reader skips
            raise self.fail(seg, None, "SE without its ST")
        self.loop = "SE"
        if seg.element(1) != str(self.st_count):
            raise self.fail(seg, 1, f"SE01 says {seg.element(1)[:20] or 'nothing'} segments "
                            f"but the transaction has {self.st_count} (ST…SE); the file may be "
                            "truncated or edited")
        if seg.element(2) != self.st.element(2):
            raise self.fail(seg, 2, f"SE02 {seg.element(2)!r} does not match ST02 "
                            f"{self.st.element(2)!r}")
        self.st = None

    def _ge(self, seg: Segment) -> None:
        if self.gs is None or self.st is not None:
            raise self.fail(seg, None, "GE without its GS, or inside a transaction")
        self.loop = "GE"
        if seg.element(1) != str(self.transactions):
            raise self.fail(seg, 1, f"GE01 says {seg.element(1)!r} transactions; the group "
                            f"has {self.transactions}")
        if seg.element(2) != self.gs.element(6):
            raise self.fail(seg, 2, f"GE02 {seg.element(2)!r} does not match GS06 "
                            f"{self.gs.element(6)!r}")
        self.gs = None

    def _iea(self, seg: Segment) -> None:
        if self.isa is None or self.gs is not None:
            raise self.fail(seg, None, "IEA without its ISA, or inside a group")
        self.loop = "IEA"
        if seg.element(1) != str(self.groups):
            raise self.fail(seg, 1, f"IEA01 says {seg.element(1)!r} groups; the interchange "
                            f"has {self.groups}")
        if seg.element(2) != self.isa.element(13):
            self.warnings.append(ReadWarning(
                seg.location(self.file, self.loop, 2),
                f"IEA02 {seg.element(2)!r} does not match ISA13 {self.isa.element(13)!r}; "
                "the ISA13 value is taken (as TA105 001 prescribes)"))
        self.isa = None


# --------------------------------------------------------------------------- reading


def read_ta1(path: Path) -> ParsedTA1:
    """Every TA1 in the file at ``path``."""
    return read_ta1_segments(read_segments(path), str(path))


def read_ta1_text(text: str, file: str | None = None) -> ParsedTA1:
    """:func:`read_ta1` for text in memory."""
    return read_ta1_segments(iter_segments(io.StringIO(text), file), file)


def read_ta1_segments(segments: Iterable[Segment], file: str | None = None) -> ParsedTA1:
    """Every TA1 among ``segments``; functional groups (a 999 after the TA1) are checked
    for their envelope only and otherwise skipped."""
    envelope = EnvelopeReader(file)
    for seg in segments:
        envelope.feed(seg)
    envelope.finish()
    return ParsedTA1(envelope.interchange_acks, envelope.warnings)


def read_ta1_segment(seg: Segment, file: str | None = None) -> InterchangeAck:
    """One TA1 segment as an :class:`InterchangeAck`; errors name the element."""

    def fail(element: int | None, message: str) -> X12StructureError:
        return X12StructureError(message, seg.location(file, "TA1", element))

    if len(seg.elements) > _TA1_ELEMENTS and any(seg.elements[_TA1_ELEMENTS:]):
        raise fail(_TA1_ELEMENTS + 1, f"TA1 has {len(seg.elements)} elements; it has five "
                   "(TA101–TA105)")
    number = seg.element(1)
    if not is_digits(number, 9):
        raise fail(1, f"TA101 {number!r} is not an interchange control number (digits)")
    day, clock = seg.element(2), seg.element(3)
    if len(day) != 6 or not is_digits(day):
        raise fail(2, f"TA102 {day!r} is not a YYMMDD date")
    try:  # ISA09 has two-digit years; every 5010 interchange is from this century
        stamp = date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
    except ValueError as exc:
        raise fail(2, f"TA102 {day!r} is not a calendar date ({exc})") from exc
    if len(clock) != 4 or not is_digits(clock):
        raise fail(3, f"TA103 {clock!r} is not an HHMM time")
    try:
        moment = time(int(clock[:2]), int(clock[2:]))
    except ValueError as exc:
        raise fail(3, f"TA103 {clock!r} is not a time of day ({exc})") from exc
    if seg.element(4) not in ("A", "E", "R"):
        raise fail(4, f"TA104 {seg.element(4)!r} is not A (accepted), E (accepted with "
                   "errors) or R (rejected)")
    note = seg.element(5)
    if len(note) != 3 or not is_digits(note):
        raise fail(5, f"TA105 {note!r} is not a three-digit interchange note code")
    try:
        return InterchangeAck(interchange_control_number=number, interchange_date=stamp,
                              interchange_time=moment, ack_code=seg.element(4),
                              note_code=note)
    except ValidationError as exc:
        raise fail(None, exc.errors()[0]["msg"]) from exc


# --------------------------------------------------------------------------- writing


def ta1_elements(ack: InterchangeAck) -> tuple[str, str, str, str, str]:
    """TA101–TA105 of ``ack`` (for a TA1 written into any interchange)."""
    return (ack.interchange_control_number,
            ack.interchange_date.strftime("%y%m%d"), ack.interchange_time.strftime("%H%M"),
            ack.ack_code, ack.note_code)


def write_ta1(ack: InterchangeAck | list[InterchangeAck], params: InterchangeParams) -> str:
    """A TA1-only interchange (ISA, TA1…, IEA*0): the answer to an interchange whose groups
    we do not acknowledge with a 999 (typically because it was rejected).
    """
    acks = ack if isinstance(ack, list) else [ack]
    out = SegmentWriter(params.delimiters, line_breaks=params.line_breaks)
    out.raw(isa_segment(params))
    for item in acks:
        out.segment("TA1", *ta1_elements(item))
    out.segment("IEA", "0", f"{params.interchange_control_number:09d}")
    return out.text()
