"""Rules that read what was posted before: pure functions, no database, no X12.

Posting a claim payment sometimes depends on the claim's earlier payments, which the
service fetches and hands in as plain records:

* **split payments** (:func:`settle_split_payment`): a payer may pay a claim's lines over
  several CLPs or ERAs. A claim is ``paid`` only once every one of its lines has been
  adjudicated by a payment still standing — not a reversal (CLP02 = 22), nor a payment a
  reversal took back; until then it is ``partially_paid``;
* **reversals** (:func:`link_reversals`): a reversal takes back the latest earlier payment
  of the same claim that is not itself a reversal and not reversed yet; the next payment
  of that claim that is not a reversal corrects every reversal still waiting before it;
* **PLB references** (:func:`claims_referenced`): a provider adjustment's reference names
  one of our claims by its patient control number or by the payer's claim number — the
  number on the claim, else one an earlier payment gave it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

    from edigateway.reconcile.plan import ClaimOutcome

REVERSAL: Final = "22"
"""CLP02 of a reversal (as :attr:`ClaimPayment.is_reversal` reads it)."""


class LineRecord(Protocol):
    """A service line of ours a posted payment adjudicated."""

    @property
    def claim_id(self) -> int: ...
    @property
    def line_number(self) -> int: ...
    @property
    def payment_status(self) -> str: ...
    @property
    def payment_reversed(self) -> bool: ...


def adjudicated_lines(lines: Iterable[LineRecord]) -> dict[int, set[int]]:
    """Our claim ID → the numbers of its lines adjudicated by payments still standing."""
    covered: dict[int, set[int]] = {}
    for line in lines:
        if line.payment_status != REVERSAL and not line.payment_reversed:
            covered.setdefault(line.claim_id, set()).add(line.line_number)
    return covered


def settle_split_payment(
    outcome: ClaimOutcome, adjudicated: Collection[int], line_count: int
) -> ClaimOutcome:
    """``outcome`` with ``paid`` turned into ``partially_paid`` while some of the claim's
    ``line_count`` lines have not been adjudicated (``adjudicated``: those that have,
    this payment's included). A payment that matched no line decides nothing here."""
    if outcome.new_state == "paid" and adjudicated and len(adjudicated) < line_count:
        return replace(outcome, new_state="partially_paid")
    return outcome


class PaymentRecord(Protocol):
    """A posted claim payment (CLP) of one of our claims."""

    @property
    def id(self) -> int: ...
    @property
    def claim_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def reversed_by_id(self) -> int | None: ...
    @property
    def corrected_by_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class ReversalLinks:
    """What to record: payment → the reversal taking it back, reversal → its correction."""

    reversed_by: dict[int, int]
    corrected_by: dict[int, int]


def link_reversals(
    new: Sequence[tuple[int, int, bool]], on_file: Iterable[PaymentRecord]
) -> ReversalLinks:
    """The links the payments just posted make.

    ``new``: (payment ID, our claim ID, is a reversal) of each payment just posted, in file
    order (IDs ascending); ``on_file``: every posted payment of those claims, the new ones
    included, with the links recorded so far.
    """
    unreversed: dict[int, list[int]] = {}
    waiting: dict[int, list[int]] = {}
    for payment in on_file:
        if payment.status == REVERSAL:
            if payment.corrected_by_id is None:
                waiting.setdefault(payment.claim_id, []).append(payment.id)
        elif payment.reversed_by_id is None:
            unreversed.setdefault(payment.claim_id, []).append(payment.id)
    links = ReversalLinks({}, {})
    for payment_id, claim_id, is_reversal in new:
        if is_reversal:
            earlier = [i for i in unreversed.get(claim_id, ()) if i < payment_id]
            if earlier:
                original = max(earlier)
                links.reversed_by[original] = payment_id
                unreversed[claim_id].remove(original)
            continue
        for reversal in waiting.get(claim_id, ()):
            if reversal < payment_id and reversal not in links.corrected_by:
                links.corrected_by[reversal] = payment_id
    return links


class ClaimReference(Protocol):
    """A claim a reference may name."""

    @property
    def patient_control_number(self) -> str: ...
    @property
    def claim_id(self) -> int: ...
    @property
    def payer_claim_control_number(self) -> str | None: ...


def claims_referenced(
    references: Collection[str],
    current: Iterable[ClaimReference],
    earlier: Iterable[ClaimReference],
) -> dict[str, tuple[str, int]]:
    """PLB reference → (our patient control number, claim ID).

    ``current``: our claims (not superseded) whose number or payer claim number is among
    ``references``; ``earlier``: claims whose earlier payments carried such a payer claim
    number. The claim's own numbers win over an earlier payment's.
    """
    found: dict[str, tuple[str, int]] = {}
    for claim in current:
        named = (claim.patient_control_number, claim.claim_id)
        if claim.patient_control_number in references:
            found[claim.patient_control_number] = named
        payer_number = claim.payer_claim_control_number
        if payer_number is not None and payer_number in references:
            found[payer_number] = named
    for claim in earlier:
        if claim.payer_claim_control_number is not None:
            found.setdefault(
                claim.payer_claim_control_number, (claim.patient_control_number, claim.claim_id)
            )
    return found
