"""Timely filing warned when a rejected claim is resubmitted or a secondary claim is sent,
as at submit (tests/e2e/test_submit_filing_warnings.py): both queue through
:func:`edigateway.services.submissions.record_outbox`, whose warnings the use cases
(``Resubmitted.warnings``, ``SecondarySent.warnings``), the API answers, the CLI's
``warning:`` lines and ``--json`` and the dashboard's claim page now carry.

MSD1005 (fixtures/claims/05_crown_initial.json) was treated on 2026-07-28; on 2026-11-23
(the suite's clock) that is 118 days ago: a 130-day limit ends 2026-12-05 (12 days left:
warned), a 100-day limit ended 2026-11-05 (passed), 365 days says nothing.

A secondary claim is measured as the aging report measures it: the secondary payer's
(GRDN1's) limit from the date of service — not the primary's limit, and not from the day
the primary adjudicated it (here 2026-11-20: 130 days from then would be far off)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.cli import app as cli
from edigateway.domain.claim_lifecycle import Cause, ClaimState
from edigateway.domain.claims import Claim
from edigateway.persistence.claim_rows import Move, transition
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ClaimRow
from edigateway.reconcile.secondary import build_secondary
from edigateway.services import claim_edits
from edigateway.services.claim_store import ClaimStore
from edigateway.services.payer_limits import payer_practice, set_timely_filing
from edigateway.services.practice_claims import Caller
from edigateway.services.secondary import send_secondary
from tests.factories import (
    NOW,
    PRACTICE_NPI,
    REPO,
    api_key,
    claim_document,
    form_field,
    form_fields,
    second_plan,
    settings_for,
    signed_in,
    ui_user,
)

BASE = "http://127.0.0.1"
PRIMARY_ADJUDICATED = date(2026, 11, 20)


def _due(claim: str) -> dict[str, Any]:
    return {
        "code": "timely_filing_due",
        "message": "must be received by 2026-12-05 (12 days left)",
        "claim": claim,
        "deadline": "2026-12-05",
        "days_left": 12,
    }


def _passed(claim: str) -> dict[str, Any]:
    return {
        "code": "timely_filing_passed",
        "message": "filing limit passed on 2026-11-05",
        "claim": claim,
        "deadline": "2026-11-05",
        "days_left": -18,
    }


def _document(pcn: str) -> dict[str, Any]:
    return copy.deepcopy(claim_document("05_crown_initial")) | {"patient_control_number": pcn}


def _with_secondary(pcn: str) -> Claim:
    """The crown claim to DDPIL naming a second plan, GRDN1."""
    document = _document(pcn)
    document["other_payers"] = [second_plan(document["subscriber"]["name"])]
    return Claim.model_validate(document)


def _rejected(database: Database, pcn: str) -> int:
    """A claim stored ready, then queued, sent and rejected by the clearinghouse's 999."""
    with database.transaction() as session:
        (stored,) = ClaimStore(session, NOW).store(
            [Claim.model_validate(_document(pcn))], state="ready"
        )
        row = session.get_one(ClaimRow, stored.id)
        for target in (ClaimState.QUEUED, ClaimState.SUBMITTED, ClaimState.CH_REJECTED):
            cause = Cause("system" if target is ClaimState.QUEUED else "file", f"to {target}")
            transition(session, [Move(row, target, cause)], now=NOW)
        return stored.id


def _primary_and_secondary(database: Database, pcn: str) -> tuple[int, int]:
    """A primary claim and the secondary claim posting its 835 would have stored (ready),
    the primary having adjudicated it on :data:`PRIMARY_ADJUDICATED`."""
    primary = _with_secondary(pcn)
    with database.transaction() as session:
        store = ClaimStore(session, NOW)
        (first,) = store.store([primary], state="ready")
        (second,) = store.store([build_secondary(primary, [], PRIMARY_ADJUDICATED)], state="ready")
        return first.id, second.id


def _limits(database: Database, **days: int) -> None:
    practice = payer_practice(database, PRACTICE_NPI)
    for payer, limit in days.items():
        set_timely_filing(database, payer, limit, practice_id=practice, now=NOW)


def _practice(database: Database) -> int:
    practice = payer_practice(database, PRACTICE_NPI)
    assert practice is not None
    return practice


