"""``edigateway claims write-off`` and ``claims close``: what the payer left, settled by
a person (registered on the ``claims`` command group by :mod:`edigateway.cli`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit
from edigateway.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.era_review import Settled


@exit_codes()
def claims_write_off(
    patient_control_number: Annotated[str, typer.Argument(help="the claim's number (CLM01)")],
    amount: Annotated[
        str | None, typer.Option(help="how much (default: all that is outstanding)")
    ] = None,
    note: Annotated[str, typer.Option(help="why (kept with the posting)")] = "",
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write off what the payer left on an answered claim (a denial not worth appealing,
    a small balance); with nothing left the claim is written_off and its denial items
    close.

    Example: ``edigateway claims write-off MSD1003 --amount 45.00 --note "timely filing"``
    """
    from edigateway.services.era_review import write_off
    from edigateway.services.payer_limits import payer_practice

    value = None
    if amount is not None:
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise InputError(f"--amount {amount!r} is not an amount (like 45.00)") from exc
    with open_gateway() as gateway:
        practice_id = payer_practice(gateway.database, practice) if practice else None
        done = write_off(
            gateway.database,
            patient_control_number,
            now=gateway.clock(),
            actor="cli",
            amount=value,
            note_text=note,
            practice_id=practice_id,
        )
    emit(done, json=as_json, text=_settled_lines)


@exit_codes()
def claims_close(
    patient_control_number: Annotated[str, typer.Argument(help="the claim's number (CLM01)")],
    note: Annotated[str, typer.Option(help="why (kept with the posting)")] = "",
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close an answered claim the payer will pay no more on: what is outstanding becomes
    the patient's to pay and the claim is closed.

    Example: ``edigateway claims close MSD1003 --note "not covered: patient pays"``
    """
    from edigateway.services.era_review import close
    from edigateway.services.payer_limits import payer_practice

    with open_gateway() as gateway:
        practice_id = payer_practice(gateway.database, practice) if practice else None
        done = close(
            gateway.database,
            patient_control_number,
            now=gateway.clock(),
            actor="cli",
            note_text=note,
            practice_id=practice_id,
        )
    emit(done, json=as_json, text=_settled_lines)


def _settled_lines(done: Settled) -> Iterator[str]:
    what = "written off" if done.action == "write_off" else "moved to the patient"
    yield (
        f"claim {done.claim}: {done.amount} {what}; {done.outstanding} outstanding, "
        f"state {done.state}"
    )
