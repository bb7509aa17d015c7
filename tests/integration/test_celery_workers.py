"""Scale-out on real components: two Celery worker processes, RabbitMQ and PostgreSQL post
200 ERA files — each exactly once, even when every file is queued twice."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from edigateway.demo.practice import demo_batch
from edigateway.persistence.database import Database
from edigateway.persistence.tables import RemittanceClaimRow, RemittanceFileRow, RemittanceRow
from edigateway.security.phi import Keyring, PhiCipher
from edigateway.services.claim_store import import_claims
from edigateway.settings import Settings
from edigateway.sim.adjudicate import Adjudicator, Rules
from edigateway.workers.celery_app import make_celery
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x835_005010X221A1 import write_835
from tests.factories import NOW, REPO, SuiteEnvironment

FILES = 200
SUITE = SuiteEnvironment()

pytestmark = [
    pytest.mark.slow,  # two worker processes posting 200 files
    pytest.mark.skipif(
        not (SUITE.database_url and SUITE.broker_url),
        reason="needs EDIGATEWAY_TEST_DATABASE_URL (PostgreSQL) and EDIGATEWAY_TEST_BROKER_URL "
        "(RabbitMQ); .ci/run sets both when the services answer on 127.0.0.1",
    ),
]


@pytest.fixture
def postgres() -> Iterator[tuple[str, str]]:
    url = SUITE.database_url
    assert url is not None
    schema = f"w_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _eras(folder: Path, batch_claims: list) -> list[Path]:  # type: ignore[type-arg]
    adjudicator = Adjudicator(Rules.load(REPO / "mappings"))
    paths = []
    for number, claim in enumerate(batch_claims, start=1):
        remittance = adjudicator.remittance(
            [claim],
            trace=f"CEL{number:06d}",
            paid_on=date(2026, 11, 30),
            payee_name="MAPLE STREET DENTAL",
            payee_npi="1456789019",
        )
        params = InterchangeParams(
            "ZZ", "EDGSIM", "ZZ", "EDIGATEWAY", "EDGSIM", "EDIGATEWAY", number, number, 1, NOW
        )
        path = folder / f"era-{number:04d}.835"
        path.write_text(write_835([remittance], params))
        paths.append(path)
    return paths


def test_two_workers_post_200_era_files_exactly_once(postgres: tuple[str, str], tmp_path: Path):
    url, schema = postgres
    keyring = Keyring.generate()
    database = Database.connect(url, schema=schema, phi=PhiCipher(keyring))
    database.upgrade()
    batch = demo_batch(NOW.date(), FILES)
    import_claims(database, batch, now=NOW)
    paths = _eras(tmp_path, batch.claims)
    data_keys, index_key = keyring.to_config()
    queue = f"edg-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "EDIGATEWAY_DATABASE_URL": f"{url}?options=-csearch_path%3D{schema}",
        "EDIGATEWAY_BROKER_URL": SUITE.broker_url or "",
        "EDIGATEWAY_WORKER_QUEUE": queue,
        "EDIGATEWAY_PHI_KEYS": data_keys,
        "EDIGATEWAY_PHI_INDEX_KEY": index_key,
        "EDIGATEWAY_DATA_DIR": str(tmp_path),
        "EDIGATEWAY_MAPPINGS_DIR": str(REPO / "mappings"),
    }
    command = str(Path(sys.executable).with_name("edigateway"))
    workers = [subprocess.Popen([command, "worker"], env=env) for _ in range(2)]
    try:
        app = make_celery(Settings(broker_url=SUITE.broker_url, worker_queue=queue))
        for _round in range(2):  # every file is queued twice: a redelivery, in effect
            for path in paths:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                app.send_task("edigateway.post_era_file", args=[str(path), digest])
        deadline = time.monotonic() + 240
        posted = 0
        while time.monotonic() < deadline:
            with database.transaction() as session:
                posted = (
                    session.scalar(
                        select(func.count())
                        .select_from(RemittanceFileRow)
                        .where(RemittanceFileRow.status == "posted")
                    )
                    or 0
                )
            if posted == FILES:
                break
            assert all(w.poll() is None for w in workers), "a worker died"
            time.sleep(0.5)
        time.sleep(3)  # let the second copies finish: they must change nothing
        assert all(w.poll() is None for w in workers)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RemittanceFileRow)) == FILES
        assert session.scalar(select(func.count()).select_from(RemittanceRow)) == FILES
        assert (
            session.scalar(select(func.count(func.distinct(RemittanceRow.trace_number)))) == FILES
        )
        per_claim = session.execute(
            select(RemittanceClaimRow.claim_id, func.count()).group_by(RemittanceClaimRow.claim_id)
        ).all()
    assert len(per_claim) == FILES
    assert {n for _claim, n in per_claim} == {1}
    database.dispose()
