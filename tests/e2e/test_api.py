"""The HTTP API through the real app: every route answers, bad input gets a problem document,
another practice sees nothing, PHI is encrypted in the database file, keys rotate."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from edigateway.api.app import API_VERSION, create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.errors import PersistenceError
from edigateway.services.access import create_key
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.settings import Settings
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import NOW, REPO, problem_body

PRACTICE_A = "1456789019"  # MAPLE STREET DENTAL, the fixtures' billing provider
PRACTICE_B = "1234567893"


def _claim(name: str = "05_crown_initial", index: int = 0) -> dict[str, Any]:
    document = json.loads((REPO / f"fixtures/claims/{name}.json").read_text())
    claim: dict[str, Any] = document["claims"][index]
    return claim


@dataclass
class Api:
    gateway: Gateway
    sim: Simulator
    client: TestClient
    a: dict[str, str]
    b: dict[str, str]
    readonly: dict[str, str]


@pytest.fixture
def api(tmp_path: Path, validator: Validator) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path, mappings_dir=REPO / "mappings")
    with Simulator(
        settings, validator=validator, clock=lambda: NOW, sftp_port=0, http_port=0
    ) as sim:
        gateway = bootstrap(
            settings.model_copy(update=sim.client_settings()),
            clock=lambda: NOW,
            validator=validator,
        )

        def key(npi: str, scopes: str) -> dict[str, str]:
            created = create_key(
                gateway.database,
                practice=npi,
                scopes=scopes,
                name="test",
                keyring=gateway.keyring,
                now=NOW,
                create_name=f"P{npi}",
            )
            return {"Authorization": f"Bearer {created.token}"}

        # 127.0.0.1: a trusted host by default (TestClient's own "testserver" is not)
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
            yield Api(
                gateway,
                sim,
                client,
                key(PRACTICE_A, "admin"),
                key(PRACTICE_B, "admin"),
                key(PRACTICE_A, "claims:read"),
            )
        gateway.database.dispose()


def _exchange(api: Api) -> None:
    """Send the outbox to the simulator and bring its answers back (what the sender and
    poller do in production)."""
    gateway = api.gateway
    profile = gateway.profile()
    with gateway.sftp_transport(profile) as transport:
        drain_outbox(gateway.database, transport, clearinghouse=profile.name, now=NOW)
        api.sim.cycle()
        poll_inbound(
            gateway.database, transport, clearinghouse=profile.name, codes=gateway.codes, now=NOW
        )


# --------------------------------------------------------------------------- every route


@pytest.mark.slow  # 3.8 s on the loaded 2-core machine
def test_claim_lifecycle_through_every_route(api: Api):
    c, a = api.client, api.a
    created = c.post("/v1/claims", json=_claim(), headers=a)
    assert created.status_code == 201, created.text
    claim_id = created.json()["id"]
    assert created.json()["state"] == "ready"
    assert c.post("/v1/claims", json=_claim(), headers=a).json()["status"] == "unchanged"

    checked = c.post("/v1/claims/validate", json=_claim("01_filling_amalgam_mod"), headers=a)
    assert checked.json() == {
        "clean": True,
        "edit_failures": [],
        "x12_valid": True,
        "x12_errors": [],
    }

    listed = c.get("/v1/claims", params={"state": "ready", "limit": 10}, headers=a).json()
    assert [i["id"] for i in listed["items"]] == [claim_id]
    assert listed["total"] == 1
    by_member = c.get("/v1/claims", headers=a | {"X-Member-Id": " pdp100234 "}).json()
    assert [i["id"] for i in by_member["items"]] == [claim_id]
    assert c.get("/v1/claims", headers=a | {"X-Member-Id": "OTHER"}).json()["total"] == 0

    submit = {"claim_ids": [claim_id]}
    first = c.post("/v1/claims/submit", json=submit, headers=a | {"Idempotency-Key": "s-1"})
    assert first.status_code == 202, first.text
    again = c.post("/v1/claims/submit", json=submit, headers=a | {"Idempotency-Key": "s-1"})
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert c.get("/v1/transmissions", headers=a).json()["total"] == 1

    _exchange(api)
    detail = c.get(f"/v1/claims/{claim_id}", headers=a).json()
    assert detail["claim"]["subscriber"]["member_id"] == "PDP100234"
    assert detail["state"] == "paid"
    assert [h["to"] for h in c.get(f"/v1/claims/{claim_id}/history", headers=a).json()] == [
        "ready",
        "queued",
        "submitted",
        "ch_accepted",
        "payer_accepted",
        "paid",
    ]
    assert detail["transmissions"][0]["ack_status"] == "accepted"

    remittances = c.get("/v1/remittances", headers=a).json()
    (payment,) = remittances["items"]
    one = c.get(f"/v1/remittances/{payment['id']}", headers=a).json()
    assert {p["kind"] for p in one["postings"]} >= {"paid", "contractual"}
    assert one["provider_adjustments"][0]["reason"] == "WO"

    items = c.get("/v1/workqueue", headers=a).json()["items"]
    assert items, "the simulator's PLB recoupment needs a person"
    resolved = c.post(
        f"/v1/workqueue/{items[0]['id']}/resolve",
        json={"note": "checked the recoupment"},
        headers=a,
    )
    assert resolved.json()["status"] == "resolved"
    assert c.get("/v1/reports/aging", headers=a).json()["as_of"] == "2026-11-23"

    corrected = _claim()
    first_fee = float(corrected["lines"][0]["charge"])
    corrected["lines"][0]["charge"] = f"{first_fee - 10:.2f}"
    corrected["total_charge"] = f"{float(corrected['total_charge']) - 10:.2f}"
    replaced = c.post(f"/v1/claims/{claim_id}/replace", json={"claim": corrected}, headers=a)
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["frequency"] == "7"
    assert replaced.json()["payer_claim_control_number"].startswith("SIM")
    voided = c.post(f"/v1/claims/{replaced.json()['id']}/void", headers=a)
    assert voided.status_code == 201, voided.text
    assert voided.json()["frequency"] == "8"


@pytest.mark.slow  # 1.2 s on the loaded 2-core machine
def test_eligibility_and_estimate(api: Api):
    inquiry = json.loads((REPO / "fixtures/inquiries/01_subscriber_all_dental.json").read_text())
    inquiry = inquiry["inquiries"][0] if "inquiries" in inquiry else inquiry
    inquiry = inquiry[0] if isinstance(inquiry, list) else inquiry
    answer = api.client.post("/v1/eligibility", json={"inquiry": inquiry}, headers=api.a)
    assert answer.status_code == 200, answer.text
    (benefits,) = answer.json()["benefits"]
    assert benefits["plan_name"] == "PRAIRIE PPO PLUS"
    plan = json.loads((REPO / "fixtures/eligibility/01_ppo_full_breakdown/plan.json").read_text())
    estimate = api.client.post(
        "/v1/estimates", json={"benefits": benefits, "plan": plan}, headers=api.a
    )
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["lines"]
    claim_id = api.client.post("/v1/claims", json=_claim(), headers=api.a).json()["id"]
    kept = api.client.post(
        f"/v1/claims/{claim_id}/estimate", json={"benefits": benefits}, headers=api.a
    )
    assert kept.status_code == 200, kept.text
    assert [line["procedure_code"] for line in kept.json()["lines"]] == [
        line["procedure_code"] for line in _claim()["lines"]
    ]
    problem_body(
        api.client.post(
            f"/v1/claims/{claim_id}/estimate", json={"benefits": benefits}, headers=api.b
        ),
        404,
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_bad_input_gets_a_located_problem(api: Api):
    c, a = api.client, api.a
    malformed = c.post(
        "/v1/claims",
        content=b'{"patient_control_number": ',
        headers=a | {"content-type": "application/json"},
    )
    problem_body(malformed, 400)
    bad_code = _claim()
    bad_code["lines"][0]["procedure_code"] = "X9999"
    errors = problem_body(c.post("/v1/claims", json=bad_code, headers=a), 422)["errors"]
    assert any(e["path"].startswith("lines.0.procedure_code") for e in errors), errors
    unknown_payer = _claim()
    unknown_payer["payer"]["payer_id"] = "NOSUCHPAYER"
    errors = problem_body(c.post("/v1/claims", json=unknown_payer, headers=a), 422)["errors"]
    assert errors[0]["path"] == "payer.payer_id"
    other_practice = _claim()
    other_practice["billing_provider"]["npi"] = PRACTICE_B
    errors = problem_body(c.post("/v1/claims", json=other_practice, headers=a), 422)["errors"]
    assert errors[0]["path"] == "billing_provider.npi"
    huge = c.post(
        "/v1/claims",
        content=b"[" + b" " * (2 << 20) + b"]",
        headers=a | {"content-type": "application/json"},
    )
    problem_body(huge, 413)
    problem_body(c.get("/v1/claims/999999", headers=a), 404)
    problem_body(c.get("/v1/claims", params={"limit": 0}, headers=a), 422)
    problem_body(c.post("/v1/claims/submit", json={"claim_ids": []}, headers=a), 422)
    problem_body(c.post("/v1/workqueue/1/resolve", json={"note": ""}, headers=a), 422)
    problem_body(c.post("/v1/eligibility", json={"inquiry": {}}, headers=a), 422)
    problem_body(c.post("/v1/estimates", json={"benefits": {}, "plan": {}}, headers=a), 422)
    problem_body(
        c.post("/v1/claims/submit", json={"claim_ids": [1]}, headers=a | {"Idempotency-Key": "k"}),
        404,
    )


@pytest.mark.slow  # 1.5 s on the loaded 2-core machine
def test_keys_scopes_and_revocation(api: Api):
    c = api.client
    problem_body(c.get("/v1/claims"), 401)
    problem_body(c.get("/v1/claims", headers={"Authorization": "Bearer edg_nope"}), 401)
    problem_body(c.get("/v1/claims", headers={"X-API-Key": "edg_000000000000_" + "a" * 43}), 401)
    assert c.get("/v1/claims", headers=api.readonly).status_code == 200
    problem_body(c.post("/v1/claims", json=_claim(), headers=api.readonly), 403)
    from edigateway.services.access import revoke_key

    key_id = api.readonly["Authorization"].split("_")[1]
    revoke_key(api.gateway.database, key_id, now=NOW)
    problem_body(c.get("/v1/claims", headers=api.readonly), 401)


# --------------------------------------------------------------------------- tenants


@pytest.mark.slow  # 1.6 s on the loaded 2-core machine
def test_another_practice_sees_and_changes_nothing(api: Api):
    c, a, b = api.client, api.a, api.b
    claim_id = c.post("/v1/claims", json=_claim(), headers=a).json()["id"]
    c.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=a)
    _exchange(api)
    remittance_id = c.get("/v1/remittances", headers=a).json()["items"][0]["id"]
    item_id = c.get("/v1/workqueue", headers=a).json()["items"][0]["id"]

    for path in (
        f"/v1/claims/{claim_id}",
        f"/v1/claims/{claim_id}/history",
        f"/v1/remittances/{remittance_id}",
    ):
        problem_body(c.get(path, headers=b), 404)
    for path, body in (
        (f"/v1/claims/{claim_id}/replace", {"claim": _claim()}),
        (f"/v1/claims/{claim_id}/void", None),
        ("/v1/claims/submit", {"claim_ids": [claim_id]}),
        (f"/v1/workqueue/{item_id}/resolve", {"note": "not mine"}),
    ):
        response = c.post(path, json=body, headers=b)
        assert response.status_code in (404, 422), (path, response.text)
        assert "MSD1005" not in response.text
        assert "NGUYEN" not in response.text
    for path in ("/v1/claims", "/v1/remittances", "/v1/transmissions", "/v1/workqueue"):
        assert c.get(path, headers=b).json()["items"] == [], path
    assert (
        c.get("/v1/claims", params={"patient_control_number": "MSD1005"}, headers=b).json()["total"]
        == 0
    )
    assert c.get("/v1/reports/aging", headers=b).json()["payers"] == []
    assert c.get(f"/v1/claims/{claim_id}", headers=a).json()["state"] == "paid"
    assert c.get("/v1/workqueue", headers=a).json()["items"][0]["status"] == "open"


# --------------------------------------------------------------------------- PHI at rest


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_database_file_holds_no_plaintext_phi_and_keys_rotate(api: Api, tmp_path: Path):
    c, a = api.client, api.a
    claim_id = c.post("/v1/claims", json=_claim(), headers=a).json()["id"]
    c.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=a)
    _exchange(api)
    database = api.gateway.database
    with database.engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("edigateway.sqlite3*"))
    # The first name is short enough to turn up by chance in base64 ciphertext (about one
    # run in 200), so it is looked for as X12 and JSON would write it: quotes and asterisks
    # are not base64 characters.
    for secret in (b"NGUYEN", b'"ANNA"', b"*ANNA*", b"PDP100234", b"19840312", b"1984-03-12"):
        assert secret not in raw, secret
    with sqlite3.connect(tmp_path / "edigateway.sqlite3") as plain:
        (document,) = plain.execute("SELECT document FROM claims").fetchone()
    assert document.startswith("v1.k1.")

    from edigateway.security.phi import PhiCipher
    from edigateway.services.rotation import keys_in_use, rotate_phi

    old = database.phi
    database.phi = PhiCipher(api.gateway.keyring.with_new_key("k2"))
    assert c.get(f"/v1/claims/{claim_id}", headers=a).status_code == 200  # both keys read
    counts = rotate_phi(database, batch=1)
    assert counts["claims"] == 1
    assert counts["submissions"] == 1
    assert counts["inbound_files"] == 3
    assert set(keys_in_use(database)) == {"k2"}
    assert rotate_phi(database) == {
        "claims": 0,
        "submissions": 0,
        "inbound_files": 0,
        "users": 0,
        "claim_attachments": 0,
        "appeals": 0,
    }
    detail = c.get(f"/v1/claims/{claim_id}", headers=a).json()
    assert detail["claim"]["subscriber"]["name"]["last_name"] == "NGUYEN"
    database.phi = old  # the retired key alone no longer opens anything
    problem_body(c.get(f"/v1/claims/{claim_id}", headers=a), 500)


def test_audit_trail_is_append_only(api: Api):
    c, a = api.client, api.a
    claim_id = c.post("/v1/claims", json=_claim(), headers=a).json()["id"]
    c.get(f"/v1/claims/{claim_id}", headers=a)
    from edigateway.services.access import audit_events

    events = list(
        audit_events(api.gateway.database, start=NOW.replace(hour=0), end=NOW.replace(hour=23))
    )
    reads = [e for e in events if e.resource == "claim" and e.action == "read"]
    assert reads[-1].resource_id == str(claim_id)
    assert reads[-1].actor.startswith("key:")
    assert reads[-1].remote_addr == "testclient"
    with (
        pytest.raises(PersistenceError, match="append-only"),
        api.gateway.database.transaction() as session,
    ):
        session.execute(text("UPDATE audit_events SET actor = 'someone else'"))
    with (
        pytest.raises(PersistenceError, match="append-only"),
        api.gateway.database.transaction() as session,
    ):
        session.execute(text("DELETE FROM audit_events"))


@pytest.mark.slow  # 3.6 s on the loaded 2-core machine
def test_openapi_document_is_versioned_and_complete(api: Api):
    document = api.client.get("/v1/openapi.json").json()
    assert document["info"]["version"] == API_VERSION
    paths = set(document["paths"])
    assert {
        "/v1/claims",
        "/v1/claims/{claim_id}",
        "/v1/claims/{claim_id}/history",
        "/v1/claims/validate",
        "/v1/claims/submit",
        "/v1/claims/{claim_id}/replace",
        "/v1/claims/{claim_id}/void",
        "/v1/eligibility",
        "/v1/estimates",
        "/v1/remittances",
        "/v1/remittances/{remittance_id}",
        "/v1/workqueue",
        "/v1/workqueue/{item_id}/resolve",
        "/v1/reports/aging",
        "/v1/transmissions",
    } <= paths
