"""``edigateway serve`` works without cron (issue 16, item 1): with the scheduler on (as
``serve`` runs it, here with one-second intervals), a claim queued through the API is
uploaded by the gateway itself, and the simulator's answers are collected and applied by
it too; the jobs are the workers' (send_outbox, poll_clearinghouse, the claim-status
follow-up). Waits are bounded by a deadline, never asserted as durations."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.api.scheduler import jobs
from edigateway.x12.validation import Validator
from tests.factories import FIXTURES, PRACTICE_NPI, api_key, settings_for, simulated_gateway

pytestmark = pytest.mark.slow  # rounds a second apart, a simulator on loopback

DEADLINE = 30.0


def _wait_for(read_state: object, wanted: set[str]) -> str:
    assert callable(read_state)
    end = time.monotonic() + DEADLINE
    state = str(read_state())
    while state not in wanted and time.monotonic() < end:
        time.sleep(0.1)
        state = str(read_state())
    return state


def test_serve_sends_and_polls_by_itself(tmp_path: Path, validator: Validator):
    settings = settings_for(
        tmp_path, schedule_send_seconds=1, schedule_poll_seconds=1, schedule_status_minutes=60
    )
    with simulated_gateway(settings, validator) as (sim, gateway):
        names = [job.name for job in jobs(gateway, exchange=True)]
        assert names == [
            "deliver_webhooks",
            "send_outbox",
            "poll_clearinghouse",
            "follow_up_claim_status",
            "open_appeal_reminders",
        ]
        assert [job.name for job in jobs(gateway, exchange=False)] == ["deliver_webhooks"]
        headers = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        with TestClient(create_app(gateway, schedule=True), base_url="http://127.0.0.1") as client:
            claim = json.loads((FIXTURES / "claims" / "05_crown_initial.json").read_text())
            created = client.post("/v1/claims", json=claim["claims"][0], headers=headers)
            claim_id = created.json()["id"]
            submitted = client.post(
                "/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=headers
            )
            assert submitted.status_code == 202, submitted.text

            def state() -> str:
                found: str = client.get(f"/v1/claims/{claim_id}", headers=headers).json()["state"]
                return found

            assert _wait_for(state, {"submitted"}) == "submitted"  # the sender's round
            sim.cycle()  # the clearinghouse answers: 999, 277CA, 835
            answered = _wait_for(state, {"paid", "partially_paid", "denied"})
            assert answered in {"paid", "partially_paid", "denied"}  # the poller's rounds
            history = client.get(f"/v1/claims/{claim_id}/history", headers=headers).json()
            assert [step["to"] for step in history][:4] == [
                "ready",
                "queued",
                "submitted",
                "ch_accepted",
            ]
