"""Fix and resend through the real app, SFTP on loopback and the simulator (issue 16, item
1): a ready claim is edited (``PATCH``) or cancelled; a claim the payer's 277CA rejected is
resent corrected under its own number (``POST …/resubmit``): a new claim, queued at once,
carrying the rejected claim's attachment, accepted by the simulator, while the rejected one
leaves A/R with both histories naming each other. Bad input gets problem documents and
another practice's IDs are 404."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.persistence.tables import SubmissionRow, WorkItemRow
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.submissions import submission_payload
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
UNKNOWN_MEMBER = "NOTAMEMBER1"
"""A member ID the simulator's payer does not know: its 277CA rejects the claim (A3:33)."""
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"


@dataclass
class Api:
    gateway: Gateway
    sim: Simulator
    client: TestClient
    a: dict[str, str]
    b: dict[str, str]

    def exchange(self) -> None:
        """Send the outbox, let the simulator answer, bring the answers back."""
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
    with simulated_gateway(settings_for(tmp_path), validator) as (sim, gateway):
        a = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        b = {"Authorization": f"Bearer {api_key(gateway, npi=OTHER_NPI)}"}
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
            yield Api(gateway, sim, client, a, b)


def _document(pcn: str, member_id: str | None = None) -> dict[str, Any]:
    claims = json.loads((FIXTURES / "claims" / "05_crown_initial.json").read_text())["claims"]
    document: dict[str, Any] = copy.deepcopy(claims[0]) | {"patient_control_number": pcn}
    if member_id is not None:
        document["subscriber"]["member_id"] = member_id
    return document


def _create(api: Api, document: dict[str, Any]) -> int:
    created = api.client.post("/v1/claims", json=document, headers=api.a)
    assert created.status_code == 201, created.text
    claim_id: int = created.json()["id"]
    return claim_id


def _rejected(api: Api, pcn: str) -> tuple[int, dict[str, Any]]:
    """A claim sent and rejected by the payer's 277CA (unknown member), and its document."""
    document = _document(pcn, UNKNOWN_MEMBER)
    claim_id = _create(api, document)
    submitted = api.client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=api.a)
    assert submitted.status_code == 202, submitted.text
    api.exchange()
    claim = api.client.get(f"/v1/claims/{claim_id}", headers=api.a).json()
    assert claim["state"] == "payer_rejected", claim["history"]
    return claim_id, document


def _corrected_charge(document: dict[str, Any]) -> dict[str, Any]:
    fixed = copy.deepcopy(document)
    fixed["lines"][1]["charge"] = "300.00"
    fixed["total_charge"] = "1550.00"
    return fixed


def test_a_ready_claim_is_edited_whole_and_keeps_its_id(api: Api):
    c, a = api.client, api.a
    document = _document("EDIT1001")
    claim_id = _create(api, document)
    fixed = _corrected_charge(document)
    fixed["lines"].append(
        {"procedure_code": "D0220", "charge": "35.00", "service_date": "2026-07-28"}
    )
    fixed["total_charge"] = "1585.00"
    edited = c.patch(f"/v1/claims/{claim_id}", json=fixed, headers=a)
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["id"], body["state"], body["total_charge"]) == (claim_id, "ready", "1585.00")
    detail = c.get(f"/v1/claims/{claim_id}", headers=a).json()
    assert [line["charge"] for line in detail["claim"]["lines"]] == ["1250.00", "300.00", "35.00"]
    assert "edited before sending" in detail["history"][-1]["reason"]
    again = c.patch(f"/v1/claims/{claim_id}", json=fixed, headers=a)
    assert again.status_code == 200
    assert len(c.get(f"/v1/claims/{claim_id}/history", headers=a).json()) == len(
        detail["history"]
    )  # the same content again changes nothing

    submitted = c.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=a)
    assert submitted.status_code == 202
    with api.gateway.database.transaction() as session:
        row = session.scalars(select(SubmissionRow)).one()
        text = submission_payload(session, row)
    assert "SV3*AD:D2950*300~" in text.replace("\n", "")
    assert "SV3*AD:D0220*35~" in text.replace("\n", "")
    assert (
        "queued"
        in problem_body(c.patch(f"/v1/claims/{claim_id}", json=fixed, headers=a), 409)["detail"]
    )


