"""Timely filing warned at submit time (issue 15, item 7): a claim whose payer's limit
(from the date of service) is within 30 days or past is queued all the same, and the
answer says so — the API's ``warnings``, the CLI's ``warning:`` line on stderr (and
``--json``'s ``warnings``), the dashboard's claim page after Submit. One rule for all:
:func:`edigateway.services.followup.submit_warnings`, the aging report's.

MSD1005 (fixtures/claims/05_crown_initial.json) was treated on 2026-07-28; on 2026-11-23
(the suite's clock) that is 118 days ago: with a 130-day limit its deadline is 2026-12-05
(12 days left: warned), with a 100-day limit it was 2026-11-05 (18 days passed), with the
default 365 days nothing is said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.cli import app as cli
from edigateway.services.payer_limits import payer_practice, set_timely_filing
from tests.factories import (
    FIXTURES,
    NOW,
    PRACTICE_NPI,
    api_key,
    claim_document,
    form_field,
    signed_in,
    ui_user,
)

BASE = "http://127.0.0.1"
DUE = {
    "code": "timely_filing_due",
    "message": "must be received by 2026-12-05 (12 days left)",
    "claim": "MSD1005",
    "deadline": "2026-12-05",
    "days_left": 12,
}
PASSED = {
    "code": "timely_filing_passed",
    "message": "filing limit passed on 2026-11-05",
    "claim": "MSD1005",
    "deadline": "2026-11-05",
    "days_left": -18,
}


def _limit(gateway: Gateway, days: int) -> None:
    practice = payer_practice(gateway.database, PRACTICE_NPI)
    set_timely_filing(gateway.database, "DDPIL", days, practice_id=practice, now=NOW)


def _create(client: TestClient, key: dict[str, str], pcn: str = "MSD1005") -> int:
    document: dict[str, Any] = claim_document("05_crown_initial") | {"patient_control_number": pcn}
    created = client.post("/v1/claims", json=document, headers=key)
    assert created.status_code == 201, created.text
    claim_id: int = created.json()["id"]
    return claim_id


@pytest.mark.parametrize(("days", "warned"), [(130, [DUE]), (100, [PASSED]), (365, [])])
def test_the_api_submit_answer_carries_the_warning(
    gateway: Gateway, days: int, warned: list[dict[str, Any]]
):
    key = {"Authorization": f"Bearer {api_key(gateway)}"}
    with TestClient(create_app(gateway), base_url=BASE) as client:
        claim_id = _create(client, key)
        _limit(gateway, days)
        sent = client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=key)
    assert sent.status_code == 202, sent.text
    assert sent.json()["claim_ids"] == [claim_id]  # queued all the same
    assert sent.json()["warnings"] == warned


def test_only_the_claims_at_risk_are_warned(gateway: Gateway):
    """Two claims in one 837D: the one treated long ago is warned, the recent one
    (2026-10-06, 48 days before) is not."""
    key = {"Authorization": f"Bearer {api_key(gateway)}"}
    with TestClient(create_app(gateway), base_url=BASE) as client:
        old = _create(client, key)
        recent = client.post(
            "/v1/claims", json=claim_document("01_filling_amalgam_mod"), headers=key
        )
        assert recent.status_code == 201, recent.text
        _limit(gateway, 130)
        sent = client.post(
            "/v1/claims/submit", json={"claim_ids": [old, recent.json()["id"]]}, headers=key
        )
    assert sent.status_code == 202, sent.text
    assert sent.json()["warnings"] == [DUE]


@pytest.mark.slow  # 2.2 s at load ~2 (inner loop < 60 s)
def test_the_dashboard_shows_the_warning_after_submit(gateway: Gateway):
    key = {"Authorization": f"Bearer {api_key(gateway)}"}
    with TestClient(create_app(gateway), base_url=BASE) as client:
        warned, quiet = _create(client, key), _create(client, key, "MSD1006")
        _limit(gateway, 100)
        signed_in(client, ui_user(gateway.database, role="coordinator"))
        csrf = form_field(client.get(f"/ui/claims/{warned}").text, "csrf")
        answer = client.post(
            f"/ui/claims/{warned}/submit", data={"csrf": csrf}, follow_redirects=False
        )
        assert answer.status_code == 200, answer.text
        assert "mind the timely-filing limit" in answer.text
        assert "filing limit passed on 2026-11-05" in answer.text
        assert "Submit</button>" not in answer.text  # the page as it is now: queued
        assert client.get(f"/v1/claims/{warned}", headers=key).json()["state"] == "queued"
        _limit(gateway, 365)
        plain = client.post(
            f"/ui/claims/{quiet}/submit", data={"csrf": csrf}, follow_redirects=False
        )
        assert plain.status_code == 303  # nothing to say: back to the claim page


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    monkeypatch.setattr("edigateway.bootstrap.local_now", lambda: NOW)
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_the_cli_prints_the_warning_on_stderr(cli_home: Path):
    # the payer is known (and its limit set) once a claim to it is stored
    assert (
        _run("claims", "import", str(FIXTURES / "claims" / "01_filling_amalgam_mod.json"))[0] == 0
    )
    assert _run("payers", "set-limit", "DDPIL", "130")[0] == 0
    crown = str(FIXTURES / "claims" / "05_crown_initial.json")
    code, out, err = _run("claims", "submit", crown, "--no-send")
    assert code == 0  # the exit code does not change
    assert "queued 1 claim(s)" in out
    assert "warning: claim MSD1005: must be received by 2026-12-05 (12 days left)" in err
    assert "warning" not in out

    replacement = cli_home / "again.json"
    document = claim_document("05_crown_initial") | {"patient_control_number": "MSD1099"}
    replacement.write_text(json.dumps({"claims": [document]}))
    code, out, err = _run("claims", "submit", str(replacement), "--no-send", "--json")
    assert code == 0
    assert json.loads(out)["warnings"] == [DUE | {"claim": "MSD1099"}]
    assert "warning: claim MSD1099" in err
