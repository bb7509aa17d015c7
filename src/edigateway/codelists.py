"""CARC and RARC code lists, read from versioned data under ``mappings/codes/``.

The lists change three times a year (X12 code sources 139 and 411), so they are data, not
code: a new release is a new CSV, reviewed like any change. A code we do not know is never
an error — payers send new codes before anyone updates a list — it is described as unknown
and the posting flags it for a person::

    >>> codes = CodeLists.load(Path("mappings"))
    >>> codes.describe_carc("45")[:38]
    'Charge exceeds fee schedule/maximum al'
    >>> codes.describe_carc("ZZ9") is None
    True
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edigateway.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True)
class CodeLists:
    """Descriptions of adjustment reason (CARC) and remark (RARC) codes."""

    carc: dict[str, str] = field(default_factory=dict)
    rarc: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, mappings_dir: Path) -> CodeLists:
        """Read ``codes/carc.csv`` and ``rarc.csv`` under ``mappings_dir``."""
        folder = mappings_dir / "codes"
        return cls(carc=_read(folder / "carc.csv"), rarc=_read(folder / "rarc.csv"))

    def describe_carc(self, code: str) -> str | None:
        """The CARC's description, or ``None`` when the code is not in our list."""
        return self.carc.get(code)

    def describe_rarc(self, code: str) -> str | None:
        """The RARC's description, or ``None`` when the code is not in our list."""
        return self.rarc.get(code)

    def is_known_carc(self, code: str) -> bool:
        """Whether the CARC is in our list (deactivated codes included)."""
        return code in self.carc


def _read(path: Path) -> dict[str, str]:
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the code list ({exc})") from exc
    result: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        code, description = (row.get("code") or "").strip(), (row.get("description") or "")
        if not code or not description.strip():
            raise ConfigurationError(f"{path}: line {number} lacks a code or a description")
        result[code] = description.strip()
    return result
