"""One inbound record whatever brought an 835: ``era post`` (the job with source ``cli``),
the worker's ``post_era_file`` and the poller each leave one ``inbound_files`` row — its
bytes as they came, sender, ISA13, kind, and what posting made of it — in the posting's
own transaction, so a work item points at its 835 segment whatever the entry path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edigateway.bootstrap import Gateway, bootstrap
from edigateway.codelists import CodeLists
from edigateway.jobs import post_era_file
from edigateway.persistence.database import Database
from edigateway.persistence.inbound_rows import inbound_bytes
from edigateway.persistence.tables import ClaimRow, InboundFileRow, WorkItemRow
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.dashboard import work_item
from edigateway.services.inbound import poll_inbound
from edigateway.services.practice_claims import Caller
from edigateway.settings import Settings
from edigateway.transports.memory import MemoryTransport
from tests.factories import REPO

ERA = REPO / "fixtures" / "era"
NOW = datetime(2026, 11, 22, 9, 30)
CODES = CodeLists.load(REPO / "mappings")


@pytest.fixture
def gateway(database: Database, tmp_path: Path) -> Gateway:
    import_claims(database, load_claim_file(ERA / "claims.json"), now=NOW)
    return bootstrap(
        Settings(data_dir=tmp_path / "data", mappings_dir=REPO / "mappings"),
        database=database,
        clock=lambda: NOW,
    )


def _received(database: Database) -> dict[str, tuple[str, str, str | None, str, bytes]]:
    with database.transaction() as session:
        return {
            row.clearinghouse: (
                row.remote_name,
                row.kind,
                row.sender_id,
                row.status,
                inbound_bytes(session, row),
            )
            for row in session.scalars(select(InboundFileRow))
        }


def test_era_post_the_worker_and_the_poller_leave_the_same_record(gateway: Gateway):
    cli, worker, polled = (
        ERA / name / "era.835" for name in ("01_full_pay", "03_denial", "09_two_checks_one_file")
    )
    assert post_era_file(gateway, str(cli), source="cli").status == "posted"
    assert post_era_file(gateway, str(worker)).status == "posted"
    transport = MemoryTransport()
    transport.put_inbound("polled.835", polled.read_bytes())
    (result,) = poll_inbound(
        gateway.database, transport, clearinghouse="simulator", codes=CODES, now=NOW
    )
    assert result.status == "processed"
    assert _received(gateway.database) == {
        "cli": (str(cli), "835", "PRAIRIEDENTAL", "processed", cli.read_bytes()),
        "worker": (str(worker), "835", "PRAIRIEDENTAL", "processed", worker.read_bytes()),
        "simulator": ("polled.835", "835", "PRAIRIEDENTAL", "processed", polled.read_bytes()),
    }

    # posted again, by any path: still one record per file, no new work
    with gateway.database.transaction() as session:
        items = session.scalar(select(func.count()).select_from(WorkItemRow))
    assert post_era_file(gateway, str(polled), source="cli").status == "duplicate"
    assert post_era_file(gateway, str(cli)).status == "duplicate"
    with gateway.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundFileRow)) == 3
        assert session.scalar(select(func.count()).select_from(WorkItemRow)) == items


def test_a_work_item_of_a_file_posted_from_disk_shows_its_835_segment(gateway: Gateway):
    post_era_file(gateway, str(ERA / "03_denial" / "era.835"), source="cli")
    with gateway.database.transaction() as session:
        item = session.scalars(select(WorkItemRow).where(WorkItemRow.reason == "denied")).one()
        practice_id = session.scalars(select(ClaimRow.practice_id)).first()
    assert practice_id is not None
    shown = work_item(gateway.database, Caller(practice_id, "test"), CODES, item.id, now=NOW)
    assert str(shown.source_segment).startswith("CLP*")


def test_a_file_era_post_refuses_is_recorded_failed_with_one_work_item(gateway: Gateway):
    other_version = REPO / "fixtures" / "x12" / "envelope" / "835_gs08_005010X221.835"
    result = post_era_file(gateway, str(other_version), source="cli")
    assert (result.status, result.readable) == ("unsupported", False)
    with gateway.database.transaction() as session:
        row = session.scalars(select(InboundFileRow)).one()
        assert (row.clearinghouse, row.kind, row.status) == ("cli", "unknown", "failed")
        assert row.problem == result.message
        assert session.scalar(select(func.count()).select_from(WorkItemRow)) == 1
