"""POST /v1/claim-status (issue 17, item 4): a real-time 276 about one claim through the app
and the simulator's CORE endpoint on loopback — the payer's answer as JSON (money as
strings, the time with its offset), written into the claim's history with a work item and
its event; another practice's claim 404 like a missing one, a claim not sent 409, a key
without claims:write 403, bad bodies 422/415, an unreadable 277 502."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import NOW, api_key, claim_document, settings_for, simulated_gateway

PRACTICE_B = "1234567893"
MISSING = 2**31 - 1


@dataclass
class Api:
    sim: Simulator
    gateway: Gateway
    client: TestClient
    a: dict[str, str]
    b: dict[str, str]


@pytest.fixture
def api(tmp_path: Path, validator: Validator) -> Iterator[Api]:
    with simulated_gateway(settings_for(tmp_path), validator) as (sim, gateway):
        a = {"Authorization": f"Bearer {api_key(gateway)}"}
        b = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_B)}"}
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
            yield Api(sim, gateway, client, a, b)


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _sent_without_its_835(api: Api) -> dict[str, Any]:
    """A's claim, sent and adjudicated by the simulated payer, whose 835 never arrives."""
    c, a = api.client, api.a
    claim: dict[str, Any] = _ok(
        c.post("/v1/claims", json=claim_document("05_crown_initial"), headers=a)
    )
    _ok(c.post("/v1/claims/submit", json={"claim_ids": [claim["id"]]}, headers=a))
    profile = api.gateway.profile()
    with api.gateway.sftp_transport(profile) as transport:
        drain_outbox(api.gateway.database, transport, clearinghouse=profile.name, now=NOW)
        api.sim.cycle()
        for lost in (api.sim.root / "from_clearinghouse").glob("*.835"):
            lost.unlink()
        poll_inbound(
            api.gateway.database,
            transport,
            clearinghouse=profile.name,
            codes=api.gateway.codes,
            now=NOW,
        )
    return claim


@pytest.mark.slow  # 1.9 s on the loaded 2-core machine
def test_one_claim_asked_about_now(api: Api):
    c, a = api.client, api.a
    claim = _sent_without_its_835(api)
    seen = _ok(c.get("/v1/events", headers=a))["next_cursor"]

    answer = _ok(c.post("/v1/claim-status", json={"claim_id": claim["id"]}, headers=a))
    assert (answer["claim_id"], answer["patient_control_number"]) == (
        claim["id"],
        claim["patient_control_number"],
    )
    assert answer["outcome"] == "paid"
    assert answer["statuses"][0]["category_code"] == "F1"
    assert answer["asked_at"].endswith(("Z", "+00:00"))  # a time with its offset
    assert isinstance(answer["paid_amount"], str)
    assert answer["total_charge"] == claim["total_charge"]
    assert answer["payer_claim_control_number"]

    history = _ok(c.get(f"/v1/claims/{claim['id']}/history", headers=a))
    assert any("277 paid" in step["reason"] for step in history), history
    (item,) = [
        i for i in _ok(c.get("/v1/workqueue", headers=a))["items"] if i["reason"] == "claim_status"
    ]
    assert "ask the clearinghouse for the ERA" in item["message"]
    told = _ok(c.get("/v1/events", params={"after": seen}, headers=a))["items"]
    assert {"type": "work_item.opened", "work_item_id": item["id"]} in [
        {"type": e["type"], "work_item_id": e["data"].get("work_item_id")} for e in told
    ]

    again = _ok(c.post("/v1/claim-status", json={"claim_id": claim["id"]}, headers=a))
    assert again["outcome"] == "paid"  # asked on request, whenever: no once-a-period rule
    assert (
        len(
            [
                i
                for i in _ok(c.get("/v1/workqueue", headers=a))["items"]
                if i["reason"] == "claim_status"
            ]
        )
        == 1
    )  # the open item is updated


def test_claim_status_is_refused_clearly(api: Api):
    c, a, b = api.client, api.a, api.b
    claim = _sent_without_its_835(api)
    ready = _ok(c.post("/v1/claims", json=claim_document("16_spouse_dependent"), headers=a))

    theirs = _problem(c.post("/v1/claim-status", json={"claim_id": claim["id"]}, headers=b), 404)
    missing = _problem(c.post("/v1/claim-status", json={"claim_id": MISSING}, headers=b), 404)
    assert theirs["detail"].replace(str(claim["id"]), "ID") == missing["detail"].replace(
        str(MISSING), "ID"
    )
    conflict = _problem(c.post("/v1/claim-status", json={"claim_id": ready["id"]}, headers=a), 409)
    assert "ready" in conflict["detail"]
    reader = {
        "Authorization": "Bearer " + api_key(api.gateway, scopes="claims:read", name="reader")
    }
    _problem(c.post("/v1/claim-status", json={"claim_id": claim["id"]}, headers=reader), 403)
    bad = _problem(c.post("/v1/claim-status", json={"claim_id": 0}, headers=a), 422)
    assert bad["errors"][0]["path"] == "claim_id"
    _problem(c.post("/v1/claim-status", json={"claim_id": 1, "extra": 1}, headers=a), 422)
    _problem(
        c.post(
            "/v1/claim-status", content=b"claim_id=1", headers=a | {"Content-Type": "text/plain"}
        ),
        415,
    )


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_an_unreadable_277_is_the_clearinghouses_failure(api: Api, monkeypatch: pytest.MonkeyPatch):
    c, a = api.client, api.a
    claim = _sent_without_its_835(api)
    client = api.gateway.core_client(api.gateway.profile())
    monkeypatch.setattr(client, "claim_status", lambda *_a, **_k: "ISA*00*not a 277~")
    problem = _problem(c.post("/v1/claim-status", json={"claim_id": claim["id"]}, headers=a), 502)
    assert problem["type"].endswith("/clearinghouse-answer-unreadable")
    assert problem["errors"][0]["path"]
    history = _ok(c.get(f"/v1/claims/{claim['id']}/history", headers=a))
    assert not any(step["reason"].startswith("277 ") for step in history)
