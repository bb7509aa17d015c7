"""The grammar model: loops, segments, composites and elements as one guide uses them.

A guide module (``x224a2_837d`` …) writes its transaction once as a tree of these frozen
dataclasses; everything else is derived from the tree: the pyx12 maps
(``tools/mapgen/gen.py``), the grammar audit (``tools/grammar_audit``) and, through
:meth:`Guide.start_of`, the question a reader asks at every segment — *does this segment
start a loop here, and which?*

Facts carried per node:

* usage ``R``/``S``/``N`` and, where the guide states one, the situational rule in our own
  words (``rule``);
* repeats (loops), maximum use (segments), repetitions (elements, e.g. EQ01);
* per element: the X12 data element number, its data type and minimum/maximum length —
  taken from the X12 data element dictionary by number (:mod:`.elements`) unless the guide
  narrows them (``data_type``/``min_len``/``max_len`` given here) — and its code list, or
  the name of an external code list;
* per segment: the X12 syntax rules (``P0809`` paired, ``C1110`` conditional, …).

The tree holds the whole interchange as pyx12 wants it (ISA/GS/ST wrappers included);
loops of ``kind`` ``"wrapper"``/``"explicit"`` are structure, not numbered guide loops, and
:meth:`Guide.loop_starts` skips them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from edigateway.errors import ConfigurationError
from edigateway.x12.spec.elements import ELEMENTS, DataElement, DataType

Usage = Literal["R", "S", "N"]
Repeat = int | Literal[">1"]
UNBOUNDED: Final = ">1"


@dataclass(frozen=True)
class Element:
    """A simple element (or a component of a composite) as the guide uses it there."""

    number: str
    usage: Usage = "R"
    codes: Sequence[str] | None = None
    external: str | None = None
    name: str | None = None
    rule: str | None = None
    repeat: int = 1
    data_type: DataType | None = None
    min_len: int | None = None
    max_len: int | None = None

    def __post_init__(self) -> None:
        if self.codes is not None:
            object.__setattr__(self, "codes", tuple(self.codes))

    @property
    def dictionary(self) -> DataElement:
        """The X12 dictionary entry for this element's number."""
        try:
            return ELEMENTS[self.number]
        except KeyError:
            raise ConfigurationError(
                f"data element {self.number} is not in the X12 dictionary (spec/elements.py)"
            ) from None

    @property
    def type(self) -> DataType:
        """Data type: the guide's, else the dictionary's."""
        return self.data_type or self.dictionary.data_type

    @property
    def lengths(self) -> tuple[int, int]:
        """(minimum, maximum) length: the guide's narrowing, else the dictionary's."""
        entry = self.dictionary
        return (
            self.min_len if self.min_len is not None else entry.min_len,
            self.max_len if self.max_len is not None else entry.max_len,
        )

    @property
    def title(self) -> str:
        """The guide's name for the element, else the dictionary's."""
        return self.name or self.dictionary.name


@dataclass(frozen=True)
class Composite:
    """A composite element and its components."""

    number: str
    usage: Usage
    parts: Sequence[Element]
    name: str | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.parts))


@dataclass(frozen=True)
class Segment:
    """A segment at one place in the guide (the same ID may appear several times in a loop,
    told apart by its qualifier)."""

    id: str
    name: str
    usage: Usage
    max_use: Repeat
    elements: Sequence[Element | Composite]
    syntax: Sequence[str] = field(default_factory=tuple)
    rule: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", tuple(self.elements))
        object.__setattr__(self, "syntax", tuple(self.syntax))

    def qualifier(self) -> Qualifier | None:
        """Where this segment's qualifier sits and its codes, found the way pyx12 finds it:
        a required ID element 01 with codes, else an ID component 01-1 with codes, else
        HL03. ``None`` when the segment ID alone identifies it."""
        first = self.elements[0] if self.elements else None
        if isinstance(first, Element) and first.usage == "R" and first.codes and first.type == "ID":
            return Qualifier(f"{self.id}01", 1, None, frozenset(first.codes))
        if isinstance(first, Composite) and first.parts:
            part = first.parts[0]
            if part.codes and part.type == "ID":
                return Qualifier(f"{self.id}01-01", 1, 1, frozenset(part.codes))
        if self.id == "HL" and len(self.elements) >= 3:
            level = self.elements[2]
            if isinstance(level, Element) and level.codes:
                return Qualifier("HL03", 3, None, frozenset(level.codes))
        return None


