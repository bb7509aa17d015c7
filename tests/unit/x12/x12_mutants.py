"""Seeds and mutations for fuzzing the X12 readers (used by ``test_fuzz_readers.py``).

Seeds are real files: every X12 file of the shared corpus (read by path, never copied) and
the project's own fixtures, plus 837Ds and 270s built from the claim and inquiry fixtures.
A mutant is a seed with a short list of :class:`Mutation` applied; each mutation is plain
data (kind, position, argument), so hypothesis can draw and shrink it and a crash can be
written down and replayed exactly.

The kinds aim at what has broken readers before: byte flips, inserts and deletes; bytes
that are not UTF-8; separators swapped in the fixed-width ISA (so that they collide);
element values replaced with long digit strings, exponents, ``NaN`` or nothing; segments
duplicated, dropped or cut short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from edigateway.services.eligibility import describe_benefits
from edigateway.x12.envelope import read_segments, sniff_header
from edigateway.x12.ta1 import read_ta1
from edigateway.x12.x270_005010X279A1 import read_270
from edigateway.x12.x271_005010X279A1 import read_271
from edigateway.x12.x276_005010X212 import read_276
from edigateway.x12.x277_005010X212 import read_277
from edigateway.x12.x277ca_005010X214 import read_277ca
from edigateway.x12.x835_005010X221A1 import iter_835, read_835
from edigateway.x12.x837d_005010X224A2 import read_837d
from edigateway.x12.x999_005010X231A1 import read_999
from tests.factories import CORPUS, REPO

if TYPE_CHECKING:
    from collections.abc import Callable


KINDS = (
    "flip",
    "insert",
    "delete",
    "non_utf8",
    "isa_separator",
    "element",
    "duplicate",
    "drop",
    "truncate_segment",
    "truncate_file",
)

ELEMENT_VALUES: tuple[bytes, ...] = (
    b"9" * 19,
    b"1" * 27,
    b"9" * 30,
    b"-" + b"9" * 40,
    b"12345678901234567.89",
    b"99999999999",
    b"1E5",
    b"1e-7",
    b"2E+30",
    b"NaN",
    b"-nan",
    b"sNaN",
    b"Infinity",
    b"-Inf",
    b"",
    b"0",
    b"-0",
    b"+5",
    b".",
    b"-",
    b"1.2.3",
    b"1,000",
    b" 12 ",
    b"\xc2\xb2",
    b"\xd9\xa3",
    b"\xff\xfe",
    b"\x80",
    b"20261301",
    b"99999999",
    b"0000",
    b"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
)
"""Replacement element values: what numbers, dates and codes must survive."""

SEPARATOR_CHARS = b"*:^~|>+U \n\x1d0"
"""Characters a swapped ISA separator takes: the usual ones (so they collide), a letter, a
space, a digit, a newline and 0x1D."""


@dataclass(frozen=True, slots=True)
class Mutation:
    """One change to a file: ``kind`` (see :data:`KINDS`), where, and with what."""

    kind: str
    at: int
    arg: int


def _terminator(data: bytes) -> bytes:
    start = data.find(b"ISA")
    if start >= 0 and len(data) > start + 105:
        return data[start + 105 : start + 106]
    return b"~"


def _element_separator(data: bytes) -> bytes:
    start = data.find(b"ISA")
    return data[start + 3 : start + 4] if 0 <= start < len(data) - 3 else b"*"


def _flip(data: bytes, at: int, arg: int) -> bytes:
    if not data:
        return data
    i = at % len(data)
    return data[:i] + bytes([data[i] ^ (1 << (arg % 8))]) + data[i + 1 :]


def _insert(data: bytes, at: int, arg: int) -> bytes:
    i = at % (len(data) + 1)
    return data[:i] + bytes([arg % 256]) * (1 + arg % 3) + data[i:]


def _delete(data: bytes, at: int, arg: int) -> bytes:
    i = at % (len(data) + 1)
    return data[:i] + data[i + 1 + arg % 8 :]


def _non_utf8(data: bytes, at: int, arg: int) -> bytes:
    i = at % (len(data) + 1)
    return data[:i] + bytes([0x80 + arg % 128]) + data[i:]


def _isa_separator(data: bytes, at: int, arg: int) -> bytes:
    start = data.find(b"ISA")
    offset = start + (3, 82, 104, 105)[at % 4]
    if start < 0 or offset >= len(data):
        return data
    char = SEPARATOR_CHARS[arg % len(SEPARATOR_CHARS) :][:1]
    return data[:offset] + char + data[offset + 1 :]


def _truncate_file(data: bytes, at: int, _arg: int) -> bytes:
    return data[: at % (len(data) + 1)]


def apply(data: bytes, mutation: Mutation) -> bytes:
    """``data`` with ``mutation`` applied (positions wrap around the file)."""
    byte_level = {
        "flip": _flip,
        "insert": _insert,
        "delete": _delete,
        "non_utf8": _non_utf8,
        "isa_separator": _isa_separator,
        "truncate_file": _truncate_file,
    }
    if mutation.kind in byte_level:
        return byte_level[mutation.kind](data, mutation.at, mutation.arg)
    return _segment_mutation(data, mutation.kind, mutation.at, mutation.arg)


def _segment_mutation(data: bytes, kind: str, at: int, arg: int) -> bytes:
    term = _terminator(data)
    segments = data.split(term)
    if not segments:
        return data
    i = at % len(segments)
    if kind == "duplicate":
        segments.insert(i, segments[i])
    elif kind == "drop":
        del segments[i]
    elif kind == "truncate_segment":
        segments[i] = segments[i][: arg % (len(segments[i]) + 1)]
    elif kind == "element":
        sep = _element_separator(data)
        elements = segments[i].split(sep)
        if len(elements) > 1:
            j = 1 + arg % (len(elements) - 1)
            elements[j] = ELEMENT_VALUES[(arg // 64) % len(ELEMENT_VALUES)]
            segments[i] = sep.join(elements)
    return term.join(segments)


def mutate(data: bytes, mutations: list[Mutation]) -> bytes:
    """``data`` with every mutation applied in turn."""
    for mutation in mutations:
        data = apply(data, mutation)
    return data


# --------------------------------------------------------------------------- seeds

_CORPUS_FOLDERS = ("835", "837D", "837P", "837I", "270", "271", "276", "277", "277CA", "999", "TA1")


def corpus_seeds() -> list[Path]:
    """Every file of the corpus's transaction folders (SOURCES.md is not X12: skipped)."""
    if not CORPUS.is_dir():
        return []
    return sorted(
        p for folder in _CORPUS_FOLDERS for p in (CORPUS / folder).glob("*") if p.is_file()
    )


