"""Audit our X12 grammars against independent open grammars, loop by loop.

Our specs (``src/edigateway/x12/spec/``: 837D, 270/271, 276/277 and 277CA, from which our pyx12
maps are generated) and, for the 835 and 999, pyx12's packaged maps that we validate them
with are what we check files against. This tool compares each with
facts extracted from a grammar that someone else maintains (``reference/*.json``, written by
``extract.py`` from TigerShark and stupidedi) and reports every difference under a stable key,
for example ``837D 2400/SV3/SV306 usage: ours R, tigershark S``.

Both sides are first brought to one small neutral model: transaction → loops (ID, usage,
repeat) → segments (ID, usage, maximum use; same-ID segments told apart by their first
element's codes, as the guides do) → elements (position, usage, codes). Modelling choices that
are not differences are normalised away, so that real differences stand out:

* loop nesting is not compared (stupidedi keeps the HL levels flat and hangs two 277 loops off
  the wrong parent); loops are matched by ID, segments outside numbered loops form ``ST``;
* the first segment of a loop carries the loop's usage (TigerShark and stupidedi write it on the
  segment, pyx12 and we write it on the loop), so only the loop's usage is compared;
* an element a grammar does not list is not used (we stop at the last element we use);
* a composite not used on both sides is not compared component by component;
* a code list is compared only when the reference gives one; where we name an external list
  (states, countries, currencies) the codes are not compared;
* where one grammar lists one segment for several qualifiers (our ``REF*G1/9F``) and the other
  lists one per qualifier, they are compared as one group: qualifier codes as a union, maximum
  use as a sum;
* the ISA/GS envelope is out of scope (the grammars disagree only on its modelling).

Run it from the repository root::

    .venv/bin/python tools/grammar_audit/audit.py            # every guide, grouped report
    .venv/bin/python tools/grammar_audit/audit.py 837D 270   # some guides
    .venv/bin/python tools/grammar_audit/audit.py --unexplained

``explained.toml`` (deliberate differences and the reference grammars' own errors) and
``known_bugs.toml`` (our bugs, to be fixed) give each key its reason; ``--unexplained`` lists
what neither covers and the entries that no longer occur.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from edigateway.errors import ConfigurationError
from edigateway.x12 import spec as x12_spec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REFERENCE = HERE / "reference"
EXPLAINED = HERE / "explained.toml"
KNOWN_BUGS = HERE / "known_bugs.toml"

TRANSACTION = "ST"
ENVELOPE = frozenset({"ISA", "GS", "GE", "IEA", "TA1"})
WRAPPERS = frozenset({"ISA_LOOP", "GS_LOOP", "ST_LOOP", "HEADER", "DETAIL", "FOOTER"})
STRENGTH = {"R": 2, "S": 1, "N": 0}
NAME_NOISE = frozenset({"date", "information", "of", "or", "and", "the", "a", "for", "code"})


class AuditError(Exception):
    """A grammar cannot be loaded (names the file and what is wrong)."""


# -- the neutral model -----------------------------------------------------------------
@dataclass(frozen=True)
class Element:
    """An element or component at a position (``SV306``, ``SV301-02``)."""

    ref: str
    usage: str
    codes: frozenset[str] | None = None
    composite: bool = False
    external: bool = False


@dataclass(frozen=True)
class Segment:
    """A segment as used at one place in a loop."""

    id: str
    name: str
    usage: str
    max_use: str
    elements: tuple[Element, ...]

    @property
    def qualifier(self) -> frozenset[str]:
        """Codes of the first element (or its first component): how guides tell REFs apart."""
        first = {f"{self.id}01", f"{self.id}01-01"}
        for element in self.elements:
            if element.ref in first and element.codes:
                return element.codes
        return frozenset()

    def element(self, ref: str) -> Element | None:
        """The element at ``ref``, if listed."""
        return next((e for e in self.elements if e.ref == ref), None)


@dataclass
class Loop:
    """A loop with its own segments (children loops are separate entries)."""

    id: str
    name: str
    usage: str
    repeat: str
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Grammar:
    """One guide as one grammar describes it."""

    guide: str
    label: str
    loops: dict[str, Loop]


def _repeat(value: object) -> str:
    text = str(value).strip() if value is not None else "1"
    return ">1" if text.startswith(">") or text in ("", "unbounded") else str(int(text))


def _codes(values: Iterable[object] | None) -> frozenset[str] | None:
    codes = frozenset(str(v) for v in values or [])
    return codes or None


# -- adapters --------------------------------------------------------------------------
def from_reference(path: Path) -> Grammar:
    """A reference JSON written by ``extract.py``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AuditError(f"{path}: cannot read reference facts: {exc}") from exc
    loops: dict[str, Loop] = {}
    for item in doc["loops"]:
        loop = Loop(item["id"], item["name"], item["usage"], _repeat(item["repeat"]))
        for seg in item["segments"]:
            elements = tuple(
                Element(e["ref"], e["usage"], _codes(e.get("codes")), bool(e.get("composite")))
                for e in seg["elements"]
            )
            loop.segments.append(
                Segment(seg["id"], seg["name"], seg["usage"], _repeat(seg["max_use"]), elements)
            )
        loops[loop.id] = loop
    return Grammar(doc["guide"], doc["grammar"], loops)


