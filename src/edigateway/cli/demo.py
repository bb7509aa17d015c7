"""``edigateway demo``: the whole gateway on a demo practice, with the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import cli_settings
from edigateway.cli.output import emit, json_option


@exit_codes()
def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="an empty folder for the demo's database and files (default: a temporary "
            "one); the simulator's files go beside it, in DIR-sim"
        ),
    ] = None,
    as_json: Annotated[bool, json_option("print the summary as JSON")] = False,
) -> None:
    """The whole gateway in one command, on embedded defaults, with the simulator.

    50 patients' eligibility (270/271), two estimates, their claims as one 837D over SFTP,
    the 999/277CA/835 answers applied and posted, then the summary: accepted/rejected,
    paid, written off, patient responsibility, denials, work queue, A/R aging.
    Example: ``edigateway demo`` or ``edigateway demo --json``
    """
    from edigateway.demo.job import fresh_data_dir, fresh_sim_dir, run_demo

    folder = fresh_data_dir(data_dir)
    sim_folder = fresh_sim_dir(folder)
    summary = run_demo(cli_settings(data_dir=folder, sim_data_dir=sim_folder), progress=not as_json)
    if as_json:
        emit(summary, json=True)
    else:
        typer.echo(
            f"data in {folder}; the simulator's files (PLAINTEXT test data) in {sim_folder}",
            err=True,
        )