def test_bad_edits_are_clear_problems_and_another_practice_gets_404(api: Api):
    c, a = api.client, api.a
    document = _document("EDIT1002")
    claim_id = _create(api, document)
    renumbered = document | {"patient_control_number": "OTHER1"}
    problem = problem_body(c.patch(f"/v1/claims/{claim_id}", json=renumbered, headers=a), 422)
    assert "patient_control_number" in json.dumps(problem)
    unbalanced = _corrected_charge(document) | {"total_charge": "1.00"}
    problem = problem_body(c.patch(f"/v1/claims/{claim_id}", json=unbalanced, headers=a), 422)
    assert "total_charge" in json.dumps(problem)
    problem_body(c.patch(f"/v1/claims/{claim_id}", json={"lines": []}, headers=a), 422)
    problem_body(c.patch(f"/v1/claims/{claim_id}", json=document, headers=api.b), 404)
    problem_body(c.post(f"/v1/claims/{claim_id}/cancel", headers=api.b), 404)
    problem_body(c.post(f"/v1/claims/{claim_id}/resubmit", json=document, headers=api.b), 404)
    problem_body(c.patch("/v1/claims/999999", json=document, headers=a), 404)
    assert c.get(f"/v1/claims/{claim_id}", headers=a).json()["total_charge"] == "1540.00"


def test_cancel_a_ready_claim_once_and_never_a_queued_one(api: Api):
    c, a = api.client, api.a
    claim_id = _create(api, _document("CANC1001"))
    cancelled = c.post(f"/v1/claims/{claim_id}/cancel", json={"reason": "rescheduled"}, headers=a)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    history = c.get(f"/v1/claims/{claim_id}/history", headers=a).json()
    assert history[-1]["from"] == "ready"
    assert "rescheduled" in history[-1]["reason"]
    assert (
        "cancelled"
        in problem_body(c.post(f"/v1/claims/{claim_id}/cancel", headers=a), 409)["detail"]
    )
    problem_body(
        c.post(f"/v1/claims/{claim_id}/cancel", json={"reason": "x" * 201}, headers=a), 422
    )
    problem_body(c.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=a), 422)

    queued_id = _create(api, _document("CANC1002"))
    c.post("/v1/claims/submit", json={"claim_ids": [queued_id]}, headers=a)
    assert (
        "void" in problem_body(c.post(f"/v1/claims/{queued_id}/cancel", headers=a), 409)["detail"]
    )


