"""Validation with pyx12 and our own rules — the only module of edigateway importing pyx12.

pyx12 reads its map index (``maps.xml``), ``codes.xml``, ``dataele.xml`` and the maps from
one folder. We need its packaged maps (837P, 837I, 835, 999) *and* ours (837D 005010X224A2,
which pyx12 lacks), so :class:`Validator` assembles that folder once, in a cache directory
named by a hash of its contents: pyx12's packaged ``map/`` files overlaid with
``mappings/pyx12/``. It is rebuilt when our maps change and written atomically, so two
processes never see half a folder.

Every file gets a :class:`Verdict`, never a traceback:

* ``unreadable`` — not X12 (no ISA, broken delimiters);
* ``unsupported`` — X12 of a version (4010 …) or transaction we have no map for;
* ``invalid`` / ``valid`` — what pyx12 with the map found, what our own rules found
  (:mod:`edigateway.x12.snip`: balancing, situational rules, code sets, and for an 837D
  the clean-claim edits), bytes outside ASCII (``ENCODING``), layout X12 does not allow
  (``LAYOUT``) and any failure of pyx12 itself (``ENGINE``).

**Every pyx12 finding is kept**: interchange, group and transaction errors (control
numbers, counts, missing trailers), segment errors, and element errors — including the
elements of ISA, GS, ST and their trailers, which pyx12 files on the envelope nodes of its
error tree rather than on a segment (a bad ISA09 date, a bad GS04, an extra ST element,
a missing or unexpected ST03). Should pyx12 call a file invalid without a finding we can
read, the verdict says so (``PYX12``): we never call valid what pyx12 does not.

**Levels (WEDI SNIP types).** Each finding carries ``snip_type`` 1–5. pyx12's findings are
typed by the node they hang on and their code (:data:`PYX12_SNIP_TYPES`): syntax and
envelope integrity are 1, the guide's requirements (usage, repeats, code values the map
lists) 2, and the counts in SE01, GE01 and IEA01 3 (WEDI puts segment counts with
balancing). Our own rules carry the type of their rule (:mod:`edigateway.domain.rules`).
``level=N`` keeps the findings of types ≤ N; the verdict is ``valid`` when none is left.

**Threads.** pyx12 keeps its error handler and logger in module globals and is not
written for threads, while the API validates in a thread pool and the simulator's HTTP
server is threaded. Every pyx12 run therefore holds one module-level lock (pyx12 is
CPU-bound under the GIL, so little is lost); our own rules run outside it. Under the same
lock, maps pyx12 has loaded are kept for the process (:data:`_MAPS`).

**Layout.** Before pyx12 sees a file it is normalised with our own reader: a UTF-8
byte-order mark and CR/LF between segments are dropped (partners send them and pyx12
accepts line breaks). What X12 does not allow and our reader forgives — white space before
a segment or before its terminator, an empty segment, a last segment without terminator —
is reported (``LAYOUT``, type 1), as pyx12 would on the raw bytes.

Example::

    verdict = Validator(mappings_dir=Path("mappings")).validate_file(Path("claims.837"))
    verdict.status, [(f.snip_type, f.message) for f in verdict.errors]
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from edigateway.errors import (
    EdigatewayError,
    UnsupportedX12Error,
    X12StructureError,
    X12SyntaxError,
)
from edigateway.x12.envelope import FileHeader, Segment, iter_segments, sniff_header_text
from edigateway.x12.snip import (
    Finding,
    balance_findings,
    claim_findings,
    load_adjustment_codes,
    segment_findings,
)

if TYPE_CHECKING:
    from edigateway.domain.rules import AdjustmentCodes, CdtList

Status = Literal["valid", "invalid", "unsupported", "unreadable"]

TRANSACTION_NAMES: dict[str, str] = {
    "005010X224A2": "837D", "005010X222A1": "837P", "005010X223A2": "837I",
    "005010X221A1": "835", "005010X231A1": "999", "005010X231": "999",
    "005010X279A1": "27x", "005010X214": "277CA", "005010X212": "276/277",
}

MAX_LEVEL = 5
"""The highest SNIP type we implement (6 and 7 are product and partner business)."""

CDT_FORMAT_ONLY = ("CDT codes checked for format only: load the ADA's list with "
                   "`edigateway codes load cdt FILE`")

PYX12_SNIP_TYPES: dict[tuple[str, str], int] = {
    # interchange (TA1 note codes): control numbers and trailers are syntax, IEA01 a count
    ("isa", "001"): 1, ("isa", "021"): 3, ("isa", "023"): 1, ("isa", "024"): 1,
    ("isa", "025"): 1,
    # functional group (999 AK905/IK5-style codes): GE01 is a count
    ("gs", "3"): 1, ("gs", "4"): 1, ("gs", "5"): 3, ("gs", "6"): 1,
    # transaction set (IK502): SE01 is a count
    ("st", "2"): 1, ("st", "3"): 1, ("st", "4"): 3, ("st", "23"): 1,
    # segment (IK304): misplaced or malformed segments are syntax; what the guide requires,
    # allows once or does not use is 2, and so is pyx12's "1", a segment not found where the
    # guide would place it (our reader refuses segment IDs that are not IDs before pyx12 runs)
    ("seg", "1"): 2, ("seg", "2"): 2, ("seg", "3"): 2, ("seg", "4"): 2, ("seg", "5"): 2,
    ("seg", "6"): 1, ("seg", "7"): 1, ("seg", "8"): 1, ("seg", "HL1"): 1, ("seg", "HL2"): 1,
    ("seg", "LX"): 2, ("seg", "SEG1"): 1, ("seg", "I4"): 2, ("seg", "I6"): 2,
    ("seg", "I7"): 2, ("seg", "I8"): 2, ("seg", "I9"): 2,
    # element (IK403): type, length, characters, dates and X12 syntax rules are 1; required
    # by the guide, not in the guide's code list, not used by the guide are 2
    ("ele", "1"): 2, ("ele", "2"): 1, ("ele", "3"): 1, ("ele", "4"): 1, ("ele", "5"): 1,
    ("ele", "6"): 1, ("ele", "7"): 2, ("ele", "8"): 1, ("ele", "9"): 1, ("ele", "10"): 1,
    ("ele", "12"): 1, ("ele", "13"): 1, ("ele", "I10"): 2, ("ele", "I11"): 2,
    ("ele", "I12"): 2, ("ele", "I13"): 2,
}
"""pyx12 finding (node level, code) → SNIP type; a code not listed is taken as syntax (1)."""

_ENVELOPE: dict[tuple[str, str], tuple[str, str | None, bool]] = {
    ("isa", "001"): ("IEA", "IEA02", True), ("isa", "021"): ("IEA", "IEA01", True),
    ("isa", "023"): ("ISA", None, False), ("isa", "024"): ("IEA", None, True),
    ("isa", "025"): ("ISA", "ISA13", False),
    ("gs", "3"): ("GE", None, True), ("gs", "4"): ("GE", "GE02", True),
    ("gs", "5"): ("GE", "GE01", True), ("gs", "6"): ("GS", "GS06", False),
    ("st", "2"): ("ST", None, False), ("st", "3"): ("SE", "SE02", True),
    ("st", "4"): ("SE", "SE01", True), ("st", "23"): ("ST", "ST02", False),
}
"""Envelope finding → (segment, element, whether it is found at the trailer). A missing
trailer is located at the header that opened it."""

_ENVELOPE_SEGMENTS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})

_PYX12_LOCK = threading.Lock()
"""Held for every pyx12 run (see "Threads" in the module docstring)."""

_MAPS: dict[tuple[str, str | None], Any] = {}
"""pyx12 maps already loaded, by (file, folder). pyx12 parses a map's XML (and its code
lists) on every run, ~0.3 s per map, nine tenths of a small file's validation; a loaded map
is only read while validating (counts live in pyx12's walker, not in the map), and the
folder is named by its content's hash, so a changed map is a new key. Used under the lock."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What validation says about one file."""

    file: str
    transaction: str | None
    version: str | None
    status: Status
    errors: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when nothing at all was found (at the level asked for)."""
        return self.status == "valid"

    def to_json(self) -> dict[str, object]:
        """``{"file", "transaction", "version", "valid", "status", "errors": [...],
        "notes": [...]}``."""
        return {"file": self.file, "transaction": self.transaction, "version": self.version,
                "valid": self.valid, "status": self.status,
                "errors": [f.to_json() for f in self.errors], "notes": list(self.notes)}


class Validator:
    """Validates X12 5010 files with pyx12, our maps and our rules (see module docstring)."""

    def __init__(self, mappings_dir: Path, cache_dir: Path | None = None) -> None:
        self.mappings_dir = mappings_dir
        self.cache_dir = cache_dir
        self._map_path: Path | None = None
        self._index: dict[tuple[str, str], str] | None = None
        self._known: list[str] = []
        self._codes: AdjustmentCodes | None = None

    # -- the map folder -------------------------------------------------------------
    def map_path(self) -> Path:
        """The assembled pyx12 map folder (built on first use)."""
        if self._map_path is None:
            self._map_path = self._assemble()
        return self._map_path

    def _sources(self) -> list[Path]:
        packaged = Path(str(resources.files("pyx12").joinpath("map")))
        ours = self.mappings_dir / "pyx12"
        files = {p.name: p for p in sorted(packaged.iterdir()) if p.is_file()}
        if ours.is_dir():
            files.update({p.name: p for p in sorted(ours.iterdir()) if p.is_file()})
        return [files[name] for name in sorted(files)]

    def _assemble(self) -> Path:
        sources = self._sources()
        digest = hashlib.sha256()
        for path in sources:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        root = self.cache_dir or Path(tempfile.gettempdir()) / "edigateway-cache"
        target = root / f"pyx12-maps-{digest.hexdigest()[:16]}"
        if target.is_dir():
            return target
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".maps-", dir=root))
        for path in sources:
            shutil.copyfile(path, staging / path.name)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process won the race
        return target

    def _map_index(self) -> dict[tuple[str, str], str]:
        """(GS01, GS08) → map file, for the 5010 maps the folder has."""
        if self._index is None:
            import xml.etree.ElementTree as ET

            tree = ET.parse(self.map_path() / "maps.xml")  # noqa: S314 - trusted local file
            entries = [m for version in tree.iter("version") if version.get("icvn") == "00501"
                       for m in version.iter("map")]
            self._index = {(m.get("fic") or "", m.get("vriic") or ""): m.text or ""
                           for m in entries}
            self._known = sorted({
                f"{TRANSACTION_NAMES.get(m.get('vriic') or '', m.get('abbr'))} "
                f"{m.get('vriic')}" for m in entries if m.get("abbr") != "X12"})
        return self._index

    def _adjustment_codes(self) -> AdjustmentCodes:
        if self._codes is None:
            self._codes = load_adjustment_codes(self.mappings_dir)
        return self._codes

    # -- validation -----------------------------------------------------------------
    def validate_file(self, path: Path, *, level: int = MAX_LEVEL, cdt: CdtList | None = None,
                      today: date | None = None) -> Verdict:
        """Validate the file at ``path`` (see :meth:`validate_bytes`)."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            return Verdict(str(path), None, None, "unreadable",
                           (Finding(None, None, None, None, "IO",
                                    f"cannot read the file: {exc.strerror or exc}"),))
        return self.validate_bytes(data, str(path), level=level, cdt=cdt, today=today)

    def validate_text(self, text: str, name: str = "<text>", *, level: int = MAX_LEVEL,
                      cdt: CdtList | None = None, today: date | None = None) -> Verdict:
        """Validate X12 held in memory."""
        return self.validate_bytes(text.encode("utf-8", errors="surrogateescape"), name,
                                   level=level, cdt=cdt, today=today)

    def validate_bytes(self, data: bytes, name: str, *, level: int = MAX_LEVEL,
                       cdt: CdtList | None = None, today: date | None = None) -> Verdict:
        """Validate raw bytes; the heart of the adapter.

        ``level`` keeps findings of SNIP types ≤ ``level`` (1–5); ``cdt`` is the practice's
        licensed CDT list (without it CDT codes are checked for their format only, and the
        verdict notes that); ``today`` dates the "no future dates" edit (default: today).
        """
        findings: list[Finding] = []
        text = _decode(data, findings)
        try:
            header = sniff_header_text(text, name)
            segments = list(iter_segments(io.StringIO(text), name))
        except X12SyntaxError as exc:
            loc = exc.location
            return Verdict(name, None, None, "unreadable", (
                Finding(loc.segment_index, loc.segment_id, loc.loop, loc.element, "SYNTAX",
                        exc.message),))
        except UnsupportedX12Error as exc:
            return Verdict(name, None, _version_of(text), "unsupported", (
                Finding(1, "ISA", None, exc.location.element, "VERSION", exc.message),))
        except X12StructureError as exc:  # a character X12 does not allow (a NUL …)
            loc = exc.location
            return Verdict(name, None, _version_of(text), "invalid", (
                Finding(loc.segment_index, loc.segment_id, loc.loop, loc.element,
                        "ENCODING", exc.message),))
        transaction = TRANSACTION_NAMES.get(header.gs_version, header.transaction or None)
        if transaction == "27x":
            transaction = header.transaction
        missing = self._missing_map(header)
        if missing:
            return Verdict(name, transaction, header.gs_version or header.isa_version,
                           "unsupported", (Finding(None, "GS", None, "GS08", "MAP", missing),))
        findings.extend(_layout_findings(text, segments))
        loops: dict[int, str] = {}
        findings.extend(self._run_pyx12(segments, loops))
        notes: list[str] = []
        ours = segment_findings(segments, codes=self._adjustment_codes(), cdt=cdt)
        if transaction == "837D":
            check = claim_findings(segments, name, today=today or _today(), cdt=cdt)
            ours += check.findings
            if check.note:
                notes.append(check.note)
            if cdt is None and level >= MAX_LEVEL:
                notes.append(CDT_FORMAT_ONLY)
        elif transaction == "835":
            ours += balance_findings(segments, name)
        findings.extend(_with_loops(_unique(ours, findings), loops))
        kept = tuple(f for f in findings if f.snip_type <= level)
        status: Status = "invalid" if kept else "valid"
        return Verdict(name, transaction, header.gs_version, status, kept, tuple(notes))

    def _missing_map(self, header: FileHeader) -> str | None:
        if not header.gs_version:
            what = header.transaction or "interchange"
            return f"no functional group (GS) found; validating a bare {what} is not supported"
        if (header.functional_id, header.gs_version) in self._map_index():
            return None
        return (f"no validation map for {header.transaction or '?'} version "
                f"{header.gs_version} (functional group {header.functional_id}); "
                f"edigateway validates {', '.join(self._known)}")

    def _run_pyx12(self, segments: list[Segment], loops: dict[int, str]) -> list[Finding]:
        """pyx12's findings for ``segments`` (``loops`` gets each segment's loop)."""
        normalised = _serialise(segments)
        map_path = str(self.map_path())
        with _PYX12_LOCK:
            return _Pyx12Run(loops).run(normalised, map_path)


