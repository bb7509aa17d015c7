"""Issue 16's command line for items 4 and 5, over the simulator on loopback: eligibility
checks kept (``eligibility history``/``show``), "member not found" exits 1, visits import
and the verification queue with a bulk check, ``fees load`` (errors by line and column),
``estimate --verification`` on the fee schedule with the patient's copy as PDF."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import FIXTURES, settings_for

INQUIRY = FIXTURES / "inquiries" / "01_subscriber_all_dental.json"
PLAN = FIXTURES / "eligibility" / "01_ppo_full_breakdown" / "plan.json"


@pytest.fixture
def sim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: Validator
) -> Iterator[Simulator]:
    data = tmp_path / "var"
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(data))
    with Simulator(
        settings_for(tmp_path / "sim"),
        validator=validator,
        clock=lambda: datetime.now(UTC).astimezone().replace(tzinfo=None),
        sftp_port=0,
        http_port=0,
    ) as simulator:
        for key, value in simulator.client_settings().items():
            monkeypatch.setenv(f"EDIGATEWAY_{key.upper()}", str(value))
        yield simulator


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _inquiry(tmp_path: Path, member: str, name: str = "q.json") -> Path:
    document = json.loads(INQUIRY.read_text())
    document["subscriber"]["member_id"] = member
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


@pytest.mark.slow  # 1.6 s on the loaded 2-core machine
def test_checks_are_kept_listed_and_shown(sim: Simulator, tmp_path: Path):
    code, out, err = run("eligibility", "check", str(INQUIRY))
    assert code == 0, err
    assert "kept as verification 1" in out
    code, out, _ = run("eligibility", "check", str(INQUIRY), "--json")
    assert code == 0
    assert json.loads(out)[0]["plan_name"] == "PRAIRIE PPO PLUS"  # the list of benefits
    code, out, err = run("eligibility", "history", "--json")
    assert code == 0, err
    kept = json.loads(out)
    assert [k["id"] for k in kept] == [2, 1]
    assert {(k["channel"], k["actor"], k["status"]) for k in kept} == {("cli", "cli", "active")}
    code, out, _ = run("eligibility", "history", "--member", "NOBODY")
    assert (code, out.strip()) == (0, "no eligibility checks kept")
    code, out, _ = run("eligibility", "show", "1", "--raw")
    assert code == 0
    assert out.startswith("ISA*")
    code, _, err = run("eligibility", "show", "99")
    assert code == 1
    assert "no eligibility verification 99" in err


def test_member_not_found_exits_1_and_is_kept(sim: Simulator, tmp_path: Path):
    code, _, err = run("eligibility", "check", str(_inquiry(tmp_path, "NOSUCH7")))
    assert code == 1
    assert "did not find member NOSUCH7" in err
    assert "kept as verification 1" in err
    code, out, _ = run("eligibility", "history")
    assert "\tnot_found\t" in out


def _visits_csv(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "visits.csv"
    path.write_text(buffer.getvalue())
    return path


def _row(external_id: str, when: str, member: str, **more: str) -> dict[str, str]:
    return {
        "external_id": external_id,
        "visit_date": when,
        "payer_id": "DDPIL",
        "payer_name": "PRAIRIE DENTAL PLAN",
        "member_id": member,
        "subscriber_last_name": "OKONKWO",
        "subscriber_first_name": "SAMUEL",
        "subscriber_date_of_birth": "1962-07-04",
        "patient_last_name": "",
        "patient_first_name": "",
        "relationship": "",
        "procedures": "D0120 D1110",
        **more,
    }


@pytest.mark.slow  # 1.4 s on the loaded 2-core machine
def test_visits_import_queue_and_verify(sim: Simulator, tmp_path: Path):
    today = datetime.now(UTC).astimezone().date()
    soon = (today + timedelta(days=1)).isoformat()
    run("eligibility", "check", str(INQUIRY))  # stores the practice (MAPLE STREET DENTAL)
    rows = [
        _row("A1", soon, "PDP300412"),
        _row(
            "A2",
            soon,
            "PDP100234",
            patient_last_name="OKONKWO",
            patient_first_name="ADA",
            relationship="19",
        ),
    ]
    code, out, err = run("visits", "import", str(_visits_csv(tmp_path, rows)))
    assert code == 0, err
    assert [line.split("\t")[3] for line in out.splitlines()] == ["created", "created"]
    code, out, _ = run("visits", "queue", "--json")
    queued = json.loads(out)
    assert [q["external_id"] for q in queued] == ["A2"]  # SAMUEL was checked just now
    code, out, err = run("visits", "verify", "--json")
    assert code == 0, err
    assert [(o["external_id"], o["status"]) for o in json.loads(out)] == [("A2", "active")]
    assert run("visits", "queue")[1].strip() == "nobody to verify"


def test_visits_import_names_line_and_column(sim: Simulator, tmp_path: Path):
    run("eligibility", "check", str(INQUIRY))
    rows = [_row("A1", "2026-13-01", "PDP300412"), _row("A2", "2026-12-01", "", procedures="D11")]
    code, _, err = run("visits", "import", str(_visits_csv(tmp_path, rows)))
    assert code == 1
    assert "line 2 column visit_date" in err
    assert "line 3 column member_id" in err
    assert "line 3 column procedures" in err
    code, _, err = run("visits", "import", str(tmp_path / "missing.csv"))
    assert code == 2


@pytest.mark.slow  # 1.4 s on the loaded 2-core machine
def test_fees_load_then_estimate_from_a_kept_check_with_the_patient_copy(
    sim: Simulator, tmp_path: Path
):
    run("eligibility", "check", str(INQUIRY))
    fees = tmp_path / "fees.csv"
    fees.write_text(
        "procedure_code,fee,description\nD0120,52.00,Periodic exam\n"
        'D1110,88.00,Adult cleaning\nD2391,168.00,"Filling, one surface"\n'
        "D2740,980.00,Porcelain crown\n"
    )
    code, out, err = run("fees", "load", "DDPIL", str(fees))
    assert code == 0, err
    assert out.strip() == "DDPIL: 4 fees loaded (0 replaced)"
    code, out, _ = run("fees", "show", "DDPIL")
    assert "D2391\t168.00\tFilling, one surface" in out
    pdf = tmp_path / "estimate.pdf"
    code, out, err = run(
        "estimate", "--verification", "1", "--plan", str(PLAN), "--pdf", str(pdf), "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert [ln["allowed"]["amount"] for ln in result["lines"]] == [
        "52.00",
        "88.00",
        "168.00",
        "980.00",
    ]
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    for expected in (
        "SAMUEL OKONKWO",
        "Periodic exam",
        "Porcelain crown",
        result["total_patient"],
        result["total_insurance"],
        "not a guarantee of payment",
    ):
        assert expected in text, expected


def test_fees_load_refuses_bad_lines_by_line_and_column(sim: Simulator, tmp_path: Path):
    run("eligibility", "check", str(INQUIRY))
    fees = tmp_path / "fees.csv"
    fees.write_text(
        "procedure_code,fee\nD1110,-5.00\nD1110,1.00\nX12,1.00\nD0120,abc\nD2740,150000.00\n"
    )
    code, _, err = run("fees", "load", "DDPIL", str(fees))
    assert code == 1
    for where in (
        "line 2 column fee",
        "line 4 column procedure_code",
        "line 5 column fee",
        "line 6 column fee",
    ):
        assert where in err, where
    assert run("fees", "show", "DDPIL")[1].strip() == "no fee schedule loaded for this payer"
    fees.write_text("code;fee\n")
    assert run("fees", "load", "DDPIL", str(fees))[0] == 1


def test_estimate_needs_one_source_of_benefits(sim: Simulator, tmp_path: Path):
    code, _, err = run("estimate", "--plan", str(PLAN))
    assert code == 1
    assert "--benefits FILE.271 or --verification ID" in err
