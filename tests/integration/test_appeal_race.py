"""Exactly once under concurrent clients, for an appeal's once-only steps (issue 16,
item 3): uvicorn on loopback, clients released together at ``POST /v1/appeals/{id}/sent``
and then at ``…/outcome`` of the same appeal, on SQLite and — when
``EDIGATEWAY_TEST_DATABASE_URL`` is set — PostgreSQL, where the requests really run side
by side. One wins each time (200), the others get the 409 a sequential retry gets, nobody
a 5xx; the claim moves to ``appealed`` once, one ``sent`` and one ``decided`` event, one
denial item reopened by the lost appeal."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import func, select

from edigateway.domain.claim_lifecycle import Cause, ClaimState
from edigateway.persistence.claim_rows import Move, transition
from edigateway.persistence.event_rows import EventRow
from edigateway.persistence.tables import ClaimRow, ClaimStateRow, WorkItemRow
from tests.factories import NOW
from tests.integration.test_concurrency_api import (
    CLIENTS,
    Server,
    _claim,
    _statuses,
    _together,
    server,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["server"]  # the fixture, shared with the other races

pytestmark = pytest.mark.slow  # uvicorn and many clients released together, per backend


def _denied(server: Server, pcn: str) -> int:
    """A claim created and queued through the API, then sent and denied by an 835."""
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        claim_id: int = client.post("/v1/claims", json=_claim(pcn)).json()["id"]
        client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}).raise_for_status()
    with server.gateway.database.transaction() as session:
        row = session.get_one(ClaimRow, claim_id)
        _move(session, row, ClaimState.SUBMITTED, Cause("system", "uploaded"))
        _move(session, row, ClaimState.CH_ACCEPTED, Cause("file", "277CA A1", file="x.277"))
        _move(session, row, ClaimState.DENIED, Cause("file", "835 CLP02=4", file="x.835"))
    return claim_id


def _move(session: Session, row: ClaimRow, target: ClaimState, cause: Cause) -> None:
    transition(session, [Move(row, target, cause)], now=NOW)


def _changes(server: Server, appeal_id: int) -> Counter[str]:
    with server.gateway.database.transaction() as session:
        payloads = session.scalars(
            select(EventRow.data).where(EventRow.subject == f"appeals/{appeal_id}")
        )
        return Counter(json.loads(p)["change"] for p in payloads)


def test_concurrent_sends_and_outcomes_of_one_appeal_happen_once(server: Server):
    claim_id = _denied(server, "RACE3001")
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        made = client.post(
            f"/v1/claims/{claim_id}/appeals",
            json={"reason": "not_covered", "narrative": "covered under the plan's rider"},
        )
    assert made.status_code == 201, made.text
    appeal_id = made.json()["id"]

    sent = _together(
        server,
        lambda c, i: c.post(
            f"/v1/appeals/{appeal_id}/sent", json={"method": ("fax", "mail")[i % 2]}
        ),
    )
    assert _statuses(sent) == Counter({200: 1, 409: CLIENTS - 1}), [r.text for r in sent]
    (winner,) = [r.json() for r in sent if r.status_code == 200]
    assert {r.json()["detail"] for r in sent if r.status_code == 409} == {
        f"appeal {appeal_id} was sent already on {winner['sent_on']} ({winner['sent_method']})"
    }

    decided = _together(
        server,
        lambda c, i: c.post(
            f"/v1/appeals/{appeal_id}/outcome", json={"outcome": ("lost", "won")[i % 2]}
        ),
    )
    assert _statuses(decided) == Counter({200: 1, 409: CLIENTS - 1}), [r.text for r in decided]
    (outcome,) = [r.json()["outcome"] for r in decided if r.status_code == 200]
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        retry = client.post(f"/v1/appeals/{appeal_id}/outcome", json={"outcome": "won"})
        kept = client.get(f"/v1/appeals/{appeal_id}").json()
    assert retry.status_code == 409
    assert {r.json()["detail"] for r in decided if r.status_code == 409} == {retry.json()["detail"]}
    assert (kept["outcome"], kept["sent_method"]) == (outcome, winner["sent_method"])

    assert _changes(server, appeal_id) == Counter({"created": 1, "sent": 1, "decided": 1})
    with server.gateway.database.transaction() as session:
        moves = session.scalar(
            select(func.count())
            .select_from(ClaimStateRow)
            .where(
                ClaimStateRow.claim_id == claim_id,
                ClaimStateRow.state == "appealed",
                ClaimStateRow.previous_state == "denied",
            )
        )
        reopened = session.scalar(
            select(func.count())
            .select_from(WorkItemRow)
            .where(
                WorkItemRow.claim_id == claim_id,
                WorkItemRow.status == "open",
                WorkItemRow.reason == "denied",
            )
        )
    assert moves == 1
    assert reopened == (1 if outcome == "lost" else 0)