@dataclass(frozen=True)
class Qualifier:
    """A segment's qualifier: reference (``NM101``), element and component position, codes."""

    ref: str
    element: int
    component: int | None
    codes: frozenset[str]

    def matches(self, elements: Sequence[str], component_separator: str) -> bool:
        """Whether raw element values (index 0 = element 01) carry one of the codes."""
        if len(elements) < self.element:
            return False
        value = elements[self.element - 1]
        if self.component is not None:
            parts = value.split(component_separator)
            value = parts[self.component - 1] if len(parts) >= self.component else ""
        return value in self.codes


@dataclass(frozen=True)
class Loop:
    """A loop: its first segment starts it. ``kind`` marks pyx12's structural loops."""

    id: str
    name: str
    usage: Usage
    repeat: Repeat
    children: Sequence[Segment | Loop]
    kind: Literal["wrapper", "explicit"] | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(self.children))

    @property
    def numbered(self) -> bool:
        """A guide loop (1000A, 2300 …) rather than pyx12's ISA/GS/ST/table structure."""
        return self.kind is None

    def first_segment(self) -> Segment | None:
        """The segment that starts the loop."""
        first = self.children[0] if self.children else None
        return first if isinstance(first, Segment) else None

    def loops(self) -> tuple[Loop, ...]:
        """The numbered loops directly inside this one, looking through wrappers."""
        found: list[Loop] = []
        for child in self.children:
            if isinstance(child, Loop):
                found.extend([child] if child.numbered else child.loops())
        return tuple(found)

    def sequence(self) -> tuple[Segment | Loop, ...]:
        """This loop's segments and numbered loops in the guide's order, looking through
        wrappers."""
        found: list[Segment | Loop] = []
        for child in self.children:
            if isinstance(child, Loop) and not child.numbered:
                found.extend(child.sequence())
            else:
                found.append(child)
        return tuple(found)

    def tables(self) -> dict[str, str]:
        """The segment IDs directly in this loop (not in a nested numbered loop), each with
        the loop that holds it: this loop's ID, or the wrapper's (``HEADER``, ``FOOTER`` …)
        for segments of the transaction outside any numbered loop."""
        found: dict[str, str] = {}
        for child in self.children:
            if isinstance(child, Segment):
                found.setdefault(child.id, self.id)
            elif not child.numbered:
                for seg_id, holder in child.tables().items():
                    found.setdefault(seg_id, holder)
        return found


@dataclass(frozen=True)
class MapInfo:
    """Where a guide's pyx12 map goes and how pyx12's index names it."""

    file: str
    vriic: str
    fic: str
    abbr: str
    xid: str
    name: str
    title: str


@dataclass(frozen=True)
class LoopStart:
    """One row of a guide's loop-start table: ``segment`` (with ``qualifier`` codes, if
    any) starts ``loop`` when met inside ``parent`` (a loop path, outermost first)."""

    loop: str
    parent: tuple[str, ...]
    segment: str
    qualifier: Qualifier | None


@dataclass(frozen=True)
class Identity:
    """What a guide's envelope says: GS01, ST01, GS08 (= ST03) and whether ST03 is sent."""

    functional_id: str
    transaction_set: str
    version: str
    st03: bool


