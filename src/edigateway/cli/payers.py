"""``edigateway payers``: a practice's payers and their timely-filing limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.payer_limits import PayerLimit

app = typer.Typer(help="Payers and their timely-filing limits.", no_args_is_help=True)


@app.command("list")
@exit_codes()
def payers_list(practice: PracticeOption = None, as_json: JsonOption = False) -> None:
    """A practice's payers: the name it sends, other names it has sent, filing limits.

    Example: ``edigateway payers list --practice 1456789019``
    """
    from edigateway.services.payer_limits import payer_practice, payers

    with open_gateway() as gateway:
        rows = payers(gateway.database, payer_practice(gateway.database, practice))
    emit(rows, json=as_json, text=_payer_lines, document=lambda rows: [r.as_json() for r in rows])


def _payer_lines(rows: list[PayerLimit]) -> Iterator[str]:
    for row in rows:
        also = f"\talso sent as: {'; '.join(row.aliases)}" if row.aliases else ""
        secondary = (
            f"\tsecondary: {row.secondary_filing_days} days from the primary's payment"
            if row.secondary_filing_days is not None
            else ""
        )
        yield f"{row.payer_id}\t{row.name}\t{row.timely_filing_days} days{secondary}{also}"


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
    from edigateway.services.payer_limits import payer_practice, set_timely_filing

    with open_gateway() as gateway:
        set_timely_filing(
            gateway.database,
            payer_id,
            days,
            practice_id=payer_practice(gateway.database, practice),
            now=gateway.clock(),
        )
    typer.echo(f"{payer_id}: claims must reach the payer within {days} days of service")


@app.command("set-secondary-limit")
@exit_codes()
def payers_set_secondary_limit(
    payer_id: Annotated[str, typer.Argument(help="the payer ID claims are sent with")],
    days: Annotated[
        int | None,
        typer.Argument(help="days from the primary payer's payment (omit with --clear)"),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="remove the window: the date of service only")
    ] = False,
    practice: PracticeOption = None,
) -> None:
    """Give a payer's secondary claims their own window: received within DAYS of the
    primary payer's payment, or within the limit from the date of service, whichever ends
    later (unset: the date of service only).

    Example: ``edigateway payers set-secondary-limit DDPIL 90 --practice 1456789019``
    """
    from edigateway.errors import InputError
    from edigateway.services.payer_limits import payer_practice, set_secondary_filing

    if clear == (days is not None):
        raise InputError("give DAYS, or --clear to remove the payer's secondary window")
    with open_gateway() as gateway:
        set_secondary_filing(
            gateway.database,
            payer_id,
            days,
            practice_id=payer_practice(gateway.database, practice),
            now=gateway.clock(),
        )
    if days is None:
        typer.echo(f"{payer_id}: secondary claims count from the date of service only")
    else:
        typer.echo(
            f"{payer_id}: secondary claims must reach the payer within {days} days of the "
            "primary's payment, or the limit from the date of service if that ends later"
        )


@app.command("set-policy")
@exit_codes()
def payers_set_policy(
    payer_id: Annotated[
        str | None, typer.Argument(help="the payer ID claims are sent with (omit with --default)")
    ] = None,
    policy: Annotated[
        str,
        typer.Argument(
            help="full: post when every guard passes; semi: one approval per "
            "payment; review: a person approves each claim"
        ),
    ] = "",
    default: Annotated[
        bool, typer.Option("--default", help="set the practice's default for payers not set")
    ] = False,
    practice: PracticeOption = None,
) -> None:
    """How a payer's ERAs are posted (guards always win: what a guard holds waits for a
    person whatever the policy).

    Example: ``edigateway payers set-policy DDPIL review`` or
    ``edigateway payers set-policy --default semi``
    """
    from edigateway.errors import InputError
    from edigateway.services.era_review import set_policy
    from edigateway.services.payer_limits import payer_practice

    if default and payer_id is not None and not policy:
        policy, payer_id = payer_id, None
    if not policy or (default and payer_id is not None) or (not default and payer_id is None):
        raise InputError("give PAYER_ID and a policy (full, semi, review), or --default POLICY")
    with open_gateway() as gateway:
        practice_id = payer_practice(gateway.database, practice)
        if practice_id is None:
            raise InputError("the database holds no practice yet (import its claims first)")
        target = set_policy(
            gateway.database,
            policy,  # type: ignore[arg-type]
            practice_id=practice_id,
            payer_id=payer_id,
            now=gateway.clock(),
        )
    typer.echo(f"{target}: ERA policy {policy}")
