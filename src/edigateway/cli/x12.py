"""``edigateway x12``: build, validate and parse X12 5010 files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import open_gateway
from edigateway.cli.output import emit, json_option
from edigateway.errors import EdigatewayError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.x12.validation import Verdict

app = typer.Typer(help="Build, validate and parse X12 5010 files.", no_args_is_help=True)


@app.command("validate")
@exit_codes()
def validate(
    files: Annotated[list[Path], typer.Argument(help="X12 files to validate")],
    as_json: Annotated[bool, json_option("one JSON object per file, per line")] = False,
    level: Annotated[
        int,
        typer.Option(
            "--level",
            min=1,
            max=5,
            help="report WEDI SNIP types 1..LEVEL: 1 syntax, 2 implementation guide, "
            "3 balancing, 4 situational rules, 5 code sets",
        ),
    ] = 5,
) -> None:
    """Validate X12 5010 files: 837D with our map; 837P/837I/835/999 with pyx12's.

    Every finding carries its WEDI SNIP type; an 837D also gets the clean-claim edits and
    our code-set rules, an 835 the posting engine's balancing. Exit 0 when every file is
    valid (at --level), 1 when any is invalid, 2 when any is unreadable or of an
    unsupported version/transaction. Example: ``edigateway x12 validate --level 2 claims.837``
    """
    from edigateway.services.codes import loaded_cdt

    with open_gateway() as gateway:
        try:
            cdt = loaded_cdt(gateway.settings.data_dir)
        except EdigatewayError as exc:  # the practice's own list, not the files: unreadable
            raise fail(str(exc), EXIT_UNREADABLE) from exc
        worst = EXIT_OK
        for path in files:
            verdict = gateway.validator.validate_file(
                path, level=level, cdt=cdt, today=gateway.clock().date()
            )
            emit(verdict, json=as_json, text=_verdict_lines, document=_verdict_document)
            if verdict.status in ("unreadable", "unsupported"):
                worst = EXIT_UNREADABLE
            elif not verdict.valid and worst == EXIT_OK:
                worst = EXIT_INVALID
    raise typer.Exit(worst)


def _verdict_document(verdict: Verdict) -> dict[str, object]:
    return verdict.to_json()


def _verdict_lines(verdict: Verdict) -> Iterator[str]:
    label = {
        "valid": "valid",
        "invalid": "INVALID",
        "unsupported": "UNSUPPORTED",
        "unreadable": "UNREADABLE",
    }[verdict.status]
    kind = " ".join(x for x in (verdict.transaction, verdict.version) if x)
    yield f"{verdict.file}: {label}" + (f" ({kind})" if kind else "")
    for finding in verdict.errors:
        where = ", ".join(
            str(x)
            for x in (
                f"segment {finding.segment_index}" if finding.segment_index else None,
                finding.segment_id,
                f"loop {finding.loop}" if finding.loop else None,
                finding.element,
            )
            if x
        )
        yield (
            f"  [{finding.code}, SNIP {finding.snip_type}] "
            f"{where + ': ' if where else ''}{finding.message}"
        )
    for note in verdict.notes:
        yield f"  note: {note}"


@app.command("maps")
@exit_codes()
def maps() -> None:
    """Print the pyx12 map folder we validate with (pyx12's own maps plus ours).

    pyx12's tools can use it directly. Example:
    ``x12valid --map-path "$(edigateway x12 maps)" claims.837`` checks an 837D with our map.
    """
    with open_gateway() as gateway:
        typer.echo(str(gateway.validator.map_path()))


@app.command("parse")
@exit_codes()
def parse(
    file: Annotated[Path, typer.Argument(help="an X12 file")],
    as_json: Annotated[
        bool, json_option("print the file's document as indented JSON, written as it is read")
    ] = False,
    as_lines: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help="print JSON Lines: a line for the file, one per claim (payment, inquiry, "
            "answer, acknowledgment), one for the totals",
        ),
    ] = False,
) -> None:
    """Print the domain objects an X12 file holds: 837D claims, 835 remittances, 270/271
    eligibility, 276/277 claim status, 277CA and 999 acknowledgments.

    The JSON is written as the file is read (an 835 or 837D claim by claim), so memory
    stays flat whatever the file's size; a file found malformed part-way ends the output
    there, with the error on stderr and exit 1. Without ``--json`` a summary is printed.
    Example: ``edigateway x12 parse claims.837 --json``
    """
    from edigateway.services.parsing import summarise, write_document

    if as_json or as_lines:
        write_document(file, sys.stdout, lines=as_lines)
        return
    for line in summarise(file):
        typer.echo(line)


@app.command("build")
@exit_codes(refused="nothing written")
def build(
    kind: Annotated[str, typer.Argument(help="what to build: 837d")],
    claims_file: Annotated[
        Path,
        typer.Argument(help="claims JSON for 837d, inquiries for 270 (see `edigateway schema`)"),
    ],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write")] = None,
) -> None:
    """Build an X12 file from JSON. Example:
    ``edigateway x12 build 837d claims.json -o claims.837`` or
    ``edigateway x12 build 270 inquiry.json``.

    Exits 1, listing every failed clean-claim edit, when the claims are not clean; nothing
    is written then.
    """
    from edigateway.services.claims import build_837d, load_claim_file
    from edigateway.services.eligibility import build_270, load_inquiries

    if kind.lower() not in ("837d", "270"):
        raise fail(f"cannot build {kind!r}; supported: 837d, 270", EXIT_UNREADABLE)
    with open_gateway() as gateway:
        if kind.lower() == "270":
            text = build_270(
                load_inquiries(claims_file),
                settings=gateway.settings,
                control_numbers=gateway.control_numbers,
                clock=gateway.clock,
            )
        else:
            text = build_837d(
                load_claim_file(claims_file),
                settings=gateway.settings,
                control_numbers=gateway.control_numbers,
                clock=gateway.clock,
            )
    if output is None:
        sys.stdout.write(text)
        return
    tmp = output.with_name(output.name + ".partial")
    tmp.write_text(text, encoding="ascii", errors="strict")
    tmp.replace(output)
    typer.echo(f"wrote {output}", err=True)
