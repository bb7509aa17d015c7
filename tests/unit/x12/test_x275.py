"""The 275 (005010X210) and the BIN segment: binary data read by its length, never by
looking for the terminator; the writer and reader round-trip any bytes; validation checks
the structure around the file."""

from __future__ import annotations

import io
import random
from datetime import date, datetime

import pytest

from edigateway.domain.attachments import AttachmentSubmission, control_number
from edigateway.domain.common import PersonName
from edigateway.errors import X12StructureError, X12SyntaxError
from edigateway.x12.envelope import (
    Delimiters,
    InterchangeParams,
    Segment,
    SegmentWriter,
    binary_data,
    iter_segments,
    x12_text_of,
)
from edigateway.x12.validation import Validator
from edigateway.x12.x275_005010X210 import encode_275, read_275, write_275

ISA = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*0900*"
    "^*00501*000000001*0*P*:~"
)
TRICKY = b"~*:^\n\r BIN*3*abc~\xff\xfe\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80\x00"
"""Every delimiter, a segment that looks like a BIN, invalid UTF-8, valid multi-byte
characters (2, 3, 4 bytes), an encoded surrogate and a NUL."""


def _noise(seed: int, size: int) -> bytes:
    """Reproducible bytes of every value (not for secrets)."""
    return random.Random(seed).randbytes(size)  # noqa: S311 - test data, not a secret


def _params() -> InterchangeParams:
    return InterchangeParams(
        "ZZ", "SENDER", "ZZ", "EDGSIM", "SENDER", "EDGSIM", 7, 7, 1, datetime(2026, 3, 1, 9, 30)
    )


def _item(data: bytes, number: int = 1) -> AttachmentSubmission:
    control = control_number("1234567893", number)
    return AttachmentSubmission(
        reference=control,
        created=date(2026, 3, 1),
        payer_name="DELTA DENTAL",
        payer_id="DDPIL",
        submitter_name="SMILE CARE",
        submitter_id="SMILE01",
        provider_name="SMILE CARE",
        provider_npi="1234567893",
        patient=PersonName(last_name="DOE", first_name="JANE"),
        member_id="M123",
        patient_control_number="PCN1001",
        service_date=date(2026, 2, 28),
        control_number=control,
        data=data,
    )


def _segments(raw: bytes) -> list[Segment]:
    return list(iter_segments(x12_text_of(raw)))


@pytest.mark.parametrize(
    "data", [TRICKY, b"~", b"\xc3", bytes(range(256)) * 700, _noise(5, 200_000)]
)
def test_bin_round_trip_any_bytes(data: bytes):
    out = SegmentWriter(Delimiters())
    out.segment("ST", "275", "0001")
    out.binary("BIN", data)
    out.segment("SE", "3", "0001")
    raw = (ISA + "\n" + out.text()).encode("utf-8", "surrogateescape")
    segs = _segments(raw)
    assert [s.id for s in segs] == ["ISA", "ST", "BIN", "SE"]
    assert segs[2].element(1) == str(len(data))
    assert binary_data(segs[2]) == data


def test_bin_across_chunk_boundaries_of_the_text_stream():
    data = _noise(9, 150_001)
    out = SegmentWriter(Delimiters(), line_breaks=False)
    out.binary("BIN", data)
    out.segment("SE", "1", "1")
    raw = (ISA + out.text()).encode("utf-8", "surrogateescape")
    text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="surrogateescape", newline="")
    segs = list(iter_segments(text))
    assert binary_data(segs[1]) == data
    assert segs[2].id == "SE"


@pytest.mark.parametrize(
    ("body", "element", "words"),
    [
        (b"BIN*3*abcd~SE*1*1~", "BIN01", "does not follow them"),
        (b"BIN*30*abcd~", "BIN02", "ends inside the binary data"),
        (b"BIN*x*abcd~", "BIN01", "is not a length"),
        (b"BIN*0*~", "BIN01", "at least one byte"),
        (b"BIN*1*\xc3\xa9~", "BIN01", "inside a multi-byte character"),
        (b"BIN*99999999999*a~", "BIN01", "at most"),
    ],
)
def test_a_wrong_bin_length_is_refused_at_bin01(body: bytes, element: str, words: str):
    with pytest.raises(X12SyntaxError) as caught:
        _segments(ISA.encode() + b"ST*275*1~" + body)
    assert caught.value.location.element == element
    assert caught.value.location.segment_index == 3
    assert words in caught.value.message


def test_275_writer_and_reader_round_trip():
    items = [_item(TRICKY, 1), _item(_noise(1, 70_000), 2)]
    text = write_275(items, _params())
    assert "BGN*02*A1234567893-000001*20260301~" in text
    assert "TRN*1*A1234567893-000002~" in text
    assert read_275(encode_275(text), name="x.275") == items


def test_275_reader_names_the_segment_and_loop_of_a_problem():
    raw = encode_275(write_275([_item(b"%PDF-1.7 tiny")], _params()))
    with pytest.raises(X12StructureError) as caught:
        read_275(raw.replace(b"NM1*QC*", b"NM1*IL*", 1), name="x.275")
    assert caught.value.location.segment_index == 8  # ISA GS ST BGN NM1 NM1 NM1 NM1
    assert caught.value.location.element == "NM101"
    missing = raw.replace(b"EFI*05~\nBIN*13*%PDF-1.7 tiny~\n", b"")
    with pytest.raises(X12StructureError, match="without its BIN"):
        read_275(missing.replace(b"SE*16*", b"SE*14*"), name="x.275")


def test_a_275_we_write_is_valid_whatever_its_bytes(validator: Validator):
    raw = encode_275(write_275([_item(TRICKY), _item(_noise(2, 90_000), 2)], _params()))
    verdict = validator.validate_bytes(raw, "x.275")
    assert verdict.transaction == "275"
    assert verdict.valid, verdict.errors


def test_a_broken_275_is_invalid_with_its_segment_named(validator: Validator):
    raw = encode_275(write_275([_item(TRICKY)], _params()))
    verdict = validator.validate_bytes(raw.replace(b"CAT*AE*", b"CAT*ZZ*"), "x.275")
    assert not verdict.valid
    assert any(f.segment_id == "CAT" for f in verdict.errors), verdict.errors
    cut = validator.validate_bytes(
        raw.replace(b"BIN*" + str(len(TRICKY)).encode(), b"BIN*5"), "x.275"
    )
    assert cut.status == "unreadable"
    assert cut.errors[0].element == "BIN01"


def test_control_numbers_are_short_unique_and_alphanumeric():
    numbers = {control_number("1234567893", n) for n in range(1, 2000)}
    assert len(numbers) == 1999
    assert all(len(n) <= 50 and n.replace("-", "").isalnum() for n in numbers)
    assert control_number("1234567893", 1) != control_number("1987654325", 1)
