"""Differential test: our verdict is never ``valid`` where ``x12valid`` finds an error.

For every transaction where pyx12 ships its own map (835, 837P, 837I, 999), the same bytes
go to ``x12valid`` — called as a library exactly as its ``main()`` calls it: default
parameters, a 999 written to a temporary file, pyx12's packaged maps, the file read from
disk by pyx12 itself — and to :class:`~edigateway.x12.validation.Validator`. Where x12valid
says Failure, we must not say valid. Where x12valid cannot judge the bytes at all (it
crashes on a UTF-8 byte-order mark, on non-ASCII bytes, or has no map), the file is
compared without its BOM if that is the reason, and otherwise left out (counted, so the
test notices when nothing is compared). One subprocess run of the real ``x12valid`` on a
valid and an invalid file shows that the library call is what the command does.

Inputs: the shared corpus (by path), our 835 fixtures, envelope element faults applied to
a valid file of each transaction (dates, times, counts, control numbers, extra and
missing elements), and forty mutants of the seeds drawn with a fixed random seed from the
fuzzing mutations of ``tests/unit/x12/x12_mutants.py`` (the same ones on every run).

The last test validates eight different files from eight threads at once, over and over,
and compares each verdict with the file's own sequential verdict.
"""

from __future__ import annotations

import logging
import random
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from edigateway.x12.validation import Validator
from tests.factories import CORPUS, REPO
from tests.unit.x12.x12_mutants import Mutation, mutate

FOLDERS = ("835", "837P", "837I", "999")
TODAY = date(2026, 11, 22)
MAX_SEED_BYTES = 60_000  # the two load-test 837Ps (≈ 1 MB) take seconds each, twice

if not CORPUS.is_dir():
    pytest.skip(f"shared corpus not found at {CORPUS}", allow_module_level=True)

pytestmark = pytest.mark.slow

