"""One way to print a command's result: JSON for machines with ``--json``, lines of text
for people otherwise.

``--json`` is declared once (:data:`JsonOption`, or :func:`json_option` where a command's
help says more precisely what it prints) and handled once (:func:`emit`).
"""

from __future__ import annotations

import dataclasses
from json import dumps, loads
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

T = TypeVar("T")


def json_option(help_text: str = "print JSON") -> Any:
    """The ``--json`` flag, with ``help_text`` as its help."""
    return typer.Option("--json", help=help_text)


JsonOption = Annotated[bool, json_option()]
"""``--json`` (default off): print the result as JSON instead of text."""


def emit(
    result: T,
    *,
    json: bool,
    text: Callable[[T], Iterable[str]] | None = None,
    document: Callable[[T], object] | None = None,
    indent: int | None = None,
) -> None:
    """Print ``result``: as one JSON document when ``json`` (``indent`` spaces deep, one
    line by default), else the lines ``text`` makes of it.

    The JSON is ``document(result)`` when the command's documented JSON is not the result
    itself. A pydantic model prints as pydantic serialises it, a dataclass as its fields,
    anything else JSON cannot hold (dates, decimals) as its string.
    """
    if json:
        from pydantic import BaseModel  # only for JSON: keeps the CLI's start-up light

        value = result if document is None else document(result)
        if isinstance(value, BaseModel):
            typer.echo(value.model_dump_json(indent=indent))
        else:
            typer.echo(dumps(_plain(value), indent=indent, default=str))
    elif text is not None:
        for line in text(result):
            typer.echo(line)


def _plain(value: Any) -> Any:
    """``value`` with models and dataclasses made JSON-ready, recursively through lists
    and dicts."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return loads(value.model_dump_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
