"""ERA review and settling by hand through the real CLI (issue 15, items 6-7): a payment
held as a duplicate is listed by ``era pending`` and dismissed; a payment kept for
approval by the payer's ``review`` policy is approved; a denial is written off in part,
then closed to the patient, and its work item closes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from tests.factories import REPO

pytestmark = pytest.mark.slow  # a CLI process per step

MONEY = REPO / "fixtures" / "era-money"
ERA = REPO / "fixtures" / "era"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _ledger(pcn: str) -> dict[str, str]:
    code, out, err = run("claims", "show", pcn, "--json")
    assert code == 0, err
    ledger: dict[str, str] = json.loads(out)["ledger"]
    return ledger


def test_held_duplicate_is_listed_and_dismissed():
    assert run("claims", "import", str(MONEY / "claims.json"))[0] == 0
    folder = MONEY / "01_duplicate_payment_new_check"
    assert run("era", "post", str(folder / "1_payment.835"))[0] == 0
    assert run("era", "post", str(folder / "2_same_payment_new_check.835"))[0] == 0
    code, out, _ = run("era", "pending", "--json")
    (held,) = json.loads(out)
    assert (held["claim"], held["review"], held["paid"]) == ("MNY101", "held", "175.00")
    code, out, _ = run("era", "dismiss", str(held["id"]), "--reason", "same check twice")
    assert code == 0, out
    assert "dismissed" in out
    assert json.loads(run("era", "pending", "--json")[1]) == []
    assert _ledger("MNY101")["paid"] == "175.00"
    code, out, _ = run("era", "dismiss", str(held["id"]))
    assert code != 0


def test_review_policy_keeps_a_payment_until_approved():
    assert run("claims", "import", str(ERA / "claims.json"))[0] == 0
    code, out, err = run("payers", "set-policy", "DDPIL", "review")
    assert code == 0, err
    assert "review" in out
    assert run("era", "post", str(ERA / "01_full_pay" / "era.835"))[0] == 0
    (waiting,) = json.loads(run("era", "pending", "--json")[1])
    assert waiting["review"] == "awaiting"
    assert _ledger(waiting["claim"])["paid"] == "0.00"
    code, out, err = run("era", "approve", str(waiting["id"]), "--json")
    assert code == 0, err
    assert json.loads(out)["decision"] == "approved"
    assert _ledger(waiting["claim"])["paid"] == waiting["paid"]
    assert run("payers", "set-policy", "--default", "semi")[0] == 0
    assert run("payers", "set-policy", "DDPIL", "sometimes")[0] != 0


def test_denial_written_off_in_part_then_closed():
    run("claims", "import", str(ERA / "claims.json"))
    assert run("era", "post", str(ERA / "03_denial" / "era.835"))[0] == 0
    assert _ledger("ERA103")["outstanding"] == "1250.00"
    code, out, err = run("claims", "write-off", "ERA103", "--amount", "250.00", "--json")
    assert code == 0, err
    done = json.loads(out)
    assert (done["amount"], done["outstanding"], done["state"]) == ("250.00", "1000.00", "denied")
    code, out, err = run("claims", "write-off", "ERA103", "--amount", "5000.00")
    assert code != 0
    code, out, err = run("claims", "close", "ERA103", "--note", "patient pays")
    assert code == 0, err
    ledger = _ledger("ERA103")
    assert (ledger["other_adjustments"], ledger["patient_responsibility"]) == ("250.00", "1000.00")
    assert ledger["outstanding"] == "0.00"
    shown = json.loads(run("claims", "show", "ERA103", "--json")[1])
    assert shown["state"] == "closed"
    assert [w for w in shown["work_items"] if w["reason"] == "denied"] == []
    assert run("claims", "close", "ERA103")[0] != 0