_ALL = sorted(
    p
    for folder in FOLDERS
    for p in (CORPUS / folder).glob("*")
    if p.is_file() and p.suffix != ".997" and p.stat().st_size <= MAX_SEED_BYTES
)
_IMSWEB_837P = [p for p in _ALL if p.parent.name == "837P" and p.name.startswith("imsweb")]
CORPUS_FILES = [p for p in _ALL if p not in _IMSWEB_837P[1::2]]
"""Every small file of the four folders but every other imsweb 837P (they are variants of
one file, and an 837P costs x12valid half a second to load its map)."""
ERA_FIXTURES = sorted((REPO / "fixtures" / "era").glob("*/era.835"))
VALID_SEEDS = {  # one file x12valid passes, per transaction with a pyx12 map
    "835": CORPUS / "835" / "keironstoddart__emedny_sample.txt",
    "835 ours": REPO / "fixtures" / "era" / "02_partial_pay_deductible_coinsurance" / "era.835",
    "837P": CORPUS / "837P" / "moov__sample.txt",
    "999": CORPUS / "999" / "imsweb__x12_999_rejected.txt",
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("x12valid")


def x12valid(path: Path) -> bool | None:
    """x12valid's verdict on the file at ``path`` (True OK, False Failure), or ``None``
    when it cannot judge the file (it raises)."""
    import pyx12.params
    import pyx12.x12n_document

    param = pyx12.params.params(None)
    param.set("exclude_external_codes", "")
    logger = logging.getLogger("pyx12")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with tempfile.TemporaryFile(mode="w+", encoding="ascii") as fd_997:
            return bool(
                pyx12.x12n_document.x12n_document(
                    param=param,
                    src_file=str(path),
                    fd_997=fd_997,
                    fd_html=None,
                    fd_xmldoc=None,
                    fd_json=None,
                    map_path=None,
                )
            )
    except Exception:  # noqa: BLE001 - x12valid crashing means it gives no verdict
        return None
    finally:
        logger.setLevel(level)


class Tally:
    compared = 0
    failures_seen = 0
    no_verdict = 0


def _compare(
    validator: Validator, data: bytes, name: str, scratch: Path, tally: type[Tally]
) -> None:
    path = scratch / "input.x12"
    path.write_bytes(data)
    theirs = x12valid(path)
    if theirs is None and data.startswith(b"\xef\xbb\xbf"):
        path.write_bytes(data[3:])  # the same X12 without the mark pyx12 cannot decode
        theirs = x12valid(path)
    if theirs is None:
        tally.no_verdict += 1
        return
    tally.compared += 1
    ours = validator.validate_bytes(data, name, today=TODAY)
    if not theirs:
        tally.failures_seen += 1
        assert ours.status != "valid", f"{name}: x12valid says Failure, we say valid"


def test_corpus_and_fixtures(validator: Validator, scratch: Path):
    class Counts(Tally):
        pass

    for path in (*CORPUS_FILES, *ERA_FIXTURES):
        _compare(validator, path.read_bytes(), path.name, scratch, Counts)
    assert Counts.compared >= 30
    assert Counts.failures_seen >= 20


# --------------------------------------------------------------------------- envelope faults


def _segments(data: bytes) -> tuple[list[list[str]], str, str, str]:
    text = data.decode("ascii").removeprefix("\ufeff")
    element, terminator = text[3], text[105]
    raw = [s.strip("\r\n") for s in text.split(terminator)]
    return [s.split(element) for s in raw if s], element, terminator, "\n"


def _join(segments: list[list[str]], element: str, terminator: str, newline: str) -> bytes:
    return "".join(element.join(s) + terminator + newline for s in segments).encode("ascii")


def _edit(seg_id: str, change: Callable[[list[str]], None]) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        segments, *delimiters = _segments(data)
        for seg in segments:
            if seg[0] == seg_id:
                change(seg)
                break
        return _join(segments, *delimiters)

    return apply


def _set(index: int, value: str | Callable[[str], str]) -> Callable[[list[str]], None]:
    def change(seg: list[str]) -> None:
        while len(seg) <= index:
            seg.append("")
        seg[index] = value(seg[index]) if callable(value) else value

    return change


def _plus_one(value: str) -> str:
    return str(int(value) + 1) if value.isdigit() else value + "1"


ENVELOPE_FAULTS: dict[str, Callable[[bytes], bytes]] = {
    "ISA09 date": _edit("ISA", _set(9, "991399")),
    "ISA10 time": _edit("ISA", _set(10, "2599")),
    "ISA15 code": _edit("ISA", _set(15, "Q")),
    "GS04 date": _edit("GS", _set(4, "20261132")),
    "GS05 time": _edit("GS", _set(5, "2575")),
    "GS extra element": _edit("GS", lambda s: s.append("9")),
    "ST extra element": _edit("ST", lambda s: s.extend([""] * (4 - len(s)) + ["9"])),
    "ST03 wrong or added": _edit("ST", _set(3, "005010X999")),
    "ST03 dropped": _edit("ST", lambda s: s.__delitem__(slice(3, None))),
    "SE01 count": _edit("SE", _set(1, _plus_one)),
    "SE02 number": _edit("SE", _set(2, _plus_one)),
    "SE extra element": _edit("SE", lambda s: s.append("9")),
    "GE01 count": _edit("GE", _set(1, _plus_one)),
    "GE02 number": _edit("GE", _set(2, _plus_one)),
    "IEA01 count": _edit("IEA", _set(1, _plus_one)),
    "IEA02 number": _edit("IEA", _set(2, lambda v: f"{(int(v) + 1) % 10**9:09d}")),
    "IEA extra element": _edit("IEA", lambda s: s.append("9")),
}


def test_the_seeds_pass_both(validator: Validator):
    for name, seed in VALID_SEEDS.items():
        assert x12valid(seed), f"{name}: the seed itself must pass x12valid"
        assert validator.validate_file(seed, today=TODAY, level=2).valid, name


@pytest.mark.parametrize("fault", sorted(ENVELOPE_FAULTS))
def test_envelope_faults(validator: Validator, scratch: Path, fault: str):
    class Counts(Tally):
        pass

    for name, seed in VALID_SEEDS.items():
        data = ENVELOPE_FAULTS[fault](seed.read_bytes())
        _compare(validator, data, f"{name}: {fault}", scratch, Counts)
    assert Counts.compared == len(VALID_SEEDS)


# --------------------------------------------------------------------------- fuzzed mutants

SEEDS = [p.read_bytes() for p in (*VALID_SEEDS.values(), *CORPUS_FILES[::5])]
KINDS = ("element", "duplicate", "drop", "truncate_segment", "flip", "delete", "insert")


def _mutants(count: int) -> list[tuple[int, list[Mutation]]]:
    """``count`` (seed, mutations) pairs, the same on every run (a fixed random seed)."""
    draw = random.Random(13)  # noqa: S311 - test data, not cryptography
    return [
        (
            draw.randrange(len(SEEDS)),
            [
                Mutation(draw.choice(KINDS), draw.randrange(1 << 20), draw.randrange(1 << 12))
                for _ in range(draw.randint(1, 3))
            ],
        )
        for _ in range(count)
    ]


def test_mutants(validator: Validator, scratch: Path):
    class Counts(Tally):
        pass

    for number, (seed, mutations) in enumerate(_mutants(40)):
        _compare(
            validator,
            mutate(SEEDS[seed], mutations),
            f"mutant {number} {mutations}",
            scratch,
            Counts,
        )
    assert Counts.compared >= 20
    assert Counts.failures_seen >= 8


def test_the_library_call_is_what_x12valid_says(scratch: Path):
    good = VALID_SEEDS["835"]
    bad = scratch / "bad.835"
    bad.write_bytes(ENVELOPE_FAULTS["GS04 date"](good.read_bytes()))
    copy = scratch / "good.835"
    copy.write_bytes(good.read_bytes())  # x12valid writes its 999 beside its input
    command = Path(sys.executable).with_name("x12valid")
    result = subprocess.run(
        [str(command), "--quiet", str(copy), str(bad)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    said = dict(re.findall(r"^(\S+): (OK|Failure)$", result.stderr, flags=re.MULTILINE))
    assert said == {str(copy): "OK", str(bad): "Failure"}
    assert (x12valid(copy), x12valid(bad)) == (True, False)


# --------------------------------------------------------------------------- threads


def test_eight_threads_get_each_files_own_findings(validator: Validator):
    base = (REPO / "fixtures" / "x12" / "minimal.837d").read_text()
    texts = [
        base,
        base.replace("TOO*JP*30*", "TOO*JP*99*"),
        base.replace("*261121*0900*", "*261399*0900*"),
        base.replace("SV3*AD:", "SV3*ZZ:"),
        base.replace("CLM*MSD1001*195*", "CLM*MSD1001*196*"),
        base.replace("ST*837*0001*005010X224A2~", "ST*837*0001~"),
        VALID_SEEDS["835"].read_text(),
        ENVELOPE_FAULTS["GE02 number"](VALID_SEEDS["999"].read_bytes()).decode(),
    ]
    expected = [
        validator.validate_text(t, f"file{i}", today=TODAY).to_json() for i, t in enumerate(texts)
    ]
    assert len({str(e["errors"]) for e in expected}) == len(texts)  # all different
    start = threading.Barrier(len(texts))

    def work(index: int) -> list[dict[str, object]]:
        start.wait()
        return [
            validator.validate_text(texts[index], f"file{index}", today=TODAY).to_json()
            for _ in range(6)
        ]

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        results = list(pool.map(work, range(len(texts))))
    for index, rounds in enumerate(results):
        assert all(r == expected[index] for r in rounds), f"file{index} got another's findings"
