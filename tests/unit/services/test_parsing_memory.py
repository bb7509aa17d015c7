"""``x12 parse --json`` of a 271 holds one patient at a time (issue 18, target 2): the
memory Python allocates while writing it (``tracemalloc``'s peak), not a time, stays under
a ceiling far below the size of the document, however many patients the file answers for.

Before the 271 reader streamed, every patient's benefits were held until the file ended:
49 MiB traced for 2,000 patients and 551 MiB of process memory for 20,000. Streamed, the
peak is the patient being read and written (about 0.4 MiB).
"""

from __future__ import annotations

import io
import tracemalloc
from typing import TYPE_CHECKING

import pytest

from edigateway.services.parsing import write_document
from tests.factories import REPO

if TYPE_CHECKING:
    from pathlib import Path

TEMPLATE = REPO / "fixtures" / "eligibility" / "01_ppo_full_breakdown" / "response.271"
PATIENTS = 500
CEILING_MIB = 1


class _Counter(io.StringIO):
    """A text sink that keeps nothing but the number of characters written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text)
        return len(text)


def _271_of(patients: int, path: Path) -> None:
    """The template 271 with its subscriber loop (the last HL) repeated ``patients``
    times, each HL numbered on (the reader does not recount SE01)."""
    segments = [s.strip() for s in TEMPLATE.read_text().split("~") if s.strip()]
    last = max(i for i, s in enumerate(segments) if s.startswith("HL*"))
    end = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    block = segments[last + 1 : end]
    with path.open("w") as out:
        out.write("~\n".join(segments[:last]) + "~\n")
        for n in range(patients):
            out.write("~\n".join([f"HL*{last + n}*2*22*0", *block]) + "~\n")
        out.write("~\n".join(segments[end:]) + "~\n")


@pytest.mark.slow
def test_parse_json_of_a_271_holds_one_patient_at_a_time(tmp_path: Path):
    big = tmp_path / "big.271"
    _271_of(PATIENTS, big)
    write_document(TEMPLATE, _Counter())  # imports and pydantic's schemas, outside the count
    out = _Counter()
    tracemalloc.start()
    try:
        write_document(big, out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.written > 3 * CEILING_MIB * 2**20  # the document is far larger than the ceiling
    assert peak < CEILING_MIB * 2**20, f"peak {peak / 2**20:.2f} MiB"
