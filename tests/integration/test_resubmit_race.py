"""Exactly once under concurrent clients, for resubmitting a rejected claim (issue 16,
item 1): uvicorn on loopback, clients released together at ``POST …/resubmit`` of the
same rejected claim, on SQLite and — when ``EDIGATEWAY_TEST_DATABASE_URL`` is set —
PostgreSQL, where the requests really run side by side. One wins (202), the others get
the 409 a sequential retry gets, nobody a 5xx; one new claim, one 837D."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import func, select

from edigateway.domain.claim_lifecycle import Cause, ClaimState
from edigateway.persistence.claim_rows import Move, transition
from edigateway.persistence.tables import ClaimRow, SubmissionClaimRow
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


def _rejected(server: Server, pcn: str) -> int:
    """A claim created and queued through the API, then sent and rejected by a 999."""
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        claim_id: int = client.post("/v1/claims", json=_claim(pcn)).json()["id"]
        client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}).raise_for_status()
    with server.gateway.database.transaction() as session:
        row = session.get_one(ClaimRow, claim_id)
        _move(session, row, ClaimState.SUBMITTED, "uploaded")
        _move(session, row, ClaimState.CH_REJECTED, "999 IK5*R (segment 12)")
    return claim_id


def _move(session: Session, row: ClaimRow, target: ClaimState, text: str) -> None:
    transition(session, [Move(row, target, Cause("file", text, file="x.999"))], now=NOW)


def test_concurrent_resubmits_of_one_rejected_claim_make_one_new_claim(server: Server):
    rejected_id = _rejected(server, "RACE2001")
    corrected = _claim("RACE2001")
    corrected["subscriber"]["group_number"] = "GRP4411"
    responses = _together(
        server, lambda c, _i: c.post(f"/v1/claims/{rejected_id}/resubmit", json=corrected)
    )
    assert _statuses(responses) == Counter({202: 1, 409: CLIENTS - 1}), [r.text for r in responses]
    (winner,) = [r.json() for r in responses if r.status_code == 202]
    new_id = winner["claim"]["id"]
    with server.gateway.database.transaction() as session:
        rows = list(
            session.scalars(
                select(ClaimRow)
                .where(ClaimRow.patient_control_number == "RACE2001")
                .order_by(ClaimRow.id)
            )
        )
        assert [(r.id, r.state, r.superseded_by_id) for r in rows] == [
            (rejected_id, "resubmitted", new_id),
            (new_id, "queued", None),
        ]
        assert (
            session.scalar(
                select(func.count())
                .select_from(SubmissionClaimRow)
                .where(SubmissionClaimRow.claim_id == new_id)
            )
            == 1
        )
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        retry = client.post(f"/v1/claims/{rejected_id}/resubmit", json=corrected)
    assert retry.status_code == 409
    assert {r.json()["detail"] for r in responses if r.status_code == 409} == {
        retry.json()["detail"]
    }
