"""``edigateway payers``: a practice's payers and their timely-filing limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

app = typer.Typer(help="Payers and their timely-filing limits.", no_args_is_help=True)


@app.command("list")
@exit_codes()
def payers_list(practice: PracticeOption = None, as_json: JsonOption = False) -> None:
    """A practice's payers: the name it sends, other names it has sent, filing limits.

    Example: ``edigateway payers list --practice 1456789019``
    """
    from edigateway.services.followup import payer_practice, payers

    with open_gateway() as gateway:
        rows = payers(gateway.database, payer_practice(gateway.database, practice))
    emit(rows, json=as_json, text=_payer_lines)


def _payer_lines(rows: list[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        also = f"\talso sent as: {'; '.join(row['aliases'])}" if row["aliases"] else ""
        yield f"{row['payer_id']}\t{row['name']}\t{row['timely_filing_days']} days{also}"


@app.command("set-limit")
@exit_codes()
def payers_set_limit(
    payer_id: Annotated[str, typer.Argument(help="the payer ID claims are sent with")],
    days: Annotated[int, typer.Argument(help="days from the date of service")],
    practice: PracticeOption = None,
) -> None:
    """Set a practice's timely-filing limit with a payer (new payers start at 365 days).

    Example: ``edigateway payers set-limit DDPIL 180 --practice 1456789019``
    """
    from edigateway.services.followup import payer_practice, set_timely_filing

    with open_gateway() as gateway:
        set_timely_filing(
            gateway.database, payer_id, days, practice_id=payer_practice(gateway.database, practice)
        )
    typer.echo(f"{payer_id}: claims must reach the payer within {days} days of service")