class _Pyx12Run:
    """One pyx12 run: its error tree captured through its own factory and read in full."""

    def __init__(self, loops: dict[int, str]) -> None:
        self.loops = loops
        self.handler: Any = None
        self.findings: list[Finding] = []
        self.envelope_elements: dict[int, tuple[str, int]] = {}

    def run(self, normalised: str, map_path: str) -> list[Finding]:
        import pyx12.error_handler
        import pyx12.map_if
        import pyx12.params
        import pyx12.x12n_document

        original = pyx12.error_handler.err_handler
        load_map = pyx12.map_if.load_map_file

        def capturing_handler(*args: Any, **kwargs: Any) -> Any:
            handler = original(*args, **kwargs)
            self.handler = handler
            return handler

        def cached_map(map_file: str, param: Any, path: str | None = None) -> Any:
            key = (map_file, path)
            if key not in _MAPS:
                _MAPS[key] = load_map(map_file, param, path)
            return _MAPS[key]

        logger = logging.getLogger("pyx12")
        level, propagate = logger.level, logger.propagate
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
        pyx12.error_handler.err_handler = capturing_handler
        pyx12.map_if.load_map_file = cached_map
        said_valid = True
        try:
            said_valid = pyx12.x12n_document.x12n_document(
                param=pyx12.params.params(), src_file=io.StringIO(normalised), fd_997=None,
                fd_html=None, fd_xmldoc=None, map_path=map_path, callback=self._segment_done)
        except Exception as exc:  # noqa: BLE001 - any pyx12 failure becomes a verdict
            self.findings.append(Finding(
                None, None, None, None, "ENGINE",
                f"the validator (pyx12) failed on this file: {type(exc).__name__}: {exc}; "
                "this is a validator limitation, not necessarily a problem in the file"))
        finally:
            pyx12.error_handler.err_handler = original
            pyx12.map_if.load_map_file = load_map
            logger.setLevel(level)
            logger.propagate = propagate
        if self.handler is not None:
            try:
                self._collect()
            except Exception as exc:  # noqa: BLE001 - error tree walking is pyx12 internals
                self.findings.append(Finding(None, None, None, None, "ENGINE",
                                             f"could not read pyx12's findings: {exc}"))
        if not said_valid and not self.findings:
            self.findings.append(Finding(
                None, None, None, None, "PYX12",
                "pyx12 found this file invalid but reported nothing we could locate; run "
                "x12valid --map-path \"$(edigateway x12 maps)\" on it for pyx12's own words"))
        return self.findings

    def _segment_done(self, seg: Any, src: Any, node: Any, _valid: bool) -> None:
        """pyx12's per-segment callback: the segment's loop, and the owner of any new
        element error on an envelope node (ISA/IEA, GS/GE, ST/SE elements land there).

        pyx12 loses the segment-level errors of envelope segments (too many elements in
        ST, GS, SE …: its envelope nodes take no error value), so those are asked for again
        here from the segment's map node.
        """
        line = src.get_cur_line()
        seg_id = seg.get_seg_id()
        parent = node.get_parent() if node is not None else None
        self.loops[line] = getattr(parent, "id", None) or ""
        handler = self.handler
        if handler is None:
            return
        for envelope in (handler.cur_isa_node, handler.cur_gs_node, handler.cur_st_node):
            for element in getattr(envelope, "elements", None) or ():
                self.envelope_elements.setdefault(id(element), (seg_id, line))
        if seg_id in _ENVELOPE_SEGMENTS and node is not None and node.id == seg_id:
            _ok, errors = node.is_valid_errors(seg)
            for error in errors:
                if error.map_node is None:
                    self.add(line, seg_id, None, "seg", "8", error.err_str)

    def _collect(self) -> None:
        from pyx12.error_visitor import error_visitor

        run = self

        class Visitor(error_visitor):  # type: ignore[misc]
            seg: Any = None

            def visit_isa_post(self, err_isa: Any) -> None:
                run.envelope("isa", err_isa, err_isa.cur_line_isa, err_isa.cur_line_iea)

            def visit_gs_post(self, err_gs: Any) -> None:
                run.envelope("gs", err_gs, err_gs.cur_line_gs, err_gs.cur_line_ge)

            def visit_st_post(self, err_st: Any) -> None:
                run.envelope("st", err_st, err_st.cur_line_st, err_st.cur_line_se)

            def visit_seg(self, err_seg: Any) -> None:
                self.seg = err_seg
                for code, message, _value in err_seg.errors:
                    run.add(err_seg.get_cur_line(), err_seg.seg_id, None, "seg", code, message)

            def visit_ele(self, err_ele: Any) -> None:
                seg = self.seg
                run.element(seg.get_cur_line(), seg.seg_id, err_ele)

        self.handler.accept(Visitor(None))

    def envelope(self, kind: str, node: Any, header_line: int | None,
                 trailer_line: int | None) -> None:
        """Findings filed on an ISA, GS or ST node: its own errors and its elements'."""
        header = {"isa": "ISA", "gs": "GS", "st": "ST"}[kind]
        for code, message in node.errors:
            segment, element, at_trailer = _ENVELOPE.get((kind, str(code)), (header, None,
                                                                              False))
            line = trailer_line if at_trailer and trailer_line else header_line
            self.add(line, segment, element, kind, code, message)
        for err_ele in node.elements:
            seg_id, line = self.envelope_elements.get(id(err_ele), (header, header_line or 0))
            self.element(line, seg_id, err_ele)

    def element(self, line: int | None, seg_id: str, err_ele: Any) -> None:
        name = f"{seg_id}{int(err_ele.ele_pos):02d}"
        if err_ele.subele_pos:
            name += f"-{int(err_ele.subele_pos):02d}"
        for code, message, _value in err_ele.errors:
            self.add(line, seg_id, name, "ele", code, message)

    def add(self, line: int | None, seg_id: str | None, element: str | None, kind: str,
            code: object, message: object) -> None:
        index = line if isinstance(line, int) and line > 0 else None
        loop = self.loops.get(index) if index is not None else None
        self.findings.append(Finding(index, seg_id, loop or None, element, str(code),
                                     str(message), PYX12_SNIP_TYPES.get((kind, str(code)), 1)))


