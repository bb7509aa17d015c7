"""Validation with pyx12 — the only module of edigateway that imports it.

pyx12 reads its map index (``maps.xml``), ``codes.xml``, ``dataele.xml`` and the maps from
one folder. We need its packaged maps (837P, 837I, 835, 999) *and* ours (837D 005010X224A2,
which pyx12 lacks), so :class:`Validator` assembles that folder once, in a cache directory
named by a hash of its contents: pyx12's packaged ``map/`` files overlaid with
``mappings/pyx12/``. It is rebuilt when our maps change and written atomically, so two
processes never see half a folder.

Every file gets a :class:`Verdict`, never a traceback:

* ``unreadable`` — not X12 (no ISA, broken delimiters);
* ``unsupported`` — X12 of a version (4010 …) or transaction we have no map for;
* ``invalid`` / ``valid`` — what pyx12 with the map found, plus our own findings
  (bytes outside ASCII, ``ENCODING``) and any failure of pyx12 itself (``ENGINE``).

Before pyx12 sees a file it is normalised with our own reader: a UTF-8 byte-order mark,
CR/LF and indentation between segments are dropped (partners send them; they carry no
meaning). pyx12 is run without its 997/999 builder, which crashes on some valid files.

Example::

    verdict = Validator(mappings_dir=Path("mappings")).validate_file(Path("claims.837"))
    verdict.status, [f.message for f in verdict.errors]
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from edigateway.errors import (
    EdigatewayError,
    UnsupportedX12Error,
    X12StructureError,
    X12SyntaxError,
)
from edigateway.x12.envelope import FileHeader, Segment, iter_segments, sniff_header_text

Status = Literal["valid", "invalid", "unsupported", "unreadable"]

TRANSACTION_NAMES: dict[str, str] = {
    "005010X224A2": "837D", "005010X222A1": "837P", "005010X223A2": "837I",
    "005010X221A1": "835", "005010X231A1": "999", "005010X231": "999",
    "005010X279A1": "27x", "005010X214": "277CA", "005010X212": "276/277",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a file, located like every error of ours."""

    segment_index: int | None
    segment_id: str | None
    loop: str | None
    element: str | None
    code: str
    message: str

    def to_json(self) -> dict[str, object]:
        """The CLI's ``--json`` shape."""
        return {"segment_index": self.segment_index, "segment_id": self.segment_id,
                "loop": self.loop, "element": self.element, "code": self.code,
                "message": self.message}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What validation says about one file."""

    file: str
    transaction: str | None
    version: str | None
    status: Status
    errors: tuple[Finding, ...]

    @property
    def valid(self) -> bool:
        """True when nothing at all was found."""
        return self.status == "valid"

    def to_json(self) -> dict[str, object]:
        """``{"file", "transaction", "version", "valid", "status", "errors": [...]}``."""
        return {"file": self.file, "transaction": self.transaction, "version": self.version,
                "valid": self.valid, "status": self.status,
                "errors": [f.to_json() for f in self.errors]}


class Validator:
    """Validates X12 5010 files with pyx12 and our maps (see module docstring)."""

    def __init__(self, mappings_dir: Path, cache_dir: Path | None = None) -> None:
        self.mappings_dir = mappings_dir
        self.cache_dir = cache_dir
        self._map_path: Path | None = None
        self._index: dict[tuple[str, str], str] | None = None
        self._known: list[str] = []

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

    # -- validation -----------------------------------------------------------------
    def validate_file(self, path: Path) -> Verdict:
        """Validate the file at ``path``."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            return Verdict(str(path), None, None, "unreadable",
                           (Finding(None, None, None, None, "IO",
                                    f"cannot read the file: {exc.strerror or exc}"),))
        return self.validate_bytes(data, str(path))

    def validate_text(self, text: str, name: str = "<text>") -> Verdict:
        """Validate X12 held in memory."""
        return self.validate_bytes(text.encode("utf-8", errors="surrogateescape"), name)

    def validate_bytes(self, data: bytes, name: str) -> Verdict:
        """Validate raw bytes; the heart of the adapter."""
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
        findings.extend(self._run_pyx12(segments, name))
        status: Status = "invalid" if findings else "valid"
        return Verdict(name, transaction, header.gs_version, status, tuple(findings))

    def _missing_map(self, header: FileHeader) -> str | None:
        if not header.gs_version:
            what = header.transaction or "interchange"
            return f"no functional group (GS) found; validating a bare {what} is not supported"
        if (header.functional_id, header.gs_version) in self._map_index():
            return None
        return (f"no validation map for {header.transaction or '?'} version "
                f"{header.gs_version} (functional group {header.functional_id}); "
                f"edigateway validates {', '.join(self._known)}")

    def _run_pyx12(self, segments: list[Segment], name: str) -> list[Finding]:
        import pyx12.error_handler
        import pyx12.params
        import pyx12.x12n_document

        normalised = _serialise(segments)
        loops: dict[int, str] = {}

        def remember_loop(seg: Any, src: Any, node: Any, valid: bool) -> None:
            parent = node.get_parent() if node is not None else None
            loops[src.get_cur_line()] = getattr(parent, "id", None) or ""

        collector = _Collector(loops)
        original = pyx12.error_handler.err_handler

        def capturing_handler(*args: Any, **kwargs: Any) -> Any:
            handler = original(*args, **kwargs)
            collector.handler = handler
            return handler

        logger = logging.getLogger("pyx12")
        level, propagate = logger.level, logger.propagate
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
        pyx12.error_handler.err_handler = capturing_handler
        try:
            param = pyx12.params.params()
            pyx12.x12n_document.x12n_document(
                param=param, src_file=io.StringIO(normalised), fd_997=None, fd_html=None,
                fd_xmldoc=None, map_path=str(self.map_path()), callback=remember_loop)
        except Exception as exc:  # noqa: BLE001 - any pyx12 failure becomes a verdict
            collector.findings.append(Finding(
                None, None, None, None, "ENGINE",
                f"the validator (pyx12) failed on this file: {type(exc).__name__}: {exc}; "
                "this is a validator limitation, not necessarily a problem in the file"))
        finally:
            pyx12.error_handler.err_handler = original
            logger.setLevel(level)
            logger.propagate = propagate
        if collector.handler is not None:
            try:
                collector.collect()
            except Exception as exc:  # noqa: BLE001 - error tree walking is pyx12 internals
                collector.findings.append(Finding(None, None, None, None, "ENGINE",
                                                  f"could not read pyx12's findings: {exc}"))
        return collector.findings


