"""The one base every X12 reader builds on: envelope, loops from the spec, typed values.

A codec's reader subclasses :class:`SegmentReader` and says three things about itself: the
guide it reads (its spec key: the loops come from :mod:`edigateway.x12.spec`), what its
envelope must carry (an :class:`~edigateway.x12.envelope.Expect`) and one method per
segment it reads, named ``_seg_<ID>`` (``_seg_CLM``). :meth:`SegmentReader.feed` checks the
envelope (:class:`~edigateway.x12.envelope.EnvelopeReader`), moves the loop the segment
stands in, and calls the segment's method — or :meth:`SegmentReader.other` for a segment
the reader does not model (skipped and listed by default; a strict reader refuses it).

What a reader maps to its domain models stays hand-written in the codec; how it gets there
is shared: amounts, dates, quantities, whole numbers, percents, code lists and building a
model are the typed helpers here, and each failure is an
:class:`~edigateway.errors.X12StructureError` naming the file, segment position, loop and
element::

    class _Reader(SegmentReader[ClaimPayment]):
        key, expect = "835", Expect.of("835", sniffed=True, iea02_error=True)

        def _seg_CLP(self, seg: Segment) -> None:
            self.claim = {"charge": self.money(seg, 3), ...}
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ValidationError

from edigateway.errors import X12Location, X12StructureError
from edigateway.x12 import spec
from edigateway.x12.envelope import EnvelopeReader, Expect, read_segments, source_name
from edigateway.x12.formats import (
    QUANTITY_DIGITS,
    is_digits,
    parse_amount,
    parse_date,
    parse_decimal,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Mapping
    from datetime import date
    from decimal import Decimal

    from edigateway.x12.envelope import Segment, Source

_amount_of = lru_cache(maxsize=4096)(parse_amount)
""":func:`~edigateway.x12.formats.parse_amount`, remembering the last 4,096 amounts read
(a ``Decimal`` is immutable, so one may be shared): a remittance repeats the practice's
fees, copays and write-offs — a 20,000-claim 835 holds 340,844 amounts, 10,890 of them
different — and the check and conversion cost ten times the look-up."""
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
PERCENT_DIGITS = 10
"""A percent (data element 954, ``R`` 1/10), written as a fraction of one."""


class SegmentReader(Generic[T]):
    """Reads one guide's transactions (see module docstring); ``T``: what it emits.

    Subclasses set :attr:`key` (the spec's guide key, ``None`` for a reader of envelopes
    only), :attr:`expect` and, for segments outside any numbered loop whose location keeps
    a name of its own, :attr:`outside` (and :attr:`carriers`: the segment each model field
    comes in, for "missing" messages); they may override :meth:`envelope_segment` (ISA,
    GS, ST, SE … once checked) and :meth:`other`. What a reader finishes (a claim, an
    acknowledgment) it hands to :meth:`emit`; :meth:`read` and :meth:`stream` give it back.
    """

    key: ClassVar[str | None] = None
    expect: ClassVar[Expect | None] = None
    outside: ClassVar[Mapping[str, str]] = {}
    carriers: ClassVar[Mapping[str, str]] = {}
    _handlers: ClassVar[dict[str, Callable[[Any, Segment], None]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {
            name.removeprefix("_seg_"): getattr(cls, name)
            for name in dir(cls)
            if name.startswith("_seg_")
        }

    def __init__(self, file: str | None) -> None:
        self.file = file
        tracker = (
            spec.LoopTracker(spec.guide(self.key), self.outside) if self.key is not None else None
        )
        self.envelope = EnvelopeReader(file, self.expect, tracker)
        self.skipped: list[X12Location] = []
        self.list_skipped = True
        self._emitted: list[T] = []

    # -- where we are
    @property
    def loop(self) -> str:
        """The loop the last segment stands in (envelope segments name themselves)."""
        return self.envelope.loop

    @loop.setter
    def loop(self, value: str) -> None:
        self.envelope.loop = value

    @property
    def started(self) -> bool:
        """Whether the last segment started a loop (the spec's loop-start table said so)."""
        tracker = self.envelope.tracker
        return tracker is not None and tracker.started

    # -- driving
    @classmethod
    def reading(cls, source: Source, name: str | None = None, *, list_skipped: bool = True) -> Self:
        """A reader for ``source``, naming it ``name`` (default: the path) in errors.
        ``list_skipped=False`` for a stream whose caller never sees :attr:`skipped` (the
        list would grow with the file)."""
        reader = cls(source_name(source, name))
        reader.list_skipped = list_skipped
        return reader

    def stream(self, source: Source) -> Iterator[T]:
        """Read ``source`` (bytes, a path or segments), yielding what the reader emits as
        soon as it is complete; the file is checked to its end."""
        for seg in read_segments(source, self.file):
            self.feed(seg)
            if self._emitted:
                yield from self._emitted
                self._emitted.clear()
        self.finish()
        yield from self._emitted
        self._emitted.clear()

    def read(self, source: Source) -> list[T]:
        """Everything :meth:`stream` yields, as a list."""
        return list(self.stream(source))

    def feed(self, seg: Segment) -> None:
        """Read one segment: envelope first, then the segment's own method."""
        if seg.id == "SE":
            self.closing(seg)
        kind = self.envelope.feed(seg)
        if kind:
            self.envelope_segment(kind, seg)
            return
        self.check(seg)
        handler = self._handlers.get(seg.id)
        if handler is None:
            self.other(seg)
        else:
            handler(self, seg)

    def closing(self, seg: Segment) -> None:
        """An SE is about to be checked: what it ends may be finished first, so that a
        value the model refuses is reported before a miscounted SE."""

    def envelope_segment(self, kind: str, seg: Segment) -> None:
        """An envelope segment (``ISA``, ``GS``, ``ST``, ``SE`` …), already checked."""

    def check(self, seg: Segment) -> None:
        """What every segment of the body must satisfy before its own method runs (a
        header seen first, say); nothing by default."""

    def other(self, seg: Segment) -> None:
        """A segment without a method: not modelled, so skipped and listed."""
        self.skip(seg)

    def finish(self) -> None:
        """The file has ended: refuse it if it ends inside an interchange."""
        self.envelope.finish()

    def emit(self, item: T) -> None:
        """Hand on something complete (a claim, a payment event, an acknowledgment)."""
        self._emitted.append(item)

    # -- typed helpers
    def fail(
        self, seg: Segment, element: int | None, message: str, loop: str | None = None
    ) -> X12StructureError:
        """An error at ``seg`` (and ``element``) in ``loop`` (default: the current one)."""
        return X12StructureError(message, seg.location(self.file, loop or self.loop, element))

    def skip(self, seg: Segment, element: int | None = None) -> None:
        """List ``seg`` (or one of its elements) as read but not modelled."""
        if self.list_skipped:
            self.skipped.append(seg.location(self.file, self.loop, element))

    def amount(self, seg: Segment, index: int, *, required: bool = False) -> Decimal | None:
        """Money in element ``index`` (two places); ``None`` when empty and not required."""
        text = seg.element(index)
        if not text:
            if required:
                raise self.fail(seg, index, f"{seg.id}{index:02d} (an amount) is missing")
            return None
        try:
            return _amount_of(text)
        except ValueError as exc:
            raise self.fail(seg, index, str(exc)) from exc

    def money(self, seg: Segment, index: int) -> Decimal:
        """A required amount."""
        value = self.amount(seg, index, required=True)
        assert value is not None  # noqa: S101 - required=True never returns None
        return value

    def date(self, seg: Segment, index: int, text: str | None = None) -> date:
        """A CCYYMMDD date in element ``index`` (or ``text`` taken from it, e.g. one end
        of an RD8 range)."""
        try:
            return parse_date(seg.element(index) if text is None else text)
        except ValueError as exc:
            raise self.fail(seg, index, str(exc)) from exc

    def quantity(
        self, seg: Segment, index: int, *, digits: int = QUANTITY_DIGITS
    ) -> Decimal | None:
        """An X12 ``R`` quantity (at most ``digits`` digits); ``None`` when empty."""
        text = seg.element(index)
        if not text:
            return None
        try:
            return parse_decimal(text, digits)
        except ValueError as exc:
            raise self.fail(seg, index, str(exc)) from exc

    def percent(self, seg: Segment, index: int) -> Decimal | None:
        """A percent written as a fraction of one (``.2`` = 20 %); ``None`` when empty."""
        value = self.quantity(seg, index, digits=PERCENT_DIGITS)
        if value is not None and not 0 <= value <= 1:
            raise self.fail(seg, index, f"percent {value} is not between 0 and 1")
        return value

    def number(
        self,
        seg: Segment,
        index: int,
        *,
        text: str | None = None,
        required: bool = False,
        minimum: int = 0,
        digits: int = QUANTITY_DIGITS,
        what: str = "a whole number",
    ) -> int | None:
        """A whole number (X12 ``N0``) of element ``index`` (or ``text`` taken from one of
        its components); ``None`` when empty and not required."""
        value = seg.element(index) if text is None else text
        if not value:
            if required:
                raise self.fail(seg, index, f"{seg.id}{index:02d} ({what}) is missing")
            return None
        if not is_digits(value, digits) or int(value) < minimum:
            raise self.fail(
                seg,
                index,
                f"{seg.id}{index:02d} {value[:20]!r} is not {what}"
                + (f" (a whole number from {minimum})" if minimum else ""),
            )
        return int(value)

    def code(self, seg: Segment, index: int, codes: Collection[str], what: str) -> str:
        """Element ``index`` when it is one of ``codes`` (a code list), else a located error
        saying what the element is (``what``: "an X12 service type code (element 1365)")."""
        value = seg.element(index)
        if value not in codes:
            raise self.fail(seg, index, f"{seg.id}{index:02d} {value[:20]!r} is not {what}")
        return value

    def model(
        self,
        seg: Segment,
        build: type[M],
        values: Mapping[str, Any],
        *,
        elements: Mapping[str, int | tuple[Segment, int, str]] | None = None,
        carriers: Mapping[str, str] | None = None,
        loop: str | None = None,
        prefix: str = "",
        every: bool = False,
    ) -> M:
        """``build`` validated from ``values``; what the model refuses becomes a located
        error. The first problem is blamed on its own element where ``elements`` says
        which (field → element of ``seg``, or another segment, its element and loop), else
        on ``seg`` in ``loop``; ``carriers`` name the segment a missing field comes in
        (``total_charge (AMT*T3): Field required``); ``every`` lists all problems."""
        try:
            return build.model_validate(values)
        except ValidationError as exc:
            problems = exc.errors()
            if every:
                message = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in problems
                )
                raise self.fail(seg, None, prefix + message, loop) from exc
            problem = problems[0]
            field = str(problem["loc"][0]) if problem["loc"] else ""
            where = ".".join(str(p) for p in problem["loc"])
            carrier = (self.carriers if carriers is None else carriers).get(field)
            if carrier and problem["type"] == "missing":
                where += f" ({carrier})"
            message = str(problem["msg"]).removeprefix("Value error, ")
            message = prefix + (f"{where}: {message}" if where else message)
            found = (elements or {}).get(field)
            if isinstance(found, tuple):
                at, index, at_loop = found
                raise X12StructureError(message, at.location(self.file, at_loop, index)) from exc
            raise self.fail(seg, found, message, loop) from exc


def person_name(seg: Segment) -> dict[str, str]:
    """NM103–NM105 and NM107 as the fields of a :class:`~edigateway.domain.common.PersonName`
    (empty parts other than the last name left out)."""
    name = {"first_name": seg.element(4), "middle_name": seg.element(5), "suffix": seg.element(7)}
    return {"last_name": seg.element(3), **{k: v for k, v in name.items() if v}}