def from_spec(guide: str, transaction: Any, label: str = "ours") -> Grammar:
    """Our spec: a tree of ``edigateway.x12.spec.model`` loops, segments, composites and
    elements (read by attribute, so the audit's model stays its own)."""
    loops: dict[str, Loop] = {TRANSACTION: Loop(TRANSACTION, "Transaction Set", "R", "1")}

    def walk(node: Any, parent: str) -> None:
        if hasattr(node, "children"):
            target = parent
            if node.id not in WRAPPERS:
                if node.id in loops:  # 2300 sits under 2000B and 2000C: one definition
                    return
                loops[node.id] = Loop(node.id, node.name, node.usage, _repeat(node.repeat))
                target = node.id
            for child in node.children:
                walk(child, target)
            return
        if node.id in ENVELOPE:
            return
        elements: list[Element] = []
        for index, item in enumerate(node.elements, start=1):
            ref = f"{node.id}{index:02d}"
            if hasattr(item, "parts"):
                elements.append(Element(ref, item.usage, composite=True))
                elements += [
                    Element(
                        f"{ref}-{sub:02d}",
                        part.usage,
                        _codes(part.codes),
                        external=bool(part.external),
                    )
                    for sub, part in enumerate(item.parts, start=1)
                ]
            else:
                elements.append(
                    Element(ref, item.usage, _codes(item.codes), external=bool(item.external))
                )
        loops[parent].segments.append(
            Segment(node.id, node.name, node.usage, _repeat(node.max_use), tuple(elements))
        )

    walk(transaction, TRANSACTION)
    return Grammar(guide, label, loops)


def _text(node: ET.Element, tag: str, default: str = "") -> str:
    found = node.find(tag)
    return (found.text or "").strip() if found is not None and found.text else default


def from_pyx12(guide: str, path: Path, label: str = "ours") -> Grammar:
    """A pyx12 map XML (pyx12's packaged maps, or ours in ``mappings/pyx12``)."""
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - a map shipped with pyx12 or by us
    except (OSError, ET.ParseError) as exc:
        raise AuditError(f"{path}: cannot read pyx12 map: {exc}") from exc
    loops: dict[str, Loop] = {TRANSACTION: Loop(TRANSACTION, "Transaction Set", "R", "1")}

    def element(node: ET.Element, ref: str) -> Element:
        valid = node.find("valid_codes")
        codes = _codes(c.text for c in valid.findall("code")) if valid is not None else None
        external = valid is not None and bool(valid.get("external"))
        return Element(ref, _text(node, "usage", "S"), codes, external=external)

    def segment(node: ET.Element) -> Segment:
        seg_id = node.get("xid") or ""
        elements: list[Element] = []
        for child in node:
            if child.tag not in ("element", "composite"):
                continue
            ref = f"{seg_id}{int(_text(child, 'seq', '0')):02d}"
            if child.tag == "composite":
                elements.append(Element(ref, _text(child, "usage", "S"), composite=True))
                elements += [
                    element(part, f"{ref}-{int(_text(part, 'seq', '0')):02d}")
                    for part in child.findall("element")
                ]
            else:
                elements.append(element(child, ref))
        return Segment(
            seg_id,
            _text(node, "name"),
            _text(node, "usage", "S"),
            _repeat(_text(node, "max_use", "1")),
            tuple(elements),
        )

    def walk(node: ET.Element, parent: str) -> None:
        for child in node:
            if child.tag == "loop":
                loop_id = child.get("xid") or ""
                target = parent
                if loop_id not in WRAPPERS:
                    loops[loop_id] = Loop(
                        loop_id,
                        _text(child, "name"),
                        _text(child, "usage", "S"),
                        _repeat(_text(child, "repeat", "1")),
                    )
                    target = loop_id
                walk(child, target)
            elif child.tag == "segment" and (child.get("xid") or "") not in ENVELOPE:
                loops[parent].segments.append(segment(child))

    walk(root, TRANSACTION)
    return Grammar(guide, label, loops)


