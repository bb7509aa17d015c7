"""835 reader and writer: our scenarios round-trip, the public corpus parses (or is refused
with a reason SOURCES.md explains), and totals match sums checked by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from edigateway.domain.remittances import ClaimPayment
from edigateway.errors import X12StructureError, X12SyntaxError
from edigateway.reconcile.balance import check_remittance
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x835_005010X221A1 import (
    RemittanceEnd,
    RemittanceStart,
    iter_835,
    read_835,
    write_835,
)
from tests.factories import CORPUS as SHARED_CORPUS
from tests.factories import REPO

CORPUS = SHARED_CORPUS / "835"
OURS = sorted((REPO / "fixtures" / "era").glob("*/*.835"))
PARAMS = InterchangeParams(
    "ZZ", "PAYER", "ZZ", "PRACTICE", "PAYER", "PRACTICE", 42, 7, 1, datetime(2026, 11, 22, 10, 0)
)


def _strip(value: object) -> object:
    """The model as a dict without source positions (a re-written file moves segments)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "source_position"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


@pytest.mark.parametrize("path", OURS, ids=[f"{p.parent.name}/{p.name}" for p in OURS])
def test_our_scenarios_read_write_read_unchanged(path: Path):
    first = read_835(path)
    text = write_835(first.remittances, PARAMS)
    second = read_835(text.encode(), name="rewritten")
    assert _strip([r.model_dump() for r in second.remittances]) == _strip(
        [r.model_dump() for r in first.remittances]
    )
    assert write_835(second.remittances, PARAMS) == text
    for remittance in first.remittances:
        assert check_remittance(remittance) == []


def test_events_stream_claim_by_claim():
    events = list(iter_835(REPO / "fixtures/era/09_two_checks_one_file/era.835"))
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "RemittanceStart",
        "ClaimPayment",
        "RemittanceEnd",
        "RemittanceStart",
        "ClaimPayment",
        "RemittanceEnd",
    ]
    start = events[0]
    assert isinstance(start, RemittanceStart)
    assert start.interchange.control_number == "000000112"
    assert start.remittance.claims == []
    assert isinstance(events[1], ClaimPayment)
    assert isinstance(events[2], RemittanceEnd)


def test_dental_fields_are_read():
    parsed = read_835(REPO / "fixtures/era/02_partial_pay_deductible_coinsurance/era.835")
    (remittance,) = parsed.remittances
    assert (remittance.payment_method, remittance.payment_amount) == ("CHK", Decimal("248.00"))
    assert remittance.payer_id == "DDPIL"
    assert remittance.payee.identifier == "1456789019"
    (claim,) = remittance.claims
    assert (claim.status, claim.patient_responsibility) == ("1", Decimal("112.00"))
    d2392 = claim.services[1]
    assert (d2392.procedure_qualifier, d2392.procedure_code) == ("AD", "D2392")
    assert [(a.group, a.reason, a.amount) for a in d2392.adjustments] == [
        ("CO", "45", Decimal("60.00")),
        ("PR", "1", Decimal("50.00")),
        ("PR", "2", Decimal("30.00")),
    ]
    assert d2392.allowed_amount == Decimal("200.00")


# file → (payments, claims, Σ BPR02 as printed, Σ CLP04, Σ PLB), summed by hand from the files
CORPUS_TOTALS = {
    "keironstoddart__emedny_sample.txt": (1, 3, "45.75", "45.75", "0"),
    "keironstoddart__united_healthcare_legacy_sample.txt": (1, 2, "349.99", "349.99", "0"),
    "lfh__medicare-part-a.835": (1, 2, "150000.00", "149998.73", "-1.27"),
    "moov__sample1.txt": (2, 2, "-12346.90", "0.00", "12346.90"),
    "pyx12__835_mult_loops.txt": (1, 1, "0.00", "0.00", "0"),
    "oopfactory__ExampleFromNth.txt": (3, 56, None, None, None),
}
# file → why it is refused (the reason SOURCES.md gives, or what the file itself shows)
CORPUS_REFUSED = {
    "keironstoddart__blue_cross_nc_sample.txt": (X12SyntaxError, "does not start with an ISA"),
    "oopfactory__Example1.txt": (X12StructureError, "version '5010' is not 005010X221A1"),
    "lfh__cob-contractural-adjustment.835": (X12StructureError, "component separator"),
    "lfh__secondary-payment.835": (X12StructureError, "component separator"),
    "lfh__tertiary-payment.835": (X12StructureError, "component separator"),
    "lfh__managed-care.835": (X12StructureError, "BPR16"),
    "moov__sample2.txt": (X12StructureError, "BPR16"),
}


def test_every_corpus_835_is_accounted_for():
    files = {p.name for p in CORPUS.iterdir() if not p.name.endswith(".997")}
    assert files == set(CORPUS_TOTALS) | set(CORPUS_REFUSED)