class _Collector:
    """Walks pyx12's error tree into :class:`Finding` objects."""

    def __init__(self, loops: dict[int, str]) -> None:
        self.loops = loops
        self.handler: Any = None
        self.findings: list[Finding] = []

    def collect(self) -> None:
        from pyx12.error_visitor import error_visitor

        collector = self

        class Visitor(error_visitor):  # type: ignore[misc]
            def visit_root_pre(self, errh: Any) -> None:
                for code, message in getattr(errh, "errors", []) or []:
                    collector.add(None, None, None, code, message)

            def visit_isa_post(self, err_isa: Any) -> None:
                for code, message in err_isa.errors:
                    collector.add(err_isa.get_cur_line(), "ISA", None, code, message)

            def visit_gs_post(self, err_gs: Any) -> None:
                for code, message in err_gs.errors:
                    collector.add(err_gs.get_cur_line(), "GS", None, code, message)

            def visit_st_post(self, err_st: Any) -> None:
                for code, message in err_st.errors:
                    collector.add(err_st.get_cur_line(), "ST", None, code, message)

            def visit_seg(self, err_seg: Any) -> None:
                self.seg = err_seg
                for code, message, _value in err_seg.errors:
                    collector.add(err_seg.get_cur_line(), err_seg.seg_id, None, code, message)

            def visit_ele(self, err_ele: Any) -> None:
                seg = self.seg
                element = f"{seg.seg_id}{int(err_ele.ele_pos):02d}"
                if err_ele.subele_pos:
                    element += f"-{int(err_ele.subele_pos):02d}"
                for code, message, _value in err_ele.errors:
                    collector.add(seg.get_cur_line(), seg.seg_id, element, code, message)

        self.handler.accept(Visitor(None))

    def add(self, line: int | None, seg_id: str | None, element: str | None, code: str,
            message: str) -> None:
        index = line if isinstance(line, int) and line > 0 else None
        loop = self.loops.get(index) if index is not None else None
        self.findings.append(Finding(index, seg_id, loop or None, element, str(code),
                                     str(message)))


def _decode(data: bytes, findings: list[Finding]) -> str:
    """Text of ``data`` without a BOM; non-ASCII characters reported and replaced."""
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
    return "".join(ch if ch.isascii() else "?" for ch in text)


def _serialise(segments: list[Segment]) -> str:
    """One segment per line, delimiters as declared (what pyx12 reads most reliably)."""
    parts: list[str] = []
    for seg in segments:
        d = seg.delimiters
        parts.append(d.element.join([seg.id, *seg.elements]) + d.segment + "\n")
    return "".join(parts)


def _version_of(text: str) -> str | None:
    start = text.find("GS")
    if start < 0:
        return text[84:89] if text.startswith("ISA") else None
    line = text[start:start + 120].split(text[3] if len(text) > 3 else "*")
    return line[8].split(text[105] if len(text) > 105 else "~")[0] if len(line) > 8 else None


__all__ = ["EdigatewayError", "Finding", "Validator", "Verdict"]