def _today() -> date:
    """The local calendar date (a claim's dates are the practice's local dates)."""
    return datetime.now().astimezone().date()


def _unique(ours: list[Finding], others: list[Finding]) -> list[Finding]:
    """Our findings, one per rule and place: the same fact checked on the segments and on
    the claims read back is reported once, and a claim the reader refused (V130) is left
    out where another finding already names its segment (the verdict's note still says
    that the clean-claim edits did not run)."""
    seen: set[tuple[str, int | None, str | None]] = set()
    named = {f.segment_index for f in (*ours, *others)
             if f.code != "V130" and f.segment_index is not None}
    kept: list[Finding] = []
    for finding in ours:
        key = (finding.code, finding.segment_index, finding.element)
        if key in seen or (finding.code == "V130" and finding.segment_index in named):
            continue
        seen.add(key)
        kept.append(finding)
    return kept


def _with_loops(findings: list[Finding], loops: dict[int, str]) -> list[Finding]:
    """Our findings located by segment get the loop pyx12 placed that segment in, where
    our rule did not know it."""
    result = []
    for f in findings:
        loop = f.loop or (loops.get(f.segment_index) if f.segment_index else None) or None
        result.append(Finding(f.segment_index, f.segment_id, loop, f.element, f.code,
                              f.message, f.snip_type))
    return result