def fixture_seeds() -> list[Path]:
    """The project's X12 fixtures (835s, 271s, the 837D sample)."""
    fixtures = REPO / "fixtures"
    return sorted(
        [
            *fixtures.glob("era/*/era.835"),
            *fixtures.glob("eligibility/*/*.271"),
            *(p for p in (fixtures / "x12").glob("*") if p.is_file()),
        ]
    )


@cache
def built_seeds() -> tuple[tuple[str, bytes], ...]:
    """837Ds written from every claim fixture and 270s from the inquiry fixtures."""
    from edigateway.domain.claims import Receiver, Submitter
    from edigateway.services.claims import load_claim_file
    from edigateway.services.eligibility import load_inquiries
    from edigateway.x12.envelope import InterchangeParams
    from edigateway.x12.x270_005010X279A1 import write_270
    from edigateway.x12.x837d_005010X224A2 import write_837d

    params = InterchangeParams(
        sender_qualifier="ZZ",
        sender_id="MSD0001",
        receiver_qualifier="ZZ",
        receiver_id="CLEARHOUSE1",
        gs_sender_code="MSD0001",
        gs_receiver_code="CLEARHOUSE1",
        interchange_control_number=1001,
        group_control_number=1001,
        first_transaction_control_number=1,
        created=datetime(2026, 11, 21, 16, 45),
    )
    submitter = Submitter.model_validate(
        {"name": "X", "identifier": "XX", "contact": {"name": "X", "phone": "5555550100"}}
    )
    seeds: list[tuple[str, bytes]] = []
    for path in sorted((REPO / "fixtures" / "claims").glob("*.json")):
        batch = load_claim_file(path)
        text = write_837d(
            batch,
            params,
            submitter=batch.submitter or submitter,
            receiver=batch.receiver or Receiver(name="Y", identifier="YY"),
        )
        seeds.append((f"{path.stem}.837d", text.encode()))
    for path in sorted((REPO / "fixtures" / "inquiries").glob("*.json")):
        text = write_270(load_inquiries(path), params)
        seeds.append((f"{path.stem}.270", text.encode()))
    return tuple(seeds)


@cache
def all_seeds() -> tuple[tuple[str, bytes], ...]:
    """(name, bytes) of every seed: corpus, fixtures, built files."""
    named = [
        (str(p.relative_to(p.parents[1])), p.read_bytes())
        for p in (*corpus_seeds(), *fixture_seeds())
    ]
    return (*named, *built_seeds())


# --------------------------------------------------------------------------- entry points


def _read_835(data: bytes, name: str) -> object:
    return [r.model_dump(mode="json") for r in read_835(data, name=name).remittances]


def _read_271(data: bytes, name: str) -> object:
    parsed = read_271(data, name=name)
    return [line for b in parsed.benefits for line in describe_benefits(b)]


def _read_271_answer(data: bytes, name: str) -> object:
    # what a clearinghouse's CORE answer becomes when read as text with replacement characters
    return read_271(data.decode("utf-8", "replace").encode(), name=name)


READERS: dict[str, Callable[[bytes, str], object]] = {
    "sniff": sniff_header,
    "segments": lambda data, name: sum(1 for _ in read_segments(data, name)),
    "835": _read_835,
    "835-stream": lambda data, name: sum(1 for _ in iter_835(data, name=name)),
    "837D": lambda data, name: read_837d(data, name=name).claims,
    "270": lambda data, name: read_270(data, name=name),
    "271": _read_271,
    "271-answer": _read_271_answer,
    "276": lambda data, name: read_276(data, name=name),
    "277": lambda data, name: read_277(data, name=name),
    "277CA": lambda data, name: read_277ca(data, name=name),
    "999": lambda data, name: read_999(data, name=name),
    "TA1": lambda data, name: read_ta1(data, name=name),
}
"""Every reader of ``x12/``, each given any file (a reader must refuse what is not its
transaction with a located error, not crash)."""
