"""``edigateway estimate``: insurance and patient portions of a plan, from a 271 or a kept
eligibility check, on the payer's fee schedule — as a table, JSON, or the patient's copy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit


@exit_codes()
def estimate_command(
    plan: Annotated[
        Path, typer.Option("--plan", help="treatment plan JSON (see `edigateway schema plan`)")
    ],
    benefits: Annotated[
        Path | None, typer.Option("--benefits", help="the patient's 271 (or --verification)")
    ] = None,
    verification: Annotated[
        int | None,
        typer.Option("--verification", min=1, help="a kept eligibility check's ID (history)"),
    ] = None,
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="also write the patient's copy as PDF here")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="also write the patient's copy as HTML here")
    ] = None,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Estimate insurance and patient portions of a treatment plan, from the patient's 271
    (``--benefits``) or a kept eligibility check (``--verification ID``), on the
    practice's fee schedule for the payer (``fees load``) unless the plan gives one.

    Every figure comes with the rule that produced it. Exit 1 for an invalid plan or a
    malformed 271, 2 when a file cannot be read or is not a 005010X279A1 271. Examples:
    ``edigateway estimate --benefits patient.271 --plan plan.json``,
    ``edigateway estimate --verification 12 --plan plan.json --pdf estimate.pdf``
    """
    from edigateway.errors import InputError, X12Location, X12StructureError
    from edigateway.services import estimates, verifications
    from edigateway.services.eligibility import benefits_of, describe_estimate, load_plan
    from edigateway.services.estimate_documents import render_html, render_pdf
    from edigateway.services.parsing import PARSED, require_file

    if (benefits is None) == (verification is None):
        raise InputError("give --benefits FILE.271 or --verification ID (one of the two)")
    given = None
    if benefits is not None:
        require_file(benefits, "271", PARSED["271"], "estimate")
        found = benefits_of(benefits)
        if not found:
            raise X12StructureError(
                "the 271 holds no patient's benefits to estimate with",
                X12Location(file=str(benefits)),
            )
        given = found[0]
    treatment = load_plan(plan)
    with open_gateway() as gateway:
        caller = verifications.command_line_caller(
            gateway.database, practice, now=gateway.clock(), required=verification is not None
        )
        if caller is None and given is not None:
            result = estimates.estimate_without_practice(treatment, given, now=gateway.clock())
        else:
            assert caller is not None  # noqa: S101 - required with --verification
            result = estimates.estimate_plan(
                gateway.database,
                caller,
                treatment,
                benefits=given,
                verification_id=verification,
                now=gateway.clock(),
            )
    if pdf is not None:
        pdf.write_bytes(render_pdf(result))
    if html is not None:
        html.write_text(render_html(result), encoding="utf-8")
    emit(result.estimate, json=as_json, text=describe_estimate, indent=2)
