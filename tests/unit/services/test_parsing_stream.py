"""``x12 parse --json`` is written as the file is read (issue 18, target 2): the streamed
text is the document ``json.dumps(…, indent=2)`` makes of the same content held in
memory, byte for byte, on every fixture and corpus file; ``--jsonl`` holds the same
items; a file found malformed part-way never ends in a whole document."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edigateway.domain.common import PersonName
from edigateway.errors import EdigatewayError, X12Error
from edigateway.services.eligibility import benefits_of
from edigateway.services.json_stream import Dump, Later, Records, iter_json, iter_jsonl, materialise
from edigateway.services.parsing import RECORDS, parse_document, summarise, write_document
from edigateway.x12.x277ca_005010X214 import read_277ca
from edigateway.x12.x835_005010X221A1 import read_835
from edigateway.x12.x837d_005010X224A2 import read_837d
from tests.factories import CORPUS, REPO

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ERA = REPO / "fixtures" / "era"


def _x12_files() -> dict[Path, str | None]:
    """Every X12 file of our fixtures and the shared corpus that ``x12 parse`` reads, with
    the transaction its ``--jsonl`` first line names: one reading of each file, because the
    parametrization needs both while every pytest process collects."""
    found: dict[Path, str | None] = {}
    for folder in (REPO / "fixtures", CORPUS):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix not in (".json", ".md", ".py", ".csv"):
                try:
                    first = _streamed(path, lines=True).splitlines()[0]
                except (EdigatewayError, OSError):
                    continue
                found[path] = json.loads(first).get("transaction")
    return found


def _streamed(path: Path, *, lines: bool = False) -> str:
    out = io.StringIO()
    write_document(path, out, lines=lines)
    return out.getvalue()


TRANSACTIONS = _x12_files()
FILES = list(TRANSACTIONS)


def test_the_fixtures_cover_every_transaction_parse_reads():
    kinds = set(TRANSACTIONS.values())
    assert kinds >= {"835", "837D", "270", "271", "276", "277", "277CA", "999"}
    assert len(FILES) >= 60


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_streamed_json_is_the_in_memory_document_byte_for_byte(path: Path):
    held = json.dumps(materialise(parse_document(path).json), indent=2) + "\n"
    assert _streamed(path) == held


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_jsonl_holds_the_same_items_as_the_json(path: Path):
    document = json.loads(_streamed(path))
    records = [json.loads(line) for line in _streamed(path, lines=True).splitlines()]
    assert records[0]["record"] == "file"
    assert records[0]["file"] == str(path)
    if "file" in document:  # a 271's document is the benefits object (or list) itself
        heads = {k: v for k, v in document.items() if k not in RECORDS.names}
        for key, value in list(heads.items())[:3]:
            assert records[0][key] == value
    items = [
        {k: v for k, v in r.items() if k not in ("record", "payment")}
        for r in records
        if r["record"] in ("claim", "benefits", "inquiry", "answer", "ack")
    ]
    assert items == _items(document)


def _items(document: Any) -> list[Any]:
    """The items ``--jsonl`` gives a line each, taken from the ``--json`` document."""
    if "file" not in document:
        return [document] if isinstance(document, dict) else document
    for key in ("remittances", "acknowledgments"):  # batches whose claims are lines
        if key in document:
            return [c for batch in document[key] for c in batch["claims"]]
    key = next(k for k in document if k in RECORDS.names)
    return list(document[key])


def test_837d_is_what_the_whole_file_reader_gives():
    path = REPO / "fixtures" / "x12" / "minimal.837d"
    parsed = read_837d(path)
    before = {
        "file": str(path),
        "transaction": "837D",
        "version": "005010X224A2",
        "submitter": parsed.submitter.model_dump(mode="json") if parsed.submitter else None,
        "receiver": parsed.receiver.model_dump(mode="json") if parsed.receiver else None,
        "claims": [c.model_dump(mode="json", exclude_defaults=True) for c in parsed.claims],
        "skipped_segments": [
            {"segment_index": loc.segment_index, "segment_id": loc.segment_id, "loop": loc.loop}
            for loc in parsed.skipped
        ],
    }
    assert before["submitter"] is not None
    assert _streamed(path) == json.dumps(before, indent=2) + "\n"


@pytest.mark.parametrize("path", sorted(ERA.rglob("*.835")), ids=lambda p: p.parent.name)
def test_835_is_what_the_whole_file_reader_gives_totals_after_the_remittances(path: Path):
    parsed = read_835(path)
    claims = [c for r in parsed.remittances for c in r.claims]
    before = {
        "file": str(path),
        "transaction": "835",
        "version": "005010X221A1",
        "remittances": [r.model_dump(mode="json", exclude_none=True) for r in parsed.remittances],
        "payments": len(parsed.remittances),
        "claims": len(claims),
        "services": sum(len(c.services) for c in claims),
        "claims_paid": str(sum((c.paid for c in claims), Decimal("0.00"))),
        "provider_adjustments": str(
            sum(
                (p.amount for r in parsed.remittances for p in r.provider_adjustments),
                Decimal("0.00"),
            )
        ),
        "payment_total": str(sum((r.payment_amount for r in parsed.remittances), Decimal("0.00"))),
    }
    assert _streamed(path) == json.dumps(before, indent=2) + "\n"
    assert summarise(path)[0].startswith(f"{path}: 835, {len(parsed.remittances)} payment(s)")


@pytest.mark.parametrize("path", sorted((CORPUS / "277CA").glob("*")), ids=lambda p: p.name)
def test_277ca_is_what_the_whole_file_reader_gives(path: Path):
    try:
        parsed = read_277ca(path)
    except X12Error:
        with pytest.raises(X12Error):
            _streamed(path)
        return
    before = {
        "file": str(path),
        "transaction": "277CA",
        "version": "005010X214",
        "acknowledgments": [f.model_dump(mode="json", exclude_none=True) for f in parsed.files],
        "interchange_acks": [a.model_dump(mode="json") for a in parsed.interchange_acks],
        "warnings": [str(w) for w in parsed.warnings],
    }
    assert _streamed(path) == json.dumps(before, indent=2) + "\n"


@pytest.mark.parametrize(
    "path", [p for p, kind in TRANSACTIONS.items() if kind == "271"], ids=lambda p: p.name
)
def test_271_is_what_the_whole_file_reader_gives(path: Path):
    """One patient: the benefits object; any other count: the list of them (the first
    two are read before the writer decides)."""
    held = [b.model_dump(mode="json") for b in benefits_of(path)]
    before = held[0] if len(held) == 1 else held
    assert _streamed(path) == json.dumps(before, indent=2) + "\n"


def test_271_is_the_benefits_object_as_before():
    path = REPO / "fixtures" / "eligibility" / "05_deductible_partly_met" / "response.271"
    (benefits,) = benefits_of(path)
    assert _streamed(path) == json.dumps(benefits.model_dump(mode="json"), indent=2) + "\n"


def test_835_jsonl_lines_name_their_payment():
    path = ERA / "09_two_checks_one_file" / "era.835"
    records = [json.loads(line) for line in _streamed(path, lines=True).splitlines()]
    kinds = [r["record"] for r in records]
    assert kinds[0] == "file"
    assert kinds[-1] == "end"
    assert kinds.count("payment") == kinds.count("payment_end") == 2
    payment = None
    for record in records:
        if record["record"] == "payment":
            payment = record["trace_number"]
            assert "claims" not in record
        elif record["record"] in ("claim", "payment_end"):
            assert record["payment"] == payment
    assert records[-1]["payments"] == 2


def test_a_file_malformed_part_way_never_ends_in_a_whole_document():
    good = (ERA / "09_two_checks_one_file" / "era.835").read_text()
    bad = good.replace("SE*", "SE*9", 1)  # the first payment's SE01 miscounted
    assert bad != good
    for lines in (False, True):
        out = io.StringIO()
        with pytest.raises(X12Error) as caught:
            _write_text(bad, out, lines=lines)
        assert caught.value.location.segment_id == "SE"
        written = out.getvalue()
        assert written  # the first payment's claims were written as they were read
        if lines:
            assert '"record":"end"' not in written
        else:
            with pytest.raises(json.JSONDecodeError):
                json.loads(written)


def _write_text(text: str, out: io.StringIO, *, lines: bool) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bad.835"
        path.write_text(text)
        write_document(path, out, lines=lines)


# -- the writer itself


def _json_trees() -> st.SearchStrategy[Any]:
    leaves = (
        st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False)
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=30,
    )


def _lazy(value: Any, flip: Iterator[bool]) -> Any:
    """``value`` with some of its lists made iterators and some values made Later."""
    if isinstance(value, dict):
        value = {k: _lazy(v, flip) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_lazy(v, flip) for v in value]
        if next(flip):
            value = iter(value)
    if next(flip):
        held = value
        return Later(lambda: held)
    return value


@given(tree=_json_trees(), flips=st.lists(st.booleans(), min_size=1))
def test_iter_json_is_json_dumps_indented(tree: Any, flips: list[bool]):
    import itertools

    lazy = _lazy(tree, itertools.cycle(flips))
    for indent in (2, 4, None):
        compact = (",", ":") if indent is None else None
        assert "".join(iter_json(_lazy(tree, itertools.cycle(flips)), indent)) == json.dumps(
            tree, indent=indent, separators=compact
        )
    assert materialise(lazy) == tree


def test_a_model_with_non_ascii_text_is_escaped_as_the_standard_library_does():
    name = PersonName(last_name="NUÑEZ", first_name="ZOË")
    document = {"people": iter([Dump(name), Dump(name, exclude_none=True)]), "n": 2}
    text = "".join(iter_json(document))
    held = {"people": [Dump(name), Dump(name, exclude_none=True)], "n": 2}
    assert text == json.dumps(materialise(held), indent=2)
    assert "\\u00d1" in text
    assert text.isascii()


def test_jsonl_splits_named_lists_and_puts_what_follows_in_an_end_line():
    document = {
        "file": "f",
        "claims": iter([{"id": 1}, {"id": 2}]),
        "total": Later(lambda: 2),
        "notes": ["x"],
    }
    lines = list(iter_jsonl(document, Records(names={"claims": "claim"})))
    assert [json.loads(line) for line in lines] == [
        {"record": "file", "file": "f"},
        {"record": "claim", "id": 1},
        {"record": "claim", "id": 2},
        {"record": "end", "total": 2, "notes": ["x"]},
    ]
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
