"""``edigateway estimate``: insurance and patient portions of a plan, from a 271."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.output import JsonOption, emit


@exit_codes()
def estimate_command(
    benefits: Annotated[Path, typer.Option("--benefits", help="the patient's 271")],
    plan: Annotated[
        Path, typer.Option("--plan", help="treatment plan JSON (see `edigateway schema plan`)")
    ],
    as_json: JsonOption = False,
) -> None:
    """Estimate insurance and patient portions of a treatment plan from a 271.

    Every figure comes with the rule that produced it. Exit 1 for an invalid plan or a
    malformed 271, 2 when a file cannot be read or is not a 005010X279A1 271. Example:
    ``edigateway estimate --benefits patient.271 --plan plan.json``
    """
    from edigateway.services.eligibility import describe_estimate, estimate_from_files
    from edigateway.services.parsing import PARSED, require_file

    require_file(benefits, "271", PARSED["271"], "estimate")
    emit(estimate_from_files(benefits, plan), json=as_json, text=describe_estimate, indent=2)
