"""Acknowledgments move a claim forward through the exchange stages, never back."""

from __future__ import annotations

import pytest

from edigateway.domain.claim_stages import BEYOND_EXCHANGE, CLAIM_STAGES, moves_forward, stage


@pytest.mark.parametrize(
    ("current", "target", "forward"),
    [
        ("ready", "queued", True),
        ("queued", "submitted", True),
        ("submitted", "ch_accepted", True),
        ("submitted", "ch_rejected", True),
        ("ch_accepted", "payer_accepted", True),
        ("ch_rejected", "payer_rejected", True),
        ("ch_rejected", "ch_accepted", False),  # sideways: a second 999 does not undo the first
        ("payer_accepted", "ch_accepted", False),  # a late 999
        ("paid", "payer_accepted", False),
        ("denied", "submitted", False),
        ("submitted", "submitted", False),
    ],
)
def test_only_forward(current: str, target: str, forward: bool):
    assert moves_forward(current, target) is forward


def test_states_after_the_exchange_are_beyond_every_stage():
    assert stage("partially_paid") == BEYOND_EXCHANGE > max(CLAIM_STAGES.values())