@dataclass(frozen=True)
class Moves:
    """What a segment does to a reader's loop path, by X12 scoping (:meth:`Guide.moves`).

    Within an enclosing loop, X12's order holds: only what stands at or after the loop the
    reader is in (a repeat of it, a later loop, an 835's PLB after its claims) can follow.
    ``strict``: the loops it may start, innermost level first, each with its qualifier; the
    first whose qualifier the segment carries wins. Failing that, a reader forgives a
    qualifier outside the guide's codes where only one loop could be meant (``lenient``:
    the innermost level with exactly one loop this segment starts; never for an HL, whose
    code is its level), so a bad code is reported in its own loop rather than the one
    before. Else the segment belongs to an open loop (``home``: the innermost level
    holding it other than as its first segment, which would start another one; ``()`` for
    the transaction's own segments, then in wrapper ``table``:
    ``HEADER``, ``FOOTER`` …). Else it may belong to a loop out of scope (``anywhere``:
    a loop not open that it starts with its qualifier, or the one loop of the guide that
    holds it, taken when one is the shallowest to fit): an HL's level code names its level
    wherever it stands, an ``NM1*85`` its 2010AA and an ``SBR`` its 2000B although their
    HL is missing (a PER or REF, held by many loops, stays where it is). Last, it may
    start the one loop of the guide it can start, inside loops the file skipped
    (``deeper``: an 835's CLP without its LX). ``None`` everywhere: out of
    place; the path stays.
    """

    strict: tuple[tuple[Qualifier | None, tuple[str, ...]], ...]
    anywhere: tuple[tuple[Qualifier | None, tuple[str, ...], bool], ...]
    lenient: tuple[str, ...] | None
    home: tuple[str, ...] | None
    deeper: tuple[str, ...] | None
    table: str | None

    def resolve(
        self, elements: Sequence[str], component_separator: str
    ) -> tuple[tuple[str, ...], bool] | None:
        """(new path, whether the segment starts a loop), or ``None`` when the segment has
        no place in scope. ``elements``: raw values, index 0 = element 01."""
        for qualifier, path in self.strict:
            if qualifier is None or qualifier.matches(elements, component_separator):
                return path, True
        if self.lenient is not None:
            return self.lenient, True
        if self.home is not None:
            return self.home, False
        found = [
            (path, starts)
            for qualifier, path, starts in self.anywhere
            if qualifier is None or qualifier.matches(elements, component_separator)
        ]
        if found and (len(found) == 1 or len(found[1][0]) > len(found[0][0])):
            return found[0]
        if self.deeper is not None:
            return self.deeper, True
        return None


