"""Issue 17's done-when, end to end: a PM system registers a webhook on a loopback
receiver, creates and submits a claim through the API, the simulator answers (999, 277CA,
835), and the receiver gets signed ``claim.*`` and ``remittance.posted`` events whose
signatures verify with ``standardwebhooks`` and whose order is ``/v1/events``' order; a
receiver that was down gets every event once it answers again; a private URL is refused
without the setting."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from edigateway.api.app import create_app
from edigateway.jobs import deliver_webhooks, poll_clearinghouse, send_outbox
from edigateway.services.webhooks import SCHEDULE
from edigateway.x12.validation import Validator
from tests.factories import NOW, api_key, claim_document, settings_for, simulated_gateway


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> Any:
        return self.now


class Receiver:
    """A loopback HTTP receiver that can be down (answers 503)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.up = True
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.up:
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                self.send_response(204 if receiver.up else 503)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/edigateway"


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    served = Receiver()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.mark.slow
def test_signed_claim_and_remittance_events_reach_a_webhook_in_log_order(
    tmp_path: Path, validator: Validator, receiver: Receiver
):
    clock = Clock()
    settings = settings_for(
        tmp_path / "var", webhooks_allow_private_urls=True, webhooks_deliver_in_api=False
    )
    with (
        simulated_gateway(settings, validator, clock) as (sim, gateway),
        TestClient(create_app(gateway), base_url="http://127.0.0.1") as api,
    ):
        auth = {"Authorization": f"Bearer {api_key(gateway)}"}
        hook = _ok(
            api.post("/v1/webhooks", headers=auth, json={"url": receiver.url, "description": "PM"})
        )
        claim = _ok(api.post("/v1/claims", headers=auth, json=claim_document("05_crown_initial")))
        _ok(api.post("/v1/claims/submit", headers=auth, json={"claim_ids": [claim["id"]]}))
        deliver_webhooks(gateway)
        receiver.up = False  # down while the clearinghouse answers
        send_outbox(gateway)
        for _ in range(3):  # 999 and 277CA, then the 835
            sim.cycle()
            poll_clearinghouse(gateway)
        deliver_webhooks(gateway)
        receiver.up = True
        for delay in SCHEDULE[1:3]:
            clock.now += delay
            deliver_webhooks(gateway)
        events = _ok(api.get("/v1/events", headers=auth, params={"limit": 500}))["items"]
        log = _ok(api.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=auth))

    verifier = Webhook(hook["secret"])
    got = [verifier.verify(body, headers) for headers, body in receiver.received]
    assert [e["id"] for e in got] == [e["id"] for e in events]
    assert [h["webhook-id"] for h, _ in receiver.received] == [e["id"] for e in events]
    types = [e["type"] for e in got]
    for wanted in (
        "claim.created",
        "claim.changed",
        "claim.submitted",
        "claim.accepted",
        "remittance.posted",
    ):
        assert wanted in types, types
    assert (
        types.index("claim.submitted")
        < types.index("claim.accepted")
        < types.index("remittance.posted")
    )
    posted = next(e for e in got if e["type"] == "remittance.posted")
    assert isinstance(posted["data"]["payment_amount"], str)
    assert posted["data"]["totals"]["claims"] >= 1
    assert any(a["status_code"] == 503 for d in log["items"] for a in d["attempts"])
    assert all(d["status"] == "delivered" for d in log["items"])
    assert json.dumps(got)  # bodies are plain JSON


@pytest.mark.slow  # 1.1 s at load ~2 (inner loop < 60 s)
def test_a_private_url_is_refused_without_the_setting(
    tmp_path: Path, validator: Validator, receiver: Receiver
):
    settings = settings_for(tmp_path / "var", webhooks_deliver_in_api=False)
    with (
        simulated_gateway(settings, validator) as (_sim, gateway),
        TestClient(create_app(gateway), base_url="http://127.0.0.1") as api,
    ):
        auth = {"Authorization": f"Bearer {api_key(gateway)}"}
        for url in (
            receiver.url,
            receiver.url.replace("http:", "https:"),
            "https://169.254.169.254/latest/meta-data",
        ):
            answer = api.post("/v1/webhooks", headers=auth, json={"url": url})
            assert answer.status_code == 422, answer.text
            assert answer.json()["errors"][0]["path"] == "url"
        assert _ok(api.get("/v1/webhooks", headers=auth))["items"] == []


@pytest.mark.slow  # 1.6 s on the loaded 2-core machine
def test_events_long_poll_answers_when_an_event_arrives(tmp_path: Path, validator: Validator):
    settings = settings_for(tmp_path / "var", webhooks_deliver_in_api=False)
    with (
        simulated_gateway(settings, validator) as (_sim, gateway),
        TestClient(create_app(gateway), base_url="http://127.0.0.1") as api,
    ):
        auth = {"Authorization": f"Bearer {api_key(gateway)}"}
        start = _ok(api.get("/v1/events", headers=auth))
        assert start["items"] == []
        timer = threading.Timer(
            0.6,
            lambda: api.post("/v1/claims", headers=auth, json=claim_document("05_crown_initial")),
        )
        timer.start()
        waited = _ok(
            api.get("/v1/events", headers=auth, params={"after": start["next_cursor"], "wait": 10})
        )
        timer.join()
        assert [e["type"] for e in waited["items"]] == ["claim.created"]
        bad = api.get("/v1/events", headers=auth, params={"after": "not-a-cursor"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["path"] == "query.after"
