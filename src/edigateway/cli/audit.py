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
    from datetime import date, datetime, timedelta

    from edigateway.services.access import audit_events, record

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}", EXIT_UNREADABLE) from exc
    lower = datetime.combine(first, datetime.min.time())
    upper = datetime.combine(last + timedelta(days=1), datetime.min.time())
    with open_gateway() as gateway:
        events = list(audit_events(gateway.database, start=lower, end=upper, practice_id=practice))
        with gateway.database.transaction() as session:
            record(
                session,
                actor="cli",
                practice_id=practice,
                action="export",
                resource="audit_events",
                resource_id=None,
                at=gateway.clock(),
                detail=f"{first}..{last}: {len(events)} events",
            )
    for event in events:
        emit(event, json=True)
