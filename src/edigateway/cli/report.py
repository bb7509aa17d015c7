"""``edigateway report``: reports for the coordinator."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import open_gateway
from edigateway.cli.output import JsonOption, emit
from edigateway.reconcile.followup import AgingBasis

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.followup import Aging

app = typer.Typer(help="Reports for the coordinator.", no_args_is_help=True)

SINCE = {"sent": "days since submission", "service": "days since the date of service"}


@app.command("aging")
@exit_codes()
def report_aging(
    as_json: JsonOption = False,
    warn_days: Annotated[
        int, typer.Option(help="flag claims this close to their timely-filing limit")
    ] = 30,
    by: Annotated[
        AgingBasis,
        typer.Option(
            "--by", help="count ages from the day each claim was sent, or its date of service"
        ),
    ] = "sent",
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="also write one row per claim to this CSV file: claim ID and number, "
            "payer, service and sent dates, billed, paid, outstanding, age, bucket "
            "(no patient names or member IDs)",
        ),
    ] = None,
) -> None:
    """A/R aging by payer (days since submission, or ``--by service`` since the date of
    service) and claims nearing timely filing.

    Examples: ``edigateway report aging --json``;
    ``edigateway report aging --by service --csv aging.csv``
    """
    from edigateway.services.followup import aging_report

    with open_gateway() as gateway:
        report = aging_report(
            gateway.database, today=gateway.clock().date(), warn_days=warn_days, by=by
        )
    if csv_file is not None:
        csv_file.write_text(report.csv(), encoding="utf-8")
    emit(report, json=as_json, text=_aging_lines, document=lambda r: r.as_json())
    if csv_file is not None and not as_json:
        typer.echo(f"wrote {len(report.claims)} claim(s) to {csv_file}")


def _aging_lines(report: Aging) -> Iterator[str]:
    yield f"A/R aging on {report.as_of} ({SINCE[report.by]})"
    yield "payer".ljust(28) + "".join(b.rjust(12) for b in [*report.buckets, "total"])
    for row in [*report.payers, report.total]:
        yield (
            row.payer[:27].ljust(28)
            + "".join(str(row.buckets[b]).rjust(12) for b in report.buckets)
            + str(row.total).rjust(12)
        )
    for alert in report.timely_filing:
        yield f"  timely filing: claim {alert.claim} ({alert.payer}) {alert.message}"