def pyx12_map(name: str) -> Path:
    """A map packaged with pyx12."""
    return Path(str(resources.files("pyx12").joinpath("map", name)))


# -- differences -----------------------------------------------------------------------
KINDS = (
    "missing loop",
    "extra loop",
    "loop usage",
    "loop repeat",
    "missing segment",
    "extra segment",
    "segment usage",
    "segment max use",
    "element usage",
    "element form",
    "codes missing",
    "codes extra",
    "codes unchecked",
)


@dataclass(frozen=True)
class Difference:
    """One difference: its kind (for grouping), its stable key and a human detail."""

    kind: str
    key: str
    detail: str = ""


def _strongest(usages: Iterable[str]) -> str:
    return max(usages, key=lambda u: STRENGTH.get(u, 0))


def _total(values: Iterable[str]) -> str:
    items = list(values)
    return ">1" if ">1" in items else str(sum(int(v) for v in items))


def _some(codes: Iterable[str], limit: int = 12) -> str:
    items = sorted(codes, key=lambda c: (0, f"{int(c):08d}") if c.isdigit() else (1, c))
    more = f" … ({len(items)} codes)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _words(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", name.lower())) - NAME_NOISE


def _similarity(a: Segment, b: Segment) -> float:
    wa, wb = _words(a.name), _words(b.name)
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


Group = tuple[list[Segment], list[Segment]]


