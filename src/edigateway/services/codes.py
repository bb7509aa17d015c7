"""Code lists a practice licenses: the ADA's CDT procedure codes.

CDT belongs to the American Dental Association, so edigateway ships neither the codes nor
their descriptors: it checks a procedure code's format (``D`` + 4 digits) and, once a
practice has loaded the file it licensed, whether the code exists and is in effect on the
date of service. ``edigateway codes load cdt FILE`` reads that file and keeps what the
checks need — each code with its effective and deleted dates, not the descriptors — in the
data folder, ``<data_dir>/codes/cdt.json`` (replaced atomically on each load; nothing is
kept in the database, so a load touches no claim or audit row).

The file is CSV: ``code[,descriptor[,effective[,deleted]]]``, with or without a header
row. A header may name the columns (``code``, ``descriptor``/``description``,
``effective``/``effective_date``/``start_date``, ``deleted``/``deleted_date``/
``end_date``/``stop_date``) in any order. Dates are ``YYYY-MM-DD``, ``YYYYMMDD`` or
``MM/DD/YYYY``. A bad row is refused with its line and column; nothing is replaced then.

Example::

    result = load_cdt(Path("cdt-2026.csv"), settings.data_dir)
    cdt = loaded_cdt(settings.data_dir)    # None until a list was loaded
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from edigateway.domain.rules import CdtList, DatedCode, cdt_format_problem
from edigateway.errors import ConfigurationError, InputError

STORED = Path("codes") / "cdt.json"
"""Where a loaded CDT list is kept, under the data folder."""

_COLUMNS = {
    "code": "code",
    "cdt": "code",
    "cdt code": "code",
    "procedure code": "code",
    "descriptor": "descriptor",
    "description": "descriptor",
    "nomenclature": "descriptor",
    "effective": "effective",
    "effective date": "effective",
    "effective_date": "effective",
    "start date": "effective",
    "start_date": "effective",
    "deleted": "deleted",
    "deleted date": "deleted",
    "deleted_date": "deleted",
    "end date": "deleted",
    "end_date": "deleted",
    "stop date": "deleted",
    "stop_date": "deleted",
}
_POSITIONAL = ("code", "descriptor", "effective", "deleted")


class CodeFileError(InputError):
    """A code list file cannot be loaded; the message names the file, line and column."""


class CodeFileUnreadableError(CodeFileError):
    """The code list file cannot be opened or read at all."""


@dataclass(frozen=True, slots=True)
class CdtLoad:
    """What ``codes load cdt`` did."""

    source: str
    stored: Path
    codes: int
    deleted: int


def load_cdt(source: Path, data_dir: Path, *, now: datetime | None = None) -> CdtLoad:
    """Read the practice's CDT file at ``source`` and keep it under ``data_dir``."""
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise CodeFileUnreadableError(
            f"{source}: cannot read the file ({exc.strerror or exc})"
        ) from exc
    codes = parse_cdt(raw.decode("utf-8", errors="replace"), str(source))
    stored = data_dir / STORED
    document = {
        "source": source.name,
        "loaded_at": (now or datetime.now(UTC)).isoformat(),
        "codes": [[c.code, _iso(c.effective), _iso(c.deleted)] for c in codes.values()],
    }
    _write_atomically(stored, json.dumps(document, indent=0) + "\n")
    return CdtLoad(
        source.name, stored, len(codes), sum(1 for c in codes.values() if c.deleted is not None)
    )


def parse_cdt(text: str, name: str) -> dict[str, DatedCode]:
    """The codes of a CDT CSV file (see the module docstring), by code."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    if not rows:
        raise CodeFileError(f"{name}: the file is empty")
    columns = _header(rows[0])
    start = 2 if columns else 1
    columns = columns or {key: index for index, key in enumerate(_POSITIONAL)}
    if "code" not in columns:
        raise CodeFileError(f"{name}: line 1: no column named code (or CDT code)")
    codes: dict[str, DatedCode] = {}
    lines: dict[str, int] = {}
    for number, row in enumerate(rows[start - 1 :], start=start):
        if not any(cell.strip() for cell in row):
            continue
        code = _cell(row, columns, "code").upper()
        problem = cdt_format_problem(code)
        if problem:
            raise CodeFileError(f"{name}: line {number}, column code: {problem}")
        if code in codes:
            raise CodeFileError(
                f"{name}: line {number}: {code} is listed again (first on line {lines[code]})"
            )
        effective = _date(row, columns, "effective", name, number)
        deleted = _date(row, columns, "deleted", name, number)
        if effective and deleted and deleted < effective:
            raise CodeFileError(
                f"{name}: line {number}: {code} is deleted "
                f"({deleted.isoformat()}) before it takes effect "
                f"({effective.isoformat()})"
            )
        codes[code] = DatedCode(code, effective, deleted)
        lines[code] = number
    if not codes:
        raise CodeFileError(f"{name}: no CDT codes found")
    return codes


def loaded_cdt(data_dir: Path) -> CdtList | None:
    """The practice's loaded CDT list, or ``None`` when none was loaded."""
    stored = data_dir / STORED
    try:
        document = json.loads(stored.read_text(encoding="utf-8"))
        codes = {
            code: DatedCode(code, _parse_iso(effective), _parse_iso(deleted))
            for code, effective, deleted in document["codes"]
        }
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"{stored}: the loaded CDT list cannot be read ({exc}); "
            "load it again with `edigateway codes load cdt FILE`"
        ) from exc
    return CdtList(
        codes,
        f"{document.get('source', 'the ADA file')} (loaded "
        f"{str(document.get('loaded_at', ''))[:10]})",
    )


def _header(row: list[str]) -> dict[str, int] | None:
    """Column positions when ``row`` is a header (its first cell is not a CDT code)."""
    if row and not cdt_format_problem(row[0].strip().upper()):
        return None
    named = {_COLUMNS.get(cell.strip().lower()): index for index, cell in enumerate(row)}
    return {key: index for key, index in named.items() if key is not None}


def _cell(row: list[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    return row[index].strip() if index is not None and index < len(row) else ""


def _date(row: list[str], columns: dict[str, int], key: str, name: str, number: int) -> date | None:
    value = _cell(row, columns, key)
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    raise CodeFileError(
        f"{name}: line {number}, column {key}: {value!r} is not a date "
        "(YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)"
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _parse_iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=".cdt-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(staging).replace(path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
