"""`claims import`, `era post`, `report aging`, `workqueue list` through the real CLI,
on the embedded SQLite default in a temporary data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from tests.factories import CORPUS, REPO

pytestmark = pytest.mark.slow  # a CLI process per posting

ERA = REPO / "fixtures" / "era"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_then_post_then_duplicate():
    code, out, _ = run("claims", "import", str(ERA / "claims.json"))
    assert code == 0
    assert out.splitlines()[0].split("\t") == ["1", "ERA101", "stored"]
    code, out, _ = run("claims", "import", str(ERA / "claims.json"), "--json")
    assert {c["status"] for c in json.loads(out)} == {"unchanged"}

    era = ERA / "02_partial_pay_deductible_coinsurance" / "era.835"
    code, out, _ = run("era", "post", str(era), "--json")
    assert code == 0
    doc = json.loads(out)
    assert {
        k: doc[k]
        for k in (
            "status",
            "payment_amount",
            "claims_matched",
            "claims_unmatched",
            "posted_total",
            "adjustments_total",
            "patient_responsibility_total",
            "plb_total",
        )
    } == {
        "status": "posted",
        "payment_amount": "248.00",
        "claims_matched": 1,
        "claims_unmatched": 0,
        "posted_total": "248.00",
        "adjustments_total": "110.00",
        "patient_responsibility_total": "112.00",
        "plb_total": "0.00",
    }
    assert doc["file"] == str(era)
    assert doc["work_items"] == []

    code, out, _ = run("era", "post", str(era), "--json")
    assert code == 0
    assert json.loads(out)["status"] == "duplicate"


def test_denial_shows_in_workqueue_and_aging():
    run("claims", "import", str(ERA / "claims.json"))
    code, out, _ = run("era", "post", str(ERA / "03_denial" / "era.835"))
    assert code == 0
    assert "POSTED" in out
    code, out, _ = run("workqueue", "list", "--json")
    (item,) = json.loads(out)
    assert (item["reason"], item["claim"], item["codes"]) == (
        "denied",
        "ERA103",
        ["CO-197", "N130"],
    )
    assert "Precertification" in item["message"]
    code, out, _ = run("report", "aging", "--json")
    report = json.loads(out)
    total = report["total"]
    assert total["claims"] == len(json.loads((ERA / "claims.json").read_text())["claims"])
    assert total["total"] == "6435.00"  # every charge (the denied crown stays in A/R)
    code, out, _ = run("report", "aging")
    assert "PRAIRIE DENTAL PLAN" in out


def test_quarantined_exits_1_and_unsupported_exits_2(tmp_path: Path):
    run("claims", "import", str(ERA / "claims.json"))
    bad = tmp_path / "bad.835"
    bad.write_text(
        (ERA / "01_full_pay" / "era.835")
        .read_text()
        .replace("CLP*ERA101*1*175*175", "CLP*ERA101*1*175*170")
    )
    code, out, _ = run("era", "post", str(bad), "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["status"] == "quarantined"
    assert doc["problem"] == {
        "segment_index": 15,
        "segment_id": "CLP",
        "loop": "2100",
        "element": "CLP04",
    }  # the CLP, counted from ISA = 1
    old = CORPUS / "835" / "oopfactory__Example1.txt"  # ISA12 00401: a 4010 file
    for _ in range(2):  # the second time it is known, and exits the same
        code, out, _ = run("era", "post", str(old), "--json")
        assert (code, json.loads(out)["status"]) == (2, "unsupported")
    code, out, _ = run("workqueue", "list")
    assert out.count("[quarantined]") == 2
    garbage = tmp_path / "garbage.835"
    garbage.write_text("not x12")
    code, out, _ = run("era", "post", str(garbage), "--json")
    assert (code, json.loads(out)["status"]) == (2, "quarantined")


def test_db_upgrade_is_idempotent():
    assert run("db", "upgrade")[0] == 0
    assert run("db", "upgrade")[1].strip() == "database is up to date"


def test_timely_filing_alert_after_the_payer_limit_is_set():
    run("claims", "import", str(ERA / "claims.json"))
    code, out, _ = run("payers", "set-limit", "DDPIL", "60")
    assert code == 0
    code, out, _ = run("payers", "list", "--json")
    assert {p["payer_id"]: p["timely_filing_days"] for p in json.loads(out)}["DDPIL"] == 60
    code, out, _ = run("report", "aging", "--json")
    alerts = {a["claim"]: a for a in json.loads(out)["timely_filing"]}
    # ERA106 was treated on 2026-09-14: 60 days end 2026-11-13, and it reached the payer
    # (imported as submitted) after that, so it has expired; the October claims (deadline
    # 2026-12-04) reached the payer in time and are never flagged again
    assert alerts["ERA106"]["expired"] is True
    assert alerts["ERA106"]["deadline"] == "2026-11-13"
    assert "ERA101" not in alerts
    code, out, _ = run("payers", "set-limit", "NOPE", "60")
    assert code == 1
    assert run("payers", "set-limit", "DDPIL", "0")[0] == 1


def test_workqueue_resolve_keys_and_audit_export():
    run("claims", "import", str(ERA / "claims.json"))
    run("era", "post", str(ERA / "03_denial" / "era.835"))
    code, out, _ = run("workqueue", "list", "--json")
    items = json.loads(out)
    assert code == 0
    assert items, "a denial opens a work item"
    first = items[0]["id"]
    code, out, _ = run("workqueue", "resolve", str(first), "--note", "appeal sent", "--json")
    assert (code, json.loads(out)["status"]) == (0, "resolved")
    code, _, err = run("workqueue", "resolve", str(first), "--note", "again")
    assert code == 1
    assert "already resolved" in err
    code, out, _ = run(
        "keys",
        "create",
        "--practice",
        "1456789019",
        "--scopes",
        "claims:read",
        "--practice-name",
        "MAPLE STREET DENTAL",
        "--json",
    )
    assert code == 0
    key = json.loads(out)
    assert key["token"].startswith("edg_")
    code, out, _ = run("keys", "list", "--json")
    assert [k["key_id"] for k in json.loads(out)] == [key["key_id"]]
    assert "token" not in out
    assert run("keys", "revoke", key["key_id"])[0] == 0
    code, out, _ = run("audit", "export", "--from", "2000-01-01", "--to", "2100-01-01")
    events = [json.loads(line) for line in out.splitlines()]
    assert {(e["resource"], e["action"]) for e in events} >= {
        ("work_item", "change"),
        ("api_key", "create"),
        ("api_key", "change"),
    }
    code, _, err = run("audit", "export", "--from", "yesterday", "--to", "2100-01-01")
    assert code == 2
