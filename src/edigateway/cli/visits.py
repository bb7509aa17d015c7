"""``edigateway visits``: upcoming visits from the practice-management system, the
verification queue, and checking it in bulk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import EXIT_INVALID, exit_codes, fail
from edigateway.cli.gateway import ClearinghouseOption, PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.visits import BulkOutcome, QueueItem

app = typer.Typer(help="Upcoming visits and the verification queue.", no_args_is_help=True)

DaysOption = Annotated[
    int,
    typer.Option(
        "--days", min=0, max=365, help="a check older than this many days before the visit"
    ),
]
WithinOption = Annotated[
    int, typer.Option("--within", min=0, max=180, help="visits from today to N days ahead")
]


@app.command("import")
@exit_codes()
def visits_import(
    csv_file: Annotated[Path, typer.Argument(help="visits CSV (see the command's help)")],
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store upcoming visits from a CSV exported by the practice-management system; a
    visit whose external_id was imported before is updated.

    Columns (header line first): external_id, visit_date, payer_id, payer_name,
    member_id, subscriber_last_name, subscriber_first_name, subscriber_date_of_birth,
    patient_last_name, patient_first_name, patient_date_of_birth, relationship,
    procedures (CDT codes separated by spaces); patient_* and relationship only for a
    dependent. Nothing is stored when a line is wrong (each problem named by line and
    column: exit 1); 2 when the file cannot be read. Example:
    ``edigateway visits import tomorrow.csv``
    """
    from edigateway.errors import ClaimInputError, FieldProblem
    from edigateway.services import visits
    from edigateway.services.verifications import command_line_caller

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClaimInputError(
            str(csv_file), [FieldProblem(f"byte {exc.start}", "not UTF-8 text")]
        ) from exc
    parsed = visits.parse_csv(text, str(csv_file))
    with open_gateway() as gateway:
        caller = command_line_caller(gateway.database, practice, now=gateway.clock())
        saved = visits.save(gateway.database, caller, parsed, now=gateway.clock())
    emit(
        saved,
        json=as_json,
        text=lambda rows: (f"{r.id}\t{r.external_id}\t{r.visit_date}\t{r.status}" for r in rows),
    )


@app.command("queue")
@exit_codes()
def visits_queue(
    days: DaysOption = 30,
    within: WithinOption = 14,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """The patients to verify before their visits: never verified, verified more than
    ``--days`` days before the visit, or not found by the payer; soonest visit first.

    Example: ``edigateway visits queue --days 30 --within 7``
    """
    from edigateway.services import visits
    from edigateway.services.verifications import command_line_caller

    with open_gateway() as gateway:
        caller = command_line_caller(gateway.database, practice, now=gateway.clock())
        items = visits.queue(
            gateway.database,
            caller,
            days=days,
            within=within,
            today=gateway.clock().date(),
            now=gateway.clock(),
        )
    emit(items, json=as_json, text=_queue_lines)


def _queue_lines(items: list[QueueItem]) -> Iterator[str]:
    if not items:
        yield "nobody to verify"
    for item in items:
        yield (
            f"{item.visit_date}\t{item.external_id}\t{item.patient_name}\t{item.payer_id}\t"
            f"{item.member_id}\t{item.reason}"
        )


@app.command("verify")
@exit_codes()
def visits_verify(
    days: DaysOption = 30,
    within: WithinOption = 7,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="at most")] = 50,
    clearinghouse: ClearinghouseOption = None,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the queue's patients now (one real-time call each, every answer kept).

    Exit 1 when a payer did not find a member or could not be reached (the others are
    checked all the same). Example: ``edigateway visits verify --within 2``
    """
    from edigateway.services import visits
    from edigateway.services.verifications import command_line_caller

    with open_gateway() as gateway:
        caller = command_line_caller(gateway.database, practice, now=gateway.clock())
        outcomes = visits.verify_queue(
            gateway.database,
            caller,
            days=days,
            within=within,
            today=gateway.clock().date(),
            limit=limit,
            realtime=gateway.realtime(clearinghouse),
        )
    emit(outcomes, json=as_json, text=_outcome_lines)
    failed = [o for o in outcomes if o.status in ("not_found", "rejected", "failed")]
    if failed:
        raise fail(f"{len(failed)} of {len(outcomes)} checks need attention", EXIT_INVALID)


def _outcome_lines(outcomes: list[BulkOutcome]) -> Iterator[str]:
    if not outcomes:
        yield "nobody to verify"
    for o in outcomes:
        kept = f"verification {o.verification_id}" if o.verification_id else "not kept"
        yield f"{o.external_id}\t{o.status}\t{kept}\t{o.message}"
