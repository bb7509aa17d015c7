"""Two `edigateway era post` processes posting the same 835 at once (PostgreSQL): one posts
it, the other reports ``duplicate`` (exit 0) — never a database error.

To make both processes pass the "already posted?" check before either commits (started
together, one would often simply find the other's file), the test holds a SHARE lock on
``remittance_files`` (reads go on, inserts wait) until both wait on it, then lets them go.
Two rounds, two files: one payment, and two payments in one file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from edigateway.persistence.database import Database
from edigateway.persistence.tables import InboundFileRow, RemittanceFileRow, RemittanceRow
from edigateway.security.phi import Keyring, PhiCipher
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from tests.factories import NOW, REPO, SuiteEnvironment

URL = SuiteEnvironment().database_url
ROUNDS = ["01_full_pay/era.835", "09_two_checks_one_file/era.835"]

pytestmark = [
    pytest.mark.skipif(
        URL is None,
        reason="needs EDIGATEWAY_TEST_DATABASE_URL (PostgreSQL): SQLite takes one writer at a time",
    ),
    pytest.mark.slow,
]


@pytest.fixture
def schema() -> Iterator[str]:
    assert URL is not None
    name = f"r_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _waiting_inserts(connection: sa.Connection, schema: str) -> int:
    return connection.execute(
        sa.text(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = to_regclass(:name)"
        ),
        {"name": f'"{schema}".remittance_files'},
    ).scalar_one()


def test_two_processes_posting_one_835_post_it_once(schema: str, tmp_path: Path):
    assert URL is not None
    keyring = Keyring.generate()
    database = Database.connect(URL, schema=schema, phi=PhiCipher(keyring))
    database.upgrade()
    import_claims(database, load_claim_file(REPO / "fixtures/era/claims.json"), now=NOW)
    data_keys, index_key = keyring.to_config()
    env = {
        **os.environ,
        "EDIGATEWAY_DATABASE_URL": f"{URL}?options=-csearch_path%3D{schema}",
        "EDIGATEWAY_PHI_KEYS": data_keys,
        "EDIGATEWAY_PHI_INDEX_KEY": index_key,
        "EDIGATEWAY_DATA_DIR": str(tmp_path),
        "EDIGATEWAY_MAPPINGS_DIR": str(REPO / "mappings"),
    }
    command = [str(Path(sys.executable).with_name("edigateway")), "era", "post", "--json"]
    observer = sa.create_engine(URL)
    try:
        for name in ROUNDS:
            path = REPO / "fixtures/era" / name
            with observer.connect() as connection:
                connection.execute(sa.text(f'LOCK TABLE "{schema}".remittance_files IN SHARE MODE'))
                runs = [
                    subprocess.Popen(
                        [*command, str(path)],
                        env=env,
                        text=True,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                    )
                    for _ in range(2)
                ]
                deadline = time.monotonic() + 60
                while _waiting_inserts(connection, schema) < 2:
                    assert time.monotonic() < deadline, "the posters never met"
                    assert all(r.poll() is None for r in runs), "a poster ended early"
                    time.sleep(0.05)
                connection.rollback()
                outputs = [r.communicate(timeout=120) for r in runs]
            codes = [r.returncode for r in runs]
            assert codes == [0, 0], outputs
            statuses = sorted(json.loads(out)["status"] for out, _err in outputs)
            assert statuses == ["duplicate", "posted"], outputs
            assert all("Error" not in err for _out, err in outputs), outputs
        with database.transaction() as session:
            assert session.scalar(select(func.count()).select_from(RemittanceFileRow)) == len(
                ROUNDS
            )
            received = session.execute(
                select(InboundFileRow.clearinghouse, InboundFileRow.status)
            ).all()
            assert received == [("cli", "processed")] * len(ROUNDS)  # one record per file
            traces = session.execute(
                select(RemittanceRow.trace_number, func.count()).group_by(
                    RemittanceRow.trace_number
                )
            ).all()
        assert {n for _trace, n in traces} == {1}
    finally:
        observer.dispose()
        database.dispose()
