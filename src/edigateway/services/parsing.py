"""Reading any supported X12 file into domain objects, by what its header says it is.

The front ends (``edigateway x12 parse``, the API) call :func:`parse_file`; it sniffs the
envelope, refuses versions and transactions we do not read with
:class:`~edigateway.errors.UnsupportedX12Error`, and returns a JSON-ready document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edigateway.errors import UnsupportedX12Error
from edigateway.x12.envelope import read_segments, sniff_header
from edigateway.x12.x837d_005010X224A2 import GUIDE as GUIDE_837D
from edigateway.x12.x837d_005010X224A2 import read_837d_segments

if TYPE_CHECKING:
    from pathlib import Path


def parse_file(path: Path) -> dict[str, Any]:
    """The domain objects ``path`` holds, as a JSON-ready dict with a human summary."""
    header = sniff_header(path)
    if header.gs_version == GUIDE_837D:
        return _parse_837d(path)
    raise UnsupportedX12Error(
        f"parsing {header.transaction or 'this transaction'} {header.gs_version} is not "
        f"supported yet; edigateway parses 837D ({GUIDE_837D})")


def _parse_837d(path: Path) -> dict[str, Any]:
    parsed = read_837d_segments(read_segments(path), str(path))
    lines = [f"{path}: 837D, {len(parsed.claims)} claim(s)"]
    lines += [
        f"  {c.patient_control_number}  {c.kind:<16} freq {c.frequency}  ${c.total_charge}  "
        f"{len(c.lines)} line(s)  payer {c.payer.name}" for c in parsed.claims
    ]
    lines += [
        f"  note: segment {loc.segment_index} ({loc.segment_id}, loop {loc.loop}) is not "
        "modelled and was not read" for loc in parsed.skipped
    ]
    return {
        "file": str(path),
        "transaction": "837D",
        "version": GUIDE_837D,
        "submitter": parsed.submitter.model_dump(mode="json") if parsed.submitter else None,
        "receiver": parsed.receiver.model_dump(mode="json") if parsed.receiver else None,
        "claims": [c.model_dump(mode="json", exclude_defaults=True) for c in parsed.claims],
        "skipped_segments": [
            {"segment_index": loc.segment_index, "segment_id": loc.segment_id, "loop": loc.loop}
            for loc in parsed.skipped
        ],
        "summary": lines,
    }
