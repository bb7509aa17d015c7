"""Claim attachments through the real app, SFTP on loopback and the simulator (issue 16,
item 2): upload (multipart, sealed, typed by content, capped), list, read, download and
delete; the 837D carries ``PWK*RB*EL***AC*<number>`` and the simulator receives the 275,
acknowledges it (999) and records which claim it supports; a payer that takes no 275 gets
``PWK*<type>*BM`` and the packet; another practice's IDs are 404."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.persistence.tables import ClaimAttachmentRow, SubmissionRow
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.submissions import submission_payload
from edigateway.sim.runner import Simulator
from edigateway.x12.envelope import x12_text_of
from edigateway.x12.validation import Validator
from edigateway.x12.x275_005010X210 import read_275
from tests.factories import FIXTURES, NOW, PRACTICE_NPI, api_key, settings_for, simulated_gateway

OTHER_NPI = "1234567893"
LIMIT = 64 << 10
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"~*:^\n\xff\xd9"
"""A radiograph's bytes as far as the gateway can tell: JPEG magic, then every byte value
(delimiters included)."""
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


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
    settings = settings_for(tmp_path, attachment_max_bytes=LIMIT)
    with simulated_gateway(settings, validator) as (sim, gateway):
        a = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        b = {"Authorization": f"Bearer {api_key(gateway, npi=OTHER_NPI)}"}
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
            yield Api(gateway, sim, client, a, b)


def _create(api: Api, name: str, pcn: str) -> int:
    claims = json.loads((FIXTURES / "claims" / f"{name}.json").read_text())["claims"]
    document = claims[0] | {"patient_control_number": pcn}
    created = api.client.post("/v1/claims", json=document, headers=api.a)
    assert created.status_code == 201, created.text
    claim_id: int = created.json()["id"]
    return claim_id


def _upload(
    api: Api,
    claim_id: int,
    data: bytes,
    report_type: str = "RB",
    name: str = "bitewings.jpg",
    headers: dict[str, str] | None = None,
) -> Any:
    return api.client.post(
        f"/v1/claims/{claim_id}/attachments",
        files={"file": (name, data, "application/octet-stream")},
        data={"report_type": report_type},
        headers=headers or api.a,
    )


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.slow  # 1.6 s on the loaded 2-core machine
def test_upload_list_read_download_and_delete(api: Api):
    c, a = api.client, api.a
    claim_id = _create(api, "05_crown_initial", "ATT1001")
    up = _upload(api, claim_id, JPEG)
    assert up.status_code == 201, up.text
    body = up.json()
    assert body["media_type"] == "image/jpeg"
    assert body["report_type"] == "RB"
    assert body["control_number"] == f"A{PRACTICE_NPI}-{body['id']:06d}"
    assert body["size"] == len(JPEG)
    assert body["transmission"] is None
    second = _upload(api, claim_id, PDF, "B4", "narrative.pdf").json()

    listed = c.get(f"/v1/claims/{claim_id}/attachments", headers=a).json()["items"]
    assert [i["id"] for i in listed] == [body["id"], second["id"]]
    assert listed[1]["file_name"] == "narrative.pdf"
    assert c.get(f"/v1/attachments/{body['id']}", headers=a).json() == body
    content = c.get(f"/v1/attachments/{body['id']}/content", headers=a)
    assert content.status_code == 200
    assert content.content == JPEG
    assert content.headers["content-type"] == "image/jpeg"
    with api.gateway.database.transaction() as session:  # sealed at rest
        row = session.get(ClaimAttachmentRow, body["id"])
        assert row is not None
        assert row.content.startswith("v1.")
        assert b"JFIF" not in row.content.encode()
        assert "bitewings" not in row.file_name

    assert c.delete(f"/v1/attachments/{second['id']}", headers=a).status_code == 204
    _problem(c.get(f"/v1/attachments/{second['id']}", headers=a), 404)


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_bad_uploads_are_clear_problems(api: Api):
    claim_id = _create(api, "05_crown_initial", "ATT1002")
    text = _problem(_upload(api, claim_id, b"just words, no image", name="xray.jpg"), 415)
    assert "JPEG, PNG, TIFF or PDF" in text["detail"]
    errors = _problem(_upload(api, claim_id, JPEG, "ZZ"), 422)
    assert "report_type" in json.dumps(errors)
    _problem(_upload(api, claim_id, b""), 422)
    huge = _problem(_upload(api, claim_id, JPEG + bytes(LIMIT)), 413)
    assert "bytes" in huge["detail"]
    missing = api.client.post(
        f"/v1/claims/{claim_id}/attachments", data={"report_type": "RB"}, headers=api.a
    )
    _problem(missing, 422)
    _problem(_upload(api, 999_999, JPEG), 404)


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_another_practice_gets_404_everywhere(api: Api):
    c, b = api.client, api.b
    claim_id = _create(api, "05_crown_initial", "ATT1003")
    attachment_id = _upload(api, claim_id, JPEG).json()["id"]
    _problem(_upload(api, claim_id, JPEG, headers=b), 404)
    _problem(c.get(f"/v1/claims/{claim_id}/attachments", headers=b), 404)
    _problem(c.get(f"/v1/claims/{claim_id}/attachments/packet", headers=b), 404)
    _problem(c.get(f"/v1/attachments/{attachment_id}", headers=b), 404)
    _problem(c.get(f"/v1/attachments/{attachment_id}/content", headers=b), 404)
    _problem(c.delete(f"/v1/attachments/{attachment_id}", headers=b), 404)
    assert c.get(f"/v1/attachments/{attachment_id}", headers=api.a).status_code == 200


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_claim_goes_with_pwk_el_and_the_simulator_receives_and_acks_the_275(api: Api):
    c, a = api.client, api.a
    claim_id = _create(api, "05_crown_initial", "ATT2001")
    attachment = _upload(api, claim_id, JPEG).json()
    number = attachment["control_number"]
    submitted = c.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=a)
    assert submitted.status_code == 202, submitted.text
    with api.gateway.database.transaction() as session:
        rows = list(session.scalars(select(SubmissionRow).order_by(SubmissionRow.id)))
        assert [r.kind for r in rows] == ["837D", "275"]
        claim_file = submission_payload(session, rows[0])
        attachment_file = submission_payload(session, rows[1]).encode("utf-8", "surrogateescape")
    assert f"PWK*RB*EL***AC*{number}~" in claim_file
    (sent,) = read_275(attachment_file, name="275")
    assert sent.data == JPEG
    assert sent.control_number == number
    assert sent.patient_control_number == "ATT2001"

    api.exchange()
    received = api.sim.clearinghouse.state.attachments[number]
    assert received["patient_control_number"] == "ATT2001"
    assert received["size"] == len(JPEG)
    acks = sorted((api.sim.clearinghouse.root / "received").iterdir())
    assert any(p.name.endswith(".275") for p in acks)
    with api.gateway.database.transaction() as session:
        sent_row = session.scalars(select(SubmissionRow).where(SubmissionRow.kind == "275")).one()
        assert sent_row.status == "sent"
        assert sent_row.ack_status == "accepted"
    after = c.get(f"/v1/attachments/{attachment['id']}", headers=a).json()
    assert after["transmission"] == "EL"
    assert after["sent_at"] is not None
    _problem(c.delete(f"/v1/attachments/{attachment['id']}", headers=a), 409)


def test_a_payer_without_275_gets_pwk_bm_and_the_packet(api: Api):
    c, a = api.client, api.a
    claim_id = _create(api, "09_complete_dentures", "ATT3001")  # ILMCD: no 275
    first = _upload(api, claim_id, JPEG, "RB").json()
    second = _upload(api, claim_id, PDF, "B4", "narrative.pdf").json()
    assert c.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=a).status_code == 202
    with api.gateway.database.transaction() as session:
        rows = list(session.scalars(select(SubmissionRow)))
        assert [r.kind for r in rows] == ["837D"]
        claim_file = submission_payload(session, rows[0])
    assert f"PWK*RB*BM***AC*{first['control_number']}~" in claim_file
    assert f"PWK*B4*BM***AC*{second['control_number']}~" in claim_file
    packet = c.get(f"/v1/claims/{claim_id}/attachments/packet", headers=a)
    assert packet.status_code == 200
    assert packet.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packet.content)) as archive:
        names = archive.namelist()
        cover = archive.read("00-cover-sheet.txt").decode()
        assert archive.read(names[1]) == JPEG
        assert archive.read(names[2]) == PDF
    assert "ATT3001" in cover
    assert first["control_number"] in cover
    assert second["control_number"] in cover
    assert c.get(f"/v1/attachments/{first['id']}", headers=a).json()["transmission"] == "BM"


def test_the_837d_with_pwk_and_the_275_are_valid(api: Api, validator: Validator):
    claim_id = _create(api, "05_crown_initial", "ATT4001")
    _upload(api, claim_id, JPEG)
    api.client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=api.a)
    with api.gateway.database.transaction() as session:
        for row in session.scalars(select(SubmissionRow)):
            raw = submission_payload(session, row).encode("utf-8", "surrogateescape")
            verdict = validator.validate_bytes(raw, row.file_name, today=NOW.date())
            assert verdict.valid, (row.kind, verdict.errors)
            assert x12_text_of(raw).read(3) == "ISA"
