"""Every crash the reader fuzzer found, kept as a file: each reader and file entry point that
applies now refuses it with our error, located where ``expected.json`` says.

The files (``fixtures/x12/crashes/``, one per root cause, each derived from one of our own
fixtures by one change) and what they crashed with before are listed in ``expected.json``.
The CLI, ``era post``, the poller and ``POST /v1/eligibility`` read them in
``tests/e2e/test_crash_fixtures_cli.py``.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import pytest

from edigateway.errors import X12Error
from edigateway.services.eligibility import benefits_of, estimate_from_files
from edigateway.services.parsing import summarise, write_document
from edigateway.x12.validation import Validator
from tests.factories import REPO
from tests.unit.x12.x12_mutants import READERS

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

CRASHES = REPO / "fixtures" / "x12" / "crashes"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CRASHES / "expected.json").read_text())
PLAN = REPO / "fixtures" / "eligibility" / "01_ppo_full_breakdown" / "plan.json"

_BY_KIND: dict[str, tuple[str, ...]] = {
    ".835": ("835", "835-stream", "x12 parse", "x12 parse --json"),
    ".837d": ("837D", "x12 parse", "x12 parse --json"),
    ".271": ("271", "x12 parse", "x12 parse --json", "benefits", "estimate"),
    ".999": ("999",),
}


def _entry(name: str) -> Callable[[Path], object]:
    if name in READERS:
        return lambda path: READERS[name](path.read_bytes(), str(path))
    return {
        "x12 parse": summarise,
        "x12 parse --json": lambda path: write_document(path, io.StringIO()),
        "benefits": benefits_of,
        "estimate": lambda path: estimate_from_files(path, PLAN),
    }[name]


def _cases() -> list[tuple[str, str]]:
    cases = []
    for name, want in EXPECTED.items():
        entries = want.get("only") or _BY_KIND[f".{name.rsplit('.', 1)[1]}"]
        cases += [(name, entry) for entry in entries]
    return cases


def test_every_crash_file_is_listed():
    files = {p.name for p in CRASHES.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize(("name", "entry"), _cases())
def test_crash_file_gets_our_located_error(name: str, entry: str):
    want, path = EXPECTED[name], CRASHES / name
    with pytest.raises(X12Error) as caught:
        _entry(entry)(path)
    error, location = caught.value, caught.value.location
    assert type(error).__name__ == want["error"]
    assert location.file == str(path)
    assert (location.segment_index, location.segment_id, location.element) == (
        want["segment_index"],
        want["segment_id"],
        want["element"],
    )
    if want["loop"] is not None:
        assert location.loop == want["loop"]
    str(error).encode("utf-8")


@pytest.mark.parametrize("name", sorted(n for n, want in EXPECTED.items() if not want.get("only")))
def test_crash_file_is_not_valid(name: str, validator: Validator):
    verdict = validator.validate_file(CRASHES / name)
    assert not verdict.valid
    if EXPECTED[name]["error"] == "X12SyntaxError":
        assert verdict.status == "unreadable"
        assert verdict.errors[0].segment_id == "ISA"
