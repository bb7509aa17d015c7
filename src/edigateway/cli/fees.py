"""``edigateway fees``: a practice's fee schedules per payer (and plan), used by every
estimate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.fees import ScheduledFee

app = typer.Typer(help="Fee schedules per payer, used by estimates.", no_args_is_help=True)

PlanOption = Annotated[
    str,
    typer.Option("--plan", help="the plan name as the 271 states it (default: every plan)"),
]


@app.command("load")
@exit_codes()
def fees_load(
    payer_id: Annotated[str, typer.Argument(help="the payer ID claims are sent with")],
    csv_file: Annotated[
        Path, typer.Argument(help="CSV: procedure_code,fee[,description] with that header")
    ],
    plan: PlanOption = "",
    practice: PracticeOption = None,
) -> None:
    """Replace the practice's fee schedule for a payer (and plan) with a CSV file of allowed
    fees and the practice's own procedure descriptions.

    Nothing is stored when a line is wrong: each problem is named by line and column
    (a negative or implausible fee, a code that is not CDT, a code listed twice). Exit 1
    then, 2 when the file cannot be read. Example:
    ``edigateway fees load DDPIL ppo-fees.csv``
    """
    from edigateway.errors import ClaimInputError, FieldProblem
    from edigateway.services import fees
    from edigateway.services.verifications import command_line_caller

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClaimInputError(
            str(csv_file), [FieldProblem(f"byte {exc.start}", "not UTF-8 text")]
        ) from exc
    entries = fees.parse_csv(text, str(csv_file))
    schedule = fees.FeeSchedule(plan=plan, entries=entries)
    with open_gateway() as gateway:
        caller = command_line_caller(gateway.database, practice, now=gateway.clock())
        loaded = fees.load(gateway.database, caller, payer_id, schedule, now=gateway.clock())
    typer.echo(
        f"{loaded.payer_id}{f' plan {loaded.plan}' if loaded.plan else ''}: "
        f"{loaded.entries} fees loaded ({loaded.replaced} replaced)"
    )


@app.command("show")
@exit_codes()
def fees_show(
    payer_id: Annotated[str, typer.Argument(help="the payer ID")],
    plan: PlanOption = "",
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """The fee schedule estimates use for a payer (and plan).

    Example: ``edigateway fees show DDPIL``
    """
    from edigateway.services import fees
    from edigateway.services.verifications import command_line_caller

    with open_gateway() as gateway:
        caller = command_line_caller(gateway.database, practice, now=gateway.clock())
        rows = fees.schedule_of(gateway.database, caller, payer_id, plan or None)
    emit(rows, json=as_json, text=_fee_lines)


def _fee_lines(rows: list[ScheduledFee]) -> Iterator[str]:
    if not rows:
        yield "no fee schedule loaded for this payer"
    for row in rows:
        yield f"{row.procedure_code}\t{row.fee}\t{row.description or ''}"
