"""The ``edigateway`` command line.

Exit codes are the same everywhere: 0 ok, 1 invalid input or a business failure (an invalid
file, failed clean-claim edits), 2 usage errors and files that cannot be read or whose
version/transaction is not supported. ``--json`` output is for machines; everything else
is for people.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from edigateway.errors import (
    ClaimInputError,
    CleanClaimError,
    EdigatewayError,
    UnsupportedX12Error,
    X12Error,
    X12SyntaxError,
)

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

app = typer.Typer(
    name="edigateway",
    help="EDI gateway for dental practices: 837D claims, 270/271, 835 posting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
x12_app = typer.Typer(help="Build, validate and parse X12 5010 files.", no_args_is_help=True)
app.add_typer(x12_app, name="x12")

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def _gateway() -> Gateway:
    from edigateway.bootstrap import bootstrap

    return bootstrap()


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=None, default=str))


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command("schema")
def schema(
    name: Annotated[str, typer.Argument(help="claim or batch")] = "claim",
) -> None:
    """Print the JSON Schema of a claim (or of a claim batch).

    Example: ``edigateway schema claim > claim.schema.json``
    """
    from edigateway.domain.claims import Claim, ClaimBatch

    if name not in ("claim", "batch"):
        raise _fail(f"unknown schema {name!r}; choose claim or batch", EXIT_UNREADABLE)
    model: type[Claim] | type[ClaimBatch] = Claim if name == "claim" else ClaimBatch
    typer.echo(json.dumps(model.model_json_schema(), indent=2))


@x12_app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="X12 files to validate")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file, per line")]
    = False,
) -> None:
    """Validate X12 5010 files: 837D with our map; 837P/837I/835/999 with pyx12's.

    Exit 0 when every file is valid, 1 when any is invalid, 2 when any is unreadable or of
    an unsupported version/transaction. Example: ``edigateway x12 validate claims.837``
    """
    validator = _gateway().validator
    worst = EXIT_OK
    for path in files:
        verdict = validator.validate_file(path)
        if as_json:
            _echo_json(verdict.to_json())
        else:
            _print_verdict(verdict)
        if verdict.status in ("unreadable", "unsupported"):
            worst = EXIT_UNREADABLE
        elif not verdict.valid and worst == EXIT_OK:
            worst = EXIT_INVALID
    raise typer.Exit(worst)


def _print_verdict(verdict: Any) -> None:
    label = {"valid": "valid", "invalid": "INVALID", "unsupported": "UNSUPPORTED",
             "unreadable": "UNREADABLE"}[verdict.status]
    kind = " ".join(x for x in (verdict.transaction, verdict.version) if x)
    typer.echo(f"{verdict.file}: {label}" + (f" ({kind})" if kind else ""))
    for finding in verdict.errors:
        where = ", ".join(
            str(x) for x in (
                f"segment {finding.segment_index}" if finding.segment_index else None,
                finding.segment_id, f"loop {finding.loop}" if finding.loop else None,
                finding.element,
            ) if x
        )
        typer.echo(f"  [{finding.code}] {where + ': ' if where else ''}{finding.message}")


@x12_app.command("maps")
def maps() -> None:
    """Print the pyx12 map folder we validate with (pyx12's own maps plus ours).

    pyx12's tools can use it directly, e.g. ``x12valid --map-path "$(edigateway x12 maps)"
    claims.837`` checks an 837D with our X224A2 map.
    """
    typer.echo(str(_gateway().validator.map_path()))


@x12_app.command("parse")
def parse(
    file: Annotated[Path, typer.Argument(help="an X12 file")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the domain objects an X12 file holds (837D claims so far).

    Example: ``edigateway x12 parse claims.837 --json``
    """
    from edigateway.services.parsing import parse_file

    try:
        document = parse_file(file)
    except (X12SyntaxError, UnsupportedX12Error, OSError) as exc:
        raise _fail(str(exc), EXIT_UNREADABLE) from exc
    except X12Error as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    summary = document.pop("summary")
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    for line in summary:
        typer.echo(line)


@x12_app.command("build")
def build(
    kind: Annotated[str, typer.Argument(help="what to build: 837d")],
    claims_file: Annotated[Path, typer.Argument(help="claims JSON (see `edigateway schema`)")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write")]
    = None,
) -> None:
    """Build an X12 file from JSON: ``edigateway x12 build 837d claims.json -o claims.837``.

    Exits 1, listing every failed clean-claim edit, when the claims are not clean; nothing
    is written then.
    """
    from edigateway.services.claims import build_837d, load_claim_file

    if kind.lower() != "837d":
        raise _fail(f"cannot build {kind!r}; supported: 837d", EXIT_UNREADABLE)
    gateway = _gateway()
    try:
        batch = load_claim_file(claims_file)
        text = build_837d(batch, settings=gateway.settings,
                          control_numbers=gateway.control_numbers, clock=gateway.clock)
    except OSError as exc:
        raise _fail(f"{claims_file}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
    except CleanClaimError as exc:
        typer.echo(f"error: {len(exc.failures)} clean-claim edit(s) failed; nothing written",
                   err=True)
        for failure in exc.failures:
            typer.echo(f"  {failure}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    except (ClaimInputError, X12Error) as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if output is None:
        sys.stdout.write(text)
        return
    tmp = output.with_name(output.name + ".partial")
    tmp.write_text(text, encoding="ascii", errors="strict")
    tmp.replace(output)
    typer.echo(f"wrote {output}", err=True)


@app.command("demo")
def demo(
    fixtures: Annotated[Path, typer.Option(help="folder of claim JSON files")] = Path(
        "fixtures/claims"),
    out_dir: Annotated[Path, typer.Option("--out", help="where to write the 837D files")] =
    Path("var/demo"),
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary")] = False,
) -> None:
    """Build, validate and read back every fixture claim file (the main job for now).

    For each claims file: clean-claim edits → 837D → validation with our X224A2 map →
    read back into claims and compared. Example: ``edigateway demo``
    """
    from edigateway.services.demo import run_demo

    try:
        summary = run_demo(_gateway(), fixtures, out_dir, progress=not as_json)
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json(summary)
    raise typer.Exit(EXIT_OK if summary["all_valid"] else EXIT_INVALID)


def main() -> None:
    """Console-script entry point."""
    app()