def match_segments(ours: list[Segment], ref: list[Segment]) -> list[Group]:
    """Pair same-ID segments of one loop: by qualifier codes, then by name, then by order."""
    if len(ours) <= 1 and len(ref) <= 1:
        return [(ours, ref)]
    groups: list[Group] = []
    left_o, left_r = list(ours), list(ref)
    # 1. qualifier codes; a reference qualifier shared by two segments decides nothing
    quals = [r.qualifier for r in ref]
    usable = [r for r in ref if r.qualifier and quals.count(r.qualifier) == 1]
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    nodes = [("o", s) for s in ours if s.qualifier] + [("r", s) for s in usable]
    for i, (_, a) in enumerate(nodes):
        for j in range(i + 1, len(nodes)):
            if nodes[j][0] != nodes[i][0] and a.qualifier & nodes[j][1].qualifier:
                parent[find(i)] = find(j)
    components: dict[int, Group] = {}
    for i, (side, seg) in enumerate(nodes):
        if any(find(i) == find(j) for j in range(len(nodes)) if j != i and nodes[j][0] != side):
            group = components.setdefault(find(i), ([], []))
            (group[0] if side == "o" else group[1]).append(seg)
    for group in components.values():
        groups.append(group)
        for seg in group[0]:
            left_o.remove(seg)
        for seg in group[1]:
            left_r.remove(seg)
    # 2. names, best first
    pairs = sorted(
        ((_similarity(o, r), i, j) for i, o in enumerate(left_o) for j, r in enumerate(left_r)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_o: set[int] = set()
    used_r: set[int] = set()
    for score, i, j in pairs:
        if score >= 0.5 and i not in used_o and j not in used_r:
            groups.append(([left_o[i]], [left_r[j]]))
            used_o.add(i)
            used_r.add(j)
    left_o = [s for i, s in enumerate(left_o) if i not in used_o]
    left_r = [s for j, s in enumerate(left_r) if j not in used_r]
    # 3. what is left, in order, when both sides have as many
    if len(left_o) == len(left_r):
        groups += [([o], [r]) for o, r in zip(left_o, left_r, strict=True)]
        return groups
    groups += [([o], []) for o in left_o] + [([], [r]) for r in left_r]
    return groups


class Comparison:
    """Compare our grammar with a reference grammar for one guide."""

    def __init__(self, ours: Grammar, ref: Grammar) -> None:
        self.ours, self.ref = ours, ref
        self.guide, self.who = ref.guide, ref.label
        self.found: dict[str, Difference] = {}

    def add(self, kind: str, key: str, detail: str = "") -> None:
        """Record a difference (the same key found twice is one difference)."""
        full = f"{self.guide} {key}"
        self.found.setdefault(full, Difference(kind, full, detail))

    def run(self) -> list[Difference]:
        """Every difference, ordered by loop as the reference lists them."""
        order = list(self.ref.loops) + [k for k in self.ours.loops if k not in self.ref.loops]
        for loop_id in order:
            ours, ref = self.ours.loops.get(loop_id), self.ref.loops.get(loop_id)
            if ours is None and ref is not None:
                self.add(
                    "missing loop",
                    f"{loop_id} loop missing in ours",
                    f"{ref.name} ({ref.usage}, repeat {ref.repeat})",
                )
            elif ref is None and ours is not None:
                self.add("extra loop", f"{loop_id} loop extra in ours", ours.name)
            elif ours is not None and ref is not None:
                self.loop(ours, ref)
        return list(self.found.values())

    def loop(self, ours: Loop, ref: Loop) -> None:
        """Usage, repeat and segments of one loop."""
        lid = ours.id
        if lid != TRANSACTION:
            if ours.usage != ref.usage:
                self.add(
                    "loop usage",
                    f"{lid} loop usage: ours {ours.usage}, {self.who} {ref.usage}",
                    ref.name,
                )
            if ours.repeat != ref.repeat:
                self.add(
                    "loop repeat",
                    f"{lid} loop repeat: ours {ours.repeat}, {self.who} {ref.repeat}",
                    ref.name,
                )
        trigger = ref.segments[0] if ref.segments and lid != TRANSACTION else None
        trigger_ours = ours.segments[0] if ours.segments and lid != TRANSACTION else None
        ids = list(dict.fromkeys([s.id for s in ref.segments] + [s.id for s in ours.segments]))
        for seg_id in ids:
            mine = [s for s in ours.segments if s.id == seg_id]
            theirs = [s for s in ref.segments if s.id == seg_id]
            groups = match_segments(mine, theirs)
            labels = self.labels(groups, many=len(mine) > 1 or len(theirs) > 1)
            for (group_o, group_r), label in zip(groups, labels, strict=True):
                where = f"{lid}/{label}"
                if not group_o:
                    self.add(
                        "missing segment",
                        f"{where} segment missing in ours",
                        f"{group_r[0].name} ({group_r[0].usage}, max {group_r[0].max_use})",
                    )
                elif not group_r:
                    self.add("extra segment", f"{where} segment extra in ours", group_o[0].name)
                else:
                    first = trigger in group_r or trigger_ours in group_o
                    self.segment(where, group_o, group_r, skip_usage=first)

    def labels(self, groups: list[Group], *, many: bool) -> list[str]:
        """``REF`` alone, or ``REF[G1,9F]``: the reference's qualifier codes where they tell
        its segments apart, else ours, else the group's number."""
        ref_quals = [
            frozenset().union(*(s.qualifier for s in group_r)) for _, group_r in groups if group_r
        ]
        labels: list[str] = []
        for index, (group_o, group_r) in enumerate(groups, start=1):
            seg_id = (group_r or group_o)[0].id
            if not many:
                labels.append(seg_id)
                continue
            theirs = frozenset().union(*(s.qualifier for s in group_r))
            mine = frozenset().union(*(s.qualifier for s in group_o))
            codes = theirs if theirs and ref_quals.count(theirs) == 1 else mine or theirs
            shown = sorted(codes)
            listed = ",".join(shown[:3]) + (f"+{len(shown) - 3}" if len(shown) > 3 else "")
            text = f"{seg_id}[{listed}]" if codes else f"{seg_id}#{index}"
            labels.append(text if text not in labels else f"{text}#{index}")
        return labels

    def segment(
        self, where: str, ours: list[Segment], ref: list[Segment], *, skip_usage: bool
    ) -> None:
        """Usage, maximum use and elements of a matched group of segments."""
        if not skip_usage:
            mine, theirs = _strongest(s.usage for s in ours), _strongest(s.usage for s in ref)
            if mine != theirs:
                self.add(
                    "segment usage", f"{where} usage: ours {mine}, {self.who} {theirs}", ref[0].name
                )
        mine_max, theirs_max = _total(s.max_use for s in ours), _total(s.max_use for s in ref)
        if mine_max != theirs_max:
            self.add(
                "segment max use",
                f"{where} max use: ours {mine_max}, {self.who} {theirs_max}",
                ref[0].name,
            )
        merged = len(ours) > 1 or len(ref) > 1
        if merged:
            qual_o = frozenset().union(*(s.qualifier for s in ours))
            qual_r = frozenset().union(*(s.qualifier for s in ref))
            first = next(
                (
                    e.ref
                    for e in ref[0].elements
                    if e.codes and e.ref in (f"{ref[0].id}01", f"{ref[0].id}01-01")
                ),
                "",
            )
            if qual_r and qual_o:
                self.codes(where, first, qual_o, qual_r)
        pairs = (
            [(o, r) for o in ours for r in ref]
            if len(ours) == 1 or len(ref) == 1
            else list(zip(ours, ref, strict=False))
        )
        for seg_o, seg_r in pairs:
            self.elements(where, seg_o, seg_r, skip_qualifier=merged)

    def elements(self, where: str, ours: Segment, ref: Segment, *, skip_qualifier: bool) -> None:
        """Element by element; a missing element is not used."""
        refs = list(dict.fromkeys([e.ref for e in ref.elements] + [e.ref for e in ours.elements]))
        unused: set[str] = set()
        for ref_id in refs:
            parent = ref_id.split("-")[0]
            if "-" in ref_id and parent in unused:
                continue
            mine, theirs = ours.element(ref_id), ref.element(ref_id)
            u_o = mine.usage if mine else "N"
            u_r = theirs.usage if theirs else "N"
            comp_o = bool(mine and mine.composite)
            comp_r = bool(theirs and theirs.composite)
            if u_o == "N" and u_r == "N":
                unused.add(ref_id)
                continue
            if "-" not in ref_id and mine and theirs and comp_o != comp_r and "N" not in (u_o, u_r):
                self.add(
                    "element form",
                    f"{where}/{ref_id} form: ours "
                    f"{'composite' if comp_o else 'element'}, {self.who} "
                    f"{'composite' if comp_r else 'element'}",
                )
            if u_o != u_r:
                self.add("element usage", f"{where}/{ref_id} usage: ours {u_o}, {self.who} {u_r}")
            if (comp_o or comp_r) and "N" in (u_o, u_r):
                unused.add(ref_id)  # the composite's usage says it; its parts would repeat it
            if "N" in (u_o, u_r) or not theirs or not theirs.codes:
                continue
            if skip_qualifier and ref_id in (f"{ref.id}01", f"{ref.id}01-01"):
                continue
            if mine and mine.external:
                continue
            if not mine or not mine.codes:
                self.add(
                    "codes unchecked",
                    f"{where}/{ref_id} codes unchecked by ours",
                    f"{self.who} lists {_some(theirs.codes)}",
                )
                continue
            self.codes(where, ref_id, mine.codes, theirs.codes)

    def codes(self, where: str, ref_id: str, mine: frozenset[str], theirs: frozenset[str]) -> None:
        """Codes the reference allows and we do not, and the other way round."""
        missing, extra = _some(theirs - mine, 10**6), _some(mine - theirs, 10**6)
        if missing:
            self.add("codes missing", f"{where}/{ref_id} codes missing in ours: {missing}")
        if extra:
            self.add("codes extra", f"{where}/{ref_id} codes extra in ours: {extra}")


def compare(ours: Grammar, ref: Grammar) -> list[Difference]:
    """Every difference between our grammar and the reference grammar."""
    return Comparison(ours, ref).run()


# -- the guides we audit ---------------------------------------------------------------
@dataclass(frozen=True)
class Guide:
    """Which of our grammars is audited against which reference: the package's spec where
    we generate the map from it, else the pyx12 map we validate with (835, 999)."""

    key: str
    reference: str

    def ours(self) -> Grammar:
        """Our side: what our validator checks files of this guide against."""
        try:
            spec = x12_spec.guide(self.key)
        except ConfigurationError as exc:
            raise AuditError(f"guide {self.key}: {exc}") from exc
        if spec.generated:
            return from_spec(self.key, spec.transaction)
        return from_pyx12(self.key, pyx12_map(spec.info.file))

    def theirs(self) -> Grammar:
        """The reference side."""
        return from_reference(REFERENCE / self.reference)


GUIDES: dict[str, Guide] = {
    g.key: g
    for g in (
        Guide("837D", "837D_X224A2.tigershark.json"),
        Guide("270", "270_X279A1.stupidedi.json"),
        Guide("271", "271_X279A1.stupidedi.json"),
        Guide("276", "276_X212.stupidedi.json"),
        Guide("277", "277_X212.stupidedi.json"),
        Guide("277CA", "277CA_X214.stupidedi.json"),
        Guide("835", "835_X221A1.stupidedi.json"),
        Guide("999", "999_X231A1.stupidedi.json"),
    )
}


def audit(guide: str) -> list[Difference]:
    """All differences for one guide."""
    if guide not in GUIDES:
        raise AuditError(f"unknown guide {guide!r}; known: {', '.join(GUIDES)}")
    entry = GUIDES[guide]
    return compare(entry.ours(), entry.theirs())


# -- explanations ----------------------------------------------------------------------
@dataclass(frozen=True)
class Explanation:
    """Why a difference exists: ``deliberate``, ``reference-error`` or ``bug``."""

    key: str
    category: str
    reason: str
    source: str


def load_explanations(path: Path) -> dict[str, Explanation]:
    """Entries ``[[entry]]`` with ``category``, ``reason`` and ``keys`` (one reason, many keys)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AuditError(f"{path}: cannot read explanations: {exc}") from exc
    found: dict[str, Explanation] = {}
    for number, entry in enumerate(doc.get("entry", []), start=1):
        for key in entry.get("keys", []):
            if key in found:
                raise AuditError(f"{path}: entry {number}: key listed twice: {key}")
            found[key] = Explanation(
                key, entry.get("category", ""), entry.get("reason", ""), path.name
            )
    return found


@dataclass
class Verdict:
    """The audit of some guides against the explanations."""

    differences: list[Difference]
    explained: dict[str, Explanation]
    unexplained: list[Difference]
    stale: list[str]


def verdict(
    guides: Iterable[str], explanations: Iterator[dict[str, Explanation]] | None = None
) -> Verdict:
    """Run the audit and hold it against ``explained.toml`` and ``known_bugs.toml``."""
    keys: dict[str, Explanation] = {}
    for table in explanations or iter(
        (load_explanations(EXPLAINED), load_explanations(KNOWN_BUGS))
    ):
        overlap = set(keys) & set(table)
        if overlap:
            raise AuditError(f"explained twice: {sorted(overlap)[0]}")
        keys.update(table)
    chosen = list(guides)
    diffs = [d for g in chosen for d in audit(g)]
    found = {d.key for d in diffs}
    prefixes = tuple(f"{g} " for g in chosen)
    return Verdict(
        differences=diffs,
        explained={k: v for k, v in keys.items() if k in found},
        unexplained=[d for d in diffs if d.key not in keys],
        stale=sorted(k for k in keys if k.startswith(prefixes) and k not in found),
    )


def report(diffs: list[Difference], explained: dict[str, Explanation]) -> str:
    """Differences grouped by kind, each with its explanation when there is one."""
    lines: list[str] = []
    for kind in KINDS:
        items = [d for d in diffs if d.kind == kind]
        if not items:
            continue
        lines.append(f"\n{kind} ({len(items)})")
        for diff in items:
            note = explained.get(diff.key)
            tag = f"[{note.category}] " if note else "[UNEXPLAINED] "
            detail = f" — {diff.detail}" if diff.detail else ""
            lines.append(f"  {tag}{diff.key}{detail}")
    return "\n".join(lines)


CATEGORIES = (
    ("bug", "Our bugs, to fix", "known_bugs.toml"),
    ("verify", "To verify against the guide text", "known_bugs.toml"),
    ("deliberate", "Deliberate differences", "explained.toml"),
    ("reference-error", "Errors in the reference grammar", "explained.toml"),
)


def _entries(path: Path) -> list[dict[str, Any]]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    return list(doc.get("entry", []))


def markdown(result: Verdict, guides: list[str]) -> str:
    """The list of differences for ``docs/conformance.md``, grouped by category and reason."""
    found = {d.key: d for d in result.differences}
    lines = [
        "| guide | reference | differences | bug | verify | deliberate | reference error |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for guide in guides:
        keys = [k for k in found if k.startswith(f"{guide} ")]
        counts = [
            sum(1 for k in keys if k in result.explained and result.explained[k].category == c)
            for c, _, _ in CATEGORIES
        ]
        ref = GUIDES[guide].reference
        lines.append(f"| {guide} | `{ref}` | {len(keys)} | " + " | ".join(map(str, counts)) + " |")
    entries = _entries(KNOWN_BUGS) + _entries(EXPLAINED)
    for category, title, source in CATEGORIES:
        chosen = [
            e
            for e in entries
            if e.get("category") == category and any(k in found for k in e.get("keys", []))
        ]
        total = sum(1 for e in chosen for k in e["keys"] if k in found)
        lines += ["", f"### {title} ({total}, in `{source}`)", ""]
        if not chosen:
            lines.append("None.")
        for entry in chosen:
            keys = [k for k in entry["keys"] if k in found]
            lines.append(f"- {entry['reason']}")
            lines += [f"  - `{k}`" for k in keys]
    if result.unexplained:
        lines += ["", f"### Unexplained ({len(result.unexplained)})", ""]
        lines += [f"- `{d.key}` {d.detail}" for d in result.unexplained]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: print the grouped report; exit 1 if anything is unexplained or stale."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("guides", nargs="*", help=f"guides (default all: {', '.join(GUIDES)})")
    parser.add_argument(
        "--unexplained",
        action="store_true",
        help="list only unexplained differences and stale entries",
    )
    parser.add_argument("--json", action="store_true", help="differences as JSON")
    parser.add_argument(
        "--markdown", action="store_true", help="the classified list for docs/conformance.md"
    )
    args = parser.parse_args(argv)
    try:
        result = verdict(args.guides or list(GUIDES))
    except AuditError as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([d.__dict__ for d in result.differences], indent=1))
    elif args.markdown:
        print(markdown(result, args.guides or list(GUIDES)), end="")
    elif args.unexplained:
        for diff in result.unexplained:
            print(f"unexplained: {diff.key}" + (f" — {diff.detail}" if diff.detail else ""))
        for key in result.stale:
            print(f"stale: {key}")
    else:
        for guide in args.guides or list(GUIDES):
            diffs = [d for d in result.differences if d.key.startswith(f"{guide} ")]
            counts = {
                c: sum(
                    1
                    for d in diffs
                    if (
                        result.explained.get(d.key) or Explanation("", "unexplained", "", "")
                    ).category
                    == c
                )
                for c in ("bug", "verify", "deliberate", "reference-error", "unexplained")
            }
            summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
            print(f"== {guide}: {len(diffs)} differences ({summary or 'none'})")
            print(report(diffs, result.explained))
        print(f"\n{len(result.unexplained)} unexplained, {len(result.stale)} stale entries")
    return 1 if result.unexplained or result.stale else 0


if __name__ == "__main__":
    sys.exit(main())