def _resubmit(gateway: Gateway, claim_id: int, pcn: str) -> claim_edits.Resubmitted:
    return claim_edits.resubmit(
        gateway.database,
        Caller(_practice(gateway.database), "test"),
        claim_id,
        Claim.model_validate(_document(pcn)),
        settings=gateway.settings,
        clearinghouse=gateway.profile(),
        numbers=gateway.control_numbers,
        now=NOW,
    )


# ---------------------------------------------------------------------------- use cases


@pytest.mark.parametrize(
    ("days", "warned"), [(130, [_due("MSD1005")]), (100, [_passed("MSD1005")]), (365, [])]
)
def test_a_resubmission_carries_the_new_claims_warning(
    gateway: Gateway, days: int, warned: list[dict[str, Any]]
):
    rejected = _rejected(gateway.database, "MSD1005")
    _limits(gateway.database, DDPIL=days)
    done = _resubmit(gateway, rejected, "MSD1005")
    assert done.resubmission_of == rejected
    assert done.claim.state == "queued"  # queued all the same
    assert [w.warning_json() for w in done.warnings] == warned


@pytest.mark.parametrize(
    ("limits", "warned"),
    [
        ({"DDPIL": 365, "GRDN1": 130}, [_due("MSD1005-S")]),
        ({"DDPIL": 130, "GRDN1": 365}, []),
        ({"DDPIL": 365, "GRDN1": 100}, [_passed("MSD1005-S")]),
    ],
)
def test_a_secondary_is_warned_by_the_secondary_payers_limit_from_the_service_date(
    gateway: Gateway, limits: dict[str, int], warned: list[dict[str, Any]]
):
    primary, secondary = _primary_and_secondary(gateway.database, "MSD1005")
    _limits(gateway.database, **limits)
    sent = send_secondary(
        gateway.database,
        primary,
        practice_id=None,
        settings=gateway.settings,
        clearinghouse=gateway.profile(),
        numbers=gateway.control_numbers,
        now=NOW,
        actor="test",
    )
    assert (sent.primary_id, sent.secondary_id) == (primary, secondary)
    assert [w.warning_json() for w in sent.warnings] == warned
    assert {w.payer for w in sent.warnings} <= {"GUARDIAN DENTAL"}


# ---------------------------------------------------------------------------------- API


@pytest.mark.parametrize(("days", "warned"), [(130, True), (365, False)])
def test_the_api_answers_carry_the_warnings(gateway: Gateway, days: int, warned: bool):
    key = {"Authorization": f"Bearer {api_key(gateway)}"}
    rejected = _rejected(gateway.database, "MSD1005")
    primary, _ = _primary_and_secondary(gateway.database, "MSD1006")
    _limits(gateway.database, DDPIL=days, GRDN1=days)
    with TestClient(create_app(gateway), base_url=BASE) as client:
        resubmitted = client.post(
            f"/v1/claims/{rejected}/resubmit", json=_document("MSD1005"), headers=key
        )
        secondary = client.post(f"/v1/claims/{primary}/secondary", headers=key)
    assert resubmitted.status_code == 202, resubmitted.text
    assert resubmitted.json()["resubmission_of"] == rejected
    assert resubmitted.json()["warnings"] == ([_due("MSD1005")] if warned else [])
    assert secondary.status_code == 202, secondary.text
    assert secondary.json()["patient_control_number"] == "MSD1006-S"
    assert secondary.json()["warnings"] == ([_due("MSD1006-S")] if warned else [])


