"""Fuzzing the X12 readers: any bytes become a located error of ours, never a traceback.

Seeds are the shared corpus (by path), our fixtures and 837D/270 files written from our
claim and inquiry fixtures (:mod:`tests.unit.x12.x12_mutants`); hypothesis applies one to
four mutations (byte flips, inserts and deletes, bytes that are not UTF-8, separators
swapped in the ISA, element values replaced with long digit strings, exponents, ``NaN`` or
nothing, segments duplicated, dropped or cut short) and every reader and file entry point
(``x12 parse``, ``estimate --benefits``) must either read the result or refuse it with an
:class:`~edigateway.errors.X12Error` that names the file and prints.

The budget fits CI and is derandomized (the same examples on every run). A long run
explores further with random examples::

    pytest tests/unit/x12/test_fuzz_readers.py --hypothesis-profile=x12-fuzz

(the profile is registered in this folder's ``conftest.py``; add ``-p no:cacheprovider``
to keep nothing). Crashes it finds belong in ``fixtures/x12/crashes/`` with a test in
``test_crash_fixtures.py``.
"""

from __future__ import annotations

import functools
import io
import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edigateway.errors import EdigatewayError, X12Error
from edigateway.services.eligibility import benefits_of, describe_benefits, estimate_from_files
from edigateway.services.parsing import summarise, write_document
from edigateway.x12.validation import Validator
from tests.factories import REPO
from tests.unit.x12.x12_mutants import KINDS, READERS, Mutation, all_seeds, mutate

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.slow  # thousands of mutants through every reader and the validator

FUZZ_PROFILE = "x12-fuzz"
SEEDS = all_seeds()
PLAN = REPO / "fixtures" / "eligibility" / "01_ppo_full_breakdown" / "plan.json"

MUTATIONS = st.lists(
    st.builds(Mutation, st.sampled_from(KINDS), st.integers(0, 1 << 20), st.integers(0, 1 << 12)),
    min_size=1,
    max_size=4,
)


def _budget(examples: int) -> settings:
    """``examples`` per test in CI (the same ones every run), unless the fuzzing profile
    was chosen on the command line: then the profile's budget and random examples."""
    if settings.get_current_profile_name() == FUZZ_PROFILE:
        return settings(deadline=None)
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def _read_or_refuse(read: Callable[[], object], name: str) -> None:
    """``read()`` either succeeds or raises our located, printable X12 error (anything
    else propagates and fails the test with its traceback)."""
    refused: EdigatewayError | None = None
    try:
        read()
    except EdigatewayError as exc:
        refused = exc
    if refused is not None:
        assert isinstance(refused, X12Error), f"{type(refused).__name__}: {refused}"
        assert refused.location.file == name, f"error not located in {name}: {refused}"
        str(refused).encode("utf-8")  # printable: no undecodable bytes copied into it


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_seed_is_read_or_refused_with_a_located_error(reader: str):
    assert len(SEEDS) >= 40
    for name, data in SEEDS:
        _read_or_refuse(functools.partial(READERS[reader], data, name), name)


@pytest.mark.parametrize("reader", sorted(READERS))
@_budget(250)
@given(seed=st.integers(0, len(SEEDS) - 1), mutations=MUTATIONS)
def test_reader_reads_or_refuses_any_mutant(reader: str, seed: int, mutations: list[Mutation]):
    name, data = SEEDS[seed]
    mutant = mutate(data, mutations)
    _read_or_refuse(lambda: READERS[reader](mutant, name), name)


def _parse(path: Path) -> None:
    for lines in (False, True):
        write_document(path, io.StringIO(), lines=lines)


def _parse_summary(path: Path) -> None:
    "\n".join(summarise(path)).encode("utf-8")


def _benefits(path: Path) -> None:
    for found in benefits_of(path):
        "\n".join(describe_benefits(found)).encode("utf-8")


def _estimate(path: Path) -> None:
    estimate_from_files(path, PLAN).model_dump_json()


FILE_ENTRY_POINTS: dict[str, Callable[[Path], None]] = {
    "x12 parse --json": _parse,
    "x12 parse": _parse_summary,
    "benefits": _benefits,
    "estimate --benefits": _estimate,
}
"""What the commands do with a file, down to the text they print."""


@pytest.fixture(scope="module")
def mutant_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "mutant.x12"


@pytest.mark.parametrize("entry", sorted(FILE_ENTRY_POINTS))
@_budget(150)
@given(seed=st.integers(0, len(SEEDS) - 1), mutations=MUTATIONS)
def test_file_entry_point_reads_or_refuses_any_mutant(
    entry: str, mutant_file: Path, seed: int, mutations: list[Mutation]
):
    _name, data = SEEDS[seed]
    mutant_file.write_bytes(mutate(data, mutations))
    _read_or_refuse(lambda: FILE_ENTRY_POINTS[entry](mutant_file), str(mutant_file))


SMALL_SEEDS = [i for i, (_name, data) in enumerate(SEEDS) if len(data) < 20_000]


@_budget(25)
@given(seed=st.sampled_from(SMALL_SEEDS), mutations=MUTATIONS)
def test_validate_gives_any_mutant_a_verdict(
    validator: Validator, seed: int, mutations: list[Mutation]
):
    name, data = SEEDS[seed]
    verdict = validator.validate_bytes(mutate(data, mutations), name)
    assert verdict.status in ("valid", "invalid", "unsupported", "unreadable")
    assert verdict.valid == (verdict.errors == ())
    json.dumps(verdict.to_json()).encode("utf-8")