@pytest.mark.parametrize("name", sorted(CORPUS_TOTALS))
def test_corpus_835_totals(name: str):
    parsed = read_835(CORPUS / name)
    payments, claims, bpr, paid, plb = CORPUS_TOTALS[name]
    assert len(parsed.remittances) == payments
    assert sum(len(r.claims) for r in parsed.remittances) == claims
    if bpr is None:
        return
    assert paid is not None
    assert plb is not None
    assert sum((r.payment_amount for r in parsed.remittances), Decimal(0)) == Decimal(bpr)
    assert sum((c.paid for r in parsed.remittances for c in r.claims), Decimal(0)) == Decimal(paid)
    assert sum(
        (p.amount for r in parsed.remittances for p in r.provider_adjustments), Decimal(0)
    ) == Decimal(plb)


@pytest.mark.parametrize("name", sorted(CORPUS_REFUSED))
def test_corpus_835_refused_with_a_clear_message(name: str):
    error, words = CORPUS_REFUSED[name]
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")) as info:
        read_835(CORPUS / name)
    assert name in str(info.value)
    assert info.value.location.segment_index is not None


def test_bad_amount_names_segment_loop_and_element():
    text = (REPO / "fixtures/era/01_full_pay/era.835").read_text()
    with pytest.raises(X12StructureError) as info:
        read_835(text.replace("SVC*AD:D0120*65*65", "SVC*AD:D0120*65*6x5").encode(), name="x.835")
    loc = info.value.location
    assert (loc.segment_id, loc.loop, loc.element) == ("SVC", "2110", "SVC03")


def test_se_count_mismatch_is_refused():
    text = (REPO / "fixtures/era/01_full_pay/era.835").read_text()
    segments = text.split("~\n")
    se = next(s for s in segments if s.startswith("SE*"))
    with pytest.raises(X12StructureError, match="SE01"):
        read_835(text.replace(se, "SE*99*0001").encode(), name="x.835")


def test_odd_separators_and_crlf_read_the_same():
    text = (REPO / "fixtures/era/06_plb_recoupment/2_payment_with_recoupment.835").read_text()
    odd = text.replace("*", "|").replace(":", ">").replace("~\n", "\x1d\r\n")
    odd = odd[:104] + ">" + odd[105:]  # ISA16 declares the new component separator
    plain = read_835(text.encode())
    weird = read_835(odd.encode())
    assert _strip([r.model_dump() for r in weird.remittances]) == _strip(
        [r.model_dump() for r in plain.remittances]
    )
    assert weird.remittances[0].provider_adjustments[0].reference == "PCC106"


@pytest.mark.parametrize("path", OURS, ids=[f"{p.parent.name}/{p.name}" for p in OURS])
def test_what_we_write_is_valid_for_pyx12(path: Path, validator: Validator):
    """The writer (the clearinghouse simulator's 835s) passes pyx12's X221A1 map."""
    verdict = validator.validate_text(write_835(read_835(path).remittances, PARAMS), "w.835")
    assert verdict.status == "valid", verdict.errors


def test_bad_adjustment_group_and_reason_are_named():
    text = (REPO / "fixtures/era/02_partial_pay_deductible_coinsurance/era.835").read_text()
    with pytest.raises(X12StructureError) as info:
        read_835(text.replace("CAS*CO*45*50~", "CAS*XX*45*50~").encode(), name="x.835")
    assert info.value.location.element == "CAS01"
    with pytest.raises(X12StructureError) as info:
        read_835(text.replace("CAS*CO*45*50~", "CAS*CO*450000*50~").encode(), name="x.835")
    assert info.value.location.element == "CAS02"


def test_a_remittance_keeps_its_bpr_position():
    """The payment amount's own segment, which a BPR02 imbalance blames (was: the ST)."""
    (remittance,) = read_835(REPO / "fixtures/era/01_full_pay/era.835").remittances
    assert remittance.source_position == 4


def test_a_value_the_model_refuses_is_blamed_on_its_element():
    """Claims are built when the next one starts: the CLP, not the loop the reader is in."""
    text = (REPO / "fixtures/era/02_partial_pay_deductible_coinsurance/era.835").read_text()
    with pytest.raises(X12StructureError) as info:
        read_835(text.replace("*PCC102*11*1~", f"*{'P' * 51}*11*1~").encode(), name="x.835")
    loc = info.value.location
    assert (loc.segment_index, loc.segment_id, loc.loop, loc.element) == (
        15,
        "CLP",
        "2100",
        "CLP07",
    )
    with pytest.raises(X12StructureError) as info:
        read_835(text.replace("BPR*I*248*C*CHK*", "BPR*I*248*C*CHECK*").encode(), name="x.835")
    loc = info.value.location
    assert (loc.segment_index, loc.segment_id, loc.loop, loc.element) == (
        4,
        "BPR",
        "HEADER",
        "BPR04",
    )
