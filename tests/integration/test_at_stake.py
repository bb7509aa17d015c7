"""The Today card's "at stake" (issue 15, item 7): each work item's absolute amount, summed
by kind. A recoupment is stored negative, a reversal's amount may be either sign; summing
them signed hid the money (seven 260.00 recoupments and a -235.00 reversal showed 25.00)."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from edigateway.domain.claims import ClaimBatch
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ClaimRow, WorkItemRow
from edigateway.services import dashboard
from edigateway.services.claim_store import import_claims
from edigateway.services.payer_limits import payer_practice
from edigateway.services.practice_claims import Caller
from tests.factories import NOW, PRACTICE_NPI, REPO


def _claims(database: Database) -> tuple[int, list[int]]:
    document = json.loads((REPO / "fixtures/era/claims.json").read_text())
    for claim in document["claims"]:
        claim["billing_provider"]["npi"] = PRACTICE_NPI
    import_claims(database, ClaimBatch.model_validate(document), now=NOW)
    practice_id = payer_practice(database, PRACTICE_NPI)
    assert practice_id is not None
    with database.transaction() as session:
        ids = list(
            session.scalars(
                select(ClaimRow.id).where(ClaimRow.practice_id == practice_id).order_by(ClaimRow.id)
            )
        )
    return practice_id, ids


def _item(claim_id: int, reason: str, amount: str | None) -> WorkItemRow:
    return WorkItemRow(
        created_at=NOW.replace(tzinfo=None),
        status="open",
        reason=reason,
        message=f"{reason} {amount}",
        amount=None if amount is None else Decimal(amount),
        claim_id=claim_id,
    )


def test_at_stake_sums_absolute_amounts_by_kind(database: Database):
    practice_id, claims = _claims(database)
    with database.transaction() as session:
        session.add_all(_item(claims[n], "recoupment", "-260.00") for n in range(7))
        session.add(_item(claims[7], "reversal", "-235.00"))
        session.add(_item(claims[8], "denied", "450.00"))
        session.add(_item(claims[9], "line_denied", "-40.00"))
        session.add(_item(claims[10], "claim_status", None))
        resolved = _item(claims[11], "recoupment", "-999.00")
        resolved.status = "resolved"
        session.add(resolved)

    today = dashboard.today(database, Caller(practice_id, "test"), now=NOW, with_aging=False)
    groups = {g.title: (g.count, g.amount) for g in today.groups}
    assert groups["Recoupments and reversals"] == (8, Decimal("2055.00"))
    assert groups["Denials to appeal or write off"] == (2, Decimal("490.00"))
    assert groups["No answer from the payer"] == (1, Decimal("0.00"))
    assert groups["Rejections to fix"] == (0, Decimal("0.00"))
    assert all(isinstance(amount, Decimal) for _, amount in groups.values())
