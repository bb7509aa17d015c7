"""Issue 16, items 4 and 5 through the real app and the simulator: eligibility checks kept
(history, detail with the raw 271, member not found as a 422), visits and the verification
queue with a bulk check, fee schedules used by estimates, estimates from a kept
verification, and the patient's copy as PDF and HTML — each route's success, bad input
(problem documents) and another practice's IDs (404)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.x12.validation import Validator
from tests.factories import FIXTURES, NOW, api_key, problem_body, settings_for, simulated_gateway

PRACTICE_A = "1456789019"
PRACTICE_B = "1234567893"
TODAY = NOW.date()


@dataclass
class Api:
    gateway: Gateway
    client: TestClient
    a: dict[str, str]
    b: dict[str, str]


@pytest.fixture
def api(tmp_path: Path, validator: Validator) -> Iterator[Api]:
    with simulated_gateway(settings_for(tmp_path), validator) as (_, gateway):
        a = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_A)}"}
        b = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_B)}"}
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
            yield Api(gateway, client, a, b)


def _inquiry(member: str = "PDP300412", trace: str = "ELG-1001") -> dict[str, Any]:
    document = json.loads((FIXTURES / "inquiries" / "01_subscriber_all_dental.json").read_text())
    document["subscriber"]["member_id"] = member
    document["trace_number"] = trace
    return document


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_every_check_is_kept_with_its_271_and_listed_newest_first(api: Api):
    c, a = api.client, api.a
    first = c.post("/v1/eligibility", json={"inquiry": _inquiry()}, headers=a)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "active"
    assert body["benefits"][0]["plan_name"] == "PRAIRIE PPO PLUS"
    second = c.post(
        "/v1/eligibility", json={"inquiry": _inquiry("PDP100234", "ELG-2")}, headers=a
    ).json()

    listed = c.get("/v1/eligibility/verifications", headers=a).json()
    assert [i["id"] for i in listed["items"]] == [
        second["verification_id"],
        body["verification_id"],
    ]
    assert listed["items"][1]["patient_name"] == "SAMUEL OKONKWO"
    assert listed["items"][1]["actor"].startswith("key:")
    assert listed["items"][1]["channel"] == "api"
    assert listed["items"][1]["created_at"].endswith("Z")
    by_member = c.get(
        "/v1/eligibility/verifications", headers=a | {"X-Member-Id": "pdp300412"}
    ).json()
    assert [i["id"] for i in by_member["items"]] == [body["verification_id"]]
    by_patient = c.get(
        "/v1/eligibility/verifications",
        headers=a | {"X-Patient-Last-Name": "OKONKWO", "X-Patient-First-Name": "SAMUEL"},
    ).json()
    assert by_patient["total"] == 2  # both inquiries named him
    both = c.get(
        "/v1/eligibility/verifications",
        headers=a
        | {
            "X-Member-Id": "PDP100234",
            "X-Patient-Last-Name": "okonkwo",
            "X-Patient-First-Name": "Samuel",
        },
    ).json()
    assert [i["id"] for i in both["items"]] == [second["verification_id"]]
    paged = c.get("/v1/eligibility/verifications", params={"limit": 1}, headers=a).json()
    assert (paged["total"], paged["next_offset"], len(paged["items"])) == (2, 1, 1)

    detail = c.get(f"/v1/eligibility/verifications/{body['verification_id']}", headers=a).json()
    assert detail["raw_271"].startswith("ISA*")
    assert "EB*" in detail["raw_271"]
    assert detail["inquiry"]["subscriber"]["member_id"] == "PDP300412"
    assert detail["benefits"][0]["member_id"] == "PDP300412"

    # another practice sees none of it
    assert c.get("/v1/eligibility/verifications", headers=api.b).json()["total"] == 0
    problem_body(
        c.get(f"/v1/eligibility/verifications/{body['verification_id']}", headers=api.b), 404
    )


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_the_kept_values_are_encrypted_in_the_database(api: Api, tmp_path: Path):
    api.client.post("/v1/eligibility", json={"inquiry": _inquiry()}, headers=api.a)
    raw = b"".join(p.read_bytes() for p in tmp_path.rglob("*.db*") if p.is_file())
    assert b"OKONKWO" not in raw
    assert b"PDP300412" not in raw


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_member_not_found_is_a_422_naming_the_kept_check(api: Api):
    answer = api.client.post(
        "/v1/eligibility", json={"inquiry": _inquiry("NOSUCH1")}, headers=api.a
    )
    problem = problem_body(answer, 422)
    assert problem["type"].endswith("/member-not-found")
    assert problem["errors"][0]["path"] == "inquiry.subscriber.member_id"
    assert "not found" in problem["errors"][0]["message"].lower()
    kept = api.client.get("/v1/eligibility/verifications", headers=api.a).json()["items"]
    assert kept[0]["status"] == "not_found"
    assert f"verification {kept[0]['id']}" in problem["detail"]


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_bad_verification_requests_get_problems(api: Api):
    c, a = api.client, api.a
    problem_body(c.get("/v1/eligibility/verifications", params={"limit": 0}, headers=a), 422)
    problem_body(c.get("/v1/eligibility/verifications/0", headers=a), 422)
    problem_body(c.get("/v1/eligibility/verifications/99", headers=a), 404)
    bad = _inquiry()
    del bad["subscriber"]["member_id"]
    problem_body(c.post("/v1/eligibility", json={"inquiry": bad}, headers=a), 422)


def _visit(external_id: str, member: str, when: date, **more: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "visit_date": when.isoformat(),
        "payer": {"payer_id": "DDPIL", "name": "PRAIRIE DENTAL PLAN"},
        "subscriber": {
            "name": {"last_name": "OKONKWO", "first_name": "SAMUEL"},
            "member_id": member,
            "date_of_birth": "1962-07-04",
        },
        "procedures": ["D0120", "D1110"],
        **more,
    }


@pytest.mark.slow  # 1.3 s on the loaded 2-core machine
def test_visits_queue_and_bulk_check(api: Api):
    c, a = api.client, api.a
    visits = [
        _visit("APPT-1", "PDP300412", TODAY + timedelta(days=2)),
        _visit(
            "APPT-2",
            "PDP100234",
            TODAY + timedelta(days=3),
            patient={"name": {"last_name": "OKONKWO", "first_name": "ADA"}, "relationship": "19"},
        ),
        _visit("APPT-3", "PDP300412", TODAY + timedelta(days=40)),
    ]
    saved = c.post("/v1/visits", json={"visits": visits}, headers=a)
    assert saved.status_code == 201, saved.text
    assert [v["status"] for v in saved.json()["visits"]] == ["created"] * 3
    again = c.post("/v1/visits", json={"visits": visits[:1]}, headers=a).json()
    assert again["visits"][0]["status"] == "updated"

    queue = c.get(
        "/v1/visits/verification-queue", params={"days": 30, "within": 14}, headers=a
    ).json()
    assert [i["external_id"] for i in queue["items"]] == ["APPT-1", "APPT-2"]
    assert queue["items"][1]["patient_name"] == "ADA OKONKWO"
    assert queue["items"][0]["reason"] == "never verified"

    done = c.post("/v1/visits/verify", json={"days": 30, "within": 14}, headers=a)
    assert done.status_code == 200, done.text
    outcomes = done.json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["active", "active"]
    assert all(o["verification_id"] for o in outcomes)
    after = c.get("/v1/visits/verification-queue", params={"within": 14}, headers=a).json()
    assert after["items"] == []
    kept = c.get("/v1/eligibility/verifications", headers=a).json()["items"]
    assert {k["channel"] for k in kept} == {"queue"}
    assert {k["visit_id"] for k in kept} == {v["id"] for v in saved.json()["visits"][:2]}

    # another practice's queue is its own
    assert c.get("/v1/visits/verification-queue", headers=api.b).json()["items"] == []


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_bad_visits_get_problems(api: Api):
    c, a = api.client, api.a
    no_member = _visit("APPT-9", "X", TODAY)
    del no_member["subscriber"]["member_id"]
    problem_body(c.post("/v1/visits", json={"visits": [no_member]}, headers=a), 422)
    bad_code = _visit("APPT-9", "PDP300412", TODAY, procedures=["1110"])
    problem = problem_body(c.post("/v1/visits", json={"visits": [bad_code]}, headers=a), 422)
    assert any("procedures" in e["path"] for e in problem["errors"])
    problem_body(c.post("/v1/visits", json={"visits": []}, headers=a), 422)
    problem_body(c.get("/v1/visits/verification-queue", params={"days": -1}, headers=a), 422)
    problem_body(c.post("/v1/visits/verify", json={"limit": 0}, headers=a), 422)


SCHEDULE = {
    "entries": [
        {"procedure_code": "D1110", "fee": "88.00", "description": "Adult cleaning"},
        {
            "procedure_code": "D2391",
            "fee": "168.00",
            "description": "Tooth-colored filling, one surface, back tooth",
        },
        {"procedure_code": "D2740", "fee": "980.00", "description": "Porcelain crown"},
    ]
}
PLAN = {
    "procedures": [
        {"procedure_code": "D1110", "fee": "110.00"},
        {"procedure_code": "D2391", "fee": "210.00", "tooth": "19"},
        {"procedure_code": "D2740", "fee": "1250.00", "tooth": "30"},
    ]
}


@pytest.mark.slow  # 1.4 s on the loaded 2-core machine
def test_fee_schedules_are_used_by_estimates_from_a_kept_verification(api: Api):
    c, a = api.client, api.a
    loaded = c.put("/v1/fee-schedules/DDPIL", json=SCHEDULE, headers=a)
    assert loaded.status_code == 200, loaded.text
    assert loaded.json() == {"payer_id": "DDPIL", "plan": "", "entries": 3, "replaced": 0}
    assert c.put("/v1/fee-schedules/DDPIL", json=SCHEDULE, headers=a).json()["replaced"] == 3
    stored = c.get("/v1/fee-schedules/DDPIL", headers=a).json()["entries"]
    assert [(e["procedure_code"], e["fee"]) for e in stored] == [
        ("D1110", "88.00"),
        ("D2391", "168.00"),
        ("D2740", "980.00"),
    ]
    assert c.get("/v1/fee-schedules/DDPIL", headers=api.b).json()["entries"] == []

    verified = c.post("/v1/eligibility", json={"inquiry": _inquiry()}, headers=a).json()
    answer = c.post(
        "/v1/estimates",
        json={"verification_id": verified["verification_id"], "plan": PLAN},
        headers=a,
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert [ln["allowed"]["amount"] for ln in result["lines"]] == ["88.00", "168.00", "980.00"]
    assert result["lines"][0]["description"] == "Adult cleaning"
    # PPO: 88.00 at 100 %, 168.00 − 50.00 deductible at 80 %, 980.00 at 50 %
    assert result["total_insurance"] == "672.40"
    assert result["total_patient"] == "563.60"
    assert any(f.startswith("benefits checked with the payer on") for f in result["facts"])

    # another practice's verification is not found
    problem_body(
        c.post(
            "/v1/estimates",
            json={"verification_id": verified["verification_id"], "plan": PLAN},
            headers=api.b,
        ),
        404,
    )


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_the_patient_copy_as_pdf_and_html(api: Api):
    c, a = api.client, api.a
    c.put("/v1/fee-schedules/DDPIL", json=SCHEDULE, headers=a)
    verified = c.post("/v1/eligibility", json={"inquiry": _inquiry()}, headers=a).json()
    body = {"verification_id": verified["verification_id"], "plan": PLAN}
    pdf = c.post("/v1/estimates", json=body, headers=a | {"Accept": "application/pdf"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    for expected in (
        "P1456789019",
        "SAMUEL OKONKWO",
        "Adult cleaning",
        "Porcelain crown",
        "Tooth-colored filling",
        "1570.00",
        "672.40",
        "563.60",
        "not a guarantee of payment",
    ):
        assert expected in text, expected
    html = c.post("/v1/estimates", json=body, headers=a | {"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "SAMUEL OKONKWO" in html.text
    assert "not a guarantee of payment" in html.text
    # its own stylesheet applies (allowed by hash), nothing else loads
    assert html.headers["content-security-policy"].startswith("default-src 'none'; style-src 'sha")


def test_bad_estimates_get_problems(api: Api):
    c, a = api.client, api.a
    negative = {"procedures": [{"procedure_code": "D1110", "fee": "-10.00"}]}
    benefits = {"coverage": "active"}
    problem = problem_body(
        c.post("/v1/estimates", json={"benefits": benefits, "plan": negative}, headers=a), 422
    )
    assert problem["errors"][0]["path"] == "plan.procedures.0.fee"
    absurd = {"procedures": [{"procedure_code": "D1110", "fee": "250000.00"}]}
    problem_body(
        c.post("/v1/estimates", json={"benefits": benefits, "plan": absurd}, headers=a), 422
    )
    neither = problem_body(c.post("/v1/estimates", json={"plan": PLAN}, headers=a), 422)
    assert "verification_id" in neither["detail"]
    problem_body(
        c.post("/v1/estimates", json={"verification_id": 77, "plan": PLAN}, headers=a), 404
    )
    bad_fee = {"entries": [{"procedure_code": "D1110", "fee": "-1.00"}]}
    problem = problem_body(c.put("/v1/fee-schedules/DDPIL", json=bad_fee, headers=a), 422)
    assert problem["errors"][0]["path"] == "entries.0.fee"
    twice = {
        "entries": [
            {"procedure_code": "D1110", "fee": "1.00"},
            {"procedure_code": "D1110", "fee": "2.00"},
        ]
    }
    problem = problem_body(c.put("/v1/fee-schedules/DDPIL", json=twice, headers=a), 422)
    assert problem["errors"][0]["path"] == "entries.0.procedure_code"
    problem_body(c.put("/v1/fee-schedules/DD-PIL", json=SCHEDULE, headers=a), 422)


@pytest.mark.slow  # 1.8 s on the loaded 2-core machine
def test_a_claims_estimate_and_its_patient_copy(api: Api):
    c, a = api.client, api.a
    claim = json.loads((FIXTURES / "claims" / "05_crown_initial.json").read_text())
    document = claim["claims"][0] if "claims" in claim else claim
    created = c.post("/v1/claims", json=document, headers=a)
    assert created.status_code == 201, created.text
    claim_id = created.json()["id"]
    problem_body(c.get(f"/v1/claims/{claim_id}/estimate.pdf", headers=a), 404)
    c.put(f"/v1/fee-schedules/{document['payer']['payer_id']}", json=SCHEDULE, headers=a)
    member = document["subscriber"]["member_id"]
    verified = c.post("/v1/eligibility", json={"inquiry": _inquiry(member)}, headers=a).json()
    estimated = c.post(
        f"/v1/claims/{claim_id}/estimate",
        json={"verification_id": verified["verification_id"]},
        headers=a,
    )
    assert estimated.status_code == 200, estimated.text
    result = estimated.json()
    pdf = c.get(f"/v1/claims/{claim_id}/estimate.pdf", headers=a)
    assert pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert document["patient_control_number"] in text
    assert result["total_patient"] in text
    assert "not a guarantee of payment" in text
    for line in result["lines"]:
        assert line["procedure_code"] in text
    html = c.get(f"/v1/claims/{claim_id}/estimate.html", headers=a)
    assert result["total_insurance"] in html.text
    assert "style-src 'sha256-" in html.headers["content-security-policy"]
    problem_body(c.get(f"/v1/claims/{claim_id}/estimate.pdf", headers=api.b), 404)
    problem_body(
        c.post(
            f"/v1/claims/{claim_id}/estimate",
            json={"verification_id": verified["verification_id"]},
            headers=api.b,
        ),
        404,
    )
