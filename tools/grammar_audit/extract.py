"""Extract neutral reference facts from independent, openly licensed X12 grammars.

The audit (``audit.py``) compares our guide specifications with grammars that others
maintain. This script turns those grammars into small JSON files of facts only, under
``tools/grammar_audit/reference/``: loop IDs, usage and repeat; segment IDs, positions, names,
usage and maximum use; element usage and code values. No code or prose is carried over, so the
facts can be regenerated and reviewed on their own.

Sources (both BSD-3-Clause):

* TigerShark (``zentist/TigerShark``), the 837 Dental grammar under
  ``tigershark/parsers/M837_5010_X224_A2/`` (``__init__.py`` and ``loops/loop_*.py``), read at
  commits b958b3b2502ac1a64744c6e2016d1a271746ac61 and e2bb9435977d3e41a4e2ae2d71281dda65ca39ed
  (the files were last touched in one or the other).
* stupidedi (``kputnam/stupidedi``), the implementation grammars under
  ``lib/stupidedi/transaction_sets/005010/implementations/``, read at commits
  147cdf0c2c0289d6d22769bbe6a385b382cabd8a (X279A1-HS270.rb),
  80ede17e5aad3aa2a411e7e34ab3bd4008eee1a6 (X212-HN277.rb),
  36b61142e73b41da192d3021df542fb5a20cff24 (X214-HN277.rb) and
  3daab2107c1dcb66aad4f50882099e5f51ad2725 (the others).

Run it against a checkout of zentist/TigerShark and of kputnam/stupidedi at those commits::

    .venv/bin/python tools/grammar_audit/extract.py tigershark /path/to/TigerShark
    .venv/bin/python tools/grammar_audit/extract.py stupidedi /path/to/stupidedi

A file whose first line is a provenance comment ``# owner/repo path @ <40-hex commit> …``
records that commit; otherwise ``--commit`` (default: the commit named above) is recorded.

Both grammars are read as text, never executed: TigerShark's Python with :mod:`ast`,
stupidedi's Ruby with a small tokenizer for the builder calls it uses (``b::Segment``,
``b::Element``, ``d::LoopDef.build``, ``d::TableDef.*`` and the block DSL ``segment … do``).

What the facts say and what they leave to the audit:

* Positions of elements come from their order (TigerShark's ``SV304-03`` style names agree
  with the order; its ``position=`` values are not always right, so they are not used).
* stupidedi gives no usage for loops; a loop's usage is its first segment's, as stupidedi
  itself decides (recorded in ``usage_from``).
* stupidedi's ``2120C LOOP HEADER`` / ``2120D LOOP HEADER`` are containers it invents for
  LS/LE (its comments say so): they are dissolved, LS/LE going to the enclosing loop.
* Segments outside any numbered loop (ST, BHT, BPR, SE, …) belong to the pseudo-loop ``ST``.
  The interchange and group envelope (ISA, GS, GE, IEA, TA1) is out of scope.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "reference"
TRANSACTION = "ST"
ENVELOPE = {"ISA", "GS", "GE", "IEA", "TA1"}
WRAPPERS = {"ISA_LOOP", "GS_LOOP", "ST_LOOP", "HEADER", "DETAIL", "FOOTER"}
LICENCE = "BSD-3-Clause"
PROVENANCE = re.compile(r"^#\s*(\S+)\s+(\S+)\s+@\s+([0-9a-f]{40})")

TIGERSHARK_DIR = "tigershark/parsers/M837_5010_X224_A2"
TIGERSHARK_COMMIT = "b958b3b2502ac1a64744c6e2016d1a271746ac61"
STUPIDEDI_DIR = "lib/stupidedi/transaction_sets/005010/implementations"
STUPIDEDI_COMMIT = "3daab2107c1dcb66aad4f50882099e5f51ad2725"
# guide key -> (file, reference file name, implementation guide)
STUPIDEDI_GUIDES = {
    "270": ("X279A1-HS270.rb", "270_X279A1.stupidedi.json", "005010X279A1"),
    "271": ("X279A1-HB271.rb", "271_X279A1.stupidedi.json", "005010X279A1"),
    "276": ("X212-HR276.rb", "276_X212.stupidedi.json", "005010X212"),
    "277": ("X212-HN277.rb", "277_X212.stupidedi.json", "005010X212"),
    "277CA": ("X214-HN277.rb", "277CA_X214.stupidedi.json", "005010X214"),
    "835": ("X221A1-HP835.rb", "835_X221A1.stupidedi.json", "005010X221A1"),
    "999": ("X231A1-FA999.rb", "999_X231A1.stupidedi.json", "005010X231A1"),
}


class ExtractError(Exception):
    """A source file is not in the shape this extractor understands (names file and place)."""


# -- the neutral facts -----------------------------------------------------------------
@dataclass
class Element:
    """One element or component: ``ref`` like ``SV306`` or ``SV301-02``."""

    ref: str
    usage: str
    codes: list[str] | None = None
    composite: bool = False

    def facts(self) -> dict[str, Any]:
        """As stored in the reference JSON."""
        out: dict[str, Any] = {"ref": self.ref, "usage": self.usage}
        if self.composite:
            out["composite"] = True
        if self.codes:
            out["codes"] = sorted(set(self.codes), key=_code_order)
        return out


@dataclass
class Segment:
    """A segment as used at one place in a loop."""

    id: str
    name: str
    usage: str
    max_use: str
    position: int | None
    elements: list[Element] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        """As stored in the reference JSON."""
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "usage": self.usage,
            "max_use": self.max_use,
            "elements": [e.facts() for e in self.elements],
        }


@dataclass
class LoopFacts:
    """A loop, flattened: its own segments in order, and its parent loop's ID."""

    id: str
    name: str
    usage: str
    repeat: str
    parent: str | None
    segments: list[Segment] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        """As stored in the reference JSON."""
        return {
            "id": self.id,
            "name": self.name,
            "usage": self.usage,
            "repeat": self.repeat,
            "parent": self.parent,
            "segments": [s.facts() for s in self.segments],
        }


