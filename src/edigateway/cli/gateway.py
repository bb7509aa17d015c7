"""Where the command line gets its settings and its gateway: the one place it builds
:class:`~edigateway.settings.Settings`, and a gateway that each command closes when it
ends (its HTTP clients, its database pool)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.bootstrap import Gateway
    from edigateway.settings import Settings


def cli_settings(**overrides: Any) -> Settings:
    """The settings from ``EDIGATEWAY_*`` (and ``.env``), with ``overrides`` on top.

    A variable that does not fit is a :class:`~edigateway.errors.ConfigurationError` naming
    it (exit 1), not pydantic's traceback.
    """
    from pydantic import ValidationError

    from edigateway.errors import ConfigurationError
    from edigateway.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        prefix = Settings.model_config.get("env_prefix", "")
        problems = "; ".join(
            _variable(error["loc"], prefix) + f": {error['msg']}" for error in exc.errors()
        )
        raise ConfigurationError(f"settings: {problems}") from exc
    return settings.model_copy(update=overrides) if overrides else settings


def _variable(loc: tuple[int | str, ...], prefix: str) -> str:
    """The environment variable a settings error is about (``EDIGATEWAY_TRUSTED_HOSTS[1]``)."""
    if not loc:
        return "the settings as a whole"
    return f"{prefix}{str(loc[0]).upper()}" + "".join(f"[{part}]" for part in loc[1:])


@contextmanager
def open_gateway() -> Iterator[Gateway]:
    """The gateway of one command, closed when the command is done (or failed)."""
    from edigateway.bootstrap import bootstrap

    with bootstrap(cli_settings()) as gateway:
        yield gateway


ClearinghouseOption = Annotated[
    str | None,
    typer.Option(
        "--clearinghouse",
        help="clearinghouse profile (default: EDIGATEWAY_CLEARINGHOUSE, 'simulator')",
    ),
]

PracticeOption = Annotated[
    str | None,
    typer.Option(
        "--practice",
        help="the practice's NPI (required when the database holds several; default: the only one)",
    ),
]
