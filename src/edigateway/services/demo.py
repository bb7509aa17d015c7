"""The main job on embedded defaults, as far as the gateway goes today.

For every claim file in a folder: clean-claim edits, 837D build, validation with our
005010X224A2 map, and a read-back that must give the same claims. The summary is what a
billing team would check before trusting a new gateway with its claims.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from edigateway.domain.claims import MAX_LINES_PER_CLAIM
from edigateway.domain.claims_split import split_claim
from edigateway.errors import CleanClaimError, EdigatewayError
from edigateway.services.claims import build_837d, load_claim_file
from edigateway.x12.x837d_005010X224A2 import read_837d

if TYPE_CHECKING:
    from pathlib import Path

    from edigateway.bootstrap import Gateway


def run_demo(gateway: Gateway, fixtures: Path, out_dir: Path, *, progress: bool = True
             ) -> dict[str, Any]:
    """Process every ``*.json`` in ``fixtures``; returns the summary (also printed)."""
    files = sorted(fixtures.glob("*.json"))
    if not files:
        raise EdigatewayError(f"{fixtures}: no claim files (*.json) found")
    out_dir.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True, quiet=not progress)
    rows: list[dict[str, Any]] = []
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("building and validating 837D files", total=len(files))
        for path in files:
            rows.append(_one(gateway, path, out_dir))
            bar.advance(task)
    summary = {
        "files": len(rows),
        "claims": sum(r["claims"] for r in rows),
        "total_charge": str(sum((Decimal(r["total_charge"]) for r in rows), Decimal("0.00"))),
        "valid_files": sum(1 for r in rows if r["valid"]),
        "edit_failures": sum(len(r["edit_failures"]) for r in rows),
        "all_valid": all(r["valid"] and r["round_trip"] for r in rows),
        "results": rows,
    }
    if progress:
        table = Table(title="edigateway: 837D build, validation and read-back")
        for column in ("claims file", "claims", "charge", "837D", "errors", "read-back"):
            table.add_column(column)
        for r in rows:
            table.add_row(r["source"], str(r["claims"]), r["total_charge"],
                          "valid" if r["valid"] else "INVALID",
                          str(len(r["errors"]) + len(r["edit_failures"])),
                          "same claims" if r["round_trip"] else "DIFFERENT")
        Console().print(table)
        Console().print(f"{summary['valid_files']}/{summary['files']} files valid, "
                        f"{summary['claims']} claims; 837D files in {out_dir}")
    return summary


def _one(gateway: Gateway, path: Path, out_dir: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"source": path.name, "claims": 0, "total_charge": "0.00",
                           "valid": False, "round_trip": False, "errors": [],
                           "edit_failures": []}
    try:
        batch = load_claim_file(path)
        text = build_837d(batch, settings=gateway.settings,
                          control_numbers=gateway.control_numbers, clock=gateway.clock)
    except CleanClaimError as exc:
        row["edit_failures"] = [str(f) for f in exc.failures]
        return row
    except EdigatewayError as exc:
        row["errors"] = [str(exc)]
        return row
    sent = [p for c in batch.claims for p in split_claim(c, MAX_LINES_PER_CLAIM)]
    target = out_dir / f"{path.stem}.837"
    target.write_text(text, encoding="ascii")
    verdict = gateway.validator.validate_text(text, str(target))
    parsed = read_837d(text, str(target))
    row.update(
        claims=len(sent),
        total_charge=str(sum(c.total_charge for c in sent)),
        valid=verdict.valid,
        errors=[f.message for f in verdict.errors],
        round_trip=parsed.claims == sent,
        file=str(target),
    )
    return row
