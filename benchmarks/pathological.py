"""Pathological X12 inputs for the bounded-validation benchmark (issue 18, target 3).

Usage::

    python benchmarks/pathological.py refs 5200000 benchmarks/out/refs-5200000.835
    python benchmarks/pathological.py element 52428800 benchmarks/out/element-50mb.835

``refs N``: the one-claim 835 of ``fixtures/era/01_full_pay`` with its first ``REF*6R``
repeated ``N`` times in the service line (SE01 counts them, so the envelope is right and
only the repeats are wrong: the guide allows one ``REF*6R`` per line). Written in 1 MiB
pieces, never held whole.

``element BYTES``: the same 835 cut at its first ``REF*6R*``, followed by one element of
``BYTES`` letters and no segment terminator — a file that is one endless element.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "fixtures" / "era" / "01_full_pay" / "era.835"
REPEATED = "REF*6R*ERA101-1~\n"
_PIECE = 1 << 20


def refs(count: int, out: Path) -> None:
    """The seed 835 with ``count`` extra copies of its first REF*6R (SE01 adjusted)."""
    text = SEED.read_text()
    head, tail = text.split(REPEATED, 1)
    se_count = int(tail.split("SE*", 1)[1].split("*", 1)[0])
    tail = tail.replace(f"SE*{se_count}*", f"SE*{se_count + count}*", 1)
    per_piece = max(1, _PIECE // len(REPEATED))
    with out.open("w", encoding="ascii") as stream:
        stream.write(head + REPEATED)
        left = count
        while left:
            n = min(left, per_piece)
            stream.write(REPEATED * n)
            left -= n
        stream.write(tail)


def element(size: int, out: Path) -> None:
    """The seed 835 up to its first ``REF*6R*``, then ``size`` letters and nothing else."""
    text = SEED.read_text()
    head = text[: text.index(REPEATED) + len("REF*6R*")]
    with out.open("w", encoding="ascii") as stream:
        stream.write(head)
        left = size
        while left:
            n = min(left, _PIECE)
            stream.write("A" * n)
            left -= n


def main(argv: list[str]) -> int:
    """``pathological.py refs|element N OUT``."""
    if len(argv) != 4 or argv[1] not in ("refs", "element"):
        print(__doc__)
        return 2
    out = Path(argv[3])
    out.parent.mkdir(parents=True, exist_ok=True)
    (refs if argv[1] == "refs" else element)(int(argv[2]), out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
