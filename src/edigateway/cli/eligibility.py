"""``edigateway eligibility``: real-time 270 → 271 through the clearinghouse."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import ClearinghouseOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

app = typer.Typer(help="Real-time eligibility and benefits.", no_args_is_help=True)


@app.command("check")
@exit_codes()
def eligibility_check(
    inquiries_file: Annotated[
        Path, typer.Argument(help="inquiry JSON (see `edigateway schema inquiry`)")
    ],
    clearinghouse: ClearinghouseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the payer in real time (270 → 271 over the clearinghouse's HTTPS endpoint) and
    print each patient's dental benefits.

    Example: ``edigateway eligibility check fixtures/inquiries/01_subscriber_all_dental.json``
    """
    from edigateway.services.eligibility import check_realtime, load_inquiries

    with open_gateway() as gateway:
        inquiries = load_inquiries(inquiries_file)
        profile = gateway.profile(clearinghouse)
        answers = check_realtime(
            inquiries,
            client=gateway.core_client(profile),
            profile=profile,
            settings=gateway.settings,
            control_numbers=gateway.control_numbers,
            clock=gateway.clock,
        )
    emit(answers, json=as_json, text=_benefits_lines, indent=2)


def _benefits_lines(answers: list[Any]) -> Iterator[str]:
    from edigateway.services.eligibility import describe_benefits

    for benefits in answers:
        yield from describe_benefits(benefits)
        yield ""
