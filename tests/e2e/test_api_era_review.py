"""ERA review, settling and the ledger through the API (issue 15, items 2, 6, 7): the
claim detail carries the ledger and its postings; a payer set to ``review`` keeps the
simulator's payment awaiting until approved through the API; another is dismissed; a
denial is written off in part, then closed to the patient; every wrong request gets a
problem document and another practice's IDs are 404."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import (
    FIXTURES,
    NOW,
    PRACTICE_NPI,
    api_key,
    problem_body,
    settings_for,
    simulated_gateway,
)

OTHER_NPI = "1234567893"
SIX = (
    "billed",
    "paid",
    "contractual",
    "patient_responsibility",
    "other_adjustments",
    "outstanding",
)


@dataclass
class Api:
    gateway: Gateway
    sim: Simulator
    client: TestClient
    a: dict[str, str]
    b: dict[str, str]

    def exchange(self) -> None:
        profile = self.gateway.profile()
        with self.gateway.sftp_transport(profile) as transport:
            drain_outbox(self.gateway.database, transport, clearinghouse=profile.name, now=NOW)
            self.sim.cycle()
            poll_inbound(
                self.gateway.database,
                transport,
                clearinghouse=profile.name,
                codes=self.gateway.codes,
                now=NOW,
            )

    def send(self, document: dict[str, Any]) -> int:
        created = self.client.post("/v1/claims", json=document, headers=self.a)
        assert created.status_code == 201, created.text
        claim_id: int = created.json()["id"]
        sent = self.client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=self.a)
        assert sent.status_code == 202, sent.text
        return claim_id

    def detail(self, claim_id: int) -> dict[str, Any]:
        found = self.client.get(f"/v1/claims/{claim_id}", headers=self.a)
        assert found.status_code == 200, found.text
        body: dict[str, Any] = found.json()
        return body


@pytest.fixture
def api(tmp_path: Path, validator: Validator) -> Iterator[Api]:
    with simulated_gateway(settings_for(tmp_path), validator) as (sim, gateway):
        a = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        b = {"Authorization": f"Bearer {api_key(gateway, npi=OTHER_NPI)}"}
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
            yield Api(gateway, sim, client, a, b)


def _claim(name: str, pcn: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "claims" / f"{name}.json").read_text())[
        "claims"
    ][0]
    return document | {"patient_control_number": pcn}


def _night_guard(pcn: str) -> dict[str, Any]:
    """The night guard alone: the simulator does not cover D9944, a denial in full."""
    document = _claim("23_perio_maintenance_and_night_guard", pcn)
    return document | {"total_charge": "550.00", "lines": [document["lines"][1]]}


def _balances(ledger: dict[str, str]) -> bool:
    billed, *rest = (Decimal(ledger[k]) for k in SIX)
    return billed == sum(rest, Decimal("0.00"))


def test_review_policy_approve_dismiss_and_the_ledger(api: Api):
    c, a, b = api.client, api.a, api.b
    first = api.send(_claim("05_crown_initial", "REV1001"))
    fresh = api.detail(first)
    assert fresh["ledger"] == {
        "billed": "1540.00",
        "paid": "0.00",
        "contractual": "0.00",
        "patient_responsibility": "0.00",
        "other_adjustments": "0.00",
        "outstanding": "1540.00",
    }
    assert fresh["postings"] == []

    problem_body(
        c.put("/v1/payers/NOSUCHPAYER/era-policy", json={"policy": "review"}, headers=a), 404
    )
    problem_body(c.put("/v1/payers/DDPIL/era-policy", json={"policy": "sometimes"}, headers=a), 422)
    policies = c.put("/v1/payers/DDPIL/era-policy", json={"policy": "review"}, headers=a)
    assert policies.status_code == 200, policies.text
    (ddpil,) = [p for p in policies.json()["payers"] if p["payer_id"] == "DDPIL"]
    assert (ddpil["policy"], ddpil["effective"]) == ("review", "review")
    assert c.get("/v1/era/policies", headers=b).json()["payers"] == []
    second = api.send(_claim("01_filling_amalgam_mod", "REV1002"))
    api.exchange()

    pending = c.get("/v1/era/pending", headers=a).json()
    assert {p["claim"] for p in pending} == {"REV1001", "REV1002"}
    assert all(p["review"] == "awaiting" for p in pending)
    assert c.get("/v1/era/pending", headers=b).json() == []
    assert api.detail(first)["ledger"]["paid"] == "0.00"
    one = next(p for p in pending if p["claim"] == "REV1001")
    other = next(p for p in pending if p["claim"] == "REV1002")

    problem_body(c.post(f"/v1/era/pending/{one['id']}/approve", headers=b), 404)
    approved = c.post(f"/v1/era/pending/{one['id']}/approve", headers=a)
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"] == "approved"
    problem_body(c.post(f"/v1/era/pending/{one['id']}/approve", headers=a), 409)
    detail = api.detail(first)
    assert detail["ledger"]["paid"] == one["paid"]
    assert _balances(detail["ledger"])
    assert detail["state"] == approved.json()["state"]
    paid = [p for p in detail["postings"] if p["kind"] == "paid"]
    assert sum(Decimal(p["amount"]) for p in paid) == Decimal(one["paid"])
    assert all(p["remittance_claim_id"] == one["id"] and p["remittance_id"] for p in paid)
    assert any(p["group_code"] == "CO" and p["reason_code"] for p in detail["postings"])

    problem_body(
        c.post(f"/v1/era/pending/{other['id']}/dismiss", json={"reason": "x" * 201}, headers=a), 422
    )
    dismissed = c.post(
        f"/v1/era/pending/{other['id']}/dismiss",
        json={"reason": "paid by check outside the ERA"},
        headers=a,
    )
    assert dismissed.json()["decision"] == "dismissed", dismissed.text
    assert c.get("/v1/era/pending", headers=a).json() == []
    assert api.detail(second)["ledger"]["paid"] == "0.00"
    problem_body(c.post(f"/v1/era/pending/{other['id']}/approve", headers=a), 409)
    default = c.put("/v1/era/policies/default", json={"policy": "semi"}, headers=a)
    assert default.json()["default"] == "semi", default.text


@pytest.mark.slow  # 3.4 s on the loaded 2-core machine
def test_denial_written_off_in_part_then_closed(api: Api):
    c, a, b = api.client, api.a, api.b
    claim_id = api.send(_night_guard("DEN1001"))
    ready = api.send(_claim("01_filling_amalgam_mod", "DEN1002"))
    problem_body(c.post(f"/v1/claims/{ready}/write-off", headers=a), 409)  # not answered yet
    api.exchange()
    assert api.detail(claim_id)["state"] == "denied"
    assert api.detail(claim_id)["ledger"]["outstanding"] == "550.00"

    problem_body(c.post(f"/v1/claims/{claim_id}/write-off", json={"amount": "50"}, headers=a), 422)
    problem_body(
        c.post(f"/v1/claims/{claim_id}/write-off", json={"amount": "550.01"}, headers=a), 422
    )
    problem_body(
        c.post(f"/v1/claims/{claim_id}/write-off", json={"amount": "50.00"}, headers=b), 404
    )
    problem_body(c.post(f"/v1/claims/{claim_id}/close", headers=b), 404)
    part = c.post(
        f"/v1/claims/{claim_id}/write-off",
        json={"amount": "50.00", "note": "tf"},
        headers=a | {"Idempotency-Key": "wo-1"},
    )
    assert part.json() == {
        "claim": "DEN1001",
        "action": "write_off",
        "amount": "50.00",
        "state": "denied",
        "outstanding": "500.00",
        "items_closed": 0,
    }
    again = c.post(
        f"/v1/claims/{claim_id}/write-off",
        json={"amount": "50.00", "note": "tf"},
        headers=a | {"Idempotency-Key": "wo-1"},
    )
    assert again.json() == part.json()  # a retry is not a second write-off
    ledger = api.detail(claim_id)["ledger"]
    assert (ledger["other_adjustments"], ledger["outstanding"]) == ("50.00", "500.00")
    assert _balances(ledger)

    closed = c.post(f"/v1/claims/{claim_id}/close", json={"note": "patient pays"}, headers=a)
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    assert closed.json()["items_closed"] >= 1
    ledger = api.detail(claim_id)["ledger"]
    assert (ledger["patient_responsibility"], ledger["outstanding"]) == ("500.00", "0.00")
    assert any(
        p["kind"] == "patient_transfer" and p["actor"] for p in api.detail(claim_id)["postings"]
    )
    problem_body(c.post(f"/v1/claims/{claim_id}/close", headers=a), 409)
