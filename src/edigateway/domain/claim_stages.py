"""How far along the clearinghouse exchange a claim state is, so answers only move it forward.

A claim leaves us ``ready``, is ``queued`` in the outbox, ``submitted`` once uploaded (a
predetermination: ``predetermination_sent``), then
acknowledged by the clearinghouse (``ch_accepted`` / ``ch_rejected``, from a 999 or TA1) and
by the payer (``payer_accepted`` / ``payer_rejected``, from a 277CA). Answers can arrive
late, twice or out of order (a 999 after the 835 that paid the claim), so a state change
from an acknowledgment is applied only when it moves the claim forward: a late 999 never
pulls a paid claim back to ``ch_accepted``. States the exchange does not know (``paid``,
``denied``, ``closed``, …) are beyond every exchange stage. The whole lifecycle, which
applies this rule to acknowledgments, is :mod:`edigateway.domain.claim_lifecycle`.
"""

from __future__ import annotations

from typing import Final

CLAIM_STAGES: Final[dict[str, int]] = {
    "ready": 0,
    "queued": 1,
    "submitted": 2,
    "predetermination_sent": 2,
    "ch_accepted": 3,
    "ch_rejected": 3,
    "payer_accepted": 4,
    "payer_rejected": 4,
}
"""How far along the exchange a state is; later states (paid, denied, …) are beyond all."""

BEYOND_EXCHANGE: Final = 9
"""The stage of every state after the exchange (what a remittance or a person decides)."""


def stage(state: str) -> int:
    """The exchange stage of ``state`` (:data:`BEYOND_EXCHANGE` for later states)."""
    return CLAIM_STAGES.get(state, BEYOND_EXCHANGE)


def moves_forward(current: str, target: str) -> bool:
    """Whether an acknowledgment may move a claim from ``current`` to ``target``: only to
    a later stage, never back or sideways (``ch_accepted`` does not undo ``ch_rejected``)."""
    return stage(current) < stage(target)