def _layout_findings(text: str, segments: list[Segment]) -> list[Finding]:
    """What X12 does not allow between or around segments and our reader forgives.

    Mirrors how pyx12 splits a file (at the first ISA's segment terminator, dropping
    CR/LF before each segment): white space before the ISA or before a segment, white
    space at a segment's end, an empty segment, and a last segment without terminator.
    Each kind is reported once, at its first segment, with how often it occurs.
    """
    start = text.find("ISA")
    if start < 0 or len(text) < start + 106:
        return []
    seen: dict[str, list[int]] = {}
    if start > 0:
        seen["before the ISA"] = [1]
    terminator = text[start + 105]
    pieces = text[start:].split(terminator)
    tail = pieces.pop()
    position = 0
    for piece in pieces:
        body = piece.lstrip("\r\n")
        if not body.strip(" \t\r\n"):
            seen.setdefault("empty", []).append(max(position, 1))
            continue
        position += 1
        if body[0] in " \t":
            seen.setdefault("before", []).append(position)
        if body[-1] in " \t\r\n":
            seen.setdefault("after", []).append(position)
    if tail.strip(" \t\r\n"):
        seen["unterminated"] = [position + 1]
    ids = {seg.position: seg.id for seg in segments}
    found = []
    for kind, positions in seen.items():
        first, count = positions[0], len(positions)
        found.append(Finding(first, ids.get(first), None, None, "LAYOUT",
                             _LAYOUT[kind].format(count=count, terminator=terminator)))
    return found


