"""Claim, outbox and work-item rows as the exchange and posting move them (SQLite and
PostgreSQL): states in bulk with their history, the claims a number or a submission names,
work items from a posting plan."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from edigateway.domain.postings import WorkItem, WorkReason
from edigateway.persistence import claim_rows, submission_rows, work_item_rows
from edigateway.persistence.database import Database
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    SubmissionClaimRow,
    SubmissionRow,
    WorkItemRow,
)
from tests.unit.persistence.conftest import NOW, AddClaim


def test_states_move_in_bulk_with_their_history(database: Database, add_claim: AddClaim):
    with database.transaction() as session:
        first, second = add_claim(session, "PC1"), add_claim(session, "PC2")
        replaced = add_claim(session, "PC3", payer_number="KEEP")
        add_claim(session, "PC3", superseded_by=replaced)
        claim_rows.update_claims(
            session,
            [
                claim_rows.ClaimUpdate(first, "paid", NOW, "P-1"),
                claim_rows.ClaimUpdate(second, "denied", NOW),
            ],
        )
        claim_rows.insert_history(
            session, [claim_rows.StateChange(first, "submitted", "paid", NOW, "835 a.835")]
        )
        claim = session.get(ClaimRow, replaced)
        assert claim is not None
        claim_rows.move_claim(session, claim, "ch_accepted", now=NOW, reason="999 A")
    with database.transaction() as session:
        assert session.execute(
            select(
                ClaimRow.patient_control_number, ClaimRow.state, ClaimRow.payer_claim_control_number
            ).order_by(ClaimRow.id)
        ).all()[:3] == [
            ("PC1", "paid", "P-1"),
            ("PC2", "denied", None),
            ("PC3", "ch_accepted", "KEEP"),
        ]
        assert session.execute(
            select(
                ClaimStateRow.claim_id, ClaimStateRow.previous_state, ClaimStateRow.state
            ).order_by(ClaimStateRow.id)
        ).all() == [(first, "submitted", "paid"), (replaced, "submitted", "ch_accepted")]
        assert [c.id for c in claim_rows.current_claims(session, "PC3")] == [replaced]


def test_submissions_and_their_claims(database: Database, add_claim: AddClaim):
    with database.transaction() as session:
        claims = [add_claim(session, f"PC{n}") for n in range(3)]
        ids = []
        for n, status in enumerate(("sent", "pending", "sending", "pending")):
            row = SubmissionRow(
                created_at=NOW,
                kind="837D",
                clearinghouse="sim" if n < 3 else "other",
                sender_id="US",
                interchange_control_number=f"{n + 1:09d}",
                group_control_number=str(n % 2 + 1),
                file_name=f"f{n}.837",
                sha256="0" * 64,
                payload="",
                status=status,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
        session.add_all(
            [
                SubmissionClaimRow(
                    submission_id=ids[1], claim_id=claims[2], transaction_control_number="0002"
                ),
                SubmissionClaimRow(
                    submission_id=ids[1], claim_id=claims[0], transaction_control_number="0001"
                ),
            ]
        )
        session.flush()
        assert submission_rows.waiting_to_send(session, "sim") == ids[1:3]
        assert submission_rows.waiting_to_send(session, "sim", limit=1) == ids[1:2]
        assert submission_rows.latest_sent_as(session, "US", group_control_number="2").id == ids[3]
        assert (
            submission_rows.latest_sent_as(session, "US", interchange_control_number="000000002").id
            == ids[1]
        )
        assert submission_rows.latest_sent_as(session, "THEM", group_control_number="1") is None
        assert [c.id for c in submission_rows.claims_of(session, ids[1])] == [claims[0], claims[2]]
        assert submission_rows.transaction_numbers(session, ids[1]) == {
            claims[0]: "0001",
            claims[2]: "0002",
        }


def test_work_items_from_a_plan_and_one_at_a_time(database: Database, add_claim: AddClaim):
    with database.transaction() as session:
        claim_id = add_claim(session, "PC1")
        work_item_rows.insert_work_items(
            session,
            [
                WorkItem(
                    patient_control_number="PC1",
                    reason=WorkReason.DENIED,
                    message="denied",
                    codes=["CO-50", "N1"],
                    amount=Decimal("10.00"),
                    source_position=7,
                ),
                WorkItem(
                    patient_control_number="ELSE",
                    reason=WorkReason.UNMATCHED_CLAIM,
                    message="unmatched",
                ),
            ],
            created_at=NOW,
            claim_ids={"PC1": claim_id},
            remittance_id=None,
            file_id=None,
        )
        work_item_rows.add_work_item(
            session,
            created_at=NOW,
            reason=WorkReason.QUARANTINED,
            message="bad file",
            codes="x" * 300,
        )
        assert session.execute(
            select(
                WorkItemRow.claim_id,
                WorkItemRow.reason,
                WorkItemRow.codes,
                WorkItemRow.amount,
                WorkItemRow.source_position,
                WorkItemRow.status,
            ).order_by(WorkItemRow.id)
        ).all() == [
            (claim_id, "denied", "CO-50,N1", Decimal("10.00"), 7, "open"),
            (None, "unmatched_claim", "", None, None, "open"),
            (None, "quarantined", "x" * 200, None, None, "open"),
        ]
