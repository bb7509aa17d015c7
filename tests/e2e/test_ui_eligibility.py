"""The dashboard's Eligibility pages through the real app and the simulator: check a
patient (kept, shown with its benefits and raw 271), member not found shown as such, the
verification queue checked in bulk, the patient's estimate downloaded as PDF; another
practice's check is not found, a viewer (no eligibility scope) gets 403, forged forms are
refused."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.domain.eligibility import UpcomingVisit
from edigateway.services import visits
from edigateway.services.access import practice_by
from edigateway.services.practice_claims import Caller
from edigateway.x12.validation import Validator
from tests.factories import (
    NOW,
    form_field,
    settings_for,
    signed_in,
    simulated_gateway,
    ui_user,
)

BASE = "http://127.0.0.1"
PRACTICE_A, PRACTICE_B = "1456789019", "1234567893"
CHECK = {
    "payer_id": "DDPIL",
    "payer_name": "PRAIRIE DENTAL PLAN",
    "member_id": "PDP300412",
    "subscriber_last_name": "OKONKWO",
    "subscriber_first_name": "SAMUEL",
    "subscriber_date_of_birth": "1962-07-04",
}


@dataclass
class Ui:
    gateway: Gateway
    a: TestClient
    b: TestClient


def _browser(gateway: Gateway, npi: str, role: str = "coordinator") -> TestClient:
    client = TestClient(create_app(gateway), base_url=BASE)
    signed_in(client, ui_user(gateway.database, npi=npi, role=role))
    return client


@pytest.fixture
def ui(tmp_path: Path, validator: Validator) -> Iterator[Ui]:
    with (
        simulated_gateway(settings_for(tmp_path), validator) as (_, gateway),
        _browser(gateway, PRACTICE_A) as a,
        _browser(gateway, PRACTICE_B) as b,
    ):
        yield Ui(gateway, a, b)


def _check(client: TestClient, **fields: str) -> tuple[int, str]:
    page = client.get("/ui/eligibility")
    assert page.status_code == 200, page.text
    answer = client.post(
        "/ui/eligibility/check",
        data={"csrf": form_field(page.text, "csrf"), **CHECK, **fields},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    shown = client.get(location)
    return int(location.rsplit("/", 1)[1]), shown.text


@pytest.mark.slow  # 5.3 s on the loaded 2-core machine
def test_check_a_patient_and_download_the_estimate(ui: Ui):
    kept, page = _check(ui.a)
    assert "SAMUEL OKONKWO" in page
    assert "coverage active" in page
    assert "PRAIRIE PPO PLUS" in page
    assert "ISA*" in page  # the raw 271
    history = page.split("<h2>Service history</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<li>D0274 last done 2025-11-18</li>" in history, "the simulator's 271 DTP*472"
    assert "<li>D1110 last done 2026-05-12</li>" in history
    overview = ui.a.get("/ui/eligibility").text
    assert f'href="/ui/eligibility/{kept}"' in overview
    assert re.search(r"user:\d+ \(ui\)", overview), "the check names the user"
    estimate = ui.a.post(
        f"/ui/eligibility/{kept}/estimate",
        data={"csrf": form_field(page, "csrf"), "procedures": "D1110 110.00\nd2391 210.00 19"},
    )
    assert estimate.status_code == 200, estimate.text
    assert estimate.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(estimate.content)).pages)
    for expected in ("SAMUEL OKONKWO", "D1110", "D2391", "not a guarantee of payment"):
        assert expected in text
    wrong = ui.a.post(
        f"/ui/eligibility/{kept}/estimate",
        data={"csrf": form_field(page, "csrf"), "procedures": "D1110 -5"},
    )
    assert wrong.status_code == 422
    assert "procedure line 1" in wrong.text
    # another practice: not found; a forged form: refused
    assert ui.b.get(f"/ui/eligibility/{kept}").status_code == 404
    forged = ui.a.post("/ui/eligibility/check", data={"csrf": "0" * 32, **CHECK})
    assert forged.status_code == 403


@pytest.mark.slow  # 2.5 s on the loaded 2-core machine
def test_member_not_found_is_shown_as_such(ui: Ui):
    _, page = _check(ui.a, member_id="NOSUCH3")
    assert "the payer did not find this member" in page
    assert "Download the patient" not in page


@pytest.mark.slow  # 1.3 s set-up at load ~2 (inner loop < 60 s)
def test_an_incomplete_form_comes_back_with_what_is_missing(ui: Ui):
    page = ui.a.get("/ui/eligibility")
    answer = ui.a.post(
        "/ui/eligibility/check",
        data={"csrf": form_field(page.text, "csrf"), **CHECK, "member_id": ""},
    )
    assert answer.status_code == 422
    assert "member_id is required" in answer.text


@pytest.mark.slow  # 2.5 s on the loaded 2-core machine
def test_the_queue_is_verified_in_bulk(ui: Ui):
    with ui.gateway.database.transaction() as session:
        practice = practice_by(session, PRACTICE_A).id
    visit = UpcomingVisit.model_validate(
        {
            "external_id": "APPT-7",
            "visit_date": (NOW + timedelta(days=1)).date(),
            "payer": {"payer_id": "DDPIL", "name": "PRAIRIE DENTAL PLAN"},
            "subscriber": {
                "name": {"last_name": "OKONKWO", "first_name": "SAMUEL"},
                "member_id": "PDP300412",
            },
            "procedures": ["D1110"],
        }
    )
    visits.save(ui.gateway.database, Caller(practice, "pm"), [visit], now=NOW)
    page = ui.a.get("/ui/eligibility")
    assert "1 patient(s) to verify" in page.text
    assert "APPT-7" in page.text
    done = ui.a.post(
        "/ui/eligibility/verify-queue",
        data={"csrf": form_field(page.text, "csrf"), "days": "30", "within": "14"},
    )
    assert done.status_code == 200, done.text
    assert "Checked just now" in done.text
    assert "0 patient(s) to verify" in done.text
    assert "APPT-7" not in ui.b.get("/ui/eligibility").text


@pytest.mark.slow  # 3.2 s on the loaded 2-core machine
def test_a_viewer_without_the_scope_gets_403(ui: Ui):
    with _browser(ui.gateway, PRACTICE_A, role="viewer") as reader:
        assert reader.get("/ui/eligibility").status_code == 403
        assert 'href="/ui/eligibility"' not in reader.get("/ui/claims").text
