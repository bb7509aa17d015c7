"""Posting and polling what the reader fuzzer threw at us, on SQLite and PostgreSQL.

``era post`` quarantines every 835 crash file with its location (nothing else written), the
poller records a crash file it cannot apply as failed with a work item, and mutants of our
835s, 999s, TA1s and 277CAs go through both without anything but our outcomes: posted,
duplicate or quarantined; processed, failed or unsupported.
"""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from edigateway.cli.era import posting_document
from edigateway.codelists import CodeLists
from edigateway.persistence.database import Database
from edigateway.persistence.tables import PostingRow, RemittanceFileRow, WorkItemRow
from edigateway.services.inbound import store_inbound
from edigateway.services.posting import post_received
from edigateway.services.received import InboundStatus, ReceivedFile
from edigateway.services.routing import route_stored
from tests.factories import NOW, REPO
from tests.unit.x12.x12_mutants import KINDS, Mutation, all_seeds, mutate

pytestmark = pytest.mark.slow  # every crash file and mutant posted and polled, per backend

CRASHES = REPO / "fixtures" / "x12" / "crashes"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CRASHES / "expected.json").read_text())
CODES = CodeLists.load(REPO / "mappings")
ERA_CRASHES = sorted(n for n in EXPECTED if n.endswith(".835"))
SEEDS = all_seeds()
SEEDS_835 = [i for i, (_n, data) in enumerate(SEEDS) if b"ST*835*" in data]
SEEDS_ACKS = [
    i
    for i, (_n, data) in enumerate(SEEDS)
    if b"ST*999*" in data or b"TA1*" in data or b"*005010X214" in data
]
MUTATIONS = st.lists(
    st.builds(Mutation, st.sampled_from(KINDS), st.integers(0, 1 << 20), st.integers(0, 1 << 12)),
    min_size=1,
    max_size=4,
)
SERVICE_FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _count(db: Database, table: Any) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.mark.parametrize("name", ERA_CRASHES)
def test_era_post_quarantines_the_crash_file(database: Database, name: str):
    want = EXPECTED[name]
    result = post_received(
        database,
        ReceivedFile.of(name, (CRASHES / name).read_bytes(), source="cli"),
        codes=CODES,
        now=NOW,
    )
    assert (result.status, result.readable) == ("quarantined", True)
    assert result.problem is not None
    assert (result.problem.segment_index, result.problem.segment_id, result.problem.element) == (
        want["segment_index"],
        want["segment_id"],
        want["element"],
    )
    json.dumps(posting_document(result)).encode("utf-8")
    with database.transaction() as session:
        row = session.scalars(select(RemittanceFileRow)).one()
        assert (row.status, row.problem_position) == ("quarantined", want["segment_index"])
    assert _count(database, PostingRow) == 0
    assert _count(database, WorkItemRow) == 1


@pytest.mark.parametrize("name", [*ERA_CRASHES, "999_position_unicode_digit.999"])
def test_poller_records_the_crash_file_as_failed(database: Database, name: str):
    stored = store_inbound(
        database, clearinghouse="simulator", name=name, data=(CRASHES / name).read_bytes(), now=NOW
    )
    assert stored.status == "stored"
    (result,) = route_stored(database, codes=CODES, now=NOW)
    assert result.status == "failed"
    want = EXPECTED[name]
    assert f"segment {want['segment_index']} ({want['segment_id']}" in result.message
    assert _count(database, WorkItemRow) == 1


@SERVICE_FUZZ
@given(seed=st.sampled_from(SEEDS_835), mutations=MUTATIONS)
def test_era_post_posts_or_quarantines_any_mutant(
    database: Database, seed: int, mutations: list[Mutation]
):
    name, data = SEEDS[seed]
    result = post_received(
        database,
        ReceivedFile.of(name, mutate(data, mutations), source="worker"),
        codes=CODES,
        now=NOW,
    )
    assert result.status in ("posted", "duplicate", "quarantined", "unsupported")
    json.dumps(posting_document(result)).encode("utf-8")


@SERVICE_FUZZ
@given(seed=st.sampled_from(SEEDS_ACKS + SEEDS_835), mutations=MUTATIONS)
def test_poller_applies_or_refuses_any_mutant(
    database: Database, seed: int, mutations: list[Mutation]
):
    name, data = SEEDS[seed]
    stored = store_inbound(
        database, clearinghouse="simulator", name=name, data=mutate(data, mutations), now=NOW
    )
    for result in [stored, *route_stored(database, codes=CODES, now=NOW)]:
        assert result.status in get_args(InboundStatus)
        str(result.message).encode("utf-8")
