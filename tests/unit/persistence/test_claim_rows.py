"""Claim, outbox and work-item rows as the exchange and posting move them (SQLite and
PostgreSQL): states in bulk with their history, the claims a number or a submission names,
work items from a posting plan."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from edigateway.domain.claim_lifecycle import Cause, ClaimState
from edigateway.domain.postings import WorkItem, WorkReason
from edigateway.errors import ClaimTransitionError
from edigateway.persistence import claim_rows, submission_rows, work_item_rows
from edigateway.persistence.database import Database
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    SubmissionClaimRow,
    SubmissionRow,
    WorkItemRow,
)
from tests.factories import NOW
from tests.unit.persistence.conftest import AddClaim


def test_transition_moves_claims_with_their_cause(database: Database, add_claim: AddClaim):
    with database.transaction() as session:
        first, second = add_claim(session, "PC1"), add_claim(session, "PC2")
        replaced = add_claim(session, "PC3", payer_number="KEEP")
        add_claim(session, "PC3", superseded_by=replaced)
        one, two, three = (session.get_one(ClaimRow, i) for i in (first, second, replaced))
        paid = Cause(
            "file", "835 a.835 CLP02=1", file="a.835", position=14, remittance_claim_id=None
        )
        made = claim_rows.transition(
            session,
            [
                claim_rows.Move(one, ClaimState.PAID, paid, "P-1"),
                claim_rows.Move(two, ClaimState.DENIED, Cause("file", "835 a.835 CLP02=4")),
                claim_rows.Move(three, ClaimState.CH_ACCEPTED, Cause("file", "999 A")),
                # a late 999 after the payment: skipped, not an error
                claim_rows.Move(one, ClaimState.CH_ACCEPTED, Cause("file", "999 late")),
            ],
            now=NOW,
        )
        assert len(made) == 3
        with pytest.raises(
            ClaimTransitionError, match="cannot become written_off by a received file"
        ):
            claim_rows.transition(
                session, [claim_rows.Move(two, ClaimState.WRITTEN_OFF, Cause("file", "x"))], now=NOW
            )
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
                ClaimStateRow.claim_id,
                ClaimStateRow.previous_state,
                ClaimStateRow.state,
                ClaimStateRow.reason,
            ).order_by(ClaimStateRow.id)
        ).all() == [
            (first, "submitted", "paid", "835 a.835 CLP02=1 (segment 14)"),
            (second, "submitted", "denied", "835 a.835 CLP02=4"),
            (replaced, "submitted", "ch_accepted", "999 A"),
        ]
        assert [c.id for c in claim_rows.current_claims(session, "PC3")] == [replaced]


def test_conditional_transition_moves_each_claim_once(database: Database, add_claim: AddClaim):
    """ready → queued by one conditional UPDATE: a claim already queued is left out; a
    claim queued is not sent yet, so ``submitted_on`` waits for the upload."""
    with database.transaction() as session:
        ready = add_claim(session, "PC1", state="ready")
        queued = add_claim(session, "PC2", state="queued")
        cause = Cause("system", "queued for sim in f.837")
        made = claim_rows.transition(
            session,
            [claim_rows.Move(i, ClaimState.QUEUED, cause) for i in (ready, queued)],
            now=NOW,
            expect=ClaimState.READY,
        )
        assert [m.claim for m in made] == [ready]
        row = session.get_one(ClaimRow, ready)
        row.submitted_on = None
        session.flush()
        claim_rows.transition(
            session,
            [claim_rows.Move(row, ClaimState.SUBMITTED, Cause("system", "uploaded"))],
            now=NOW,
        )
        assert row.submitted_on == NOW.date()
        history = session.execute(
            select(ClaimStateRow.claim_id, ClaimStateRow.state).order_by(ClaimStateRow.id)
        ).all()
        assert history == [(ready, "queued"), (ready, "submitted")]


def test_one_open_work_item_per_claim_and_reason(database: Database, add_claim: AddClaim):
    with database.transaction() as session:
        claim_id = add_claim(session, "PC1")
        for message in ("asked once", "asked again"):
            work_item_rows.add_work_item(
                session,
                created_at=NOW,
                reason=WorkReason.NO_PAYER_ANSWER,
                message=message,
                claim_id=claim_id,
                amount=Decimal("10.00"),
            )
        work_item_rows.insert_work_items(
            session,
            [
                WorkItem(
                    patient_control_number="PC1",
                    reason=WorkReason.LINE_DENIED,
                    message=f"line {n}",
                    codes=[f"CO-{n}"],
                    amount=Decimal("5.00"),
                )
                for n in (1, 2)
            ],
            created_at=NOW,
            claim_ids={"PC1": claim_id},
            remittance_id=None,
            file_id=None,
        )
        rows = session.execute(
            select(
                WorkItemRow.reason, WorkItemRow.message, WorkItemRow.codes, WorkItemRow.amount
            ).order_by(WorkItemRow.id)
        ).all()
        assert rows == [
            ("claim_status", "asked again", "", Decimal("10.00")),
            ("line_denied", "line 1; line 2", "CO-1,CO-2", Decimal("10.00")),
        ]


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
        by_group = submission_rows.latest_sent_as(session, "US", group_control_number="2")
        assert by_group is not None
        assert by_group.id == ids[3]
        by_isa13 = submission_rows.latest_sent_as(
            session, "US", interchange_control_number="000000002"
        )
        assert by_isa13 is not None
        assert by_isa13.id == ids[1]
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
