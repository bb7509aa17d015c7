"""Validation in bounded memory: a pathological file ends with its findings, never with the
process holding the whole file, its segment list or pyx12's node per faulty segment.

Memory is measured with tracemalloc around the validation of a generated file (after a
warm-up run, so pyx12's maps, loaded once per process, are not counted). The ceilings are
far below what reading such a file whole costs: before validation streamed, the 300,000
repeated segments below took ~130 MiB as Segment objects and normalised text alone, and
pyx12 kept a node per faulty segment on top. No timings are asserted (see benchmarks/).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from edigateway.x12 import validation
from edigateway.x12.envelope import MAX_SEGMENT_LENGTH
from edigateway.x12.validation import MAX_FINDINGS, Validator, Verdict
from tests.factories import REPO

ERA = (REPO / "fixtures" / "era" / "01_full_pay" / "era.835").read_text()
REPEATED = "REF*6R*ERA101-1~\n"
MiB = 1 << 20


@pytest.fixture(scope="module")
def validator(validator: Validator) -> Validator:
    """The session's validator, warmed up: its maps load outside the measured runs."""
    assert validator.validate_text(ERA).valid
    return validator


def _repeated(path: Path, count: int) -> Path:
    """The ERA fixture with ``count`` extra copies of its first REF*6R (SE01 counts them)."""
    head, tail = ERA.split(REPEATED, 1)
    tail = tail.replace("SE*24*", f"SE*{24 + count}*", 1)
    path.write_text(head + REPEATED * (count + 1) + tail)
    return path


def _peak(run: object) -> tuple[Verdict, int]:
    tracemalloc.start()
    try:
        verdict = run()  # type: ignore[operator]
        return verdict, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_a_transaction_of_300000_repeated_segments_stops_at_the_limit_in_bounded_memory(
    validator: Validator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The limit is lowered to 20,000 segments so the test takes seconds; pyx12 finds each
    repeat past the first up to there (19,981 findings, the first 1,000 listed), then the
    rest of the transaction is only counted. Measured: 3.9 MiB at 100,000 repeats, where
    keeping pyx12's node per faulty segment took 14.6 MiB and reading the file whole before
    validating it (the adapter until issue 18) 115 MiB."""
    monkeypatch.setattr(validation, "MAX_TRANSACTION_SEGMENTS", 20_000)
    path = _repeated(tmp_path / "refs.835", 300_000)
    verdict, peak = _peak(lambda: validator.validate_file(path))
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert verdict.status == "invalid"
    assert len(verdict.errors) == MAX_FINDINGS
    repeats = [f for f in verdict.errors if f.segment_id == "REF"]
    assert len(repeats) == MAX_FINDINGS - 1
    assert (repeats[0].segment_index, repeats[0].loop) == (21, "2110")
    limit = verdict.errors[-1]
    assert (limit.code, limit.segment_index, limit.snip_type) == ("LIMIT", 20_001, 1)
    assert "(ST) has 300,024 segments; validation stopped after 20,000" in limit.message
    note = (
        "19,981 findings; the first 1,000 are listed (past the first findings of a kind "
        "they are counted, not told apart)"
    )
    assert verdict.notes == (note,)


@pytest.mark.parametrize("terminated", [False, True])
def test_an_endless_element_is_refused_where_it_stands(
    validator: Validator, tmp_path: Path, terminated: bool
):
    head = ERA[: ERA.index(REPEATED) + len("REF*6R*")]
    size = 8 * MAX_SEGMENT_LENGTH
    path = tmp_path / "element.835"
    path.write_text(head + "A" * size + ("~\n" + ERA.split(REPEATED, 1)[1] if terminated else ""))
    verdict, peak = _peak(lambda: validator.validate_file(path))
    assert peak < 6 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert verdict.status == "unreadable"
    (finding,) = verdict.errors
    assert (finding.segment_index, finding.segment_id, finding.element, finding.code) == (
        20,
        "REF",
        "REF02",
        "SYNTAX",
    )
    assert "runs past 1,048,576 characters without a segment terminator" in finding.message
