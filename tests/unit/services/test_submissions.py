"""Queueing an 837D: claims, their state change, the control numbers and the outbox row
commit together — or, when anything fails, none of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from edigateway.errors import CleanClaimError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    ControlCounterRow,
    SubmissionClaimRow,
    SubmissionRow,
)
from edigateway.services.claims import load_claim_file
from edigateway.services.control_numbers import DatabaseControlNumbers
from edigateway.services.submissions import queue_837d, submission_payload
from edigateway.settings import Settings
from edigateway.x12.x837d_005010X224A2 import read_837d
from tests.factories import NOW, REPO


def test_queue_records_everything_in_one_transaction(database: Database, tmp_path: Path):
    settings = Settings(data_dir=tmp_path)
    numbers = DatabaseControlNumbers(lambda: database)
    batch = load_claim_file(REPO / "fixtures/claims/26_batch_family_two_patients.json")
    queued = queue_837d(
        database, batch, settings=settings, clearinghouse="sim", numbers=numbers, now=NOW
    )
    assert queued.interchange_control_number == "000000001"
    with database.transaction() as session:
        row = session.get(SubmissionRow, queued.submission_id)
        assert row is not None
        assert (row.status, row.kind, row.file_name) == (
            "pending",
            "837D",
            "EDIGATEWAY_000000001.837",
        )
        parsed = read_837d(submission_payload(session, row).encode())
        assert [c.patient_control_number for c in parsed.claims] == [
            c.patient_control_number for c in batch.claims
        ]
        assert parsed.params.interchange_control_number == 1
        states = {c.id: c.state for c in session.scalars(select(ClaimRow))}
        assert set(states.values()) == {"queued"}
        assert set(states) == set(queued.claim_ids)
        links = session.scalars(select(SubmissionClaimRow)).all()
        assert {link.transaction_control_number for link in links} == {"0001"}
        history = [
            (h.previous_state, h.state)
            for h in session.scalars(
                select(ClaimStateRow)
                .where(ClaimStateRow.claim_id == queued.claim_ids[0])
                .order_by(ClaimStateRow.id)
            )
        ]
        assert history == [(None, "ready"), ("ready", "queued")]
    second = queue_837d(
        database,
        load_claim_file(REPO / "fixtures/claims/05_crown_initial.json"),
        settings=settings,
        clearinghouse="sim",
        numbers=numbers,
        now=NOW,
    )
    assert second.interchange_control_number == "000000002"


def test_failed_edits_leave_no_trace(database: Database, tmp_path: Path):
    batch = load_claim_file(REPO / "fixtures/claims/05_crown_initial.json")
    bad = batch.model_copy(
        update={
            "claims": [
                batch.claims[0].model_copy(
                    update={"total_charge": batch.claims[0].total_charge + 1}
                )
            ]
        }
    )
    with pytest.raises(CleanClaimError):
        queue_837d(
            database,
            bad,
            settings=Settings(data_dir=tmp_path),
            clearinghouse="sim",
            numbers=DatabaseControlNumbers(lambda: database),
            now=NOW,
        )
    with database.transaction() as session:
        for table in (ClaimRow, SubmissionRow, ControlCounterRow):
            assert session.scalars(select(table)).all() == []


def test_missing_999_opens_one_work_item(database: Database, tmp_path: Path):
    from datetime import timedelta

    from edigateway.persistence.tables import WorkItemRow
    from edigateway.services.submissions import flag_missing_acknowledgments

    queued = queue_837d(
        database,
        load_claim_file(REPO / "fixtures/claims/05_crown_initial.json"),
        settings=Settings(data_dir=tmp_path),
        clearinghouse="sim",
        numbers=DatabaseControlNumbers(lambda: database),
        now=NOW,
    )
    with database.transaction() as session:
        row = session.get(SubmissionRow, queued.submission_id)
        assert row is not None
        row.status, row.sent_at = "sent", NOW
    day = timedelta(hours=24)
    assert flag_missing_acknowledgments(database, now=NOW + timedelta(hours=23), after=day) == 0
    assert flag_missing_acknowledgments(database, now=NOW + timedelta(hours=25), after=day) == 1
    assert flag_missing_acknowledgments(database, now=NOW + timedelta(hours=30), after=day) == 0
    with database.transaction() as session:
        (item,) = session.scalars(select(WorkItemRow)).all()
        assert item.reason == "no_999"
        assert "no 999 came back within 24 hours" in item.message
