"""276/277 for a claim the 837D writer split (issue 15, item 5): the payer received its
parts (``<pcn>-1``, ``<pcn>-2``), never the parent, so the real-time 276 asks about each
part under the part's number, charge and dates, and the 277's answers for the parts are
written to the parent — its history, its one work item — as the 277CA's and 835's are.

fixtures/claims/29_full_mouth_55_lines_split.json: MSD1032, 55 lines, 6,960.00; parts
MSD1032-1 (lines 1-50) and MSD1032-2 (lines 51-55), whose charges add up to 6,960.00."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.persistence.tables import ClaimRow
from edigateway.services.claim_status import inquiries_for
from edigateway.services.claim_store import open_document
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import NOW, api_key, claim_document, settings_for, simulated_gateway

pytestmark = pytest.mark.slow  # the simulator on loopback, a 55-line claim through it


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture
def world(tmp_path: Path, validator: Validator) -> Iterator[tuple[Simulator, Gateway, TestClient]]:
    with (
        simulated_gateway(settings_for(tmp_path), validator) as (sim, gateway),
        TestClient(create_app(gateway), base_url="http://127.0.0.1") as client,
    ):
        yield sim, gateway, client


def _exchange(sim: Simulator, gateway: Gateway, *, lose_835: bool) -> None:
    profile = gateway.profile()
    with gateway.sftp_transport(profile) as transport:
        drain_outbox(gateway.database, transport, clearinghouse=profile.name, now=NOW)
        sim.cycle()
        if lose_835:
            for lost in (sim.root / "from_clearinghouse").glob("*.835"):
                lost.unlink()
        poll_inbound(
            gateway.database, transport, clearinghouse=profile.name, codes=gateway.codes, now=NOW
        )


def test_each_part_is_asked_about_and_answers_the_parent(
    world: tuple[Simulator, Gateway, TestClient],
):
    sim, gateway, client = world
    a = {"Authorization": f"Bearer {api_key(gateway)}"}
    claim = _ok(
        client.post("/v1/claims", json=claim_document("29_full_mouth_55_lines_split"), headers=a)
    )
    _ok(client.post("/v1/claims/submit", json={"claim_ids": [claim["id"]]}, headers=a))
    _exchange(sim, gateway, lose_835=True)  # the parts' 277CAs come, their 835 never does

    with gateway.database.transaction() as session:
        row = session.scalars(select(ClaimRow).where(ClaimRow.id == claim["id"])).one()
        questions = inquiries_for(open_document(session, row), row, gateway.settings, "CS1")
    assert [(part, q.trace_number) for part, q in questions] == [
        ("MSD1032-1", "CS1-1"),
        ("MSD1032-2", "CS1-2"),
    ]
    assert [q.patient_control_number for _, q in questions] == ["MSD1032-1", "MSD1032-2"]
    assert sum((q.total_charge for _, q in questions), Decimal(0)) == Decimal("6960.00")

    answer = _ok(client.post("/v1/claim-status", json={"claim_id": claim["id"]}, headers=a))
    assert answer["claim_id"] == claim["id"]
    assert answer["patient_control_number"] == "MSD1032"
    assert answer["outcome"] == "paid"  # the payer has both parts (not "not found")
    assert "part MSD1032-1: paid" in answer["message"]
    assert "part MSD1032-2: paid" in answer["message"]

    history = _ok(client.get(f"/v1/claims/{claim['id']}/history", headers=a))
    (note,) = [s["reason"] for s in history if s["reason"].startswith("277 ")]
    assert "part MSD1032-1" in note
    assert "part MSD1032-2" in note
    items = [
        i
        for i in _ok(client.get("/v1/workqueue", headers=a))["items"]
        if i["reason"] == "claim_status"
    ]
    assert [i["claim"] for i in items] == ["MSD1032"]  # one item, on the parent
