"""Raw X12 downloads (issue 17, item 4) through the app and the simulator: the 837D as sent
and the 835 as received, byte for byte, audited, for the practice whose records they carry
only — another practice gets 404 like a missing file, a file shared by two practices 409 for
both, a key without ``transmissions:read`` 403."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.domain.claims import ClaimBatch
from edigateway.persistence import inbound_rows
from edigateway.persistence.tables import InboundFileChunkRow, InboundFileRow
from edigateway.services.access import audit_events
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.submissions import queue_837d
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import NOW, api_key, claim_document, settings_for, simulated_gateway

PRACTICE_A = "1456789019"
PRACTICE_B = "1234567893"


@dataclass
class Api:
    sim: Simulator
    gateway: Gateway
    client: TestClient
    a: dict[str, str]
    b: dict[str, str]

    def exchange(self) -> None:
        """Upload the outbox, let the simulator answer, bring the answers back."""
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


@pytest.fixture
def api(tmp_path: Path, validator: Validator) -> Iterator[Api]:
    with simulated_gateway(settings_for(tmp_path), validator) as (sim, gateway):
        a = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_A)}"}
        b = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_B)}"}
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
            yield Api(sim, gateway, client, a, b)


def _b_claim(pcn: str = "BRD3003") -> dict[str, Any]:
    claim = claim_document("03_extraction_simple")
    claim["patient_control_number"] = pcn
    claim["billing_provider"].update(npi=PRACTICE_B, organization_name="BIRCH ROAD DENTAL")
    return claim


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def _x12(response: httpx.Response) -> bytes:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/edi-x12"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"].startswith('attachment; filename="')
    body = response.content
    assert response.headers["x-content-sha256"] == hashlib.sha256(body).hexdigest()
    assert body.startswith(b"ISA")
    return body


def _problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail: str = response.json()["detail"]
    return detail


def test_sent_and_received_files_as_exchanged_for_their_practice_only(api: Api):
    c, a, b = api.client, api.a, api.b
    claim = _ok(c.post("/v1/claims", json=claim_document("05_crown_initial"), headers=a))
    _ok(c.post("/v1/claims/submit", json={"claim_ids": [claim["id"]]}, headers=a))
    api.exchange()

    (sent,) = _ok(c.get("/v1/transmissions", headers=a))["items"]
    body = _x12(c.get(f"/v1/transmissions/{sent['id']}/content", headers=a))
    text = body.decode()
    assert f"*{sent['interchange_control_number']}*" in text.split("~", 1)[0]  # ISA13
    assert "ST*837*" in text
    assert f"CLM*{claim['patient_control_number']}*" in text
    assert text.rstrip().endswith(f"IEA*1*{sent['interchange_control_number']}~")
    assert (
        sent["file_name"]
        in c.get(f"/v1/transmissions/{sent['id']}/content", headers=a).headers[
            "content-disposition"
        ]
    )

    (received,) = _ok(c.get("/v1/received-files", headers=a))["items"]
    era = _x12(c.get(f"/v1/received-files/{received['id']}/content", headers=a))
    assert hashlib.sha256(era).hexdigest() == received["sha256"]  # the bytes as they came
    assert b"ST*835*" in era
    assert f"CLP*{claim['patient_control_number']}*".encode() in era

    # another practice's files are not found, exactly like missing ones
    for path in (
        f"/v1/transmissions/{sent['id']}/content",
        f"/v1/received-files/{received['id']}/content",
    ):
        mine = _problem(c.get(path, headers=b), 404)
        missing = _problem(
            c.get(path.replace(f"/{path.split('/')[3]}/", f"/{2**31 - 1}/"), headers=b), 404
        )
        assert mine.replace(path.split("/")[3], "ID") == missing.replace(str(2**31 - 1), "ID")

    # acknowledgments are listed to no practice: not downloadable either
    with api.gateway.database.transaction() as session:
        acks = list(session.scalars(select(InboundFileRow.id).where(InboundFileRow.kind != "835")))
    assert acks, "the simulator answered with a 999 and a 277CA"
    for ack in acks:
        _problem(c.get(f"/v1/received-files/{ack}/content", headers=a), 404)

    # each download is audited, without PHI
    events = [
        e
        for e in audit_events(
            api.gateway.database, start=NOW - timedelta(days=1), end=NOW + timedelta(days=1)
        )
        if e.resource in ("transmission_x12", "received_file_x12")
    ]
    assert {(e.resource, e.resource_id) for e in events} == {
        ("transmission_x12", str(sent["id"])),
        ("received_file_x12", str(received["id"])),
    }
    assert all(e.action == "read" and e.actor.startswith("key:") for e in events)


def test_a_received_file_kept_in_many_pieces_streams_back_exactly(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    """The 835 kept in 64-byte pieces (migration 0018) comes back byte for byte, its length
    and hash sent first; a piece altered afterwards ends the answer short, never a file
    with a wrong piece in it."""
    monkeypatch.setattr(inbound_rows, "FILE_CHUNK", 64)
    c, a = api.client, api.a
    claim = _ok(c.post("/v1/claims", json=claim_document("05_crown_initial"), headers=a))
    _ok(c.post("/v1/claims/submit", json={"claim_ids": [claim["id"]]}, headers=a))
    api.exchange()
    (received,) = _ok(c.get("/v1/received-files", headers=a))["items"]
    path = f"/v1/received-files/{received['id']}/content"
    answer = c.get(path, headers=a)
    era = _x12(answer)
    assert hashlib.sha256(era).hexdigest() == received["sha256"]
    assert answer.headers["content-length"] == str(len(era))
    with api.gateway.database.transaction() as session:
        pieces = session.scalars(
            select(InboundFileChunkRow.sealed)
            .where(InboundFileChunkRow.inbound_file_id == received["id"])
            .order_by(InboundFileChunkRow.seq)
        ).all()
        assert len(pieces) == -(-len(era) // 64) > 3
        session.execute(
            update(InboundFileChunkRow)
            .where(
                InboundFileChunkRow.inbound_file_id == received["id"],
                InboundFileChunkRow.seq == 2,
            )
            .values(sealed=pieces[3])
        )
    # the PhiError reaches the app's error handler after the headers went out: no problem
    # document can follow, the answer ends there (the test client raises what the server
    # would end the connection with)
    with pytest.raises(RuntimeError, match="response already started"):
        c.get(path, headers=a)


@pytest.mark.slow  # 1.6 s on the loaded 2-core machine
def test_a_file_shared_by_two_practices_is_handed_to_neither(api: Api):
    """A CLI batch with both practices' claims goes out as one 837D, and its 835 pays both:
    each practice lists the files (its own payments and claims) but cannot download them."""
    c, a, b = api.client, api.a, api.b
    batch = ClaimBatch.model_validate({"claims": [claim_document("05_crown_initial"), _b_claim()]})
    queue_837d(
        api.gateway.database,
        batch,
        settings=api.gateway.settings,
        clearinghouse=api.gateway.profile(),
        numbers=api.gateway.control_numbers,
        now=NOW,
    )
    api.exchange()
    for headers in (a, b):
        (sent,) = _ok(c.get("/v1/transmissions", headers=headers))["items"]
        detail = _problem(c.get(f"/v1/transmissions/{sent['id']}/content", headers=headers), 409)
        assert "another practice's claims" in detail
        (received,) = _ok(c.get("/v1/received-files", headers=headers))["items"]
        assert len(received["remittance_ids"]) == 1  # one 835, each practice's payment
        detail = _problem(
            c.get(f"/v1/received-files/{received['id']}/content", headers=headers), 409
        )
        assert "another practice's payments" in detail


@pytest.mark.slow  # 1.7 s on the loaded 2-core machine
def test_downloads_need_the_transmissions_scope(api: Api):
    c = api.client
    reader = {
        "Authorization": "Bearer "
        + api_key(api.gateway, npi=PRACTICE_A, scopes="claims:read", name="reader")
    }
    for path in ("/v1/transmissions/1/content", "/v1/received-files/1/content"):
        _problem(c.get(path, headers=reader), 403)
        _problem(c.get(path), 401)
        _problem(c.get(path.replace("/1/", "/0/"), headers=api.a), 422)
