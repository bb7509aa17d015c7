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

**Every pyx12 finding is counted** (the first :data:`MAX_FINDINGS` listed): interchange,
group and transaction errors (control numbers, counts, missing trailers), segment errors,
and element errors — including the
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

**Layout.** pyx12 sees a file normalised by our own reader: a UTF-8 byte-order mark and
CR/LF between segments are dropped (partners send them and pyx12 accepts line breaks).
What X12 does not allow and our reader forgives — white space before a segment or before
its terminator, an empty segment, a last segment without terminator — is reported
(``LAYOUT``, type 1), as pyx12 would on the raw bytes.

**Bounded.** Memory stays bounded whatever the file, and time grows with its size only.
The file is never held: it is read in passes, each streamed in 64 KiB pieces — the
header; then, under the lock, pyx12 reading our segments as it asks for them
(:class:`_Pyx12Text`) while the bytes are checked for encoding and layout on the way;
then our own rules (:class:`~edigateway.x12.snip.OurRules`, claim by claim, outside the
lock). What stays is what findings need: pyx12's error tree is read and dropped as each
part of it is complete (it keeps a node per faulty segment otherwise), the loop of each
position is kept as runs of one loop (:class:`_Loops`), and each kind of finding keeps
its first :data:`MAX_FINDINGS` and counts the rest (the verdict's note says how many).
Limits, each reported where it is met: a segment over 1 MiB is refused by the reader
(``SYNTAX``, unreadable: :data:`~edigateway.x12.envelope.MAX_SEGMENT_LENGTH`); past
:data:`MAX_TRANSACTION_SEGMENTS` segments in one transaction set validation stops
(``LIMIT``, type 1: the transaction's size is counted, the rest of the file is not
validated); a claim over :data:`~edigateway.x12.snip.MAX_CLAIM_SEGMENTS` segments stops
our claim rules (a note).

Example::

    verdict = Validator(mappings_dir=Path("mappings")).validate_file(Path("claims.837"))
    verdict.status, [(f.snip_type, f.message) for f in verdict.errors]
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import io
import itertools
import logging
import re
import shutil
import tempfile
import threading
from array import array
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TextIO, cast

from edigateway.errors import (
    EdigatewayError,
    UnsupportedX12Error,
    X12StructureError,
    X12SyntaxError,
)
from edigateway.x12.envelope import ISA_LENGTH, FileHeader, iter_segments, sniff_header
from edigateway.x12.snip import Finding, FindingList, OurRules, load_adjustment_codes

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from edigateway.domain.rules import AdjustmentCodes, CdtList
    from edigateway.x12.envelope import Segment

Status = Literal["valid", "invalid", "unsupported", "unreadable"]

TRANSACTION_NAMES: dict[str, str] = {
    "005010X224A2": "837D",
    "005010X222A1": "837P",
    "005010X223A2": "837I",
    "005010X221A1": "835",
    "005010X231A1": "999",
    "005010X231": "999",
    "005010X279A1": "27x",
    "005010X214": "277CA",
    "005010X212": "276/277",
    "005010X210": "275",
}

MAX_LEVEL = 5
"""The highest SNIP type we implement (6 and 7 are product and partner business)."""

MAX_FINDINGS = 1000
"""Findings listed per file; past them a note gives the count (see "Bounded")."""
MAX_TRANSACTION_SEGMENTS = 2_000_000
"""Segments validated in one transaction set (counted from the previous SE); past them
validation stops with a LIMIT finding. The largest file we benchmark, a 135,000-claim 835
in two payments, has 1.3 million segments per transaction."""
MAX_LOOP_RUNS = 2_000_000
"""Runs of one loop remembered per file, to name the loop of our own rules' findings
(≈ 20 MB at most; a 135,000-claim 835 has 0.3 million runs)."""
_CHUNK = 1 << 16

CDT_FORMAT_ONLY = (
    "CDT codes checked for format only: load the ADA's list with `edigateway codes load cdt FILE`"
)

PYX12_SNIP_TYPES: dict[tuple[str, str], int] = {
    # interchange (TA1 note codes): control numbers and trailers are syntax, IEA01 a count
    ("isa", "001"): 1,
    ("isa", "021"): 3,
    ("isa", "023"): 1,
    ("isa", "024"): 1,
    ("isa", "025"): 1,
    # functional group (999 AK905/IK5-style codes): GE01 is a count
    ("gs", "3"): 1,
    ("gs", "4"): 1,
    ("gs", "5"): 3,
    ("gs", "6"): 1,
    # transaction set (IK502): SE01 is a count
    ("st", "2"): 1,
    ("st", "3"): 1,
    ("st", "4"): 3,
    ("st", "23"): 1,
    # segment (IK304): misplaced or malformed segments are syntax; what the guide requires,
    # allows once or does not use is 2, and so is pyx12's "1", a segment not found where the
    # guide would place it (our reader refuses segment IDs that are not IDs before pyx12 runs)
    ("seg", "1"): 2,
    ("seg", "2"): 2,
    ("seg", "3"): 2,
    ("seg", "4"): 2,
    ("seg", "5"): 2,
    ("seg", "6"): 1,
    ("seg", "7"): 1,
    ("seg", "8"): 1,
    ("seg", "HL1"): 1,
    ("seg", "HL2"): 1,
    ("seg", "LX"): 2,
    ("seg", "SEG1"): 1,
    ("seg", "I4"): 2,
    ("seg", "I6"): 2,
    ("seg", "I7"): 2,
    ("seg", "I8"): 2,
    ("seg", "I9"): 2,
    # element (IK403): type, length, characters, dates and X12 syntax rules are 1; required
    # by the guide, not in the guide's code list, not used by the guide are 2
    ("ele", "1"): 2,
    ("ele", "2"): 1,
    ("ele", "3"): 1,
    ("ele", "4"): 1,
    ("ele", "5"): 1,
    ("ele", "6"): 1,
    ("ele", "7"): 2,
    ("ele", "8"): 1,
    ("ele", "9"): 1,
    ("ele", "10"): 1,
    ("ele", "12"): 1,
    ("ele", "13"): 1,
    ("ele", "I10"): 2,
    ("ele", "I11"): 2,
    ("ele", "I12"): 2,
    ("ele", "I13"): 2,
}
"""pyx12 finding (node level, code) → SNIP type; a code not listed is taken as syntax (1)."""

_ENVELOPE: dict[tuple[str, str], tuple[str, str | None, bool]] = {
    ("isa", "001"): ("IEA", "IEA02", True),
    ("isa", "021"): ("IEA", "IEA01", True),
    ("isa", "023"): ("ISA", None, False),
    ("isa", "024"): ("IEA", None, True),
    ("isa", "025"): ("ISA", "ISA13", False),
    ("gs", "3"): ("GE", None, True),
    ("gs", "4"): ("GE", "GE02", True),
    ("gs", "5"): ("GE", "GE01", True),
    ("gs", "6"): ("GS", "GS06", False),
    ("st", "2"): ("ST", None, False),
    ("st", "3"): ("SE", "SE02", True),
    ("st", "4"): ("SE", "SE01", True),
    ("st", "23"): ("ST", "ST02", False),
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
        return {
            "file": self.file,
            "transaction": self.transaction,
            "version": self.version,
            "valid": self.valid,
            "status": self.status,
            "errors": [f.to_json() for f in self.errors],
            "notes": list(self.notes),
        }


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
            entries = [
                m
                for version in tree.iter("version")
                if version.get("icvn") == "00501"
                for m in version.iter("map")
            ]
            self._index = {
                (m.get("fic") or "", m.get("vriic") or ""): m.text or "" for m in entries
            }
            self._known = sorted(
                {
                    f"{TRANSACTION_NAMES.get(m.get('vriic') or '', m.get('abbr'))} {m.get('vriic')}"
                    for m in entries
                    if m.get("abbr") != "X12"
                }
            )
        return self._index

    def _adjustment_codes(self) -> AdjustmentCodes:
        if self._codes is None:
            self._codes = load_adjustment_codes(self.mappings_dir)
        return self._codes

    # -- validation -----------------------------------------------------------------
    def validate_file(
        self,
        path: Path,
        *,
        level: int = MAX_LEVEL,
        cdt: CdtList | None = None,
        today: date | None = None,
    ) -> Verdict:
        """Validate the file at ``path``, streamed (see :meth:`validate_bytes`)."""
        return self._validate(lambda: path.open("rb"), str(path), level=level, cdt=cdt, today=today)

    def validate_text(
        self,
        text: str,
        name: str = "<text>",
        *,
        level: int = MAX_LEVEL,
        cdt: CdtList | None = None,
        today: date | None = None,
    ) -> Verdict:
        """Validate X12 held in memory."""
        return self.validate_bytes(
            text.encode("utf-8", errors="surrogateescape"), name, level=level, cdt=cdt, today=today
        )

    def validate_bytes(
        self,
        data: bytes,
        name: str,
        *,
        level: int = MAX_LEVEL,
        cdt: CdtList | None = None,
        today: date | None = None,
    ) -> Verdict:
        """Validate raw bytes; the heart of the adapter.

        ``level`` keeps findings of SNIP types ≤ ``level`` (1–5); ``cdt`` is the practice's
        licensed CDT list (without it CDT codes are checked for their format only, and the
        verdict notes that); ``today`` dates the "no future dates" edit (default: today).
        """
        return self._validate(lambda: io.BytesIO(data), name, level=level, cdt=cdt, today=today)

    def _validate(
        self,
        open_raw: Callable[[], BinaryIO],
        name: str,
        *,
        level: int,
        cdt: CdtList | None,
        today: date | None,
    ) -> Verdict:
        """Every pass over the file, each streamed from ``open_raw()``; a reader error
        anywhere ends in that error's verdict alone, as it did when the file was read whole
        first."""

        def masked() -> BinaryIO:
            return cast("BinaryIO", _BinaryMasked(open_raw()))

        try:
            return self._passes(masked, name, level=level, cdt=cdt, today=today)
        except OSError as exc:
            return Verdict(
                name,
                None,
                None,
                "unreadable",
                (
                    Finding(
                        None, None, None, None, "IO", f"cannot read the file: {exc.strerror or exc}"
                    ),
                ),
            )
        except X12SyntaxError as exc:
            loc = exc.location
            return Verdict(
                name,
                None,
                None,
                "unreadable",
                (
                    Finding(
                        loc.segment_index,
                        loc.segment_id,
                        loc.loop,
                        loc.element,
                        "SYNTAX",
                        exc.message,
                    ),
                ),
            )
        except UnsupportedX12Error as exc:
            return Verdict(
                name,
                None,
                _version_of(open_raw),
                "unsupported",
                (Finding(1, "ISA", None, exc.location.element, "VERSION", exc.message),),
            )
        except X12StructureError as exc:  # a character X12 does not allow (a NUL …)
            loc = exc.location
            return Verdict(
                name,
                None,
                _version_of(open_raw),
                "invalid",
                (
                    Finding(
                        loc.segment_index,
                        loc.segment_id,
                        loc.loop,
                        loc.element,
                        "ENCODING",
                        exc.message,
                    ),
                ),
            )

    def _passes(
        self,
        open_raw: Callable[[], BinaryIO],
        name: str,
        *,
        level: int,
        cdt: CdtList | None,
        today: date | None,
    ) -> Verdict:
        with _Decoded(open_raw()) as text:
            header = sniff_header(text.segments(name), name)
        transaction = TRANSACTION_NAMES.get(header.gs_version, header.transaction or None)
        if transaction == "27x":
            transaction = header.transaction
        missing = self._missing_map(header)
        if missing:
            with _Decoded(open_raw()) as text:
                for _ in text.segments(name):  # a reader error anywhere comes first
                    pass
            return Verdict(
                name,
                transaction,
                header.gs_version or header.isa_version,
                "unsupported",
                (Finding(None, "GS", None, "GS08", "MAP", missing),),
            )
        checked = self._run_pyx12(open_raw, name, level)
        ours = OurRules(
            name,
            transaction=transaction,
            codes=self._adjustment_codes(),
            cdt=cdt,
            today=today or _today(),
            level=level,
            cap=MAX_FINDINGS,
        )
        with _Decoded(open_raw()) as text:
            segments = text.segments(name)
            if checked.stop is not None:
                segments = itertools.islice(segments, checked.stop.validated)
            ours.run(segments, complete=checked.stop is None)
        notes = list(ours.notes)
        if transaction == "837D" and cdt is None and level >= MAX_LEVEL:
            notes.append(CDT_FORMAT_ONLY)
        return _verdict(name, transaction, header.gs_version, checked, ours, notes)

    def _missing_map(self, header: FileHeader) -> str | None:
        if not header.gs_version:
            what = header.transaction or "interchange"
            return f"no functional group (GS) found; validating a bare {what} is not supported"
        if (header.functional_id, header.gs_version) in self._map_index():
            return None
        return (
            f"no validation map for {header.transaction or '?'} version "
            f"{header.gs_version} (functional group {header.functional_id}); "
            f"edigateway validates {', '.join(self._known)}"
        )

    def _run_pyx12(self, open_raw: Callable[[], BinaryIO], name: str, level: int) -> _Checked:
        """The first pass: the bytes (encoding, layout) and pyx12's findings, under the
        lock. pyx12 reads our segments, normalised, as it asks for them."""
        map_path = str(self.map_path())
        checked = _Checked(level)
        with _Decoded(open_raw(), checked.encoding, checked.layout) as text:
            feed = _Feed(text.segments(name), checked.layout)
            with _PYX12_LOCK:
                _Pyx12Run(checked).run(_Pyx12Text(feed), map_path)
            if feed.stop is not None:
                checked.stop = feed.stop
                feed.count_rest()
        checked.encoding.finish()
        checked.layout.finish()
        return checked


@dataclass
class _Stop:
    """Where validation stopped: a transaction longer than MAX_TRANSACTION_SEGMENTS."""

    validated: int
    start: int
    start_id: str
    segments: int = 0

    def finding(self) -> Finding:
        return Finding(
            self.validated + 1,
            None,
            None,
            None,
            "LIMIT",
            f"the transaction set starting at segment {self.start} ({self.start_id}) has "
            f"{self.segments:,} segments; validation stopped after "
            f"{MAX_TRANSACTION_SEGMENTS:,} of them (edigateway validates at most "
            f"{MAX_TRANSACTION_SEGMENTS:,} segments per transaction, so that memory and time "
            "stay bounded); the rest of the file was not validated",
        )


class _Checked:
    """What the first pass found, each kind in a bounded :class:`FindingList`."""

    def __init__(self, level: int) -> None:
        self.encoding = _EncodingScan(level)
        self.layout = _LayoutScan(level)
        self.early = FindingList(level, MAX_FINDINGS)
        """pyx12 findings seen while it runs (envelope segment errors it loses)."""
        self.tree = FindingList(level, MAX_FINDINGS)
        """pyx12's error tree, read in its own order as its parts are complete."""
        self.loops = _Loops()
        self.stop: _Stop | None = None


def _verdict(
    name: str,
    transaction: str | None,
    version: str,
    checked: _Checked,
    ours: OurRules,
    notes: list[str],
) -> Verdict:
    """Every kind of finding in the order the adapter always gave them, our rules' findings
    with the loop pyx12 placed their segment in, the first MAX_FINDINGS listed."""
    lists = (
        checked.encoding.findings,
        checked.layout.findings,
        checked.early,
        checked.tree,
        ours.segments,
        ours.claims,
        ours.duplicates,
    )
    named: set[int] = set().union(*(kind.positions for kind in lists))
    found = [
        *checked.encoding.findings.kept,
        *checked.layout.findings.kept,
        *checked.early.kept,
        *checked.tree.kept,
    ]
    dropped = 0
    for kind in (ours.segments, ours.claims, ours.duplicates):
        for f in kind.kept:
            if f.code == "V130" and f.segment_index in named:
                dropped += 1
                continue
            loop = f.loop or checked.loops.loop_at(f.segment_index)
            found.append(
                Finding(
                    f.segment_index, f.segment_id, loop, f.element, f.code, f.message, f.snip_type
                )
            )
    if checked.stop is not None:
        found.append(checked.stop.finding())
    total = sum(kind.count for kind in lists) - dropped + (checked.stop is not None)
    if total > len(found[:MAX_FINDINGS]):
        notes.append(
            f"{total:,} findings; the first {min(len(found), MAX_FINDINGS):,} are "
            "listed (past the first findings of a kind they are counted, not "
            "told apart)"
        )
        if checked.stop is not None and len(found) > MAX_FINDINGS:
            found[MAX_FINDINGS - 1] = checked.stop.finding()
    kept = tuple(found[:MAX_FINDINGS])
    status: Status = "invalid" if total else "valid"
    return Verdict(name, transaction, version, status, kept, tuple(notes))


# --------------------------------------------------------------------------- reading


class _Decoded:
    """A file's bytes as text, streamed: a UTF-8 byte-order mark dropped, bytes that are
    not UTF-8 read as U+FFFD, each piece shown to ``observers`` as it is read."""

    def __init__(self, raw: BinaryIO, *observers: _Observer) -> None:
        self.raw = raw
        self.observers = observers
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.started = False
        self.done = False

    def read(self, size: int = -1) -> str:
        """Up to about ``size`` characters; ``""`` at the end."""
        while not self.done:
            data = self.raw.read(size if size > 0 else _CHUNK)
            if not self.started:
                while len(data) < 3 and (more := self.raw.read(3 - len(data))):
                    data += more
                data = data.removeprefix(codecs.BOM_UTF8)
                self.started = True
            text = self.decoder.decode(data, final=not data)
            self.done = not data
            if text or self.done:
                for observer in self.observers:
                    observer.see(text)
                return text
        return ""

    def segments(self, name: str) -> Iterator[Segment]:
        """This text's segments (:func:`~edigateway.x12.envelope.iter_segments`)."""
        return iter_segments(cast("TextIO", self), name)

    def __enter__(self) -> _Decoded:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.raw.close()


class _BinaryMasked:
    """A file's bytes with the data of every BIN segment replaced by as many ``X``.

    A BIN segment (the 275's attachment) carries BIN01 bytes of anything, delimiters
    included; validation checks the structure around it, not the file inside. Masked, the
    data keeps its length (the segment reader still counts BIN01 bytes and finds the
    terminator after them) but can no longer look like segments to the layout scan, like
    text outside ASCII to the encoding scan, or break pyx12's tokeniser. The delimiters
    are the first ISA's; a BIN is recognised after a segment terminator (and any line
    break), so only a real BIN segment is masked. Streamed like the file.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.head = b""
        self.pattern: re.Pattern[bytes] | None = None
        self.carry = b""
        self.masking = 0
        self.ended = False

    def read(self, size: int = -1) -> bytes:
        """About ``size`` bytes (a little more or less), masked; ``b""`` at the end."""
        while True:
            data = self.raw.read(size if size > 0 else _CHUNK)
            if not data:
                rest, self.carry = self.carry, b""
                return self._mask(rest, final=True) if rest else b""
            out = self._mask(self.carry + data, final=False)
            self.carry = self._carried
            if out:
                return out

    def _mask(self, data: bytes, *, final: bool) -> bytes:
        self._carried = b""
        if self.pattern is None:
            self.head += data
            start = self.head.find(b"ISA")
            if start < 0 or len(self.head) < start + ISA_LENGTH:
                if final:
                    return self.head
                self._carried, self.head = self.head, b""
                return b""
            isa = self.head[start : start + ISA_LENGTH]
            element, terminator = isa[3:4], isa[ISA_LENGTH - 1 :]
            self.pattern = re.compile(
                re.escape(terminator)
                + rb"[\r\n]*BIN"
                + re.escape(element)
                + rb"(\d{1,15})"
                + re.escape(element)
            )
            data, self.head = self.head, b""
        parts: list[bytes] = []
        pos = 0
        while pos < len(data):
            if self.masking:
                take = min(self.masking, len(data) - pos)
                parts.append(b"X" * take)
                self.masking -= take
                pos += take
                continue
            found = self.pattern.search(data, pos)
            if found is None:
                keep = len(data) if final else max(pos, len(data) - _BIN_LOOKBACK)
                parts.append(data[pos:keep])
                self._carried = data[keep:]
                break
            parts.append(data[pos : found.end()])
            self.masking = int(found.group(1))
            pos = found.end()
        return b"".join(parts)

    def close(self) -> None:
        self.raw.close()


_BIN_LOOKBACK = 40
"""Bytes held back at a piece's end, where a BIN segment's start may be cut in two
(terminator, a line break, ``BIN``, separator, up to 15 digits, separator)."""


class _Observer:
    """Something that looks at the text of a file as it is read (see :class:`_Decoded`)."""

    def see(self, text: str) -> None:
        """Look at the next piece of text (``""`` at the end)."""
        raise NotImplementedError


class _EncodingScan(_Observer):
    """Characters outside ASCII: pyx12 gets them as ``?``, our own rules see them as they
    are; counted, and the first located by the ``~`` before it."""

    def __init__(self, level: int) -> None:
        self.findings = FindingList(level, MAX_FINDINGS)
        self.head = ""
        self.tildes = 0
        self.first: str | None = None
        self.count = 0

    def see(self, text: str) -> None:
        if len(self.head) < ISA_LENGTH:
            self.head += text[: ISA_LENGTH - len(self.head)]
        if text.isascii():
            if self.first is None:
                self.tildes += text.count("~")
            return
        self.count += len(text) - len(text.encode("ascii", "ignore"))
        if self.first is None:
            at = next(i for i, ch in enumerate(text) if not ch.isascii())
            self.first = text[at]
            self.tildes += text.count("~", 0, at)

    def finish(self) -> None:
        """Report what was seen."""
        if self.first is None:
            return
        segment = self.tildes + 1 if "~" in self.head else None
        self.findings.add(
            Finding(
                segment,
                None,
                None,
                None,
                "ENCODING",
                f"{self.count} character(s) outside ASCII (first {self.first!r}); X12 allows "
                "only the basic and extended character sets, so receivers may reject the file",
            )
        )


class _LayoutScan(_Observer):
    """What X12 does not allow between or around segments and our reader forgives.

    Mirrors how pyx12 splits a file (at the first ISA's segment terminator, dropping
    CR/LF before each segment): white space before the ISA or before a segment, white
    space at a segment's end, an empty segment, and a last segment without terminator.
    Each kind is reported once, at its first segment, with how often it occurs. Only the
    piece of text being split is held.
    """

    def __init__(self, level: int) -> None:
        self.findings = FindingList(level, MAX_FINDINGS)
        self.before = ""
        self.offset = 0
        self.terminator: str | None = None
        self.position = 0
        self.seen: dict[str, list[int]] = {}
        self.ids: dict[int, str | None] = {}
        self.last: tuple[int, str] | None = None
        self._piece()

    def _piece(self) -> None:
        self.lead = True
        self.first = ""
        self.end = ""
        self.solid = False

    def see(self, text: str) -> None:
        if self.terminator is None:
            text = self._find_isa(text)
            if self.terminator is None:
                if not text:
                    self.seen.clear()
                return
        if not text:
            if self.solid:
                self._note("unterminated", self.position + 1)
            return
        pieces = text.split(self.terminator)
        for piece in pieces[:-1]:
            self._grow(piece)
            self._close()
        self._grow(pieces[-1])

    def _find_isa(self, text: str) -> str:
        """Text before the first ISA is held until its 106 characters are; returns the
        text from the ISA on once they are."""
        self.before += text
        start = self.before.find("ISA")
        if start < 0:
            self.offset += max(0, len(self.before) - 2)
            self.before = self.before[-2:]
            return ""
        if len(self.before) < start + ISA_LENGTH:
            return ""
        if self.offset + start > 0:
            self._note("before the ISA", 1)
        self.terminator = self.before[start + ISA_LENGTH - 1]
        rest, self.before = self.before[start:], ""
        return rest

    def _grow(self, piece: str) -> None:
        if self.lead:
            piece = piece.lstrip("\r\n")
            if piece:
                self.lead, self.first = False, piece[0]
        if not piece:
            return
        self.end = piece[-1]
        if not self.solid and piece.strip(" \t\r\n"):
            self.solid = True

    def _close(self) -> None:
        if not self.solid:
            self._note("empty", max(self.position, 1))
        else:
            self.position += 1
            if self.first in " \t":
                self._note("before", self.position)
            if self.end in " \t\r\n":
                self._note("after", self.position)
        self._piece()

    def _note(self, kind: str, position: int) -> None:
        positions = self.seen.setdefault(kind, [position, 0])
        positions[1] += 1
        if positions[1] == 1 and position not in self.ids:
            last = self.last
            self.ids[position] = last[1] if last is not None and last[0] == position else None

    def segment(self, seg: Segment) -> None:
        """A segment our reader yielded: its ID, where a finding wants it."""
        self.last = (seg.position, seg.id)
        if seg.position in self.ids:
            self.ids[seg.position] = seg.id

    def finish(self) -> None:
        """Report what was seen (after the last segment, whose ID a finding may want)."""
        for kind, (first, count) in self.seen.items():
            self.findings.add(
                Finding(
                    first,
                    self.ids.get(first),
                    None,
                    None,
                    "LAYOUT",
                    _LAYOUT[kind].format(count=count, terminator=self.terminator),
                )
            )


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


class _Feed:
    """The first pass's segments: shown to the layout scan, counted per transaction, and
    stopped past :data:`MAX_TRANSACTION_SEGMENTS` in one transaction set."""

    def __init__(self, segments: Iterator[Segment], layout: _LayoutScan) -> None:
        self.segments = segments
        self.layout = layout
        self.stop: _Stop | None = None
        self.in_transaction = 0
        self.start = (1, "ISA")

    def __iter__(self) -> Iterator[Segment]:
        for seg in self.segments:
            self.layout.segment(seg)
            if seg.id == "ST":
                self.start = (seg.position, "ST")
            if self.in_transaction >= MAX_TRANSACTION_SEGMENTS:
                self.stop = _Stop(seg.position - 1, *self.start, segments=self.in_transaction + 1)
                self.in_transaction = 0 if seg.id == "SE" else self.in_transaction
                return
            self.in_transaction = 0 if seg.id == "SE" else self.in_transaction + 1
            yield seg

    def count_rest(self) -> None:
        """After a stop: count the stopped transaction's segments (from its ST, or from
        the file's start or last SE when it has none), to its SE."""
        stop = self.stop
        assert stop is not None  # noqa: S101 - only called after a stop
        last = stop.validated + 1
        for seg in self.segments:
            self.layout.segment(seg)
            last = seg.position
            if seg.id == "SE":
                break
        if stop.start_id == "ST":
            stop.segments = last - stop.start + 1
        else:
            stop.segments += last - stop.validated - 1


class _Pyx12Text:
    """What pyx12 reads: our segments one per line, delimiters as declared (what pyx12
    reads most reliably), characters outside ASCII as ``?`` (pyx12 reads ASCII only), a
    BIN segment's data as one placeholder character, produced as pyx12 asks for them."""

    closed = False

    def __init__(self, feed: _Feed) -> None:
        self.feed = feed
        self.segments = iter(feed)
        self.rest = ""

    def read(self, size: int = -1) -> str:
        parts, have = [self.rest], len(self.rest)
        for seg in self.segments:
            d = seg.delimiters
            # BIN02 (binary data, already masked) as one character: pyx12 reads lines of
            # bounded length and cannot check binary data anyway
            elements = [*seg.elements[:1], "X"] if seg.id == "BIN" else seg.elements
            line = d.element.join([seg.id, *elements]) + d.segment + "\n"
            if not line.isascii():
                line = line.encode("ascii", "replace").decode("ascii")
            parts.append(line)
            have += len(line)
            if 0 < size <= have:
                break
        text = "".join(parts)
        if not text and self.feed.stop is not None:
            raise _Stopped
        cut = size if size > 0 else len(text)
        self.rest = text[cut:]
        return text[:cut]


class _Stopped(Exception):  # noqa: N818 - a signal, not an error
    """Raised to pyx12 when its input stops at the transaction limit (see
    :class:`_Feed`): it ends the run without pyx12's end-of-file checks."""


class _Loops:
    """pyx12's loop for each segment position, held as runs (the position where each run
    of one loop starts), at most :data:`MAX_LOOP_RUNS`; past that, later positions have no
    loop named."""

    def __init__(self) -> None:
        self.starts = array("q")
        self.codes = array("H")
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.last = 0
        self.current: str | None = None
        self.full = False

    def record(self, line: int, loop: str) -> None:
        if line <= self.last or self.full:
            return
        if loop != self.current:
            if len(self.starts) >= MAX_LOOP_RUNS:
                self.full = True
                return
            code = self.index.setdefault(loop, len(self.names))
            if code == len(self.names):
                self.names.append(loop)
            self.starts.append(line)
            self.codes.append(code)
            self.current = loop
        self.last = line

    def loop_at(self, line: int | None) -> str | None:
        """The loop of the segment at ``line`` (``None``: unknown or not a loop)."""
        if line is None or line < 1 or line > self.last:
            return None
        run = bisect.bisect_right(self.starts, line) - 1
        return (self.names[self.codes[run]] or None) if run >= 0 else None


# --------------------------------------------------------------------------- pyx12


class _Pyx12Run:
    """One pyx12 run: its error tree captured through its own factory and read in its own
    order as each part of it is complete, then dropped from the tree."""

    def __init__(self, checked: _Checked) -> None:
        self.checked = checked
        self.loops = checked.loops
        self.handler: Any = None
        self.envelope_elements: dict[int, tuple[str, int]] = {}
        self.visitor: Any = None

    def run(self, text: _Pyx12Text, map_path: str) -> None:
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
                param=pyx12.params.params(),
                src_file=text,
                fd_997=None,
                fd_html=None,
                fd_xmldoc=None,
                map_path=map_path,
                callback=self._segment_done,
            )
        except _Stopped:
            pass
        except EdigatewayError:
            raise  # our reader refused the file: the caller's verdict
        except Exception as exc:  # noqa: BLE001 - any pyx12 failure becomes a verdict
            self.checked.early.add(
                Finding(
                    None,
                    None,
                    None,
                    None,
                    "ENGINE",
                    f"the validator (pyx12) failed on this file: {type(exc).__name__}: {exc}; "
                    "this is a validator limitation, not necessarily a problem in the file",
                )
            )
        finally:
            pyx12.error_handler.err_handler = original
            pyx12.map_if.load_map_file = load_map
            logger.setLevel(level)
            logger.propagate = propagate
        if self.handler is not None:
            try:
                self.handler.accept(self._visitor())
            except Exception as exc:  # noqa: BLE001 - error tree walking is pyx12 internals
                self.checked.tree.add(
                    Finding(
                        None, None, None, None, "ENGINE", f"could not read pyx12's findings: {exc}"
                    )
                )
        if not said_valid and not (self.checked.early.seen or self.checked.tree.seen):
            self.checked.tree.add(
                Finding(
                    None,
                    None,
                    None,
                    None,
                    "PYX12",
                    "pyx12 found this file invalid but reported nothing we could locate; run "
                    'x12valid --map-path "$(edigateway x12 maps)" on it for pyx12\'s own words',
                )
            )

    def _segment_done(self, seg: Any, src: Any, node: Any, _valid: bool) -> None:
        """pyx12's per-segment callback (pyx12 swallows its exceptions: ours are kept)."""
        try:
            self._segment(seg, src, node)
        except Exception as exc:  # noqa: BLE001 - pyx12 internals
            self.checked.tree.add(
                Finding(None, None, None, None, "ENGINE", f"could not read pyx12's findings: {exc}")
            )

    def _segment(self, seg: Any, src: Any, node: Any) -> None:
        """The segment's loop, the owner of any new element error on an envelope node
        (ISA/IEA, GS/GE, ST/SE elements land there), and the parts of the error tree that
        are complete.

        pyx12 loses the segment-level errors of envelope segments (too many elements in
        ST, GS, SE …: its envelope nodes take no error value), so those are asked for again
        here from the segment's map node.
        """
        line = src.get_cur_line()
        seg_id = seg.get_seg_id()
        parent = node.get_parent() if node is not None else None
        self.loops.record(line, getattr(parent, "id", None) or "")
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
                    self.add(self.checked.early, line, seg_id, None, "seg", "8", error.err_str)
        if src.st_ids.__class__ is list:  # pyx12 looks ST02 up in a list: quadratic
            src.st_ids = _Ids(src.st_ids)
        self._harvest(handler)

    def _harvest(self, handler: Any) -> None:
        """Read and drop the complete part of the error tree, in the order a whole-tree
        visit would read it: interchanges, groups and transaction sets that no longer
        receive errors (pyx12 files every error on its current ISA, GS, ST or segment
        node), and the segment nodes of the current transaction set before its current
        one. pyx12's tree otherwise keeps a node per faulty segment to the end."""
        live = {
            id(node)
            for node in (
                handler.cur_isa_node,
                handler.cur_gs_node,
                handler.cur_st_node,
                handler.cur_seg_node,
            )
            if node is not None
        }
        for current in (handler.cur_st_node, handler.cur_gs_node):
            node = current
            while node is not None and node is not handler:
                live.add(id(node))
                node = getattr(node, "parent", None)
        nodes = handler.children
        while nodes:
            done = 0
            inner = None
            for node in nodes:
                if id(node) in live:
                    inner = node
                    break
                self._visit(node)
                done += 1
            del nodes[:done]
            if inner is None or not hasattr(inner, "children") or inner.id == "SEG":
                return
            nodes = inner.children

    def _visit(self, node: Any) -> None:
        node.accept(self._visitor())
        stack = [node]
        while stack:
            item = stack.pop()
            for element in getattr(item, "elements", None) or ():
                self.envelope_elements.pop(id(element), None)
            stack.extend(getattr(item, "children", None) or ())

    def _visitor(self) -> Any:
        if self.visitor is None:
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
                        run.add(
                            run.checked.tree,
                            err_seg.get_cur_line(),
                            err_seg.seg_id,
                            None,
                            "seg",
                            code,
                            message,
                        )

                def visit_ele(self, err_ele: Any) -> None:
                    seg = self.seg
                    run.element(seg.get_cur_line(), seg.seg_id, err_ele)

            self.visitor = Visitor(None)
        return self.visitor

    def envelope(
        self, kind: str, node: Any, header_line: int | None, trailer_line: int | None
    ) -> None:
        """Findings filed on an ISA, GS or ST node: its own errors and its elements'."""
        header = {"isa": "ISA", "gs": "GS", "st": "ST"}[kind]
        for code, message in node.errors:
            segment, element, at_trailer = _ENVELOPE.get((kind, str(code)), (header, None, False))
            line = trailer_line if at_trailer and trailer_line else header_line
            self.add(self.checked.tree, line, segment, element, kind, code, message)
        for err_ele in node.elements:
            seg_id, line = self.envelope_elements.get(id(err_ele), (header, header_line or 0))
            self.element(line, seg_id, err_ele)

    def element(self, line: int | None, seg_id: str, err_ele: Any) -> None:
        name = f"{seg_id}{int(err_ele.ele_pos):02d}"
        if err_ele.subele_pos:
            name += f"-{int(err_ele.subele_pos):02d}"
        for code, message, _value in err_ele.errors:
            self.add(self.checked.tree, line, seg_id, name, "ele", code, message)

    def add(
        self,
        target: FindingList,
        line: int | None,
        seg_id: str | None,
        element: str | None,
        kind: str,
        code: object,
        message: object,
    ) -> None:
        index = line if isinstance(line, int) and line > 0 else None
        target.add(
            Finding(
                index,
                seg_id,
                self.loops.loop_at(index),
                element,
                str(code),
                str(message),
                PYX12_SNIP_TYPES.get((kind, str(code)), 1),
            )
        )


class _Ids(list[Any]):
    """pyx12's list of a group's transaction control numbers, looked up in a set."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self.known = set(items)

    def append(self, item: Any) -> None:
        super().append(item)
        self.known.add(item)

    def __contains__(self, item: object) -> bool:
        return item in self.known


def _today() -> date:
    """The local calendar date (a claim's dates are the practice's local dates)."""
    return datetime.now().astimezone().date()


def _version_of(open_raw: Callable[[], BinaryIO]) -> str | None:
    """GS08 as written (ISA12 without a GS), for a verdict that stops at the header."""
    with _Decoded(open_raw()) as text:
        head, seen = "", ""
        while len(head) < ISA_LENGTH and (piece := text.read(_CHUNK)):
            head += piece
        seen = head
        start = seen.find("GS")
        while start < 0 and (piece := text.read(_CHUNK)):
            seen = seen[-1:] + piece
            start = seen.find("GS")
        if start < 0:
            return head[84:89] if head.startswith("ISA") else None
        line = seen[start : start + 120]
        while len(line) < 120 and (piece := text.read(_CHUNK)):
            line = (line + piece)[:120]
    fields = line.split(head[3] if len(head) > 3 else "*")
    return fields[8].split(head[105] if len(head) > 105 else "~")[0] if len(fields) > 8 else None


__all__ = ["EdigatewayError", "Finding", "Validator", "Verdict"]
