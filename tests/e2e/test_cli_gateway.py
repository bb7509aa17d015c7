"""Every command that opens a gateway closes it when it ends — done or failed — so its
database pool and HTTP clients never outlive the command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

import edigateway.bootstrap
from edigateway.cli import app
from tests.factories import REPO

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway


@pytest.fixture
def gateways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Gateway, list[int]]]:
    """Each gateway the CLI builds, with how often it was closed."""
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    built: list[tuple[Gateway, list[int]]] = []
    real = edigateway.bootstrap.bootstrap

    def counting(*args: object, **kwargs: object) -> Gateway:
        gateway = real(*args, **kwargs)  # type: ignore[arg-type]
        closed: list[int] = []
        close = gateway.close

        def close_and_count() -> None:
            closed.append(1)
            close()

        gateway.close = close_and_count  # type: ignore[method-assign]
        built.append((gateway, closed))
        return gateway

    monkeypatch.setattr(edigateway.bootstrap, "bootstrap", counting)
    return built


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["claims", "import", "fixtures/era/claims.json"], 0),
        (["era", "post", "fixtures/era/01_full_pay/era.835"], 0),
        (["report", "aging"], 0),
        (["workqueue", "resolve", "99", "--note", "x"], 1),  # no such item
        (["claims", "send"], 1),  # no SFTP key
        (["x12", "build", "837d", "fixtures/x12/minimal.837d"], 1),  # not claims JSON
        (["claims", "import", "no/such/file.json"], 2),
    ],
)
def test_the_gateway_is_closed_whatever_the_outcome(
    gateways: list[tuple[Gateway, list[int]]],
    args: list[str],
    code: int,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.stderr
    assert gateways, "the command built no gateway"
    assert [len(closed) for _, closed in gateways] == [1] * len(gateways)


def test_a_setting_that_does_not_fit_is_named_not_a_traceback(
    gateways: list[tuple[Gateway, list[int]]], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("EDIGATEWAY_USAGE_INDICATOR", "X")
    monkeypatch.setenv("EDIGATEWAY_TRUSTED_HOSTS", '["edi.example.com", 3]')
    result = CliRunner().invoke(app, ["report", "aging"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == (
        "error: settings: EDIGATEWAY_USAGE_INDICATOR: Input should be 'P' or 'T'; "
        "EDIGATEWAY_TRUSTED_HOSTS[1]: Input should be a valid string\n"
    )
    assert gateways == []
