"""One exit code per kind of trouble, whichever command meets it (README's table): 2 for a
file that is not X12 or not a transaction and version the command reads (4010, GS08
``005010X221`` without A1, a 276 given to ``era post``), 1 for a malformed one (a GS01 that
does not fit its ST01), 0 when it is fine — through ``x12 validate``, ``x12 parse``,
``era post``, ``estimate`` and ``claims poll``. The files are ours (fixtures/x12/envelope,
see its expected.json), each with the located message each command prints."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from edigateway.settings import Settings
from edigateway.sim.clearinghouse import OUTBOX
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import REPO

ENVELOPE = REPO / "fixtures" / "x12" / "envelope"
EXPECTED: dict[str, dict[str, Any]] = json.loads((ENVELOPE / "expected.json").read_text())
PLAN = REPO / "fixtures" / "eligibility" / "01_ppo_full_breakdown" / "plan.json"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path / "var"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_command_exits_alike(name: str):
    path, want = ENVELOPE / name, EXPECTED[name]
    code, out, _ = run("x12", "validate", str(path), "--json")
    assert [code, json.loads(out)["status"]] == want["validate"]
    code, out, err = run("x12", "parse", str(path))
    assert (code, out == "") == (want["parse"][0], code != 0)
    assert want["parse"][1] in err
    code, out, _ = run("era", "post", str(path), "--json")
    document = json.loads(out)
    assert [code, document["status"], document["problem"]] == want["era_post"]
    code, out, err = run("estimate", "--benefits", str(path), "--plan", str(PLAN))
    assert (code, out) == (want["estimate"][0], "")
    assert want["estimate"][1] in err


def test_a_group_that_does_not_fit_its_transaction_gets_one_clear_message():
    """Before: "UNSUPPORTED … no validation map for 276 version 005010X212 (functional group
    HI); edigateway validates 276/277 005010X212, …" — refusing what it then said it
    validates."""
    code, out, _ = run("x12", "validate", str(ENVELOPE / "276_gs01_hi.276"), "--json")
    (finding,) = json.loads(out)["errors"]
    assert code == 1
    assert (finding["segment_index"], finding["segment_id"], finding["element"]) == (
        2,
        "GS",
        "GS01",
    )
    message = finding["message"]
    assert message.startswith("GS01 'HI' does not fit ST01 '276': ")
    assert "GS01 'HR'" in message
    assert "supported" not in message
    assert "validates" not in message


@pytest.mark.slow  # 1.0 s on the loaded 2-core machine
def test_claims_poll_exits_2_for_a_file_it_does_not_read(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """Over the simulator's SFTP on loopback: a malformed 835 is 1 (failed), an 835 of GS08
    005010X221 is 2 (unsupported), as ``era post`` and ``x12 validate`` say for them."""
    settings = Settings(data_dir=data_dir, mappings_dir=REPO / "mappings")
    validator = Validator(REPO / "mappings", data_dir.parent / "cache")
    with Simulator(
        settings,
        validator=validator,
        clock=lambda: datetime(2026, 11, 23, 9),
        sftp_port=0,
        http_port=0,
    ) as sim:
        for key, value in sim.client_settings().items():
            monkeypatch.setenv(f"EDIGATEWAY_{key.upper()}", str(value))
        shutil.copy(
            REPO / "fixtures" / "x12" / "quarantine" / "bpr02_check_total.835",
            sim.root / OUTBOX / "EDGSIM_1.835",
        )
        code, out, _ = run("claims", "poll", "--json")
        assert [(f["kind"], f["status"]) for f in json.loads(out)["files"]] == [("835", "failed")]
        assert code == 1
        shutil.copy(ENVELOPE / "835_gs08_005010X221.835", sim.root / OUTBOX / "EDGSIM_2.835")
        code, out, _ = run("claims", "poll", "--json")
        (file,) = json.loads(out)["files"]
        assert file["status"] == "unsupported"
        assert file["message"].endswith(
            "835 in version 005010X221 (GS08); edigateway reads the 835 in 005010X221A1 only"
        )
        assert code == 2
        shutil.copy(ENVELOPE / "271_gs01_hs.271", sim.root / OUTBOX / "EDGSIM_3.271")
        code, out, _ = run("claims", "poll", "--json")
        (file,) = json.loads(out)["files"]
        assert (file["status"], code) == ("failed", 1)  # malformed, as x12 parse says
        assert "GS01 'HS' does not fit ST01 '271'" in file["message"]
