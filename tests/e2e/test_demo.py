"""The main job end to end: the demo's summary figures are pinned, so any change in
eligibility, routing, adjudication or posting shows up here. The counts and denials follow
from the demo practice and the simulator's rules by reading them (49 accepted: the 50th
member is unknown; five D9944 claims denied CO-96); the amounts were recorded from a run
and are kept exact to the cent. The summary is the session's one demo run
(``built_demo``); the command test runs the demo again, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BuiltDemo


@pytest.mark.slow  # 3.3 s on the loaded 2-core machine
def test_demo_summary(built_demo: BuiltDemo):
    summary = built_demo.summary
    assert summary["claims"] == 50
    assert summary["eligibility"] == {"checked": 50, "active": 49, "not_found": 1}
    assert [e["claim"] for e in summary["estimates"]] == ["MSD1001", "MSD1002"]
    assert summary["submission"]["sent"] == ["sent"]
    assert [(f["kind"], f["status"]) for f in summary["files_received"]] == [
        ("999", "processed"),
        ("277CA", "processed"),
        ("835", "processed"),
        ("835", "processed"),
    ]
    assert (
        summary["accepted"],
        summary["rejected_by_clearinghouse"],
        summary["rejected_by_payer"],
    ) == (49, 0, 1)
    assert summary["states"] == {"denied": 5, "paid": 44, "payer_rejected": 1}
    # the five occlusal guards (D9944, 450.00 each) are not covered: CO-96
    assert [(d["claim"], d["codes"]) for d in summary["denials"]] == [
        (f"MSD{n}", "CO-96") for n in (1008, 1018, 1028, 1038, 1048)
    ]
    # DHMO members (MSD1005 … MSD1045) are paid by copay schedule: nothing paid, the
    # copay (D4341 95.00, D3330 245.00) is the patient's and the rest CO-24 capitation
    assert summary["paid"] == "7107.00"
    # the five denials (5 x 450.00) stay owed (A/R) and are no write-off (issue 15)
    assert summary["contractual_write_offs"] == "8020.00"
    assert summary["patient_responsibility"] == "5773.00"
    assert summary["work_queue"] == {
        "denied": 5,
        "payer_rejected": 1,
        "recoupment": 2,
        "reversal": 1,
    }
    assert summary["aging"]["total"]["total"] == "3350.00"


@pytest.mark.slow  # a second demo run, through the command (the session's is shared)
def test_demo_command_json(tmp_path: Path):
    folder = tmp_path / "demo"
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("edigateway")),
            "demo",
            "--json",
            "--data-dir",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["claims"] == 50
    assert (folder / "edigateway.sqlite3").is_file()
    again = subprocess.run(
        [str(Path(sys.executable).with_name("edigateway")), "demo", "--data-dir", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert again.returncode == 1
    assert "not empty" in again.stderr