def _code_order(code: str) -> tuple[int, str]:
    """Numeric codes in numeric order, then the rest alphabetically (stable for diffs)."""
    return (0, f"{int(code):08d}") if code.isdigit() else (1, code)


def _repeat(value: str | int | None) -> str:
    text = str(value).strip() if value is not None else "1"
    if text in (">1", "unbounded", "") or text.startswith(">"):
        return ">1"
    return str(int(text))


def document(
    guide: str,
    implementation: str,
    grammar: str,
    provenance: dict[str, Any],
    loops: list[LoopFacts],
) -> dict[str, Any]:
    """The reference JSON for one guide."""
    return {
        "guide": guide,
        "implementation": implementation,
        "grammar": grammar,
        "provenance": provenance,
        "scope": "ST to SE; the ISA/GS envelope is not compared",
        "loops": [loop.facts() for loop in loops],
    }


def _commit_of(path: Path, fallback: str) -> str:
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    match = PROVENANCE.match(first)
    return match.group(3) if match else fallback


# -- TigerShark ------------------------------------------------------------------------
def _literal(node: ast.expr, where: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise ExtractError(f"{where}: expected a literal at line {node.lineno}") from exc


def _properties(call: ast.Call, where: str) -> dict[str, Any]:
    if len(call.args) < 2 or not isinstance(call.args[1], ast.Call):
        raise ExtractError(f"{where}: line {call.lineno}: no Properties(...) argument")
    return {kw.arg: _literal(kw.value, where) for kw in call.args[1].keywords if kw.arg}


def _callee(node: ast.expr) -> str:
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else ""


class TigerShark:
    """TigerShark's grammar: module-level ``parsed_837_* = Loop(...)`` assignments."""

    def __init__(self, root: Path, fallback_commit: str) -> None:
        self.base = root / TIGERSHARK_DIR
        if not self.base.is_dir():
            raise ExtractError(f"{self.base}: not a TigerShark checkout (no {TIGERSHARK_DIR})")
        self.symbols: dict[str, tuple[ast.Call, str]] = {}
        self.files: list[dict[str, str]] = []
        for path in [self.base / "__init__.py", *sorted((self.base / "loops").glob("*.py"))]:
            rel = path.relative_to(root).as_posix()
            self.files.append({"path": rel, "commit": _commit_of(path, fallback_commit)})
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
            for stmt in tree.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Call)
                ):
                    self.symbols[stmt.targets[0].id] = (stmt.value, rel)
        self.loops: dict[str, LoopFacts] = {}
        self.order: list[str] = []

    def extract(self) -> list[LoopFacts]:
        """Walk from the message (``parsed_837``) down."""
        if "parsed_837" not in self.symbols:
            raise ExtractError(f"{self.base}/__init__.py: no parsed_837 message")
        message, rel = self.symbols["parsed_837"]
        self.loops[TRANSACTION] = LoopFacts(TRANSACTION, "Transaction Set", "R", "1", None)
        self.order.append(TRANSACTION)
        for child in message.args[2:]:
            self._child(child, TRANSACTION, rel)
        return [self.loops[i] for i in self.order]

    def _resolve(self, node: ast.expr, rel: str) -> tuple[ast.Call, str]:
        if isinstance(node, ast.Name):
            if node.id not in self.symbols:
                raise ExtractError(f"{rel}: line {node.lineno}: unknown loop {node.id}")
            return self.symbols[node.id]
        if isinstance(node, ast.Call):
            return node, rel
        raise ExtractError(f"{rel}: line {node.lineno}: unexpected {ast.dump(node)[:40]}")

    def _child(self, node: ast.expr, parent: str, rel: str) -> None:
        call, rel = self._resolve(node, rel)
        kind = _callee(call)
        if kind == "Loop":
            self._loop(call, parent, rel)
        elif kind == "Segment":
            seg = self._segment(call, rel)
            if seg.id not in ENVELOPE:
                self.loops[parent].segments.append(seg)
        else:
            raise ExtractError(f"{rel}: line {call.lineno}: unexpected {kind or 'node'}")

    def _loop(self, call: ast.Call, parent: str, rel: str) -> None:
        loop_id = _literal(call.args[0], rel)
        props = _properties(call, rel)
        target = parent
        if loop_id not in WRAPPERS:
            if loop_id in self.loops:  # 2300 sits under 2000B and 2000C: one definition
                return
            self.loops[loop_id] = LoopFacts(
                loop_id,
                props.get("desc", ""),
                props.get("req_sit", "S"),
                _repeat(props.get("repeat")),
                parent,
            )
            self.order.append(loop_id)
            target = loop_id
        for child in call.args[2:]:
            self._child(child, target, rel)

    def _segment(self, call: ast.Call, rel: str) -> Segment:
        seg_id = _literal(call.args[0], rel)
        props = _properties(call, rel)
        pos = props.get("position", props.get("pos"))
        seg = Segment(
            seg_id,
            props.get("desc", ""),
            props.get("req_sit", "S"),
            _repeat(props.get("repeat")),
            int(pos) if pos else None,
        )
        for index, node in enumerate(call.args[2:], start=1):
            if not isinstance(node, ast.Call):
                raise ExtractError(f"{rel}: line {node.lineno}: element expected")
            props = _properties(node, rel)
            ref = f"{seg_id}{index:02d}"
            if _callee(node) == "Composite":
                seg.elements.append(Element(ref, props.get("req_sit", "S"), composite=True))
                for sub, part in enumerate(node.args[2:], start=1):
                    if not isinstance(part, ast.Call):
                        raise ExtractError(f"{rel}: line {part.lineno}: component expected")
                    pprops = _properties(part, rel)
                    seg.elements.append(
                        Element(
                            f"{ref}-{sub:02d}",
                            pprops.get("req_sit", "S"),
                            list(pprops.get("codes") or []) or None,
                        )
                    )
            else:
                seg.elements.append(
                    Element(ref, props.get("req_sit", "S"), list(props.get("codes") or []) or None)
                )
        return seg


