"""``edigateway claims list/edit/cancel/resubmit/replace/void`` and ``claims submit --id``
(issue 16, item 1 and CLI parity): the same use cases as the API's routes, by claim ID or
number; a file that is not JSON exits 2 (``import`` and ``submit`` alike), claims that are
not valid exit 1, each with one error line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from edigateway.bootstrap import bootstrap
from edigateway.domain.claim_lifecycle import Cause, ClaimState
from edigateway.domain.claims import Claim
from edigateway.persistence.claim_rows import Move, transition
from edigateway.persistence.tables import ClaimRow
from edigateway.services.claim_store import ClaimStore
from tests.factories import FIXTURES, NOW, settings_for

CLAIMS = FIXTURES / "claims" / "05_crown_initial.json"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path / "var"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app_(), list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def app_() -> Any:
    from edigateway.cli import app

    return app


def _document(pcn: str) -> dict[str, Any]:
    claim: dict[str, Any] = copy.deepcopy(json.loads(CLAIMS.read_text())["claims"][0])
    return claim | {"patient_control_number": pcn}


def _ready(data_dir: Path, pcn: str, state: ClaimState = ClaimState.READY) -> int:
    """A claim stored as the API stores it (ready), moved on to ``state`` by the exchange."""
    with (
        bootstrap(settings_for(data_dir), clock=lambda: NOW) as gateway,
        gateway.database.transaction() as session,
    ):
        claim = Claim.model_validate(_document(pcn))
        stored = ClaimStore(session, NOW).store([claim], state="ready")[0]
        row = session.get_one(ClaimRow, stored.id)
        steps = {
            ClaimState.READY: [],
            ClaimState.CH_REJECTED: [
                ClaimState.QUEUED,
                ClaimState.SUBMITTED,
                ClaimState.CH_REJECTED,
            ],
        }[state]
        for target in steps:
            cause = (
                Cause("system", f"to {target}")
                if target is ClaimState.QUEUED
                else Cause("file", f"to {target}")
            )
            transition(session, [Move(row, target, cause)], now=NOW)
        return stored.id


def _write(tmp_path: Path, name: str, document: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_unreadable_claim_files_exit_2_and_invalid_ones_1(tmp_path: Path):
    garbage = tmp_path / "bad.json"
    garbage.write_text("{not json")
    binary = tmp_path / "bad.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    for command in (["import"], ["submit", "--no-send"]):
        for path in (garbage, binary):
            code, out, err = run("claims", *command, str(path))
            assert (code, out) == (2, ""), (command, err)
            assert err.startswith(f"error: {path}: not ")
        invalid = _write(tmp_path, "invalid.json", {"claims": [{"lines": []}]})
        code, _, err = run("claims", *command, str(invalid))
        assert code == 1
        assert "patient_control_number" in err
    code, _, err = run("claims", "submit")
    assert (code, err.strip()) == (1, "error: give a claims file or --id, one of the two")


@pytest.mark.slow  # 1.7 s on the loaded 2-core machine
def test_list_edit_submit_by_id_and_cancel(tmp_path: Path, data_dir: Path):
    claim_id = _ready(data_dir, "CLI3001")
    second = _ready(data_dir, "CLI3002")
    code, out, err = run("claims", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert listed["total"] == 2
    assert [c["id"] for c in listed["items"]] == [second, claim_id]

    fixed = _document("CLI3001")
    fixed["lines"][1]["charge"] = "300.00"
    fixed["total_charge"] = "1550.00"
    code, out, err = run("claims", "edit", "CLI3001", str(_write(tmp_path, "f.json", fixed)))
    assert code == 0, err
    assert out.startswith(f"edited claim {claim_id} CLI3001: ready, 1550.00 to DDPIL")
    renumbered = fixed | {"patient_control_number": "OTHER"}
    code, _, err = run("claims", "edit", str(claim_id), str(_write(tmp_path, "r.json", renumbered)))
    assert code == 1
    assert "patient_control_number" in err

    code, out, err = run("claims", "submit", "--id", "CLI3001", "--no-send", "--json")
    assert code == 0, err
    assert json.loads(out)["claim_ids"] == [claim_id]
    code, _, err = run("claims", "submit", "--id", str(claim_id), "--no-send")
    assert code == 1
    assert "queued, not ready" in err
    code, _, err = run("claims", "cancel", "CLI3001")
    assert code == 1
    assert "void" in err
    code, out, err = run("claims", "cancel", "CLI3002", "--reason", "visit cancelled")
    assert code == 0, err
    assert out.strip() == f"cancelled claim {second} CLI3002: cancelled, 1540.00 to DDPIL"
    code, out, _ = run("claims", "list", "--state", "cancelled")
    assert out.splitlines()[-1] == "1 of 1 claim(s)"
    code, _, err = run("claims", "edit", "NOSUCH", str(_write(tmp_path, "n.json", fixed)))
    assert code == 1
    assert "no claim 'NOSUCH'" in err


def test_resubmit_a_rejected_claim_and_void_needs_the_payers_number(tmp_path: Path, data_dir: Path):
    rejected = _ready(data_dir, "CLI3003", ClaimState.CH_REJECTED)
    fixed = _document("CLI3003")
    fixed["subscriber"]["group_number"] = "GRP4411"
    path = _write(tmp_path, "fixed.json", fixed)
    code, out, err = run("claims", "resubmit", "CLI3003", str(path), "--no-send", "--json")
    assert code == 0, err
    done = json.loads(out)["resubmitted"]
    assert done["resubmission_of"] == rejected
    assert done["claim"]["state"] == "queued"
    code, _, err = run("claims", "resubmit", str(rejected), str(path), "--no-send")
    assert code == 1
    assert "no claim" in err  # the rejected claim is superseded: its number names the new one
    code, out, _ = run("claims", "list", "--state", "resubmitted", "--json")
    assert [c["id"] for c in json.loads(out)["items"]] == [rejected]

    code, _, err = run("claims", "void", "CLI3003", "--yes")
    assert code == 1
    assert "no payer claim number yet" in err