@dataclass(frozen=True)
class Guide:
    """One implementation guide: its key (``837D``), spec module, map entry and transaction
    tree; ``generated`` is false where we validate with pyx12's packaged map instead of one
    generated from this spec (835, 999: see docs/conformance.md)."""

    key: str
    module: str
    info: MapInfo
    transaction: Loop
    generated: bool = True

    def identity(self) -> Identity:
        """GS01, ST01 and the version (GS08, ST03) its interchanges carry, as the envelope
        segments of the tree say them."""
        found: dict[str, Segment] = {}

        def walk(node: Loop) -> None:
            for child in node.children:
                if isinstance(child, Segment) and child.id in ("GS", "ST"):
                    found.setdefault(child.id, child)
                elif isinstance(child, Loop) and not child.numbered:
                    walk(child)

        walk(self.transaction)

        def code(seg_id: str, index: int) -> str:
            element = found[seg_id].elements[index - 1]
            if not isinstance(element, Element) or not element.codes:
                raise ConfigurationError(f"{self.key}: {seg_id}{index:02d} names no code")
            return element.codes[0]

        st03 = found["ST"].elements[2]
        return Identity(code("GS", 1), code("ST", 1), code("GS", 8), st03.usage != "N")

    def levels(self) -> dict[str, tuple[str, str | None]]:
        """HL03 code → (the loop its HL starts, the HL03 code its HL02 parent must have;
        ``None`` at the top), from the loop tree (``"22"`` → ``("2000D", "19")`` in a 276)."""
        code_of: dict[str, str] = {}
        found: dict[str, tuple[str, str | None]] = {}
        for row in self.loop_starts():
            if row.segment != "HL" or row.qualifier is None:
                continue
            parent = next((code_of[loop] for loop in reversed(row.parent) if loop in code_of), None)
            for code in sorted(row.qualifier.codes):
                code_of.setdefault(row.loop, code)
                found.setdefault(code, (row.loop, parent))
        return found

    def loop_starts(self) -> tuple[LoopStart, ...]:
        """Every numbered loop with the segment (and qualifier codes) that starts it, in the
        guide's order. A loop used in two places (837D 2300) has a row for each."""
        rows: list[LoopStart] = []

        def walk(node: Loop, path: tuple[str, ...]) -> None:
            for child in node.loops():
                first = child.first_segment()
                if first is not None:
                    rows.append(LoopStart(child.id, path, first.id, first.qualifier()))
                walk(child, (*path, child.id))

        walk(self.transaction, ())
        return tuple(rows)

    def start_of(
        self,
        segment_id: str,
        elements: Sequence[str],
        path: Sequence[str] = (),
        *,
        component_separator: str = ":",
    ) -> tuple[str, ...] | None:
        """The loop path after ``segment_id`` when it starts a loop, given the current loop
        path (outermost first, e.g. ``("2000A", "2000B", "2300")``); ``None`` when it starts
        none in scope (it belongs to the current loop, or is out of place).

        X12 scoping: a segment may start a loop nested in the current one, a repeat or a
        sibling of the current loop, or a loop of any enclosing level — searched in that
        order, innermost first. ``elements`` are the raw element values (index 0 = element
        01); a qualifier must carry one of the loop's codes (``NM1*82`` starts 2310B in a
        2300, ``NM1*PR`` does not).
        """
        levels = self._levels(tuple(path))
        for depth in range(len(levels) - 1, -1, -1):
            for child in levels[depth].loops():
                first = child.first_segment()
                if first is None or first.id != segment_id:
                    continue
                qualifier = first.qualifier()
                if qualifier is None or qualifier.matches(elements, component_separator):
                    return (*tuple(path)[:depth], child.id)
        return None

    def moves(self, segment_id: str, path: Sequence[str] = ()) -> Moves:
        """Where ``segment_id`` may take a reader at ``path``, before its qualifier is known
        (see :class:`Moves`); a reader caches the answer per path and segment ID."""
        path = tuple(path)
        levels = self._levels(path)
        current = len(levels) - 1
        strict: list[tuple[Qualifier | None, tuple[str, ...]]] = []
        lenient: tuple[str, ...] | None = None
        home: tuple[str, ...] | None = None
        for depth in range(current, -1, -1):
            # inside an enclosing loop, only what stands at or after the loop we are in
            order = levels[depth].sequence()
            since = (
                0
                if depth == current
                else next(
                    i
                    for i, child in enumerate(order)
                    if isinstance(child, Loop) and child.id == path[depth]
                )
            )
            starts = [
                (index, child.id, first)
                for index, child in enumerate(order)
                if isinstance(child, Loop)
                and (first := child.first_segment()) is not None
                and first.id == segment_id
            ]
            strict += [
                (first.qualifier(), (*path[:depth], loop_id))
                for index, loop_id, first in starts
                if index >= since
            ]
            if lenient is None and len(starts) == 1 and segment_id != "HL":
                lenient = (*path[:depth], starts[0][1])
            if home is None and any(
                isinstance(child, Segment) and child.id == segment_id
                for child in order[since if depth < current else (1 if depth else 0) :]
            ):
                home = path[:depth]

        def closed(where: tuple[str, ...]) -> bool:
            return path[: len(where)] != where

        rows = [row for row in self.loop_starts() if row.segment == segment_id]
        anywhere: list[tuple[Qualifier | None, tuple[str, ...], bool]] = [
            (row.qualifier, (*row.parent, row.loop), True)
            for row in rows
            if row.qualifier is not None and closed(row.parent)
        ]
        holders = [
            where
            for where, loop in self._all_loops()
            if segment_id in loop.tables() and loop.children[0].id != segment_id
        ]
        if len(holders) == 1 and closed(holders[0]):
            anywhere.append((None, holders[0], False))
        anywhere.sort(key=lambda found: len(found[1]))
        deeper = (
            (*rows[0].parent, rows[0].loop) if len(rows) == 1 and closed(rows[0].parent) else None
        )
        table = self.transaction.tables().get(segment_id) if home == () else None
        return Moves(tuple(strict), tuple(anywhere), lenient, home, deeper, table)

    def _all_loops(self) -> list[tuple[tuple[str, ...], Loop]]:
        """Every numbered loop with its path, in the guide's order."""
        found: list[tuple[tuple[str, ...], Loop]] = []

        def walk(node: Loop, path: tuple[str, ...]) -> None:
            for child in node.loops():
                found.append(((*path, child.id), child))
                walk(child, (*path, child.id))

        walk(self.transaction, ())
        return found

    def loop(self, path: Sequence[str]) -> Loop:
        """The loop at ``path`` (outermost first)."""
        return self._levels(tuple(path))[-1]

    def _levels(self, path: tuple[str, ...]) -> list[Loop]:
        levels = [self.transaction]
        for loop_id in path:
            found = next((c for c in levels[-1].loops() if c.id == loop_id), None)
            if found is None:
                inside = "/".join(path[: len(levels) - 1]) or "the transaction"
                raise ConfigurationError(f"{self.key}: no loop {loop_id} inside {inside}")
            levels.append(found)
        return levels


