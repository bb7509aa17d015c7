"""Exactly once under concurrent clients: uvicorn on loopback, N clients released together
at submit (no key, one shared key) and at claim creation (one key, different bodies), on
SQLite and — when ``EDIGATEWAY_TEST_DATABASE_URL`` is set — PostgreSQL, where requests
really run side by side. Whatever the interleaving, a claim is queued in one 837D, one
claim is created, nobody gets a 5xx, and the answers are the ones sequential retries get.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.errors import InputError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ClaimRow, SubmissionClaimRow, SubmissionRow
from edigateway.services.access import create_key
from edigateway.services.claims import load_claim_file
from edigateway.services.control_numbers import DatabaseControlNumbers
from edigateway.services.submissions import Queued, queue_837d
from edigateway.settings import Settings
from tests.factories import NOW, REPO

pytestmark = pytest.mark.slow  # uvicorn and many clients released together, per backend

PRACTICE = "1456789019"  # the fixtures' billing provider
CLIENTS = 8


@dataclass
class Server:
    base: str
    headers: dict[str, str]
    gateway: Gateway


@pytest.fixture
def server(database: Database, tmp_path: Path) -> Iterator[Server]:
    import uvicorn

    gateway = bootstrap(
        Settings(data_dir=tmp_path, mappings_dir=REPO / "mappings"),
        clock=lambda: NOW,
        database=database,
    )
    token = create_key(
        database,
        practice=PRACTICE,
        scopes="admin",
        name="race",
        keyring=gateway.keyring,
        now=NOW,
        create_name="MAPLE",
    ).token
    instance = uvicorn.Server(
        uvicorn.Config(create_app(gateway), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    port = instance.servers[0].sockets[0].getsockname()[1]
    yield Server(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}, gateway)
    instance.should_exit = True
    thread.join()


def _claim(pcn: str | None = None) -> dict[str, Any]:
    document = json.loads((REPO / "fixtures/claims/05_crown_initial.json").read_text())
    claim: dict[str, Any] = document["claims"][0]
    if pcn is not None:
        claim["patient_control_number"] = pcn
    return claim


def _together(
    server: Server, send: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """``CLIENTS`` clients, each with its own connection, released at one barrier."""
    barrier = threading.Barrier(CLIENTS)

    def one(index: int) -> httpx.Response:
        with httpx.Client(base_url=server.base, headers=server.headers, timeout=60) as client:
            client.get("/v1/claims", params={"limit": 1}).raise_for_status()  # connected
            barrier.wait()
            return send(client, index)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def _created(server: Server) -> int:
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        answer = client.post("/v1/claims", json=_claim())
    assert answer.status_code == 201, answer.text
    claim_id: int = answer.json()["id"]
    return claim_id


def _files_of(server: Server, claim_id: int) -> int:
    with server.gateway.database.transaction() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(SubmissionClaimRow)
                .where(SubmissionClaimRow.claim_id == claim_id)
            )
            or 0
        )


def test_concurrent_submits_without_a_key_queue_the_claim_once(server: Server):
    claim_id = _created(server)
    responses = _together(
        server, lambda c, _i: c.post("/v1/claims/submit", json={"claim_ids": [claim_id]})
    )
    statuses = _statuses(responses)
    assert statuses == Counter({202: 1, 422: CLIENTS - 1}), [r.text for r in responses]
    assert _files_of(server, claim_id) == 1
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        retry = client.post("/v1/claims/submit", json={"claim_ids": [claim_id]})
    assert retry.status_code == 422
    losers = {r.json()["detail"] for r in responses if r.status_code == 422}
    assert losers == {retry.json()["detail"]}
    assert f"claim {claim_id} is queued, not ready" in retry.json()["detail"]


def test_concurrent_submits_with_one_key_queue_once_and_replay(server: Server):
    claim_id = _created(server)
    key = {"Idempotency-Key": "submit-once"}
    responses = _together(
        server,
        lambda c, _i: c.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=key),
    )
    assert _statuses(responses) == Counter({202: CLIENTS}), [r.text for r in responses]
    assert [r.headers.get("Idempotent-Replayed") for r in responses].count("true") == CLIENTS - 1
    assert len({r.text for r in responses}) == 1
    assert _files_of(server, claim_id) == 1
    with server.gateway.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SubmissionRow)) == 1
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        retry = client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=key)
    assert (retry.status_code, retry.text) == (202, responses[0].text)


def test_one_key_with_different_bodies_creates_one_claim(server: Server):
    key = {"Idempotency-Key": "create-once"}
    responses = _together(
        server, lambda c, i: c.post("/v1/claims", json=_claim(f"RACE{i:03d}"), headers=key)
    )
    assert _statuses(responses) == Counter({201: 1, 422: CLIENTS - 1}), [r.text for r in responses]
    with server.gateway.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ClaimRow)) == 1
    (winner,) = [i for i, r in enumerate(responses) if r.status_code == 201]
    loser = next(i for i in range(CLIENTS) if i != winner)
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        replay = client.post("/v1/claims", json=_claim(f"RACE{winner:03d}"), headers=key)
        refused = client.post("/v1/claims", json=_claim(f"RACE{loser:03d}"), headers=key)
    assert (replay.status_code, replay.json()) == (201, responses[winner].json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert refused.status_code == 422
    assert {r.json()["detail"] for r in responses if r.status_code == 422} == {
        refused.json()["detail"]
    }


def test_concurrent_file_submits_of_a_stored_claim_queue_it_once(server: Server):
    """`claims submit FILE` (queue_837d) finds the claim already stored, unchanged: it is
    queued by whichever transaction moves it first; the others are refused."""
    claim_id = _created(server)
    gateway, barrier = server.gateway, threading.Barrier(CLIENTS)
    batch = load_claim_file(REPO / "fixtures/claims/05_crown_initial.json")

    def one(_index: int) -> Queued | InputError:
        barrier.wait()
        try:
            return queue_837d(
                gateway.database,
                batch,
                settings=gateway.settings,
                clearinghouse=gateway.profile(),
                now=NOW,
                numbers=DatabaseControlNumbers(lambda: gateway.database),
            )
        except InputError as exc:
            return exc

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(one, range(CLIENTS)))
    assert [r.claim_ids for r in results if isinstance(r, Queued)] == [(claim_id,)]
    refusals = {str(r) for r in results if isinstance(r, InputError)}
    assert len(refusals) == 1
    assert refusals.pop().startswith(f"claim {claim_id} is queued, not ready")
    assert _files_of(server, claim_id) == 1


def test_concurrent_creates_of_one_claim_without_a_key_store_it_once(server: Server):
    """Claim creation is idempotent by content, also when the requests run side by side:
    one row, and every client gets that row's ID."""
    responses = _together(server, lambda c, _i: c.post("/v1/claims", json=_claim("SAME01")))
    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    with server.gateway.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ClaimRow)) == 1


def test_first_submits_of_different_claims_at_once_share_the_new_counter(server: Server):
    """The sender's control-number row is created by the first submit; submits arriving
    together before it exists all succeed, each with its own ISA13."""
    claim_ids = [_created_as(server, f"FIRST{i:02d}") for i in range(CLIENTS)]
    responses = _together(
        server, lambda c, i: c.post("/v1/claims/submit", json={"claim_ids": [claim_ids[i]]})
    )
    assert _statuses(responses) == Counter({202: CLIENTS}), [r.text for r in responses]
    with server.gateway.database.transaction() as session:
        numbers = list(session.scalars(select(SubmissionRow.interchange_control_number)))
    assert len(numbers) == len(set(numbers)) == CLIENTS


def _created_as(server: Server, pcn: str) -> int:
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        answer = client.post("/v1/claims", json=_claim(pcn))
    assert answer.status_code == 201, answer.text
    claim_id: int = answer.json()["id"]
    return claim_id