_LAYOUT = {
    "before the ISA": "characters before the ISA: an interchange starts with ISA",
    "empty": "{count} empty segment(s) (two terminators in a row), the first after this "
             "segment: X12 has no empty segments",
    "before": "white space before {count} segment(s), the first here: X12 allows none "
              "between segments (line breaks aside)",
    "after": "white space before the terminator of {count} segment(s), the first here: it "
             "is part of the last element's value",
    "unterminated": "the last segment has no segment terminator ({terminator!r})",
}


def _decode(data: bytes, findings: list[Finding]) -> str:
    """Text of ``data`` without a BOM; characters outside ASCII reported (pyx12 gets
    them as ``?``, our own rules see them as they are)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="replace")
    if text.isascii():
        return text
    bad = [(i, ch) for i, ch in enumerate(text) if not ch.isascii()]
    segment = text.count("~", 0, bad[0][0]) + 1 if "~" in text[:106] else None
    findings.append(Finding(
        segment, None, None, None, "ENCODING",
        f"{len(bad)} character(s) outside ASCII (first {bad[0][1]!r}); X12 allows only the "
        "basic and extended character sets, so receivers may reject the file"))
    return text


def _serialise(segments: list[Segment]) -> str:
    """One segment per line, delimiters as declared (what pyx12 reads most reliably);
    characters outside ASCII become ``?`` (pyx12 reads ASCII only)."""
    parts: list[str] = []
    for seg in segments:
        d = seg.delimiters
        parts.append(d.element.join([seg.id, *seg.elements]) + d.segment + "\n")
    text = "".join(parts)
    return text if text.isascii() else text.encode("ascii", "replace").decode("ascii")


def _version_of(text: str) -> str | None:
    start = text.find("GS")
    if start < 0:
        return text[84:89] if text.startswith("ISA") else None
    line = text[start:start + 120].split(text[3] if len(text) > 3 else "*")
    return line[8].split(text[105] if len(text) > 105 else "~")[0] if len(line) > 8 else None


__all__ = ["EdigatewayError", "Finding", "Validator", "Verdict"]