def extract_tigershark(root: Path, commit: str) -> dict[str, Any]:
    """The 837D reference document from a TigerShark checkout."""
    grammar = TigerShark(root, commit)
    loops = grammar.extract()
    provenance = {"repository": "zentist/TigerShark", "licence": LICENCE, "files": grammar.files}
    return document("837D", "005010X224A2", "tigershark", provenance, loops)


# -- stupidedi -------------------------------------------------------------------------
TOKEN = re.compile(
    r"""
    (?P<ws>\s+) | (?P<comment>\#[^\n]*) | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>\d+) | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:(?:::|\.)[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<punct>[(),]) | (?P<other>.)""",
    re.VERBOSE,
)


@dataclass
class Call:
    """A parsed Ruby call: name, arguments and (for the block DSL) the block's statements."""

    name: str
    args: list[Any]
    block: list[Any]
    line: int


@dataclass
class Ref:
    """A bare constant such as ``s::ST``, ``r::Required`` or ``d::RepeatCount.unbounded``."""

    name: str


class RubyReader:
    """Recursive descent over the builder calls; everything else is skipped."""

    def __init__(self, text: str, where: str) -> None:
        self.where = where
        self.tokens: list[tuple[str, str, int]] = []
        line, pos = 1, 0
        while pos < len(text):
            match = TOKEN.match(text, pos)
            if not match:
                raise ExtractError(f"{where}: line {line}: cannot read {text[pos : pos + 20]!r}")
            kind = match.lastgroup or ""
            value = match.group()
            if kind not in ("ws", "comment", "other"):
                self.tokens.append((kind, value, line))
            line += value.count("\n")
            pos = match.end()
        self.i = 0

    def build_call(self) -> Call:
        """The ``… .build(...)`` expression that defines the transaction set."""
        for index, (kind, value, _) in enumerate(self.tokens):
            if (
                kind == "name"
                and value.endswith(".build")
                and value.split(".")[0] in ("b", "Builder::Dsl")
            ):
                self.i = index
                node = self._expr()
                if isinstance(node, Call):
                    return node
        raise ExtractError(f"{self.where}: no b.build(...) or Builder::Dsl.build(...) found")

    def _peek(self) -> tuple[str, str, int]:
        if self.i >= len(self.tokens):
            raise ExtractError(f"{self.where}: unexpected end of file")
        return self.tokens[self.i]

    def _take(self, value: str) -> None:
        _kind, got, line = self._peek()
        if got != value:
            raise ExtractError(f"{self.where}: line {line}: expected {value!r}, found {got!r}")
        self.i += 1

    def _expr(self) -> Any:
        kind, value, line = self._peek()
        self.i += 1
        if kind == "str":
            return json.loads(value)
        if kind == "num":
            return int(value)
        if kind != "name":
            raise ExtractError(f"{self.where}: line {line}: unexpected {value!r}")
        if self.i < len(self.tokens) and self.tokens[self.i][1] == "(":
            self.i += 1
            args: list[Any] = []
            while self._peek()[1] != ")":
                args.append(self._expr())
                if self._peek()[1] == ",":
                    self.i += 1
            self._take(")")
            block: list[Any] = []
            if self.i < len(self.tokens) and self.tokens[self.i][1] == "do":
                self.i += 1
                while self._peek()[1] != "end":
                    block.append(self._expr())
                self._take("end")
            return Call(value, args, block, line)
        return Ref(value)


