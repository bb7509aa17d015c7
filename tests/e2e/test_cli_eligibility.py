"""`x12 build 270`, `x12 parse FILE.271 --json` and `estimate` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from tests.factories import REPO

ELIGIBILITY = REPO / "fixtures" / "eligibility"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_270_then_parse_it(tmp_path: Path):
    out = tmp_path / "q.270"
    code, _, err = run(
        "x12",
        "build",
        "270",
        str(REPO / "fixtures/inquiries/02_dependent_categories.json"),
        "-o",
        str(out),
    )
    assert code == 0, err
    code, stdout, _ = run("x12", "parse", str(out), "--json")
    assert code == 0
    (inquiry,) = json.loads(stdout)["inquiries"]
    assert inquiry["dependent"]["name"]["first_name"] == "AMARA"
    assert inquiry["service_types"] == ["23", "41", "25", "38"]


def test_bad_inquiry_names_the_field(tmp_path: Path):
    bad = tmp_path / "bad.json"
    document = json.loads((REPO / "fixtures/inquiries/01_subscriber_all_dental.json").read_text())
    document["provider"]["npi"] = "12345"
    bad.write_text(json.dumps(document))
    code, _, err = run("x12", "build", "270", str(bad))
    assert code == 1
    assert "provider.npi" in err


def test_parse_271_json_is_the_benefits_object():
    code, stdout, _ = run(
        "x12", "parse", str(ELIGIBILITY / "05_deductible_partly_met/response.271"), "--json"
    )
    assert code == 0
    benefits = json.loads(stdout)
    assert benefits["coverage"] == "active"
    (deductible,) = benefits["deductibles"]
    assert (deductible["amount"], deductible["remaining"]) == ("75.00", "30.00")


def test_parse_271_rejection_says_what_to_do():
    code, stdout, _ = run("x12", "parse", str(ELIGIBILITY / "09_aaa_rejection/response.271"))
    assert code == 0
    assert (
        "REJECTED (subscriber): invalid or missing subscriber/insured ID; correct the "
        "request and send it again"
    ) in stdout
    assert "deductible: not stated" in stdout


def test_estimate_json_and_text():
    folder = ELIGIBILITY / "06_maximum_nearly_used"
    code, stdout, _ = run(
        "estimate",
        "--benefits",
        str(folder / "response.271"),
        "--plan",
        str(folder / "plan.json"),
        "--json",
    )
    assert code == 0
    result = json.loads(stdout)
    assert (result["total_insurance"], result["total_patient"]) == ("120.00", "880.00")
    code, stdout, _ = run(
        "estimate", "--benefits", str(folder / "response.271"), "--plan", str(folder / "plan.json")
    )
    assert "! annual maximum reached: 380.00 over the remaining 120.00" in stdout


def test_estimate_bad_plan_and_missing_file(tmp_path: Path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"procedures": [{"procedure_code": "X1", "fee": "10"}]}')
    folder = ELIGIBILITY / "01_ppo_full_breakdown"
    code, _, err = run("estimate", "--benefits", str(folder / "response.271"), "--plan", str(plan))
    assert code == 1
    assert "procedures.0.procedure_code" in err
    code, _, err = run(
        "estimate", "--benefits", str(tmp_path / "nope.271"), "--plan", str(folder / "plan.json")
    )
    assert code == 2
    assert "nope.271" in err
