"""Appeals through the real app, SFTP on loopback and the simulator (issue 16, item 3): a
claim the simulator denies (D9944, CARC 96 + RARC N130) is appealed with a narrative and a
narrative attachment; the letter (PDF and HTML) names the patient, each procedure, the
totals, the CARC in words and the narrative; sending it moves the claim to appealed with
the denied amount still outstanding (ledger and A/R) and closes the denial item; the
follow-up reminder opens on its day; the outcome closes it; bad input gets problem
documents and another practice's IDs are 404."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.persistence.tables import ClaimRow
from edigateway.security.phi import PhiCipher
from edigateway.services.followup import open_claims
from edigateway.services.inbound import poll_inbound
from edigateway.services.ledger import ledgers
from edigateway.services.outbox import drain_outbox
from edigateway.services.rotation import keys_in_use, rotate_phi
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
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NARRATIVE = (
    "The patient has documented bruxism with wear facets on teeth 3 and 14.\n\n"
    "An occlusal guard is the standard treatment; the enclosed narrative explains."
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Api:
    gateway: Gateway
    sim: Simulator
    client: TestClient
    clock: Clock
    a: dict[str, str]
    b: dict[str, str]

    def exchange(self) -> None:
        gateway = self.gateway
        profile = gateway.profile()
        with gateway.sftp_transport(profile) as transport:
            drain_outbox(gateway.database, transport, clearinghouse=profile.name, now=NOW)
            self.sim.cycle()
            poll_inbound(
                gateway.database,
                transport,
                clearinghouse=profile.name,
                codes=gateway.codes,
                now=NOW,
            )


@pytest.fixture
def api(tmp_path: Path, validator: Validator) -> Iterator[Api]:
    clock = Clock()
    with simulated_gateway(settings_for(tmp_path), validator, clock) as (sim, gateway):
        a = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        b = {"Authorization": f"Bearer {api_key(gateway, npi=OTHER_NPI)}"}
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
            yield Api(gateway, sim, client, clock, a, b)


def _denied_claim(api: Api, pcn: str = "APL1001") -> int:
    """The night guard alone (the simulator does not cover D9944): denied in full."""
    document = json.loads(
        (FIXTURES / "claims" / "23_perio_maintenance_and_night_guard.json").read_text()
    )["claims"][0]
    night_guard = document["lines"][1] | {"description": "OCCLUSAL GUARD, HARD, FULL ARCH"}
    document |= {"patient_control_number": pcn, "total_charge": "550.00", "lines": [night_guard]}
    created = api.client.post("/v1/claims", json=document, headers=api.a)
    assert created.status_code == 201, created.text
    claim_id: int = created.json()["id"]
    sent = api.client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=api.a)
    assert sent.status_code == 202, sent.text
    api.exchange()
    assert api.client.get(f"/v1/claims/{claim_id}", headers=api.a).json()["state"] == "denied"
    return claim_id


def _outstanding(api: Api, claim_id: int) -> Decimal:
    with api.gateway.database.transaction() as session:
        row = session.get(ClaimRow, claim_id)
        assert row is not None
        return ledgers(session, [row])[claim_id].outstanding


def _items(api: Api, reason: str) -> list[dict[str, Any]]:
    found = api.client.get("/v1/workqueue", params={"reason": reason}, headers=api.a)
    assert found.status_code == 200, found.text
    items: list[dict[str, Any]] = found.json()["items"]
    return items


def _check_letter(api: Api, appeal_id: int, attachment: dict[str, Any]) -> None:
    """The PDF names the patient, member, claim, procedure, totals, the CARC/RARC in words,
    the narrative and the enclosure; the HTML says the same."""
    c, a = api.client, api.a
    pdf = c.get(f"/v1/appeals/{appeal_id}/letter.pdf", headers=a)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    for expected in (
        "SAMUEL OKONKWO",
        "PDP300412",
        "APL1001",
        "D9944",
        "OCCLUSAL GUARD, HARD, FULL ARCH",
        "550.00",
        "0.00",
        "MAPLE STREET DENTAL",
        "PRAIRIE DENTAL PLAN",
        "CO-96",
        "Non-covered charge",
        "N130",
        "documented bruxism",
        "enclosed narrative explains",
        attachment["control_number"],
        "bruxism-narrative.pdf",
        "DANA REYES",
    ):
        assert expected in text, expected
    html = c.get(f"/v1/appeals/{appeal_id}/letter.html", headers=a)
    assert html.headers["content-type"].startswith("text/html")
    assert "SAMUEL OKONKWO" in html.text
    assert "Non-covered charge" in html.text
    negotiated = c.get(f"/v1/appeals/{appeal_id}/letter", headers=a | {"Accept": "text/html"})
    assert negotiated.text == html.text
    policy = html.headers["content-security-policy"]
    assert policy == negotiated.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; style-src 'sha256-"), "its styles apply"


def _check_events(api: Api) -> None:
    """One appeal.updated per change of the appeal, with no names in them."""
    c, a = api.client, api.a
    events = c.get("/v1/events", params={"types": "appeal.updated"}, headers=a).json()["items"]
    changes = [e["data"].get("change") for e in events if e["subject"].startswith("appeals/")]
    assert changes == ["created", "sent", "decided"]
    assert all("OKONKWO" not in json.dumps(e) for e in events)


@pytest.mark.slow  # 1.7 s at load ~2 (inner loop < 60 s)
def test_appeal_a_denial_letter_send_follow_up_and_outcome(api: Api):
    c, a = api.client, api.a
    claim_id = _denied_claim(api)
    assert [i["claim"] for i in _items(api, "denied")] == ["APL1001"]
    assert _outstanding(api, claim_id) == Decimal("550.00")
    upload = c.post(
        f"/v1/claims/{claim_id}/attachments",
        headers=a,
        files={"file": ("bruxism-narrative.pdf", PDF, "application/pdf")},
        data={"report_type": "B4"},
    )
    assert upload.status_code == 201, upload.text
    attachment = upload.json()

    made = c.post(
        f"/v1/claims/{claim_id}/appeals",
        headers=a,
        json={
            "reason": "medical_necessity",
            "narrative": NARRATIVE,
            "attachment_ids": [attachment["id"]],
        },
    )
    assert made.status_code == 201, made.text
    appeal = made.json()
    assert appeal["status"] == "draft"
    assert appeal["denied_amount"] == "550.00"
    assert appeal["claim_state"] == "denied"
    assert appeal["attachment_ids"] == [attachment["id"]]
    appeal_id = appeal["id"]
    assert c.get(f"/v1/appeals/{appeal_id}", headers=a).json() == appeal
    assert [
        x["id"] for x in c.get(f"/v1/claims/{claim_id}/appeals", headers=a).json()["items"]
    ] == [appeal_id]
    assert [
        x["id"] for x in c.get("/v1/appeals", params={"status": "draft"}, headers=a).json()["items"]
    ] == [appeal_id]

    _check_letter(api, appeal_id, attachment)

    sent = c.post(f"/v1/appeals/{appeal_id}/sent", headers=a, json={"method": "fax"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"
    assert sent.json()["claim_state"] == "appealed"
    assert sent.json()["sent_on"] == NOW.date().isoformat()
    assert sent.json()["follow_up_on"] == (NOW.date() + timedelta(days=30)).isoformat()
    history = [h["to"] for h in c.get(f"/v1/claims/{claim_id}/history", headers=a).json()]
    assert history[-1] == "appealed"
    assert _items(api, "denied") == [], "the appeal is what was done about the denial"
    assert _outstanding(api, claim_id) == Decimal("550.00"), "the denial is still owed"
    assert [
        (o.patient_control_number, o.outstanding, state)
        for o, state in open_claims(api.gateway.database)
    ] == [("APL1001", Decimal("550.00"), "appealed")]
    problem_body(c.post(f"/v1/appeals/{appeal_id}/sent", headers=a, json={"method": "mail"}), 409)
    problem_body(c.patch(f"/v1/appeals/{appeal_id}", headers=a, json={"narrative": "x"}), 409)

    assert _items(api, "appeal_follow_up") == [], "not due yet"
    api.clock.now = NOW + timedelta(days=31)
    (reminder,) = _items(api, "appeal_follow_up")
    assert reminder["claim"] == "APL1001"
    assert reminder["amount"] == "550.00"
    assert len(_items(api, "appeal_follow_up")) == 1, "opened once"
    assert (
        c.get(f"/v1/appeals/{appeal_id}", headers=a).json()["reminder_work_item_id"]
        == reminder["id"]
    )

    lost = c.post(
        f"/v1/appeals/{appeal_id}/outcome",
        headers=a,
        json={"outcome": "lost", "note": "upheld: not a plan benefit"},
    )
    assert lost.status_code == 200, lost.text
    assert lost.json()["status"] == "decided"
    assert lost.json()["outcome"] == "lost"
    assert _items(api, "appeal_follow_up") == []
    (again,) = _items(api, "denied")
    assert "lost" in again["message"]
    problem_body(
        c.post(f"/v1/appeals/{appeal_id}/outcome", headers=a, json={"outcome": "won"}), 409
    )

    _check_events(api)


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_bad_input_is_a_problem_document(api: Api):
    c, a = api.client, api.a
    claim_id = _denied_claim(api)
    ready = c.post(
        "/v1/claims",
        headers=a,
        json=json.loads((FIXTURES / "claims" / "05_crown_initial.json").read_text())["claims"][0],
    )
    ready_id = ready.json()["id"]
    other = c.post(
        f"/v1/claims/{ready_id}/attachments",
        headers=a,
        files={"file": ("x.pdf", PDF, "application/pdf")},
        data={"report_type": "B4"},
    ).json()

    wrong_reason = problem_body(
        c.post(
            f"/v1/claims/{claim_id}/appeals",
            headers=a,
            json={"reason": "because", "narrative": NARRATIVE},
        ),
        422,
    )
    assert "reason" in json.dumps(wrong_reason)
    blank = problem_body(
        c.post(
            f"/v1/claims/{claim_id}/appeals",
            headers=a,
            json={"reason": "other", "narrative": "   "},
        ),
        422,
    )
    assert "narrative" in json.dumps(blank)
    foreign = problem_body(
        c.post(
            f"/v1/claims/{claim_id}/appeals",
            headers=a,
            json={"reason": "other", "narrative": NARRATIVE, "attachment_ids": [other["id"]]},
        ),
        422,
    )
    assert "attachment_ids[0]" in json.dumps(foreign)
    unanswered = problem_body(
        c.post(
            f"/v1/claims/{ready_id}/appeals",
            headers=a,
            json={"reason": "other", "narrative": NARRATIVE},
        ),
        409,
    )
    assert "ready" in unanswered["detail"]

    appeal_id = c.post(
        f"/v1/claims/{claim_id}/appeals",
        headers=a,
        json={"reason": "not_covered", "narrative": NARRATIVE},
    ).json()["id"]
    problem_body(
        c.post(
            f"/v1/claims/{claim_id}/appeals",
            headers=a,
            json={"reason": "other", "narrative": NARRATIVE},
        ),
        409,
    )
    problem_body(
        c.post(f"/v1/appeals/{appeal_id}/outcome", headers=a, json={"outcome": "won"}), 409
    )
    problem_body(c.post(f"/v1/appeals/{appeal_id}/sent", headers=a, json={"method": "pigeon"}), 422)
    future = (NOW.date() + timedelta(days=2)).isoformat()
    problem_body(
        c.post(
            f"/v1/appeals/{appeal_id}/sent", headers=a, json={"method": "mail", "sent_on": future}
        ),
        422,
    )
    early = problem_body(
        c.post(
            f"/v1/appeals/{appeal_id}/sent",
            headers=a,
            json={"method": "mail", "follow_up_on": "2026-01-01"},
        ),
        422,
    )
    assert "follow_up_on" in json.dumps(early)
    changed = c.patch(
        f"/v1/appeals/{appeal_id}",
        headers=a,
        json={"reason": "frequency_limit", "narrative": "Second try."},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["reason"] == "frequency_limit"
    assert changed.json()["narrative"] == "Second try."
    html = c.get(f"/v1/appeals/{appeal_id}/letter.html", headers=a).text
    assert "Second try." in html
    assert "frequency limits" in html


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_another_practice_gets_404(api: Api):
    c, a, b = api.client, api.a, api.b
    claim_id = _denied_claim(api)
    appeal_id = c.post(
        f"/v1/claims/{claim_id}/appeals",
        headers=a,
        json={"reason": "other", "narrative": NARRATIVE},
    ).json()["id"]
    for response in (
        c.post(
            f"/v1/claims/{claim_id}/appeals",
            headers=b,
            json={"reason": "other", "narrative": NARRATIVE},
        ),
        c.get(f"/v1/claims/{claim_id}/appeals", headers=b),
        c.get(f"/v1/appeals/{appeal_id}", headers=b),
        c.get(f"/v1/appeals/{appeal_id}/letter.pdf", headers=b),
        c.get(f"/v1/appeals/{appeal_id}/letter.html", headers=b),
        c.patch(f"/v1/appeals/{appeal_id}", headers=b, json={"follow_up_on": "2027-01-01"}),
        c.post(f"/v1/appeals/{appeal_id}/sent", headers=b, json={"method": "fax"}),
        c.post(f"/v1/appeals/{appeal_id}/outcome", headers=b, json={"outcome": "won"}),
    ):
        problem_body(response, 404)
    assert c.get("/v1/appeals", headers=b).json()["items"] == []
    assert c.get(f"/v1/appeals/{appeal_id}", headers=a).json()["status"] == "draft"
    assert (
        date.fromisoformat(c.get(f"/v1/appeals/{appeal_id}", headers=a).json()["created_at"][:10])
        == NOW.date()
    )


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_key_rotation_reseals_narrative_and_letter(api: Api):
    c, a = api.client, api.a
    claim_id = _denied_claim(api)
    appeal_id = c.post(
        f"/v1/claims/{claim_id}/appeals",
        headers=a,
        json={"reason": "other", "narrative": NARRATIVE},
    ).json()["id"]
    database = api.gateway.database
    database.phi = PhiCipher(api.gateway.keyring.with_new_key("k2"))
    assert rotate_phi(database)["appeals"] == 2
    assert set(keys_in_use(database)) == {"k2"}
    assert rotate_phi(database)["appeals"] == 0
    assert c.get(f"/v1/appeals/{appeal_id}", headers=a).json()["narrative"] == NARRATIVE.strip()
    assert "documented bruxism" in c.get(f"/v1/appeals/{appeal_id}/letter.html", headers=a).text