REQ = {"Required": "R", "Situational": "S", "NotUsed": "N"}


def _req(node: Any, where: str) -> str:
    if not isinstance(node, Ref) or node.name.split("::")[-1] not in REQ:
        raise ExtractError(f"{where}: requirement expected, found {node!r}")
    return REQ[node.name.split("::")[-1]]


def _count(node: Any, where: str) -> str:
    if isinstance(node, Ref) and node.name.endswith("RepeatCount.unbounded"):
        return ">1"
    if isinstance(node, Call) and node.name.endswith("RepeatCount.bounded"):
        return str(int(node.args[0]))
    raise ExtractError(f"{where}: repeat count expected, found {node!r}")


def _short(name: str) -> str:
    return name.rsplit("::", maxsplit=1)[-1].rsplit(".", maxsplit=1)[-1]


class Stupidedi:
    """One stupidedi implementation grammar, in either of its two builder styles."""

    def __init__(self, path: Path, where: str) -> None:
        self.where = where
        self.root = RubyReader(path.read_text(encoding="utf-8"), where).build_call()
        self.loops: dict[str, LoopFacts] = {}
        self.order: list[str] = []

    def extract(self) -> list[LoopFacts]:
        """Tables, loops and segments in document order."""
        self.loops[TRANSACTION] = LoopFacts(TRANSACTION, "Transaction Set", "R", "1", None)
        self.order.append(TRANSACTION)
        for node in [*self.root.args[3:], *self.root.block]:
            self._node(node, TRANSACTION)
        return [self.loops[i] for i in self.order]

    def _node(self, node: Any, parent: str) -> None:
        if not isinstance(node, Call):
            raise ExtractError(f"{self.where}: unexpected {node!r}")
        kind = _short(node.name)
        where = f"{self.where}: line {node.line}"
        if kind.startswith("table_") or node.name.startswith("d::TableDef."):
            body = node.args[1:] + node.block
            for child in body:
                self._node(child, parent)
        elif kind in ("build", "loop_") and (node.name.startswith("d::LoopDef") or kind == "loop_"):
            self._loop(node, parent, where)
        elif kind in ("Segment", "segment"):
            seg = self._segment(node, where)
            if seg.id not in ENVELOPE:
                self.loops[parent].segments.append(seg)
        else:
            raise ExtractError(f"{where}: unexpected call {node.name}")

    def _loop(self, node: Call, parent: str, where: str) -> None:
        label = str(node.args[0])
        loop_id = label.split(maxsplit=1)[0]
        children = node.args[2:] + node.block
        if label.upper().endswith("LOOP HEADER"):
            for child in children:
                self._node(child, parent)
            return
        loop = LoopFacts(
            loop_id,
            label.split(" ", 1)[1] if " " in label else label,
            "",
            _count(node.args[1], where),
            parent,
        )
        self.loops[loop_id] = loop
        self.order.append(loop_id)
        for child in children:
            self._node(child, loop_id)
        if not loop.segments:
            raise ExtractError(f"{where}: loop {loop_id} has no segment of its own")
        loop.usage = loop.segments[0].usage

    def _segment(self, node: Call, where: str) -> Segment:
        pos, seg_ref, name, req, count = node.args[:5]
        seg_id = _short(seg_ref.name) if isinstance(seg_ref, Ref) else ""
        if not seg_id:
            raise ExtractError(f"{where}: segment definition expected")
        seg = Segment(seg_id, str(name), _req(req, where), _count(count, where), int(pos))
        for index, element in enumerate(node.args[5:] + node.block, start=1):
            self._element(seg, element, f"{seg_id}{index:02d}", where)
        return seg

    def _element(self, seg: Segment, node: Any, ref: str, where: str) -> None:
        if not isinstance(node, Call) or _short(node.name) not in (
            "Element",
            "element",
            "composite",
        ):
            raise ExtractError(f"{where}: element expected in {seg.id}, found {node!r}")
        usage = _req(node.args[0], where)
        parts = [
            a
            for a in node.args[2:] + node.block
            if isinstance(a, Call) and _short(a.name) in ("Element", "element")
        ]
        codes: list[str] = []
        for arg in node.args[2:]:
            if isinstance(arg, Call) and _short(arg.name) in ("Values", "values"):
                codes += [str(v) for v in arg.args]
        if parts or _short(node.name) == "composite":
            seg.elements.append(Element(ref, usage, composite=True))
            for sub, part in enumerate(parts, start=1):
                self._component(seg, part, f"{ref}-{sub:02d}", where)
        else:
            seg.elements.append(Element(ref, usage, codes or None))

    def _component(self, seg: Segment, node: Call, ref: str, where: str) -> None:
        codes: list[str] = []
        for arg in node.args[2:]:
            if isinstance(arg, Call) and _short(arg.name) in ("Values", "values"):
                codes += [str(v) for v in arg.args]
        seg.elements.append(Element(ref, _req(node.args[0], where), codes or None))


