"""``edigateway db``: the database schema."""

from __future__ import annotations

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import open_gateway

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
@exit_codes()
def db_upgrade() -> None:
    """Apply database migrations (the embedded SQLite file does this by itself).

    Example: ``EDIGATEWAY_DATABASE_URL=postgresql+psycopg://... edigateway db upgrade``
    """
    with open_gateway() as gateway:
        gateway.upgrade_database()
    typer.echo("database is up to date")
