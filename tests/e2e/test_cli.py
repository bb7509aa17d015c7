"""The CLI contract of the 837D issue: commands, exit codes and JSON shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from tests.factories import CORPUS, REPO

pytestmark = pytest.mark.slow  # a CLI process per command, the corpus parsed

FIXTURE = REPO / "fixtures" / "claims" / "05_crown_initial.json"
MINIMAL = REPO / "fixtures" / "x12" / "minimal.837d"
CDT_FORMAT_ONLY = (
    "CDT codes checked for format only: load the ADA's list with `edigateway codes load cdt FILE`"
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDIGATEWAY_MAPPINGS_DIR", str(REPO / "mappings"))
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_then_validate_then_parse(tmp_path: Path):
    out = tmp_path / "crown.837"
    code, _, err = run("x12", "build", "837d", str(FIXTURE), "-o", str(out))
    assert code == 0, err
    code, stdout, _ = run("x12", "validate", str(out), "--json")
    assert code == 0
    verdict = json.loads(stdout)
    assert verdict == {
        "file": str(out),
        "transaction": "837D",
        "version": "005010X224A2",
        "valid": True,
        "status": "valid",
        "errors": [],
        "notes": [CDT_FORMAT_ONLY],
    }
    code, stdout, _ = run("x12", "parse", str(out), "--json")
    assert code == 0
    document = json.loads(stdout)
    assert [c["patient_control_number"] for c in document["claims"]] == ["MSD1005"]
    assert document["claims"][0]["total_charge"] == "1540.00"


def test_control_numbers_never_repeat(tmp_path: Path):
    texts = []
    for n in range(2):
        out = tmp_path / f"{n}.837"
        assert run("x12", "build", "837d", str(FIXTURE), "-o", str(out))[0] == 0
        texts.append(out.read_text().split("~")[0][90:99])
    assert texts[0] != texts[1]


def test_failed_edits_exit_1_listing_each_and_write_nothing(tmp_path: Path):
    document = json.loads(FIXTURE.read_text())
    claim = document["claims"][0]
    claim["total_charge"] = "1.00"
    claim["lines"][0]["teeth"][0]["tooth"] = "33"
    claim["billing_provider"]["npi"] = "1234567890"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    out = tmp_path / "bad.837"
    code, _, err = run("x12", "build", "837d", str(bad), "-o", str(out))
    assert code == 1
    for edit in ("[E001]", "[E010]", "[E020]"):
        assert edit in err
    assert "lines.0.teeth.0.tooth" in err
    assert not out.exists()


def test_schema_errors_name_the_field(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"claims": [{"patient_control_number": "X1"}]}))
    code, _, err = run("x12", "build", "837d", str(bad))
    assert code == 1
    assert "claims.0.total_charge" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = run("x12", "build", "837d", str(broken))
    assert code == 1
    assert "line 1 column 2" in err
    code, _, err = run("x12", "build", "837d", str(tmp_path / "missing.json"))
    assert code == 2


def test_delimiter_in_a_name_is_refused(tmp_path: Path):
    document = json.loads(FIXTURE.read_text())
    document["claims"][0]["subscriber"]["name"]["last_name"] = "NGUYEN*TRAN"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    code, _, err = run("x12", "build", "837d", str(bad))
    assert code == 1
    assert "subscriber.name.last_name" in err


def test_validate_exit_codes(tmp_path: Path):
    broken = tmp_path / "broken.837"
    broken.write_text(MINIMAL.read_text().replace("TOO*JP*30*M:O:D", "TOO*JP*30*M:O:X"))
    assert run("x12", "validate", str(MINIMAL))[0] == 0
    code, stdout, _ = run("x12", "validate", str(MINIMAL), str(broken))
    assert code == 1
    assert "INVALID" in stdout
    assert "TOO03-03" in stdout
    old = CORPUS / "837D" / "oopfactory__Spec_4.1.3_PredeterminationOfBenefits.txt"
    if old.exists():
        code, stdout, _ = run("x12", "validate", str(old), "--json")
        assert code == 2
        assert "is not supported" in json.loads(stdout)["errors"][0]["message"]
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("not x12")
    code, stdout, _ = run("x12", "validate", str(MINIMAL), str(garbage), "--json")
    assert code == 2
    assert [json.loads(line)["status"] for line in stdout.splitlines()] == ["valid", "unreadable"]


def test_parse_refuses_unsupported_and_reports_malformed(tmp_path: Path):
    bad = tmp_path / "bad.837"
    bad.write_text(MINIMAL.read_text().replace("CLM*MSD1001*195*", "CLM*MSD1001*1X5*"))
    code, _, err = run("x12", "parse", str(bad))
    assert code == 1
    assert "CLM02" in err
    assert "loop 2300" in err
    code, _, err = run("x12", "parse", str(CORPUS / "837P" / "imsweb__x12_ambiguous_loop.txt"))
    assert code == 2
    assert "not supported yet" in err
    code, out, _ = run("x12", "parse", str(CORPUS / "835" / "pyx12__835_mult_loops.txt"), "--json")
    assert code == 0
    assert json.loads(out)["claims"] == 1


def test_schema_claim_is_json_schema():
    code, stdout, _ = run("schema", "claim")
    assert code == 0
    schema = json.loads(stdout)
    assert schema["title"] == "Claim"
    assert "lines" in schema["required"]


def test_console_script_runs(tmp_path: Path):
    exe = Path(sys.executable).with_name("edigateway")
    env = {**os.environ, "EDIGATEWAY_DATA_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [str(exe), "x12", "validate", str(MINIMAL)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_x12_maps_prints_a_folder_holding_our_837d_map():
    code, stdout, _ = run("x12", "maps")
    assert code == 0
    folder = Path(stdout.strip())
    assert (folder / "837.5010.X224.A2.xml").is_file()
    assert "837.5010.X224.A2.xml" in (folder / "maps.xml").read_text()


def test_every_command_has_help_with_an_example():
    import typer

    from edigateway.cli import app

    missing: list[str] = []

    def walk(command: object, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{path} {name}")
        elif "Example" not in (getattr(command, "help", "") or ""):
            missing.append(path.strip())

    walk(typer.main.get_command(app), "")
    assert missing == []
