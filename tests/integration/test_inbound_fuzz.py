"""Fuzzing the inbound path: whatever bytes a clearinghouse sends, a poll ends every file in
a known state and nothing escapes.

Seeds are the shared corpus's 999, 277CA, 835 and TA1 files and our ERA fixtures. Each
example mutates its seed byte-wise (flip, insert, delete, truncate) and segment-wise (drop,
repeat, swap segments, put a nasty value into an element: exponents, huge numbers, bytes
that are not UTF-8, NUL, separators), then gets a fresh ISA13 where it still has one, so
examples are not all twins of their seed's interchange. The file goes through the real
poll — MemoryTransport, then ``store_inbound`` and ``route`` on SQLite — and must end
``processed``, ``duplicate``, ``unmatched``, ``unsupported`` or ``failed``; the last three
with a work item naming it, and its bytes kept exactly.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from edigateway.codelists import CodeLists
from edigateway.persistence.database import Database
from edigateway.persistence.inbound_rows import inbound_bytes
from edigateway.persistence.tables import InboundFileRow, WorkItemRow
from edigateway.services.inbound import poll_inbound
from edigateway.transports.memory import MemoryTransport
from tests.factories import CORPUS, NOW, REPO

pytestmark = pytest.mark.slow  # hundreds of generated files through the poller

CODES = CodeLists.load(REPO / "mappings")
ENDINGS = {"processed", "duplicate", "unmatched", "unsupported", "failed"}
NEEDS_WORK = {"unmatched", "unsupported", "failed"}

SEEDS = sorted(
    [
        p
        for folder in ("999", "277CA", "835", "TA1")
        for p in (CORPUS / folder).iterdir()
        if p.is_file()
    ]
    + list((REPO / "fixtures/era").glob("*/*.835"))
)
NASTY = [
    b"1E+30",
    b"-1E+30",
    b"1e-400",
    b"NaN",
    b"Infinity",
    b"99999999999999999999.99",
    b"",
    b"-",
    b".",
    b"1.2.3",
    b"\xff\xfe",
    b"\xc3(",
    b"\x00",
    b"A" * 300,
    b"*",
    b"~",
    b":",
    b"^",
    b"0" * 40,
    b"\xd9\xa1\xd9\xa2",
    b"20261399",
    b"-0",
    b"+5",
]
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory):
    """One SQLite database for every example (each file gets a fresh ISA13 and name)."""
    db = Database.connect(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}")
    db.upgrade()
    yield db
    db.dispose()


def _fresh_interchange(data: bytes, number: int) -> bytes:
    """``data`` with ISA13 = ``number`` while its ISA is still fixed-width with a numeric
    ISA13 (one the mutations broke is left as it is: that is worth feeding too)."""
    start = data.find(b"ISA")
    if start < 0 or len(data) < start + 106:
        return data
    separator = data[start + 3 : start + 4]
    if (
        data[start + 89 : start + 90] != separator
        or data[start + 99 : start + 100] != separator
        or not data[start + 90 : start + 99].isdigit()
    ):
        return data
    return data[: start + 90] + f"{number:09d}".encode() + data[start + 99 :]


def _segment_terminator(data: bytes) -> bytes:
    start = data.find(b"ISA")
    return data[start + 105 : start + 106] if start >= 0 and len(data) > start + 105 else b"~"


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SEEDS)).read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        data = draw(_mutation(data))
    return data


def _mutation(data: bytes) -> st.SearchStrategy[bytes]:
    size = max(len(data), 1)
    at = st.integers(0, size - 1)
    terminator = _segment_terminator(data) or b"~"
    segments = data.split(terminator)
    count = len(segments)
    index = st.integers(0, max(count - 1, 0))

    def flip(position: int, value: int) -> bytes:
        return data[:position] + bytes([value]) + data[position + 1 :]

    def insert(position: int, blob: bytes) -> bytes:
        return data[:position] + blob + data[position:]

    def delete(position: int, length: int) -> bytes:
        return data[:position] + data[position + length :]

    def with_segments(new: list[bytes]) -> bytes:
        return terminator.join(new)

    def drop(i: int) -> bytes:
        return with_segments(segments[:i] + segments[i + 1 :])

    def repeat(i: int) -> bytes:
        return with_segments(segments[: i + 1] + segments[i:])

    def swap(i: int, j: int) -> bytes:
        new = list(segments)
        new[i], new[j] = new[j], new[i]
        return with_segments(new)

    def nasty(i: int, element: int, value: bytes) -> bytes:
        separator = data[3:4] or b"*"
        parts = segments[i].split(separator)
        parts[element % len(parts)] = value
        new = list(segments)
        new[i] = separator.join(parts)
        return with_segments(new)

    return st.one_of(
        st.builds(flip, at, st.integers(0, 255)),
        st.builds(insert, at, st.binary(min_size=1, max_size=8)),
        st.builds(delete, at, st.integers(1, 64)),
        st.builds(lambda n: data[:n], at),
        st.builds(drop, index),
        st.builds(repeat, index),
        st.builds(swap, index, index),
        st.builds(nasty, index, st.integers(1, 12), st.sampled_from(NASTY)),
        st.builds(nasty, index, st.integers(1, 12), st.sampled_from(NASTY)),
    )


@pytest.mark.slow
@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=mutated())
def test_any_received_file_ends_in_a_known_state_with_its_bytes_kept(
    database: Database, data: bytes
):
    number = next(_numbers)
    name = f"fuzz_{number:05d}.x12"
    data = _fresh_interchange(data, number)  # not a twin of an earlier example's interchange
    transport = MemoryTransport()
    transport.put_inbound(name, data)

    results = poll_inbound(database, transport, clearinghouse="sim", codes=CODES, now=NOW)

    assert results, "the file was neither stored nor reported"
    assert {r.status for r in results} <= ENDINGS, results
    assert transport.list_inbound() == []
    with database.transaction() as session:
        row = session.scalars(
            select(InboundFileRow).where(InboundFileRow.remote_name == name)
        ).first()
        if row is not None:
            assert inbound_bytes(session, row) == data
            assert row.status in ENDINGS, row.status
        else:
            assert [r.status for r in results] == ["duplicate"], results
        if {r.status for r in results} & NEEDS_WORK:
            naming = session.scalars(
                select(WorkItemRow.id).where(WorkItemRow.message.contains(name))
            ).all()
            assert naming, f"no work item names {name}: {results}"