_Found = tuple[tuple[str, ...], bool] | None
_MOVES: Final[dict[str, dict[tuple[tuple[str, ...], str], tuple[Moves, _Found, bool]]]] = {}
"""Per guide: (loop path, segment ID) → its :class:`Moves`, and their result when no
qualifier can change it (most segments: DTP, REF, N3 …), filled as files are read."""


class LoopTracker:
    """Where a reader or writer stands in a guide's loop tree, segment by segment.

    :meth:`advance` moves the loop path by X12 scoping (:meth:`Guide.moves`) and names the
    loop (:attr:`loop`): the innermost loop's ID, or for a segment outside every numbered
    loop its table (``HEADER``, ``FOOTER``), unless ``outside`` names it otherwise (the
    835 calls PLB's position ``PLB``). :attr:`started` says whether the last segment opened
    a loop. The moves are worked out once per guide, path and segment ID, so tracking costs
    a dictionary look-up per segment.
    """

    def __init__(self, guide: Guide, outside: Mapping[str, str] | None = None) -> None:
        self.guide = guide
        self.outside = outside or {}
        self.path: tuple[str, ...] = ()
        self.loop = ""
        self.started = False
        self._moves = _MOVES.setdefault(guide.key, {})

    def reset(self) -> None:
        """Back to the start of a transaction set (at ST)."""
        self.path, self.loop, self.started = (), "", False

    def advance(self, segment_id: str, elements: Sequence[str], component_separator: str) -> None:
        """Move past one segment (``elements``: its raw values, index 0 = element 01)."""
        key = (self.path, segment_id)
        cached = self._moves.get(key)
        if cached is None:
            moves = self.guide.moves(segment_id, self.path)
            fixed = not any(q is not None for q, _ in moves.strict) and not any(
                q is not None for q, _, _ in moves.anywhere
            )
            cached = self._moves[key] = (
                moves,
                moves.resolve(elements, component_separator) if fixed else None,
                fixed,
            )
        moves, found, fixed = cached
        if not fixed:
            found = moves.resolve(elements, component_separator)
        if found is None:
            self.started = False
            return
        self.path, self.started = found
        if self.path:
            self.loop = self.path[-1]
        else:
            self.loop = self.outside.get(segment_id) or moves.table or self.loop
