"""Webhooks delivered from the event log to a real HTTP receiver on loopback: signed so
``standardwebhooks`` verifies them, in event order, retried on the schedule while the
receiver is down (later events wait behind), the endpoint disabled with an event when a
delivery fails for the whole schedule, and no URL that reaches the gateway's own network."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from edigateway.errors import ClaimInputError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import Practice
from edigateway.services import webhooks
from edigateway.services.events import EventType, read_events, record
from edigateway.services.practice_claims import Caller
from edigateway.transports.webhooks import UnsafeUrlError, WebhookSender, check_url

START = datetime(2026, 11, 23, 9, 0)


@dataclass
class Receiver:
    """A loopback HTTP server that keeps what it is sent and answers ``status``."""

    server: ThreadingHTTPServer
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _headers, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            current = holder[0]
            if current.status < 300:
                current.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(current.status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder[0]
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _caller(database: Database, npi: str = "1000000001") -> Caller:
    with database.transaction() as session:
        row = Practice(name="P", npi=npi, created_at=START)
        session.add(row)
        session.flush()
        return Caller(row.id, "key:test")


def _event(
    database: Database, caller: Caller, n: int, kind: EventType = EventType.CLAIM_PAID
) -> None:
    with database.transaction() as session:
        record(
            session,
            caller.practice_id,
            kind,
            f"claims/{n}",
            {"claim_id": n, "paid": "10.00"},
            at=START,
        )


@pytest.mark.slow  # 3.0 s on the loaded 2-core machine
def test_events_arrive_signed_in_order_and_after_an_outage(database: Database, receiver: Receiver):
    caller, clock = _caller(database), Clock()
    _event(database, caller, 0)  # before the endpoint: not sent
    created = webhooks.create_webhook(
        database,
        caller,
        url=receiver.url,
        event_types=[],
        description="pm",
        allow_private=True,
        now=clock(),
    )
    sender = WebhookSender(allow_private=True)
    for n in (1, 2):
        _event(database, caller, n)
    run = webhooks.deliver_due(database, sender=sender, clock=clock)
    assert run.delivered == 2
    verifier = Webhook(created.secret)
    for headers, body in receiver.received:
        payload = verifier.verify(body, headers)
        assert headers["webhook-id"] == payload["id"]
    listed = read_events(database, caller.practice_id, after=None, limit=10).items
    assert [b["id"] for b in receiver.bodies()] == [e.id for e in listed[1:]]
    assert receiver.bodies()[0] == listed[1].payload()

    # the receiver goes down: the next event is retried on the schedule, later ones wait
    receiver.status = 503
    for n in (3, 4):
        _event(database, caller, n)
    run = webhooks.deliver_due(database, sender=sender, clock=clock)
    assert (run.delivered, run.failed_attempts) == (0, 1)
    assert webhooks.deliver_due(database, sender=sender, clock=clock).failed_attempts == 0
    clock.now += timedelta(seconds=5)
    assert webhooks.deliver_due(database, sender=sender, clock=clock).failed_attempts == 1
    receiver.status = 200
    clock.now += timedelta(minutes=5)
    assert webhooks.deliver_due(database, sender=sender, clock=clock).delivered == 2
    assert [b["data"]["claim_id"] for b in receiver.bodies()] == [1, 2, 3, 4]
    log, total = webhooks.list_deliveries(database, caller, created.webhook.id, limit=10, offset=0)
    assert total == 4
    third = next(d for d in log if d.event_sequence == 4)
    assert [a.status_code for a in third.attempts] == [503, 503, 200]
    assert third.status == "delivered"

    # a manual redelivery sends the same event ID again, freshly signed
    again = webhooks.redeliver(
        database, caller, created.webhook.id, third.id, sender=sender, now=clock()
    )
    assert again.attempts[-1].trigger == "manual"
    headers, body = receiver.received[-1]
    assert verifier.verify(body, headers)["id"] == third.event_id


@pytest.mark.slow  # 2.8 s on the loaded 2-core machine
def test_an_endpoint_failing_the_whole_schedule_is_disabled_with_an_event(
    database: Database, receiver: Receiver
):
    caller, clock = _caller(database), Clock()
    created = webhooks.create_webhook(
        database,
        caller,
        url=receiver.url,
        event_types=[EventType.CLAIM_PAID],
        description="",
        allow_private=True,
        now=clock(),
    )
    other = webhooks.create_webhook(
        database,
        caller,
        url=receiver.url,
        event_types=[EventType.WEBHOOK_DISABLED],
        description="",
        allow_private=True,
        now=clock(),
    )
    sender = WebhookSender(allow_private=True)
    _event(database, caller, 1)
    _event(database, caller, 2, EventType.CLAIM_DENIED)  # not a type it takes
    receiver.status = 500
    for delay in webhooks.SCHEDULE:
        clock.now += delay
        webhooks.deliver_due(database, sender=sender, clock=clock)
    info = webhooks.get_webhook(database, caller, created.webhook.id)
    assert info.status == "disabled"
    assert "failed 8 times" in (info.disabled_reason or "")
    disabled = read_events(
        database, caller.practice_id, after=None, limit=10, types=[EventType.WEBHOOK_DISABLED]
    ).items
    assert [e.data["webhook_id"] for e in disabled] == [created.webhook.id]
    receiver.status = 204  # the other endpoint's first try failed too: retried after 5 s
    clock.now += webhooks.SCHEDULE[1]
    webhooks.deliver_due(database, sender=sender, clock=clock)
    assert [b["type"] for b in receiver.bodies()] == ["webhook.disabled"]
    assert webhooks.get_webhook(database, caller, other.webhook.id).status == "enabled"
    webhooks.enable_webhook(database, caller, created.webhook.id, now=clock())
    webhooks.deliver_due(database, sender=sender, clock=clock)
    assert [b["type"] for b in receiver.bodies()] == ["webhook.disabled", "claim.paid"]


def test_another_practice_sees_none_of_the_endpoints(database: Database, receiver: Receiver):
    a, b = _caller(database), _caller(database, "1000000002")
    created = webhooks.create_webhook(
        database, a, url=receiver.url, event_types=[], description="", allow_private=True, now=START
    )
    assert webhooks.list_webhooks(database, b) == []
    with pytest.raises(Exception, match="no webhook"):
        webhooks.get_webhook(database, b, created.webhook.id)
    with pytest.raises(Exception, match="no webhook"):
        webhooks.delete_webhook(database, b, created.webhook.id, now=START)


def _resolves_to(*addresses: str) -> Any:
    return lambda _host, _port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_urls_reaching_the_gateway_network_are_refused(address: str):
    with pytest.raises(UnsafeUrlError, match="not a public address"):
        check_url(
            "https://hooks.example.com/x",
            allow_private=False,
            resolver=_resolves_to("93.184.216.34", address),
        )
    assert (
        check_url(
            "https://hooks.example.com/x", allow_private=True, resolver=_resolves_to(address)
        ).address
        == address
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "must be https"),
        ("ftp://hooks.example.com/", "https"),
        ("https://user:pw@hooks.example.com/", "user name"),
        ("https:///nohost", "no host"),
        ("https://hooks.example.com/#frag", "fragment"),
    ],
)
def test_malformed_or_plain_http_urls_are_refused(url: str, why: str):
    with pytest.raises(UnsafeUrlError, match=why):
        check_url(url, allow_private=False, resolver=_resolves_to("93.184.216.34"))


def test_a_private_url_is_refused_at_registration_naming_the_field(
    database: Database, receiver: Receiver
):
    caller = _caller(database)
    with pytest.raises(ClaimInputError) as caught:
        webhooks.create_webhook(
            database,
            caller,
            url=receiver.url.replace("http:", "https:"),
            event_types=[],
            description="",
            allow_private=False,
            now=START,
        )
    assert caught.value.problems[0].path == "url"
    assert "127.0.0.1" in caught.value.problems[0].message


def test_a_name_that_rebinds_to_loopback_is_refused_at_delivery(
    database: Database, receiver: Receiver
):
    """DNS rebinding: public at registration, loopback at delivery — no request is made."""
    caller, clock = _caller(database), Clock()
    public = _resolves_to("93.184.216.34")
    created = webhooks.create_webhook(
        database,
        caller,
        url="https://hooks.example.com/x",
        event_types=[],
        description="",
        allow_private=False,
        now=clock(),
        resolver=public,
    )
    port = receiver.server.server_address[1]
    sender = WebhookSender(allow_private=False, resolver=lambda _h, _p: ["127.0.0.1"])
    with database.transaction() as session:  # point it at the receiver's port
        from edigateway.persistence.webhook_rows import WebhookEndpointRow

        session.get_one(
            WebhookEndpointRow, created.webhook.id
        ).url = f"https://hooks.example.com:{port}/x"
    _event(database, caller, 1)
    webhooks.deliver_due(database, sender=sender, clock=clock)
    assert receiver.received == []
    log, _total = webhooks.list_deliveries(database, caller, created.webhook.id, limit=5, offset=0)
    assert "not a public address" in (log[0].attempts[0].error or "")
