"""Rules over earlier payments: when a split-paid claim is paid, what a reversal takes back
and what corrects it, which claim a PLB reference names."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from edigateway.reconcile.history import (
    adjudicated_lines,
    claims_referenced,
    link_reversals,
    settle_split_payment,
)
from edigateway.reconcile.plan import ClaimOutcome


@dataclass(frozen=True)
class Line:
    claim_id: int
    line_number: int
    payment_status: str
    payment_reversed: bool


@dataclass(frozen=True)
class Payment:
    id: int
    claim_id: int
    status: str
    reversed_by_id: int | None = None
    corrected_by_id: int | None = None


@dataclass(frozen=True)
class Named:
    patient_control_number: str
    claim_id: int
    payer_claim_control_number: str | None


def _paid(state: str = "paid") -> ClaimOutcome:
    return ClaimOutcome("PC1", matched=True, status="1", paid=Decimal("10.00"), new_state=state)


def test_a_claim_is_paid_once_every_line_is_adjudicated_by_a_standing_payment():
    covered = adjudicated_lines(
        [
            Line(1, 1, "1", False),
            Line(1, 2, "22", False),
            Line(1, 3, "1", True),
            Line(2, 1, "2", False),
        ]
    )
    assert covered == {1: {1}, 2: {1}}
    assert settle_split_payment(_paid(), covered[1], 3).new_state == "partially_paid"
    assert settle_split_payment(_paid(), {1, 2, 3}, 3).new_state == "paid"
    assert settle_split_payment(_paid(), set(), 3).new_state == "paid"  # no line matched
    assert settle_split_payment(_paid("denied"), {1}, 3).new_state == "denied"


def test_a_reversal_takes_back_the_latest_standing_payment_and_the_next_corrects_it():
    on_file = [
        Payment(1, 7, "1"),
        Payment(2, 7, "1", reversed_by_id=3),
        Payment(3, 7, "22"),
        Payment(4, 7, "1"),
        Payment(5, 7, "22"),
        Payment(6, 7, "22"),
        Payment(7, 7, "1"),
        Payment(8, 9, "22", corrected_by_id=9),
        Payment(9, 9, "1"),
    ]
    links = link_reversals([(5, 7, True), (6, 7, True), (7, 7, False), (9, 9, False)], on_file)
    # 5 takes back 4 (2 is reversed already), 6 the next standing one, 1; payment 7 corrects
    # every reversal still waiting before it — 3, 5 and 6; 8 was corrected already
    assert links.reversed_by == {4: 5, 1: 6}
    assert links.corrected_by == {3: 7, 5: 7, 6: 7}


def test_a_reversal_with_nothing_to_take_back_links_nothing():
    links = link_reversals([(2, 7, True)], [Payment(2, 7, "22"), Payment(3, 7, "1")])
    assert (links.reversed_by, links.corrected_by) == ({}, {})


@given(st.lists(st.tuples(st.integers(1, 3), st.booleans()), max_size=12))
def test_each_payment_is_reversed_and_each_reversal_corrected_at_most_once(
    batch: list[tuple[int, bool]],
):
    new = [(n, claim, reversal) for n, (claim, reversal) in enumerate(batch, start=1)]
    links = link_reversals(
        new, [Payment(n, claim, "22" if reversal else "1") for n, claim, reversal in new]
    )
    claim_of = {n: claim for n, claim, _reversal in new}
    reversal = {n for n, _claim, r in new if r}
    assert len(set(links.reversed_by.values())) == len(links.reversed_by)
    for original, by in links.reversed_by.items():  # an earlier payment of the same claim
        assert (original in reversal, by in reversal) == (False, True)
        assert (original < by, claim_of[original]) == (True, claim_of[by])
    for waiting, by in links.corrected_by.items():  # by a later payment of the same claim
        assert (waiting in reversal, by in reversal) == (True, False)
        assert (waiting < by, claim_of[waiting]) == (True, claim_of[by])


def test_a_plb_reference_names_a_claim_by_its_numbers_before_an_earlier_payment():
    found = claims_referenced(
        {"PC1", "P-2", "P-OLD", "NONE"},
        [Named("PC1", 1, None), Named("PC2", 2, "P-2"), Named("PC3", 3, "P-3")],
        [Named("PC1", 1, "P-2"), Named("PC4", 4, "P-OLD")],
    )
    assert found == {"PC1": ("PC1", 1), "P-2": ("PC2", 2), "P-OLD": ("PC4", 4)}
