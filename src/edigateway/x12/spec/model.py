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

from collections.abc import Sequence
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
            raise ConfigurationError(f"data element {self.number} is not in the X12 "
                                     "dictionary (spec/elements.py)") from None

    @property
    def type(self) -> DataType:
        """Data type: the guide's, else the dictionary's."""
        return self.data_type or self.dictionary.data_type

    @property
    def lengths(self) -> tuple[int, int]:
        """(minimum, maximum) length: the guide's narrowing, else the dictionary's."""
        entry = self.dictionary
        return (self.min_len if self.min_len is not None else entry.min_len,
                self.max_len if self.max_len is not None else entry.max_len)

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
        if (isinstance(first, Element) and first.usage == "R" and first.codes
                and first.type == "ID"):
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
class Guide:
    """One implementation guide: its key (``837D``), spec module, map entry and transaction
    tree; ``generated`` is false where we validate with pyx12's packaged map instead of one
    generated from this spec (835, 999: see docs/conformance.md)."""

    key: str
    module: str
    info: MapInfo
    transaction: Loop
    generated: bool = True

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

    def start_of(self, segment_id: str, elements: Sequence[str], path: Sequence[str] = (),
                 *, component_separator: str = ":") -> tuple[str, ...] | None:
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

    def loop(self, path: Sequence[str]) -> Loop:
        """The loop at ``path`` (outermost first)."""
        return self._levels(tuple(path))[-1]

    def _levels(self, path: tuple[str, ...]) -> list[Loop]:
        levels = [self.transaction]
        for loop_id in path:
            found = next((c for c in levels[-1].loops() if c.id == loop_id), None)
            if found is None:
                inside = "/".join(path[:len(levels) - 1]) or "the transaction"
                raise ConfigurationError(f"{self.key}: no loop {loop_id} inside {inside}")
            levels.append(found)
        return levels