@pytest.mark.slow  # 2.9 s on the loaded 2-core machine
def test_a_rejected_claim_is_resubmitted_corrected_with_its_attachment(api: Api):
    c, a = api.client, api.a
    rejected_id, document = _rejected(api, "RESUB1001")
    upload = c.post(
        f"/v1/claims/{rejected_id}/attachments",
        files={"file": ("bitewings.jpg", JPEG, "application/octet-stream")},
        data={"report_type": "RB"},
        headers=a,
    )
    assert upload.status_code == 201, upload.text  # the radiograph the payer wanted
    with api.gateway.database.transaction() as session:
        (item,) = session.scalars(
            select(WorkItemRow).where(
                WorkItemRow.claim_id == rejected_id, WorkItemRow.status == "open"
            )
        ).all()
        assert item.reason == "payer_rejected"
        item_id = item.id
    assert (
        "resubmit"
        in problem_body(c.patch(f"/v1/claims/{rejected_id}", json=document, headers=a), 409)[
            "detail"
        ]
    )

    fixed = copy.deepcopy(document)
    fixed["subscriber"]["member_id"] = "PDP100234"
    answer = c.post(
        f"/v1/claims/{rejected_id}/resubmit", json=fixed, headers=a | {"Idempotency-Key": "resub-1"}
    )
    assert answer.status_code == 202, answer.text
    body = answer.json()
    new_id = body["claim"]["id"]
    assert new_id != rejected_id
    assert body["claim"]["state"] == "queued"
    assert body["claim"]["patient_control_number"] == "RESUB1001"
    assert body["resubmission_of"] == rejected_id
    assert body["work_items_closed"] == [item_id]
    replay = c.post(
        f"/v1/claims/{rejected_id}/resubmit", json=fixed, headers=a | {"Idempotency-Key": "resub-1"}
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == body

    old = c.get(f"/v1/claims/{rejected_id}", headers=a).json()
    assert (old["state"], old["superseded_by_id"]) == ("resubmitted", new_id)
    assert f"resubmitted as claim {new_id}" in old["history"][-1]["reason"]
    new = c.get(f"/v1/claims/{new_id}", headers=a).json()
    assert any(f"resubmission of claim {rejected_id}" in step["reason"] for step in new["history"])
    assert c.get("/v1/claims", params={"state": "resubmitted"}, headers=a).json()["total"] == 1
    aging = c.get("/v1/reports/aging", headers=a).json()
    assert "RESUB1001" not in json.dumps(aging)  # neither is in A/R until the new one is sent

    again = c.post(f"/v1/claims/{rejected_id}/resubmit", json=fixed, headers=a)
    assert str(new_id) in problem_body(again, 409)["detail"]
    (moved,) = c.get(f"/v1/claims/{new_id}/attachments", headers=a).json()["items"]
    assert moved["id"] == upload.json()["id"]
    assert c.get(f"/v1/claims/{rejected_id}/attachments", headers=a).json()["items"] == []
    assert (
        "resubmitted"
        in problem_body(
            c.post(
                f"/v1/claims/{rejected_id}/attachments",
                files={"file": ("more.jpg", JPEG, "application/octet-stream")},
                data={"report_type": "RB"},
                headers=a,
            ),
            409,
        )["detail"]
    )
    api.exchange()
    assert c.get(f"/v1/claims/{new_id}", headers=a).json()["state"] in (
        "payer_accepted",
        "paid",
        "partially_paid",
        "denied",
    )


@pytest.mark.slow  # 1.2 s on the loaded 2-core machine
def test_the_rejected_claims_attachment_goes_again_with_the_resubmission(api: Api):
    c, a = api.client, api.a
    document = _document("RESUB1003", UNKNOWN_MEMBER)
    claim_id = _create(api, document)
    upload = c.post(
        f"/v1/claims/{claim_id}/attachments",
        files={"file": ("bitewings.jpg", JPEG, "application/octet-stream")},
        data={"report_type": "RB"},
        headers=a,
    )
    assert upload.status_code == 201, upload.text
    number = upload.json()["control_number"]
    c.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=a)
    api.exchange()
    assert c.get(f"/v1/claims/{claim_id}", headers=a).json()["state"] == "payer_rejected"
    fixed = copy.deepcopy(document)
    fixed["subscriber"]["member_id"] = "PDP100234"
    new_id = c.post(f"/v1/claims/{claim_id}/resubmit", json=fixed, headers=a).json()["claim"]["id"]
    (attachment,) = c.get(f"/v1/claims/{new_id}/attachments", headers=a).json()["items"]
    assert attachment["control_number"] == number
    with api.gateway.database.transaction() as session:
        last_837 = session.scalars(
            select(SubmissionRow)
            .where(SubmissionRow.kind == "837D")
            .order_by(SubmissionRow.id.desc())
        ).first()
        assert last_837 is not None
        assert f"*AC*{number}~" in submission_payload(session, last_837).replace("\n", "")


def test_resubmit_refuses_what_is_not_rejected_and_bad_claims(api: Api):
    c, a = api.client, api.a
    ready_id = _create(api, _document("RESUB1002"))
    document = _document("RESUB1002")
    assert (
        "rejected"
        in problem_body(c.post(f"/v1/claims/{ready_id}/resubmit", json=document, headers=a), 409)[
            "detail"
        ]
    )
    rejected_id, rejected = _rejected(api, "RESUB1004")
    problem_body(
        c.post(
            f"/v1/claims/{rejected_id}/resubmit",
            json=rejected | {"patient_control_number": "RESUB9999"},
            headers=a,
        ),
        422,
    )
    replacement = rejected | {"frequency": "7", "payer_claim_control_number": "X1"}
    assert "frequency" in json.dumps(
        problem_body(c.post(f"/v1/claims/{rejected_id}/resubmit", json=replacement, headers=a), 422)
    )
    problem_body(
        c.post(
            f"/v1/claims/{rejected_id}/resubmit",
            content=b"{",
            headers=a | {"Content-Type": "application/json"},
        ),
        400,
    )
    assert c.get(f"/v1/claims/{rejected_id}", headers=a).json()["state"] == "payer_rejected"


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_creating_the_claim_again_after_a_rejection_resubmits_it(api: Api):
    """A PM system that simply sends the corrected claim again under its number (as it
    would to any clearinghouse) gets a new ready claim, not "already imported"."""
    c, a = api.client, api.a
    rejected_id, document = _rejected(api, "RESUB1005")
    fixed = copy.deepcopy(document)
    fixed["subscriber"]["member_id"] = "PDP100234"
    created = c.post("/v1/claims", json=fixed, headers=a)
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "ready"
    old = c.get(f"/v1/claims/{rejected_id}", headers=a).json()
    assert (old["state"], old["superseded_by_id"]) == ("resubmitted", created.json()["id"])
    cancelled = c.post(f"/v1/claims/{created.json()['id']}/cancel", headers=a)
    assert cancelled.json()["state"] == "cancelled"