@pytest.mark.parametrize(
    "path",
    ["/v1/claims/submit", "/v1/claims/{claim_id}/resubmit", "/v1/claims/{claim_id}/secondary"],
)
def test_the_checked_in_openapi_document_gives_each_queueing_answer_the_warnings(path: str):
    """docs/openapi.json (the served document, test_api_contract checks) answers the three
    routes that queue claims with the same ``warnings`` list of ``SubmitWarning``."""
    document = json.loads((REPO / "docs" / "openapi.json").read_text())
    answer = document["paths"][path]["post"]["responses"]["202"]["content"]["application/json"]
    schema = document["components"]["schemas"][answer["schema"]["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["warnings"]["items"] == {
        "$ref": "#/components/schemas/SubmitWarning"
    }
    assert "warnings" in schema["required"]


# ---------------------------------------------------------------------------- dashboard


@pytest.mark.slow  # 2.2 s on the loaded 2-core machine
def test_the_dashboard_shows_the_warnings_after_resubmit_and_send_secondary(gateway: Gateway):
    rejected = _rejected(gateway.database, "MSD1005")
    primary, secondary = _primary_and_secondary(gateway.database, "MSD1006")
    quiet, _ = _primary_and_secondary(gateway.database, "MSD1007")
    _limits(gateway.database, DDPIL=100, GRDN1=130)
    with TestClient(create_app(gateway), base_url=BASE) as client:
        signed_in(client, ui_user(gateway.database, role="coordinator"))
        editor = client.get(f"/ui/claims/{rejected}/edit").text
        fixed = client.post(
            f"/ui/claims/{rejected}/edit", data=form_fields(editor), follow_redirects=False
        )
        assert fixed.status_code == 200, fixed.text  # the new claim's page, not a redirect
        assert "mind the timely-filing limit" in fixed.text
        assert "filing limit passed on 2026-11-05" in fixed.text
        assert "MSD1005" in fixed.text

        csrf = form_field(client.get(f"/ui/claims/{primary}").text, "csrf")
        sent = client.post(
            f"/ui/claims/{primary}/secondary", data={"csrf": csrf}, follow_redirects=False
        )
        assert sent.status_code == 200, sent.text
        assert "MSD1006-S" in sent.text  # the secondary's page
        assert "must be received by 2026-12-05 (12 days left)" in sent.text
        assert f"/ui/claims/{secondary}/" in sent.text

        _limits(gateway.database, GRDN1=365)
        plain = client.post(
            f"/ui/claims/{quiet}/secondary", data={"csrf": csrf}, follow_redirects=False
        )
        assert plain.status_code == 303  # nothing to say: to the secondary's page
        assert "mind the timely-filing limit" not in client.get(plain.headers["location"]).text


# ---------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The CLI's gateway (its own SQLite under the data folder), its clock the suite's."""
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    monkeypatch.setattr("edigateway.bootstrap.local_now", lambda: NOW)
    with bootstrap(settings_for(tmp_path / "var"), clock=lambda: NOW) as gateway:
        yield gateway.database


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow  # 1.2 s on the loaded 2-core machine
def test_the_cli_prints_the_warnings_on_stderr(cli_home: Database, tmp_path: Path):
    rejected = _rejected(cli_home, "MSD1005")
    _primary_and_secondary(cli_home, "MSD1006")
    _primary_and_secondary(cli_home, "MSD1007")
    _limits(cli_home, DDPIL=130, GRDN1=100)
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(_document("MSD1005")))

    code, out, err = _run("claims", "resubmit", str(rejected), str(fixed), "--no-send")
    assert code == 0  # the exit code does not change
    assert f"claim {rejected} resubmitted as claim" in out
    assert "warning: claim MSD1005: must be received by 2026-12-05 (12 days left)" in err
    assert "warning" not in out

    code, out, err = _run("claims", "send-secondary", "MSD1006", "--no-send", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["patient_control_number"] == "MSD1006-S"
    assert answer["warnings"] == [_passed("MSD1006-S")]
    assert "warning: claim MSD1006-S: filing limit passed on 2026-11-05" in err

    _limits(cli_home, GRDN1=365)
    code, out, err = _run("claims", "send-secondary", "MSD1007", "--no-send")
    assert code == 0
    assert "queued secondary claim MSD1007-S" in out
    assert err == ""


def test_claims_resubmit_json_gives_the_warnings_once_as_submit_does(
    cli_home: Database, tmp_path: Path
):
    rejected = _rejected(cli_home, "MSD1005")
    _limits(cli_home, DDPIL=100)
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(_document("MSD1005")))
    code, out, err = _run("claims", "resubmit", "MSD1005", str(fixed), "--no-send", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["resubmitted"]["resubmission_of"] == rejected
    assert answer["sent"] == []
    assert answer["warnings"] == [_passed("MSD1005")]
    assert "warnings" not in answer["resubmitted"]
    assert "warning: claim MSD1005: filing limit passed on 2026-11-05" in err
