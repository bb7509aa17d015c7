"""The one error → exit-code mapping of the command line (README, "Command line")."""

from __future__ import annotations

import inspect

import pytest
import typer

from edigateway.cli.exits import exit_codes
from edigateway.errors import (
    AuthenticationError,
    ClaimInputError,
    CleanClaimError,
    ConfigurationError,
    EditFailure,
    FieldProblem,
    NotFoundError,
    PersistenceError,
    TransferError,
    UnsupportedX12Error,
    X12Location,
    X12StructureError,
    X12SyntaxError,
)


def _run(error: BaseException, *, refused: str = "nothing stored") -> int:
    @exit_codes(refused=refused)
    def command() -> None:
        raise error

    with pytest.raises(typer.Exit) as stopped:
        command()
    return stopped.value.exit_code


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (X12SyntaxError("no ISA segment", X12Location(file="a.835", segment_index=1)), 2),
        (UnsupportedX12Error("GS08 004010X091A1 is 4010", X12Location(element="GS08")), 2),
        (X12StructureError("CLM02 is not a number", X12Location(segment_id="CLM")), 1),
        (ClaimInputError("c.json", [FieldProblem("claims.0.lines.0.fee", "not money")]), 1),
        (ConfigurationError("no SFTP private key"), 1),
        (PersistenceError("database refused"), 1),
        (NotFoundError("no work item #9"), 1),
        (TransferError("upload failed"), 1),
        (AuthenticationError("refused our key"), 1),
    ],
)
def test_our_errors_end_in_their_documented_code_with_one_error_line(
    error: Exception, code: int, capsys: pytest.CaptureFixture[str]
):
    assert _run(error) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {error}\n"


def test_an_unreadable_file_is_2_and_named(capsys: pytest.CaptureFixture[str]):
    assert _run(FileNotFoundError(2, "No such file or directory", "claims.json")) == 2
    assert capsys.readouterr().err == "error: claims.json: No such file or directory\n"
    assert _run(OSError("disk on fire")) == 2
    assert capsys.readouterr().err == "error: disk on fire\n"


def test_failed_edits_are_counted_then_listed_one_per_line(capsys: pytest.CaptureFixture[str]):
    failures = [
        EditFailure("E020", "PCN1", "claims.0.lines.0.tooth", "33 is not a tooth"),
        EditFailure("E010", "PCN1", "claims.0.total_charge", "not the lines' sum"),
    ]
    assert _run(CleanClaimError(failures), refused="nothing written") == 1
    assert capsys.readouterr().err == (
        "error: 2 clean-claim edit(s) failed; nothing written\n"
        "  [E020] claim PCN1 claims.0.lines.0.tooth: 33 is not a tooth\n"
        "  [E010] claim PCN1 claims.0.total_charge: not the lines' sum\n"
    )


def test_a_command_s_own_exit_and_foreign_errors_pass_through():
    assert _run(typer.Exit(0)) == 0
    with pytest.raises(KeyError):  # a bug stays a bug: not turned into "invalid input"
        _run(KeyError("status"))


def test_typer_still_sees_the_command_s_parameters_and_help():
    def command(path: str, *, as_json: bool = False) -> None:
        """Help. Example: ``edigateway x``"""

    decorated = exit_codes()(command)
    assert inspect.signature(decorated) == inspect.signature(command)
    assert decorated.__doc__ == command.__doc__
