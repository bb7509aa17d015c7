"""`edigateway users create/list/disable/link` through the real CLI: the link it prints
sets the password (and the user then signs in), no command ever prompts — a missing option
is a usage error (exit 2) even with stdin closed —, bad input exits 1 with one line, and
disabling ends the user's sessions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from edigateway.bootstrap import bootstrap
from edigateway.cli import app
from edigateway.services import users_passwords
from edigateway.settings import Settings
from tests.factories import NOW, USER_PASSWORD

A, B = "1456789019", "1234567893"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDIGATEWAY_PUBLIC_URL", "https://edi.maple.example")
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


@pytest.mark.slow  # 1.3 s on the loaded 2-core machine
def test_create_prints_a_link_that_sets_the_password(data_dir: Path):
    code, out, err = run(
        "users",
        "create",
        "--practice",
        A,
        "--practice-name",
        "MAPLE",
        "--email",
        "Pat@Maple.example",
        "--role",
        "coordinator",
    )
    assert code == 0, err
    url = out.strip()
    assert url.startswith("https://edi.maple.example/ui/set-password?token=")
    assert "pat@maple.example (coordinator)" in err
    assert "works once" in err
    code, out, _ = run(
        "users",
        "create",
        "--practice",
        A,
        "--email",
        "sam@maple.example",
        "--role",
        "viewer",
        "--json",
    )
    created = json.loads(out)
    assert (created["user"]["email"], created["user"]["status"]) == ("sam@maple.example", "invited")
    assert created["set_password_url"].startswith("https://edi.maple.example/ui/")

    settings = Settings(data_dir=data_dir / "var")
    with bootstrap(settings, clock=lambda: NOW) as gateway:
        users_passwords.set_password(
            gateway.database,
            token=_token(url),
            password=USER_PASSWORD,
            keyring=gateway.keyring,
            now=NOW,
        )
        assert (
            users_passwords.check_password(
                gateway.database, email="pat@maple.example", password=USER_PASSWORD, now=NOW
            ).proof
            is not None
        )

    code, out, _ = run("users", "list", "--json")
    listed = json.loads(out)
    assert [(u["email"], u["status"]) for u in listed] == [
        ("pat@maple.example", "active"),
        ("sam@maple.example", "invited"),
    ]
    assert "password" not in json.dumps(
        [{k: v for k, v in u.items() if k != "password_set_at"} for u in listed]
    )
    code, out, _ = run("users", "list")
    assert "pat@maple.example\tcoordinator\tactive\tpassword only" in out
    assert run("users", "list", "--practice", B)[0] == 1  # no such practice

    code, out, _ = run("users", "link", "pat@maple.example", "--clear-two-step")
    assert code == 0
    assert _token(out.strip()) != _token(url)
    code, out, _ = run("users", "disable", "pat@maple.example")
    assert (code, out) == (0, f"disabled pat@maple.example (user {listed[0]['id']})\n")
    code, _, err = run("users", "link", "pat@maple.example")
    assert (code, err) == (1, "error: user pat@maple.example is disabled\n")


def test_bad_input_exits_1_with_one_line_and_missing_options_never_prompt(data_dir: Path):
    for args, message in (
        (("--practice", A, "--email", "x@maple.example", "--role", "owner"), "unknown role"),
        (
            ("--practice", "1999999999", "--email", "x@maple.example", "--role", "viewer"),
            "no practice",
        ),
        (
            (
                "--practice",
                A,
                "--practice-name",
                "MAPLE",
                "--email",
                "not-an-email",
                "--role",
                "viewer",
            ),
            "not an email address",
        ),
    ):
        code, out, err = run("users", "create", *args)
        assert (code, out) == (1, ""), err
        assert err.startswith("error: ")
        assert message in err
        assert "Traceback" not in err
    assert run("users", "disable", "nobody@maple.example")[0] == 1
    env = {**os.environ, "EDIGATEWAY_DATA_DIR": str(data_dir / "var")}
    finished = subprocess.run(  # no --role, stdin not a terminal: usage error, no prompt
        [
            str(Path(sys.executable).parent / "edigateway"),
            "users",
            "create",
            "--practice",
            A,
            "--email",
            "x@maple.example",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert finished.returncode == 2
    assert "Missing option '--role'" in finished.stderr
