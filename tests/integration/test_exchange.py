"""The exchange service over the in-memory transport: the outbox is drained exactly once
whatever dies when, and every acknowledgment moves the right claims (and only forward)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from edigateway.codelists import CodeLists
from edigateway.domain.acknowledgments import (
    AckContext,
    AckError,
    AckParty,
    ClaimAck,
    ClaimAckFile,
    FunctionalAck,
    InterchangeAck,
    TransactionAck,
)
from edigateway.persistence.database import Database
from edigateway.persistence.inbound_rows import inbound_payload
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    InboundFileChunkRow,
    InboundFileRow,
    SubmissionRow,
    WorkItemRow,
)
from edigateway.services.claims import load_claim_file
from edigateway.services.control_numbers import DatabaseControlNumbers
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.submissions import Queued, queue_837d, submission_payload
from edigateway.settings import Settings
from edigateway.sim.adjudicate import Adjudicator, Rules
from edigateway.transports.base import RemoteFile
from edigateway.transports.memory import MemoryTransport
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.ta1 import write_ta1
from edigateway.x12.x277ca_005010X214 import write_277ca
from edigateway.x12.x835_005010X221A1 import write_835
from edigateway.x12.x837d_005010X224A2 import read_837d
from edigateway.x12.x999_005010X231A1 import write_999
from tests.factories import NOW, REPO

LATER = datetime(2026, 11, 23, 11, 0)
CODES = CodeLists.load(REPO / "mappings")


class ProcessDied(BaseException):
    """Stands for the process being killed: nothing of ours catches it."""


class DiesAfterUpload(MemoryTransport):
    """Delivers the file, then 'kills' the sender before it can record the upload."""

    def upload(self, name: str, data: bytes) -> RemoteFile:
        super().upload(name, data)
        raise ProcessDied


def _queue(
    database: Database, tmp_path: Path, fixture: str = "26_batch_family_two_patients"
) -> Queued:
    return queue_837d(
        database,
        load_claim_file(REPO / f"fixtures/claims/{fixture}.json"),
        settings=Settings(data_dir=tmp_path),
        clearinghouse="sim",
        numbers=DatabaseControlNumbers(lambda: database),
        now=NOW,
    )


def _states(database: Database, ids: tuple[int, ...]) -> list[str]:
    with database.transaction() as session:
        return [session.get(ClaimRow, i).state for i in ids]  # type: ignore[union-attr]


def _submission(database: Database, submission_id: int) -> SubmissionRow:
    with database.transaction() as session:
        row = session.get(SubmissionRow, submission_id)
        assert row is not None
        session.expunge(row)
        return row


def _work(database: Database) -> list[WorkItemRow]:
    with database.transaction() as session:
        rows = list(session.scalars(select(WorkItemRow).order_by(WorkItemRow.id)))
        for row in rows:
            session.expunge(row)
        return rows


def _reply_params(number: int) -> InterchangeParams:
    """An answer from the clearinghouse (EDGSIM) to us (ISA08 = our ISA06)."""
    return InterchangeParams(
        "ZZ", "EDGSIM", "ZZ", "EDIGATEWAY", "EDGSIM", "EDIGATEWAY", number, number, 1, LATER
    )


# --------------------------------------------------------------------------- sending


def test_drain_sends_each_submission_once_and_marks_claims_submitted(
    database: Database, tmp_path: Path
):
    queued = _queue(database, tmp_path)
    transport = MemoryTransport()
    (result,) = drain_outbox(database, transport, clearinghouse="sim", now=LATER)
    assert (result.status, result.remote_name) == ("sent", queued.file_name)
    row = _submission(database, queued.submission_id)
    assert (row.status, row.sent_at, row.attempts) == ("sent", LATER, 1)
    with database.transaction() as session:
        text = submission_payload(session, row)
    assert transport.outbound == {queued.file_name: text.encode()}
    assert set(_states(database, queued.claim_ids)) == {"submitted"}
    assert drain_outbox(database, transport, clearinghouse="sim", now=LATER) == []
    assert len(transport.outbound) == 1


@pytest.mark.slow  # 8.4 s on the loaded 2-core machine
def test_sender_killed_between_outbox_write_and_upload_sends_once_on_restart(
    database: Database, tmp_path: Path
):
    queued = _queue(database, tmp_path)  # committed; the process dies before any upload
    assert _submission(database, queued.submission_id).status == "pending"
    transport = MemoryTransport()
    drain_outbox(database, transport, clearinghouse="sim", now=LATER)  # the restart
    drain_outbox(database, transport, clearinghouse="sim", now=LATER)
    assert list(transport.outbound) == [queued.file_name]


def test_sender_killed_after_upload_finds_the_file_instead_of_sending_it_again(
    database: Database, tmp_path: Path
):
    queued = _queue(database, tmp_path)
    dying = DiesAfterUpload()
    with pytest.raises(ProcessDied):
        drain_outbox(database, dying, clearinghouse="sim", now=LATER)
    row = _submission(database, queued.submission_id)
    assert (row.status, row.remote_name) == ("sending", queued.file_name)
    transport = MemoryTransport()
    transport.upload(queued.file_name, dying.outbound[queued.file_name])  # the same folder
    (result,) = drain_outbox(database, transport, clearinghouse="sim", now=LATER)
    assert result.status == "found_delivered"
    assert list(transport.outbound) == [queued.file_name]
    assert _submission(database, queued.submission_id).status == "sent"
    assert set(_states(database, queued.claim_ids)) == {"submitted"}


def test_failed_upload_is_kept_and_retried_on_the_next_drain(database: Database, tmp_path: Path):
    queued = _queue(database, tmp_path)
    transport = MemoryTransport()
    transport.fail_next(1)
    (result,) = drain_outbox(database, transport, clearinghouse="sim", now=LATER)
    assert result.status == "failed"
    row = _submission(database, queued.submission_id)
    assert row.status == "sending"
    assert "upload" in (row.last_error or "")
    assert set(_states(database, queued.claim_ids)) == {"queued"}
    (again,) = drain_outbox(database, transport, clearinghouse="sim", now=LATER)
    assert again.status == "sent"
    assert list(transport.outbound) == [queued.file_name]
    assert _submission(database, queued.submission_id).last_error is None


# --------------------------------------------------------------------------- receiving


@pytest.fixture
def sent(database: Database, tmp_path: Path) -> tuple[Queued, MemoryTransport]:
    queued = _queue(database, tmp_path)
    transport = MemoryTransport()
    drain_outbox(database, transport, clearinghouse="sim", now=LATER)
    return queued, transport


def _accepting_999(queued: Queued, status: str = "A") -> bytes:
    errors = (
        []
        if status == "A"
        else [
            AckError(
                segment_id="CLM",
                segment_position=22,
                loop_id="2300",
                segment_error_code="8",
                segment_contexts=[AckContext(name="CLM01", reference="X")],
                element_position=2,
                element_reference="782",
                element_error_code="6",
                bad_value="1O0",
            )
        ]
    )
    transaction = TransactionAck(
        transaction_set_id="837",
        control_number="0001",
        implementation_guide="005010X224A2",
        status=status,
        error_codes=[] if status == "A" else ["5"],
        errors=errors,
    )
    group = FunctionalAck.for_transactions(
        "HC", str(int(queued.interchange_control_number)), "005010X224A2", [transaction]
    )
    return write_999([group], _reply_params(500)).encode()


def _277ca(queued: Queued, database: Database, *, reject: str | None = None) -> bytes:
    with database.transaction() as session:
        rows = [session.get(ClaimRow, i) for i in queued.claim_ids]
        pcns = [(r.patient_control_number, r.total_charge) for r in rows if r is not None]
    claims = [
        ClaimAck(
            patient_control_number=pcn,
            category_code="A7" if pcn == reject else "A2",
            status_code="562" if pcn == reject else "20",
            entity_code="85",
            status_date=date(2026, 11, 23),
            amount=charge,
            payer_claim_control_number=None if pcn == reject else f"PAY{pcn}",
            billing_provider_name="MAPLE STREET DENTAL",
            billing_provider_id="1456789019",
            patient_last_name="DOE",
            patient_id="W1",
        )
        for pcn, charge in pcns
    ]
    ack_file = ClaimAckFile(
        reference="277CA1",
        created=LATER,
        information_source=AckParty(name="SIMULATED PAYER", id_qualifier="PI", identifier="EDGSIM"),
        source_trace="T1",
        received_date=date(2026, 11, 23),
        processed_date=date(2026, 11, 23),
        receiver=AckParty(name="EDIGATEWAY", identifier="EDIGATEWAY"),
        receiver_trace="0001",
        claims=claims,
    ).with_totals()
    return write_277ca([ack_file], _reply_params(501)).encode()


def test_999_then_277ca_move_claims_and_keep_the_payer_claim_number(
    database: Database, sent: tuple[Queued, MemoryTransport]
):
    queued, transport = sent
    transport.put_inbound("EDGSIM_000000500.999", _accepting_999(queued))
    (result,) = poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert (result.kind, result.status) == ("999", "processed")
    assert set(_states(database, queued.claim_ids)) == {"ch_accepted"}
    assert _submission(database, queued.submission_id).ack_status == "accepted"
    assert transport.list_inbound() == []
    assert list(transport.archived) == ["EDGSIM_000000500.999"]

    first, second, *rest = queued.claim_ids
    with database.transaction() as session:
        rejected_pcn = session.get(ClaimRow, second).patient_control_number  # type: ignore[union-attr]
    transport.put_inbound("EDGSIM_000000501.277", _277ca(queued, database, reject=rejected_pcn))
    (result,) = poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert result.status == "processed", result.message
    assert _states(database, queued.claim_ids) == ["payer_accepted", "payer_rejected"] + [
        "payer_accepted"
    ] * len(rest)
    with database.transaction() as session:
        claim = session.get(ClaimRow, first)
        assert claim is not None
        assert claim.payer_claim_control_number == f"PAY{claim.patient_control_number}"
        history = [
            (h.previous_state, h.state)
            for h in session.scalars(
                select(ClaimStateRow)
                .where(ClaimStateRow.claim_id == first)
                .order_by(ClaimStateRow.id)
            )
        ]
    assert history == [
        (None, "ready"),
        ("ready", "queued"),
        ("queued", "submitted"),
        ("submitted", "ch_accepted"),
        ("ch_accepted", "payer_accepted"),
    ]
    (item,) = _work(database)
    assert (item.reason, item.claim_id, item.codes) == ("payer_rejected", second, "A7:562")
    assert rejected_pcn in item.message


def test_rejecting_999_opens_a_work_item_with_the_located_error(
    database: Database, sent: tuple[Queued, MemoryTransport]
):
    queued, transport = sent
    transport.put_inbound("EDGSIM_000000500.999", _accepting_999(queued, status="R"))
    poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert set(_states(database, queued.claim_ids)) == {"ch_rejected"}
    assert _submission(database, queued.submission_id).ack_status == "rejected"
    items = _work(database)
    assert {i.reason for i in items} == {"ch_rejected"}
    assert len(items) == len(queued.claim_ids)
    assert "CLM02" in items[0].message
    assert "2300" in items[0].message


def test_ta1_rejection_moves_claims_but_a_duplicate_notice_after_a_999_does_not(
    database: Database, sent: tuple[Queued, MemoryTransport], tmp_path: Path
):
    queued, transport = sent
    transport.put_inbound("a.999", _accepting_999(queued))
    poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    duplicate = InterchangeAck(
        interchange_control_number=queued.interchange_control_number,
        interchange_date=date(2026, 11, 23),
        interchange_time=time(9),
        ack_code="R",
        note_code="025",
    )
    transport.put_inbound("b.ta1", write_ta1(duplicate, _reply_params(502)).encode())
    (result,) = poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert "nothing to do" in result.message
    assert set(_states(database, queued.claim_ids)) == {"ch_accepted"}
    assert _work(database) == []

    other = _queue(database, tmp_path, "05_crown_initial")
    drain_outbox(database, transport, clearinghouse="sim", now=LATER)
    bad = duplicate.model_copy(
        update={"interchange_control_number": other.interchange_control_number, "note_code": "024"}
    )
    transport.put_inbound("c.ta1", write_ta1(bad, _reply_params(503)).encode())
    poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert set(_states(database, other.claim_ids)) == {"ch_rejected"}
    (item,) = _work(database)
    assert (item.reason, item.submission_id, item.codes) == (
        "ch_rejected",
        other.submission_id,
        "TA1:024",
    )


def test_the_same_file_twice_is_stored_once_and_archived_both_times(
    database: Database, sent: tuple[Queued, MemoryTransport]
):
    queued, transport = sent
    data = _accepting_999(queued)
    transport.put_inbound("one.999", data)
    poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    transport.put_inbound("two.999", data)
    (result,) = poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert result.status == "duplicate"
    assert sorted(transport.archived) == ["one.999", "two.999"]
    with database.transaction() as session:
        assert len(session.scalars(select(InboundFileRow)).all()) == 1


def test_unreadable_file_is_kept_and_reported_not_lost(
    database: Database, sent: tuple[Queued, MemoryTransport]
):
    _, transport = sent
    transport.put_inbound("junk.txt", b"this is not X12")
    (result,) = poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert result.status == "unsupported"
    assert "junk.txt" in result.message
    with database.transaction() as session:
        (row,) = session.scalars(select(InboundFileRow)).all()
        (sealed,) = session.scalars(select(InboundFileChunkRow.sealed)).all()
        assert sealed.startswith("v1.")
        assert inbound_payload(session, row) == "this is not X12"
    assert [i.reason for i in _work(database)] == ["quarantined"]


def test_835_delivered_twice_is_posted_once(
    database: Database, sent: tuple[Queued, MemoryTransport]
):
    queued, transport = sent
    with database.transaction() as session:
        payload = submission_payload(session, session.get(SubmissionRow, queued.submission_id))  # type: ignore[arg-type]
    claims = read_837d(payload.encode()).claims
    remittance = Adjudicator(Rules.load(REPO / "mappings")).remittance(
        claims,
        trace="SIM1",
        paid_on=date(2026, 11, 30),
        payee_name="MAPLE STREET DENTAL",
        payee_npi="1456789019",
    )
    era = write_835([remittance], _reply_params(600)).encode()
    transport.put_inbound("EDGSIM_000000600.835", era)
    (first,) = poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert first.status == "processed", first.message
    states = _states(database, queued.claim_ids)
    assert set(states) <= {"paid", "partially_paid", "denied"}
    transport.put_inbound("EDGSIM_000000600-again.835", era)
    (second,) = poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=LATER)
    assert second.status == "duplicate"
    with database.transaction() as session:
        from edigateway.persistence.tables import PostingRow, RemittanceRow

        assert len(session.scalars(select(RemittanceRow)).all()) == 1
        paid = sum(
            (
                p.amount
                for p in session.scalars(select(PostingRow).where(PostingRow.kind == "paid"))
            ),
            Decimal(0),
        )
    assert paid == remittance.payment_amount + sum(
        (p.amount for p in remittance.provider_adjustments), Decimal(0)
    )
