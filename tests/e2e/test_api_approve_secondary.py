"""An approved held primary payment builds its secondary claim as an unheld one does
(issue 15, item 8), through the approval the API, CLI and dashboard share: the answer of
``POST /v1/era/pending/{id}/approve`` names the secondary claim stored ``ready``, and the
claim's "secondary claim due" item says it is due (fixtures/era-money/08: MNY801 names
GUARDIAN as its secondary; its payer's ERA policy is ``review``, so the primary's 162.40
waits for approval)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.errors import ConflictError, NotFoundError
from edigateway.persistence.tables import ClaimRow
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.era_review import approve, pending, set_policy
from edigateway.services.ledger import show_claim
from edigateway.services.payer_limits import payer_practice
from edigateway.services.posting import post_received
from edigateway.services.received import ReceivedFile
from tests.factories import NOW, PRACTICE_NPI, REPO, api_key

SCENARIO = REPO / "fixtures" / "era-money" / "08_secondary_remaining_liability"


def test_approving_the_primary_builds_the_secondary(gateway: Gateway):
    db = gateway.database
    key = {"Authorization": f"Bearer {api_key(gateway)}"}
    import_claims(db, load_claim_file(SCENARIO / "claims.json"), now=NOW)
    practice = payer_practice(db, PRACTICE_NPI)
    assert practice is not None
    set_policy(db, "review", practice_id=practice, payer_id="DDPIL", now=NOW)
    era = SCENARIO / "primary.835"
    post_received(
        db, ReceivedFile.of(str(era), era.read_bytes(), source="cli"), codes=gateway.codes, now=NOW
    )
    with pytest.raises(NotFoundError, match="no claim MNY801-S"):
        show_claim(db, "MNY801-S")  # nothing built while the payment waits

    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
        (pending,) = client.get("/v1/era/pending", headers=key).json()
        decided = client.post(f"/v1/era/pending/{pending['id']}/approve", headers=key)
    assert decided.status_code == 200, decided.text
    assert decided.json() | {"id": 0} == {
        "id": 0,
        "claim": "MNY801",
        "decision": "approved",
        "state": "paid",
        "items_closed": 1,
        "secondary_claim": "MNY801-S",
    }
    secondary = show_claim(db, "MNY801-S")
    assert (secondary.state, str(secondary.total_charge)) == ("ready", "260.00")
    (due,) = show_claim(db, "MNY801").work_items
    assert due.reason == "secondary_needed"
    assert "the secondary claim MNY801-S is due" in due.message


def test_concurrent_approvals_post_once_and_build_one_secondary(gateway: Gateway):
    """Eight people approve the same held payment at once (PostgreSQL runs them side by
    side): one approval posts it and builds MNY801-S, the others are told someone else
    decided it, and the secondary exists once."""
    db = gateway.database
    import_claims(db, load_claim_file(SCENARIO / "claims.json"), now=NOW)
    practice = payer_practice(db, PRACTICE_NPI)
    assert practice is not None
    set_policy(db, "review", practice_id=practice, payer_id="DDPIL", now=NOW)
    era = SCENARIO / "primary.835"
    post_received(
        db, ReceivedFile.of(str(era), era.read_bytes(), source="cli"), codes=gateway.codes, now=NOW
    )
    (waiting,) = pending(db, practice_id=practice)
    start = threading.Barrier(8)

    def decide(n: int) -> str:
        start.wait()
        try:
            decided = approve(db, waiting.id, now=NOW, actor=f"user:{n}", practice_id=practice)
        except ConflictError:
            return "refused"
        return f"approved {decided.secondary_claim}"

    with ThreadPoolExecutor(8) as pool:
        answers = sorted(pool.map(decide, range(8)))
    assert answers == ["approved MNY801-S"] + ["refused"] * 7
    with db.transaction() as session:
        built = session.scalar(
            select(func.count())
            .select_from(ClaimRow)
            .where(ClaimRow.patient_control_number == "MNY801-S")
        )
    assert built == 1
    assert show_claim(db, "MNY801").state == "paid"
