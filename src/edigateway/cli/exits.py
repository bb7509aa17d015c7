"""One place that turns our errors into the command line's exit codes.

The codes mean the same in every command (README, "Command line"): 0 done, 1 invalid or
malformed input or a failed business step (failed clean-claim edits, a refused upload, an
unknown payer …), 2 input that cannot be read — a file the system will not open, or one
that is not X12 or not a version or transaction the command reads. A command decorated
with :func:`exit_codes` raises; it never catches our errors itself, except where its own
contract gives one of them another code (e.g. ``x12 validate``: an unreadable CDT list is
2), and then it says so with :func:`fail`.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from edigateway.errors import (
    CleanClaimError,
    EdigatewayError,
    UnsupportedX12Error,
    X12SyntaxError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2

UNREADABLE: tuple[type[EdigatewayError], ...] = (X12SyntaxError, UnsupportedX12Error)
"""Our errors that mean "cannot be read" (exit 2); every other one is exit 1."""

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` on stderr; the exit to raise with ``code``."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def exit_code(exc: EdigatewayError) -> int:
    """The exit code of one of our errors."""
    return EXIT_UNREADABLE if isinstance(exc, UNREADABLE) else EXIT_INVALID


def exit_codes(*, refused: str = "nothing stored") -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a command so our errors and ``OSError`` end in their exit code with one
    ``error:`` line on stderr, never a traceback.

    Failed clean-claim edits are listed one per line after a count and ``refused`` (what
    did not happen because of them: ``nothing stored``, ``nothing written``).
    """

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return command(*args, **kwargs)
            except OSError as exc:
                raise fail(_os_message(exc), EXIT_UNREADABLE) from exc
            except CleanClaimError as exc:
                typer.echo(
                    f"error: {len(exc.failures)} clean-claim edit(s) failed; {refused}", err=True
                )
                for failure in exc.failures:
                    typer.echo(f"  {failure}", err=True)
                raise typer.Exit(EXIT_INVALID) from exc
            except EdigatewayError as exc:
                raise fail(str(exc), exit_code(exc)) from exc

        return run

    return decorate


def _os_message(exc: OSError) -> str:
    """``path: reason`` — the file the system would not open and why, in its words."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename is not None else reason
