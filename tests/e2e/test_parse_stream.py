"""``edigateway x12 parse --json`` on a 50,000-claim 835 stays under a memory ceiling
(issue 18, target 2): the command runs as its own process and its peak resident memory
is read from the kernel's accounting of that process (``os.wait4``), not timed.

Before streaming, the document was built whole and then dumped: 666 MB for 20,000 claims
and 4.3 GB for 135,000, i.e. growing with the file. Streamed, the process holds one claim
at a time; its floor is the interpreter with pydantic (about 45 MiB).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import REPO

TEMPLATE = REPO / "fixtures" / "era" / "02_partial_pay_deductible_coinsurance" / "era.835"
CLAIMS = 50_000
CEILING_MIB = 100


def _835_of(claims: int, path: Path) -> None:
    """An 835 holding ``claims`` copies of the template's claim (each its own CLP01)."""
    segments = [s.strip() for s in TEMPLATE.read_text().split("~") if s.strip()]
    first = next(i for i, s in enumerate(segments) if s.startswith("CLP"))
    end = next(i for i, s in enumerate(segments) if s.startswith(("PLB", "SE*")))
    header, claim, trailer = segments[:first], segments[first:end], segments[end:]
    with path.open("w") as out:
        out.write("~\n".join(header) + "~\n")
        for n in range(claims):
            out.write(
                "~\n".join([f"CLP*C{n:07d}*" + claim[0].split("*", 2)[2], *claim[1:]]) + "~\n"
            )
        # SE01 counts from ST to SE: the header less ISA and GS, the claims, PLB and SE
        count = (
            len(header)
            - 2
            + claims * len(claim)
            + sum(1 for s in trailer if not s.startswith(("GE", "IEA")))
        )
        for seg in trailer:
            control = seg.split("*")[2] if seg.startswith("SE*") else ""
            out.write((f"SE*{count}*{control}" if control else seg) + "~\n")


_MEASURE = """
import os, subprocess, sys
with open(sys.argv[1], "wb") as out:
    child = subprocess.Popen(sys.argv[2:], stdout=out)
    _, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""
"""Run a command and print its exit code and peak RSS (KiB). The measuring process is a
small interpreter of its own: a process's peak RSS counts what its parent held when it was
forked (Linux carries the old memory's high-water mark across exec), so the command is
not started from the test process, which holds the generated file's pages."""


def _peak_mib(args: list[str], stdout: Path) -> tuple[int, float]:
    """Run ``args`` with its output to ``stdout``: exit code and peak RSS in MiB."""
    answer = subprocess.run(
        [sys.executable, "-S", "-c", _MEASURE, str(stdout), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    code, kib = answer.stdout.split()
    return int(code), int(kib) / 1024


@pytest.mark.slow
def test_parse_json_of_a_50000_claim_835_stays_under_the_ceiling(tmp_path: Path):
    era = tmp_path / "big.835"
    _835_of(CLAIMS, era)
    exe = str(Path(sys.executable).with_name("edigateway"))
    out = tmp_path / "big.json"
    code, peak = _peak_mib([exe, "x12", "parse", str(era), "--json"], out)
    assert code == 0
    size = out.stat().st_size
    assert size > 100 * 1024 * 1024  # the document is far larger than the ceiling
    assert peak < CEILING_MIB, f"peak {peak:.1f} MiB for a {size / 2**20:.0f} MiB document"
    with out.open("rb") as written:
        assert written.read(12) == b'{\n  "file": '
        written.seek(-400, os.SEEK_END)
        tail = written.read().decode()
    assert f'"claims": {CLAIMS},' in tail
    assert tail.endswith("}\n")
