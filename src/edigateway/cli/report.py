"""``edigateway report``: reports for the coordinator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

app = typer.Typer(help="Reports for the coordinator.", no_args_is_help=True)


@app.command("aging")
@exit_codes()
def report_aging(
    as_json: JsonOption = False,
    warn_days: Annotated[
        int, typer.Option(help="flag claims this close to their timely-filing limit")
    ] = 30,
) -> None:
    """A/R aging by payer (days since submission) and claims nearing timely filing.

    Example: ``edigateway report aging --json``
    """
    from edigateway.services.followup import aging_report

    with open_gateway() as gateway:
        report = aging_report(gateway.database, today=gateway.clock().date(), warn_days=warn_days)
    emit(report, json=as_json, text=_aging_lines)


def _aging_lines(report: dict[str, Any]) -> Iterator[str]:
    yield f"A/R aging on {report['as_of']} (days since submission)"
    buckets = report["buckets"]
    yield "payer".ljust(28) + "".join(b.rjust(12) for b in [*buckets, "total"])
    for row in [*report["payers"], report["total"]]:
        yield (
            row["payer"][:27].ljust(28)
            + "".join(row["buckets"][b].rjust(12) for b in buckets)
            + row["total"].rjust(12)
        )
    for alert in report["timely_filing"]:
        yield (f"  timely filing: claim {alert['claim']} ({alert['payer']}) {alert['message']}")
