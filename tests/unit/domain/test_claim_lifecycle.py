"""The claim lifecycle: which moves are allowed for which cause, and the ledger identity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edigateway.domain.claim_lifecycle import (
    LEDGER_COLUMN,
    Cause,
    ClaimState,
    Ledger,
    allowed,
    check,
    counts_in_receivables,
    ledger_of,
)
from edigateway.errors import ClaimTransitionError

S = ClaimState


@pytest.mark.parametrize(
    ("current", "target", "cause", "ok"),
    [
        (S.READY, S.QUEUED, "user", True),
        (S.QUEUED, S.SUBMITTED, "system", True),
        (S.QUEUED, S.PREDETERMINATION_SENT, "system", True),
        (S.SUBMITTED, S.CH_ACCEPTED, "file", True),
        (S.PREDETERMINATION_SENT, S.CH_ACCEPTED, "file", True),
        (S.CH_ACCEPTED, S.SUBMITTED, "system", False),  # never back
        (S.PAID, S.CH_ACCEPTED, "file", False),  # a late 999
        (S.CH_REJECTED, S.CH_ACCEPTED, "file", False),  # not sideways
        (S.CH_ACCEPTED, S.CH_ACCEPTED, "user", False),  # acknowledgments come in files
        (S.PAYER_ACCEPTED, S.PAID, "file", True),
        (S.PAID, S.REVERSED, "file", True),
        (S.REVERSED, S.PAID, "file", True),
        (S.DENIED, S.APPEALED, "user", True),
        (S.DENIED, S.APPEALED, "file", False),
        (S.APPEALED, S.PAID, "file", True),
        (S.DENIED, S.WRITTEN_OFF, "key", True),
        (S.DENIED, S.WRITTEN_OFF, "file", False),
        (S.SUBMITTED, S.WRITTEN_OFF, "user", False),  # nothing adjudicated to write off
        (S.PAYER_ACCEPTED, S.PREDETERMINED, "file", True),
        (S.READY, S.CANCELLED, "user", True),
        (S.PAYER_REJECTED, S.CANCELLED, "user", True),
        (S.PAID, S.CANCELLED, "user", False),
        (S.PAID, S.REPLACED, "system", True),
        (S.VOIDED, S.REPLACED, "system", False),
        (S.WRITTEN_OFF, S.PAID, "file", True),  # the payer paid after all
        (S.CANCELLED, S.PAID, "file", False),
    ],
)
def test_allowed_moves(current: ClaimState, target: ClaimState, cause: str, ok: bool):
    assert allowed(current, target, cause) is ok  # type: ignore[arg-type]


def test_a_refused_move_names_the_state_and_the_cause():
    with pytest.raises(
        ClaimTransitionError, match="a claim that is paid cannot become cancelled by a person"
    ):
        check("paid", S.CANCELLED, Cause("user", "cancel"))


def test_cause_describes_where_it_came_from():
    assert (
        Cause("file", "835 CLP02=1", file="era.835", position=14).describe()
        == "835 CLP02=1 (file era.835, segment 14)"
    )
    assert Cause("user", "written off", actor="ana").describe() == "written off (by ana)"


KINDS = sorted(LEDGER_COLUMN)
AMOUNTS = st.decimals(min_value=Decimal("-999.99"), max_value=Decimal("999.99"), places=2)


@given(
    st.lists(st.tuples(st.sampled_from(KINDS), AMOUNTS), max_size=20),
    st.sampled_from(list(S)),
    st.sampled_from(["1", "7", "8"]),
)
def test_the_identity_holds_whatever_was_posted(postings, state, frequency):
    ledger = ledger_of(
        kind="claim", state=state, frequency=frequency, charge=Decimal("260.00"), postings=postings
    )
    assert ledger.balances()


def test_denied_amounts_stay_outstanding_and_reversals_net_out():
    ledger = ledger_of(
        kind="claim",
        state="denied",
        frequency="1",
        charge=Decimal("450.00"),
        postings=[("denied", Decimal("450.00"))],
    )
    assert ledger == Ledger(billed=Decimal("450.00"), outstanding=Decimal("450.00"))
    paid_then_reversed = [("paid", Decimal("65.00")), ("reversal", Decimal("-65.00"))]
    assert ledger_of(
        kind="claim",
        state="reversed",
        frequency="1",
        charge=Decimal("65.00"),
        postings=paid_then_reversed,
    ).outstanding == Decimal("65.00")


def test_withdrawn_claims_and_predeterminations_owe_nothing():
    voided = ledger_of(
        kind="claim",
        state="voided",
        frequency="1",
        charge=Decimal("100.00"),
        postings=[("paid", Decimal("40.00"))],
    )
    assert (voided.billed, voided.outstanding) == (Decimal("40.00"), Decimal("0.00"))
    predetermination = ledger_of(
        kind="predetermination",
        state="predetermined",
        frequency="1",
        charge=Decimal("900.00"),
        postings=[("paid", Decimal("500.00"))],
    )
    assert predetermination == Ledger()
    assert predetermination.as_json() == dict.fromkeys(
        (
            "billed",
            "paid",
            "contractual",
            "patient_responsibility",
            "other_adjustments",
            "outstanding",
        ),
        "0.00",
    )


@pytest.mark.parametrize(
    ("kind", "state", "frequency", "counts"),
    [
        ("claim", "ready", "1", False),
        ("claim", "queued", "1", False),
        ("claim", "submitted", "1", True),
        ("claim", "denied", "1", True),
        ("claim", "ch_rejected", "1", True),
        ("claim", "voided", "1", False),
        ("claim", "cancelled", "1", False),
        ("claim", "paid", "8", False),
        ("predetermination", "predetermination_sent", "1", False),
    ],
)
def test_what_counts_in_receivables(kind, state, frequency, counts):
    assert counts_in_receivables(kind, state, frequency) is counts
