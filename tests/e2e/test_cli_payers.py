"""`payers list` / `payers set-limit` / `payers set-secondary-limit` through the real CLI
with two practices that send the same payer ID under different names: each command is about
one practice's payers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from tests.factories import REPO

A, B = "1456789019", "1234567893"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _import(tmp_path: Path, npi: str, payer_name: str, prefix: str) -> None:
    document = json.loads((REPO / "fixtures/era/claims.json").read_text())
    for claim in document["claims"]:
        claim["billing_provider"]["npi"] = npi
        claim["payer"]["name"] = payer_name
        claim["patient_control_number"] = prefix + claim["patient_control_number"][3:]
    path = tmp_path / f"{prefix}.json"
    path.write_text(json.dumps(document))
    assert run("claims", "import", str(path))[0] == 0


@pytest.mark.slow  # 1.7 s on the loaded 2-core machine
def test_payer_commands_are_per_practice(tmp_path: Path):
    _import(tmp_path, A, "PRAIRIE DENTAL PLAN", "ERA")
    code, out, _ = run("payers", "list")  # one practice: it is the default
    assert (code, out) == (0, "DDPIL\tPRAIRIE DENTAL PLAN\t365 days\n")
    _import(tmp_path, B, "DELTA OF ILLINOIS", "ERB")

    code, _, err = run("payers", "list")
    assert code == 1
    assert f"several practices ({B}, {A})" in err
    assert "--practice NPI" in err
    assert run("payers", "set-limit", "DDPIL", "60")[0] == 1

    assert run("payers", "set-limit", "DDPIL", "60", "--practice", B)[0] == 0
    code, out, _ = run("payers", "list", "--practice", A, "--json")
    assert json.loads(out) == [
        {
            "payer_id": "DDPIL",
            "name": "PRAIRIE DENTAL PLAN",
            "aliases": [],
            "timely_filing_days": 365,
            "secondary_filing_days": None,
        }
    ]
    code, out, _ = run("payers", "list", "--practice", B, "--json")
    assert json.loads(out) == [
        {
            "payer_id": "DDPIL",
            "name": "DELTA OF ILLINOIS",
            "aliases": [],
            "timely_filing_days": 60,
            "secondary_filing_days": None,
        }
    ]

    _import(tmp_path, B, "DELTA IL", "ERC")
    code, out, _ = run("payers", "list", "--practice", B)
    assert out == "DDPIL\tDELTA OF ILLINOIS\t60 days\talso sent as: DELTA IL\n"

    code, _, err = run("payers", "list", "--practice", "1999999999")
    assert code == 1
    assert "no practice '1999999999'" in err
    code, _, err = run("payers", "set-limit", "NOPE", "60", "--practice", A)
    assert code == 1
    assert "payer NOPE is unknown for this practice" in err


def test_a_data_folder_that_cannot_be_made_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "file" / "var"))
    code, _, err = run("payers", "list")
    assert code == 1
    assert err.startswith("error: cannot create the folder ")


def test_a_payers_secondary_window_is_set_shown_and_cleared(tmp_path: Path):
    _import(tmp_path, A, "PRAIRIE DENTAL PLAN", "ERA")
    code, out, _ = run("payers", "set-secondary-limit", "DDPIL", "90")
    assert code == 0
    assert "within 90 days of the primary's payment" in out
    code, out, _ = run("payers", "list")
    assert out == (
        "DDPIL\tPRAIRIE DENTAL PLAN\t365 days\tsecondary: 90 days from the primary's payment\n"
    )
    code, out, _ = run("payers", "list", "--json")
    assert json.loads(out)[0]["secondary_filing_days"] == 90

    for wrong in (["0"], ["3651"], [], ["90", "--clear"]):
        code, _, err = run("payers", "set-secondary-limit", "DDPIL", *wrong)
        assert code == 1, wrong
    assert json.loads(run("payers", "list", "--json")[1])[0]["secondary_filing_days"] == 90
    code, _, err = run("payers", "set-secondary-limit", "NOPE", "90")
    assert code == 1
    assert "payer NOPE is unknown for this practice" in err

    code, out, _ = run("payers", "set-secondary-limit", "DDPIL", "--clear", "--practice", A)
    assert code == 0
    assert "from the date of service only" in out
    assert run("payers", "list")[1] == "DDPIL\tPRAIRIE DENTAL PLAN\t365 days\n"
