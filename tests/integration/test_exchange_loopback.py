"""The whole exchange over real sockets on loopback: claims → 837D → SFTP upload to the
simulator → TA1/999/277CA/835 downloaded → acknowledgments applied and 835s posted, with the
claims in the right states (issue 5's done-when)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import select

from edigateway.bootstrap import Gateway
from edigateway.domain.claims import ClaimBatch
from edigateway.persistence.tables import (
    ClaimRow,
    PostingRow,
    ProviderAdjustmentRow,
    RemittanceRow,
    SubmissionRow,
    WorkItemRow,
)
from edigateway.services.claims import load_claim_file
from edigateway.services.control_numbers import DatabaseControlNumbers
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.received import InboundResult
from edigateway.services.submissions import Queued, queue_837d, submission_payload
from edigateway.sim.runner import Simulator
from edigateway.transports.sftp import SftpTransport
from edigateway.x12.validation import Validator
from tests.factories import NOW, REPO, settings_for, simulated_gateway

pytestmark = pytest.mark.slow  # the whole exchange over SFTP with the simulator

FIXTURES = [
    "01_filling_amalgam_mod",
    "05_crown_initial",
    "07_quadrant_scaling",
    "26_batch_family_two_patients",
]


@pytest.fixture
def running(tmp_path: Path, validator: Validator) -> Iterator[tuple[Simulator, Gateway]]:
    with simulated_gateway(settings_for(tmp_path), validator) as both:
        yield both


def _batch() -> ClaimBatch:
    claims = [
        c
        for name in FIXTURES
        for c in load_claim_file(REPO / f"fixtures/claims/{name}.json").claims
    ]
    unknown = claims[-1].model_copy(
        update={
            "patient_control_number": "MSD9001",
            "subscriber": claims[-1].subscriber.model_copy(update={"member_id": "NOTAMEMBER1"}),
            "patient": None,
        }
    )
    return ClaimBatch(claims=[*claims, unknown])


def _queue(gateway: Gateway) -> Queued:
    return queue_837d(
        gateway.database,
        _batch(),
        settings=gateway.settings,
        clearinghouse=gateway.profile("simulator"),
        numbers=DatabaseControlNumbers(lambda: gateway.database),
        now=NOW,
    )


def _poll(gateway: Gateway, transport: SftpTransport) -> list[InboundResult]:
    return poll_inbound(
        gateway.database, transport, clearinghouse="simulator", codes=gateway.codes, now=NOW
    )


def _states(gateway: Gateway) -> dict[str, str]:
    with gateway.database.transaction() as session:
        return {c.patient_control_number: c.state for c in session.scalars(select(ClaimRow))}


def test_claims_go_out_over_sftp_and_come_back_posted(running: tuple[Simulator, Gateway]):
    sim, gateway = running
    profile = gateway.profile("simulator")
    queued = _queue(gateway)
    with gateway.sftp_transport(profile) as transport:
        (sent,) = drain_outbox(gateway.database, transport, clearinghouse="simulator", now=NOW)
        assert sent.status == "sent"
        report = sim.cycle()
        assert report.received == [queued.file_name]
        assert report.problems == []
        assert [name.rsplit(".", 1)[1] for name in report.written] == ["999", "277", "835"]
        results = _poll(gateway, transport)
        assert [(r.kind, r.status) for r in results] == [
            ("999", "processed"),
            ("277CA", "processed"),
            ("835", "processed"),
        ], results
        assert transport.list_inbound() == []
    states = _states(gateway)
    assert states.pop("MSD9001") == "payer_rejected"
    assert set(states.values()) <= {"paid", "partially_paid", "denied"}
    with gateway.database.transaction() as session:
        (item,) = session.scalars(
            select(WorkItemRow).where(WorkItemRow.reason == "payer_rejected")
        ).all()
        assert item.codes == "A3:33"
        (remittance,) = session.scalars(select(RemittanceRow)).all()
        paid = sum(
            (
                p.amount
                for p in session.scalars(select(PostingRow).where(PostingRow.kind == "paid"))
            ),
            Decimal(0),
        )
        plb = sum((p.amount for p in session.scalars(select(ProviderAdjustmentRow))), Decimal(0))
    assert plb == Decimal("25.00")
    assert remittance.payment_amount == paid - plb


def test_the_next_cycle_reverses_and_corrects_one_claim(running: tuple[Simulator, Gateway]):
    sim, gateway = running
    profile = gateway.profile("simulator")
    _queue(gateway)
    with gateway.sftp_transport(profile) as transport:
        drain_outbox(gateway.database, transport, clearinghouse="simulator", now=NOW)
        sim.cycle()
        _poll(gateway, transport)
        report = sim.cycle()
        assert [name.rsplit(".", 1)[1] for name in report.written] == ["835"]
        (result,) = _poll(gateway, transport)
        assert result.status == "processed", result.message
        assert sim.cycle().written == []
    with gateway.database.transaction() as session:
        assert len(session.scalars(select(RemittanceRow)).all()) == 2
    assert _states(gateway)["MSD1005"] == "paid"


def test_a_resent_interchange_is_refused_and_changes_nothing(running: tuple[Simulator, Gateway]):
    sim, gateway = running
    profile = gateway.profile("simulator")
    queued = _queue(gateway)
    with gateway.sftp_transport(profile) as transport:
        drain_outbox(gateway.database, transport, clearinghouse="simulator", now=NOW)
        sim.cycle()
        _poll(gateway, transport)
        sim.cycle()  # the correction of MSD1005 comes first
        _poll(gateway, transport)
        before = _states(gateway)
        with gateway.database.transaction() as session:
            payload = submission_payload(session, session.get(SubmissionRow, queued.submission_id))  # type: ignore[arg-type]
        transport.upload("resent.837", payload.encode())  # e.g. an operator's manual resend
        report = sim.cycle()
        assert [name.rsplit(".", 1)[1] for name in report.written] == ["ta1"]
        (result,) = _poll(gateway, transport)
        assert "nothing to do" in result.message
    assert _states(gateway) == before


class ProcessDied(BaseException):
    """Stands for the sender being killed: nothing of ours catches it."""


def test_sender_killed_after_the_upload_does_not_send_twice_over_sftp(
    running: tuple[Simulator, Gateway],
):
    sim, gateway = running
    profile = gateway.profile("simulator")
    queued = _queue(gateway)
    with gateway.sftp_transport(profile) as transport:
        real_upload = transport.upload

        def upload_then_die(name: str, data: bytes) -> NoReturn:
            real_upload(name, data)
            raise ProcessDied

        transport.upload = upload_then_die  # type: ignore[method-assign]
        with pytest.raises(ProcessDied):
            drain_outbox(gateway.database, transport, clearinghouse="simulator", now=NOW)
    with gateway.sftp_transport(profile) as transport:  # the restarted sender
        (result,) = drain_outbox(gateway.database, transport, clearinghouse="simulator", now=NOW)
        assert result.status == "found_delivered"
    inbox = sorted(p.name for p in (sim.root / "to_clearinghouse").iterdir())
    assert inbox == [queued.file_name]
    assert sim.cycle().received == [queued.file_name]


def test_claims_without_an_answer_are_asked_about_with_a_276(running: tuple[Simulator, Gateway]):
    from datetime import timedelta

    from edigateway.services.claim_status import inquire_stale

    sim, gateway = running
    profile = gateway.profile("simulator")
    queued = _queue(gateway)
    with gateway.sftp_transport(profile) as transport:
        drain_outbox(gateway.database, transport, clearinghouse="simulator", now=NOW)
        sim.cycle()
        for lost in (sim.root / "from_clearinghouse").glob("*.835"):
            lost.unlink()  # the ERA never reaches us
        _poll(gateway, transport)
    later = NOW + timedelta(days=31)
    client = gateway.core_client(profile)
    try:
        results = inquire_stale(
            gateway.database,
            client=client,
            profile=profile,
            settings=gateway.settings,
            control_numbers=gateway.control_numbers,
            clock=lambda: later,
            after_days=30,
        )
        again = inquire_stale(
            gateway.database,
            client=client,
            profile=profile,
            settings=gateway.settings,
            control_numbers=gateway.control_numbers,
            clock=lambda: later,
            after_days=30,
        )
    finally:
        client.close()
    asked = {r.patient_control_number: r.outcome for r in results}
    assert len(asked) == len(queued.claim_ids) - 1  # MSD9001 was rejected, not waiting
    assert set(asked.values()) <= {"paid", "denied"}
    assert again == []  # asked once per period
    with gateway.database.transaction() as session:
        items = session.scalars(
            select(WorkItemRow).where(WorkItemRow.reason == "claim_status")
        ).all()
        assert len(items) == len(asked)
        assert "ask the clearinghouse for the ERA" in items[0].message


def test_the_same_835_delivered_twice_over_sftp_is_posted_once(running: tuple[Simulator, Gateway]):
    import shutil

    sim, gateway = running
    profile = gateway.profile("simulator")
    _queue(gateway)
    with gateway.sftp_transport(profile) as transport:
        drain_outbox(gateway.database, transport, clearinghouse="simulator", now=NOW)
        sim.cycle()
        (era,) = (sim.root / "from_clearinghouse").glob("*.835")
        shutil.copy(era, era.with_name("EDGSIM_resent.835"))  # the clearinghouse resends it
        results = _poll(gateway, transport)
        assert sorted(r.status for r in results if r.kind == "835") == ["duplicate", "processed"]
        shutil.copy(sim.root / "archive" / era.name, era.with_name("EDGSIM_later.835"))
        (late,) = _poll(gateway, transport)
        assert late.status == "duplicate"
    with gateway.database.transaction() as session:
        assert len(session.scalars(select(RemittanceRow)).all()) == 1
