"""``edigateway codes``: code lists the practice licenses (CDT)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edigateway.cli.exits import EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import open_gateway

app = typer.Typer(help="Code lists the practice licenses (CDT).", no_args_is_help=True)


@app.command("load")
@exit_codes()
def codes_load(
    kind: Annotated[str, typer.Argument(help="the code list: cdt")],
    file: Annotated[
        Path,
        typer.Argument(
            help="the licensed file (CSV: code, descriptor, effective date, deleted date)"
        ),
    ],
) -> None:
    """Load the practice's licensed ADA CDT file; validation then flags unknown and
    deleted procedure codes (without it, CDT codes are checked for their format only).

    Exit 0 loaded, 1 a row is wrong (line and column named; nothing replaced), 2 the file
    cannot be read or the list is not one we know. Example:
    ``edigateway codes load cdt CDT2026.csv``
    """
    from edigateway.services.codes import CodeFileUnreadableError, load_cdt

    if kind != "cdt":
        raise fail(f"unknown code list {kind!r}; edigateway loads: cdt", EXIT_UNREADABLE)
    with open_gateway() as gateway:
        try:
            result = load_cdt(file, gateway.settings.data_dir, now=gateway.clock())
        except CodeFileUnreadableError as exc:
            raise fail(str(exc), EXIT_UNREADABLE) from exc
    typer.echo(
        f"loaded {result.codes} CDT codes ({result.deleted} deleted) from "
        f"{result.source} into {result.stored}"
    )
