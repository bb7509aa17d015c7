"""``edigateway audit``: the audit trail of PHI access."""

from __future__ import annotations

from typing import Annotated

import typer

from edigateway.cli.exits import EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import open_gateway
from edigateway.cli.output import emit

app = typer.Typer(help="The audit trail of PHI access.", no_args_is_help=True)


@app.command("export")
@exit_codes()
def audit_export(
    start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD (included)")],
    practice: Annotated[int | None, typer.Option(help="only this practice ID")] = None,
) -> None:
    """Export audit events of a date range as JSON lines (the export itself is audited).

    Example: ``edigateway audit export --from 2026-11-01 --to 2026-11-30 > audit.jsonl``
    """
    from dataclasses import asdict
    from datetime import date

    from edigateway.services.access import export_audit

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}", EXIT_UNREADABLE) from exc
    with open_gateway() as gateway:
        events = export_audit(
            gateway.database,
            first=first,
            last=last,
            practice_id=practice,
            actor="cli",
            now=gateway.clock(),
        )
    for event in events:
        emit(event, json=True, document=lambda e: {**asdict(e), "at": e.at.isoformat()})