def extract_stupidedi(root: Path, guide: str, commit: str) -> dict[str, Any]:
    """One guide's reference document from a stupidedi checkout."""
    file_name, _, implementation = STUPIDEDI_GUIDES[guide]
    path = root / STUPIDEDI_DIR / file_name
    if not path.is_file():
        raise ExtractError(f"{path}: not found (is {root} a stupidedi checkout?)")
    rel = path.relative_to(root).as_posix()
    loops = Stupidedi(path, rel).extract()
    provenance = {
        "repository": "kputnam/stupidedi",
        "licence": LICENCE,
        "files": [{"path": rel, "commit": _commit_of(path, commit)}],
    }
    return document(guide, implementation, "stupidedi", provenance, loops)


def _write(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    count = sum(len(loop["segments"]) for loop in doc["loops"])
    print(f"wrote {path} ({len(doc['loops'])} loops, {count} segments)")


def main(argv: list[str] | None = None) -> int:
    """Command line: which grammar, where its checkout is, where to write."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("grammar", choices=["tigershark", "stupidedi"])
    parser.add_argument("checkout", type=Path, help="root of the grammar's repository checkout")
    parser.add_argument("--commit", help="commit to record when a file names none")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    parser.add_argument(
        "--guide",
        action="append",
        choices=sorted(STUPIDEDI_GUIDES),
        help="stupidedi guide(s) to extract (default: all)",
    )
    args = parser.parse_args(argv)
    try:
        if args.grammar == "tigershark":
            doc = extract_tigershark(args.checkout, args.commit or TIGERSHARK_COMMIT)
            _write(doc, args.out / "837D_X224A2.tigershark.json")
        else:
            for guide in args.guide or list(STUPIDEDI_GUIDES):
                doc = extract_stupidedi(args.checkout, guide, args.commit or STUPIDEDI_COMMIT)
                _write(doc, args.out / STUPIDEDI_GUIDES[guide][1])
    except (ExtractError, OSError, SyntaxError) as exc:
        print(f"extract: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
