"""``x12 validate --level`` and SNIP types on the command line, and ``codes load cdt``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from tests.factories import REPO

MINIMAL = (REPO / "fixtures" / "x12" / "minimal.837d").read_text()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDIGATEWAY_MAPPINGS_DIR", str(REPO / "mappings"))
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_level_chooses_the_snip_types_reported(tmp_path: Path):
    tooth = tmp_path / "tooth99.837"
    tooth.write_text(MINIMAL.replace("TOO*JP*30*", "TOO*JP*99*"))
    code, stdout, _ = run("x12", "validate", str(tooth), "--json")
    assert code == 1
    (finding,) = json.loads(stdout)["errors"]
    assert (finding["code"], finding["snip_type"], finding["element"]) == ("E020", 5, "TOO02")
    code, stdout, _ = run("x12", "validate", str(tooth))
    assert "[E020, SNIP 5] segment 29, TOO, loop 2400, TOO02: tooth 99" in stdout
    assert "note: CDT codes checked for format only" in stdout
    code, stdout, _ = run("x12", "validate", "--level", "4", str(tooth), "--json")
    assert code == 0
    assert json.loads(stdout)["errors"] == []
    assert run("x12", "validate", "--level", "6", str(tooth))[0] == 2


@pytest.mark.slow  # 2.5 s on the loaded 2-core machine
def test_a_loaded_cdt_list_flags_unknown_and_deleted_codes(tmp_path: Path):
    claim = tmp_path / "claim.837"
    claim.write_text(MINIMAL)
    licensed = tmp_path / "CDT2026.csv"
    licensed.write_text(
        "code,descriptor,effective,deleted\nD2150,two surfaces,,\n"
        "D2160,three surfaces,2000-01-01,2026-01-01\n"
    )
    code, stdout, _ = run("codes", "load", "cdt", str(licensed))
    assert code == 0
    assert "loaded 2 CDT codes (1 deleted) from CDT2026.csv" in stdout
    code, stdout, _ = run("x12", "validate", str(claim), "--json")
    verdict = json.loads(stdout)
    assert code == 1
    assert [(e["code"], e["snip_type"]) for e in verdict["errors"]] == [("E017", 5)]
    assert verdict["notes"] == []


def test_codes_load_refuses_bad_files_with_their_line(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("D2150\nD215\n")
    code, _, err = run("codes", "load", "cdt", str(bad))
    assert code == 1
    assert "bad.csv: line 2, column code: D215 is not a CDT procedure code" in err
    assert run("codes", "load", "cdt", str(tmp_path / "missing.csv"))[0] == 2
    code, _, err = run("codes", "load", "icd10", str(bad))
    assert code == 2
    assert "edigateway loads: cdt" in err
