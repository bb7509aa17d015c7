"""Guards: claim payments held for a person instead of posted wrongly (pure, no database).

Posting an 835 trusts the payer's arithmetic, which :mod:`.balance` proves; it cannot
trust that the payer pays the right claim once. Before a claim payment is posted, these
rules look at what is already posted for the claim (and for the claims it is tied to: the
other payer's claim of the same treatment, the original a replacement replaced) and hold
the payment — written, but counted nowhere until someone approves it — when:

* **duplicate**: the same payer already paid this claim, or one of its service lines,
  and no reversal took that payment back (same payer claim number, or same CLP amounts
  when there are no lines to compare);
* **over-payment**: every payer's payments together would pass what was billed, for the
  claim or for one of its lines, or a secondary payer pays more than the primary left the
  patient to owe;
* **replacement paid twice**: a replacement (frequency 7) is paid while the payment of
  the claim it replaced still stands;
* **money on a predetermination**: a predetermination can only be priced (CLP02 = 25,
  CLP04 = 0, claim-level CAS OA-101 at most); money or any other adjustment is held;
* **reversal of nothing**: a reversal (CLP02 = 22) taking back more than is posted for
  the claim or one of its lines (what it reverses was held or never posted);
* **another payer**: the 835's payer ID is another of the practice's payers than the
  claim's (an ID the practice does not know may be a clearinghouse's alias of the right
  payer, so it is not held: only an ID that clearly names another payer is).

:class:`MoneyView` is what the rules read; the poster builds it once per batch and
:meth:`MoneyView.post` keeps it current as payments of the same batch are posted, so a
reversal followed by its correction in one file is judged in order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from edigateway.domain.postings import PostingKind, WorkReason

if TYPE_CHECKING:
    from collections.abc import Iterable

    from edigateway.domain.postings import Posting
    from edigateway.domain.remittances import ClaimPayment

ZERO: Final = Decimal("0.00")
PREDETERMINATION_ANSWER: Final = "25"
_MONEY: Final = frozenset({PostingKind.PAID, PostingKind.REVERSAL})
_PATIENT: Final = frozenset(
    {PostingKind.DEDUCTIBLE, PostingKind.COINSURANCE, PostingKind.COPAY, PostingKind.PATIENT_OTHER}
)


@dataclass
class StandingPayment:
    """A posted (or held) claim payment of ours no reversal took back."""

    id: int
    payer_claim_control_number: str | None
    charge: Decimal
    paid: Decimal
    lines: frozenset[int]
    """Our lines it adjudicated with effect (paid, or the patient's share): a denied line
    is not "paid", so paying it after an appeal is no duplicate."""
    held: bool = False


@dataclass
class ClaimMoney:
    """What is posted for one claim: payer money per line and in all, the patient's share,
    and the payments that stand."""

    paid_by_line: dict[int | None, Decimal] = field(
        default_factory=lambda: defaultdict(lambda: ZERO)
    )
    patient: Decimal = ZERO
    standing: list[StandingPayment] = field(default_factory=list)
    by_hand: Decimal = ZERO
    """Settled by a person: written off or moved to the patient."""
    contractual: Decimal = ZERO

    @property
    def paid(self) -> Decimal:
        """Σ payer money posted (reversals net out)."""
        return sum(self.paid_by_line.values(), ZERO)


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """What the guards need to know about one of our claims."""

    claim_id: int
    kind: str
    frequency: str
    charge: Decimal
    line_charges: dict[int, Decimal]
    payer_id: str
    related: tuple[int, ...] = ()
    """Claims of the same treatment with another payer (primary ↔ secondary)."""
    primary: int | None = None
    """For a secondary claim: the primary payer's claim."""
    originals: tuple[int, ...] = ()
    """Claims this one replaced."""
    known_payers: frozenset[str] = frozenset()
    """The payer IDs the claim's practice sends claims to."""


@dataclass(frozen=True, slots=True)
class Hold:
    """Why a payment is held: the reason of its work item and the evidence."""

    reason: WorkReason
    evidence: str


@dataclass
class MoneyView:
    """Posted money of the claims a batch touches, kept current while it is posted."""

    claims: dict[int, ClaimMoney] = field(default_factory=dict)

    def of(self, claim_id: int) -> ClaimMoney:
        """The claim's money (empty when nothing is posted). Built only when missing: the
        guards ask several times per claim payment, and an empty :class:`ClaimMoney` built
        and thrown away each time cost posting ~0.1 ms per claim."""
        money = self.claims.get(claim_id)
        if money is None:
            money = self.claims[claim_id] = ClaimMoney()
        return money

    def post(
        self,
        claim_id: int,
        payment: ClaimPayment,
        rc_id: int,
        postings: Iterable[Posting],
        lines: Iterable[int | None],
        *,
        held: bool,
    ) -> None:
        """Record a payment just written: its money when posted, and as standing (a held
        one too, so a second copy of it is a duplicate as well)."""
        money = self.of(claim_id)
        if payment.is_reversal:
            earlier = [p for p in money.standing if not p.held]
            if earlier:
                money.standing.remove(earlier[-1])
        else:
            money.standing.append(
                StandingPayment(
                    rc_id,
                    payment.payer_claim_control_number,
                    payment.charge,
                    payment.paid,
                    frozenset(effective_lines(payment, lines)),
                    held,
                )
            )
        if held:
            return
        for posting in postings:
            if posting.kind in _MONEY:
                money.paid_by_line[posting.line_number] += posting.amount
            elif posting.kind in _PATIENT:
                money.patient += posting.amount
            elif posting.kind is PostingKind.CONTRACTUAL:
                money.contractual += posting.amount


def effective_lines(payment: ClaimPayment, lines: Iterable[int | None]) -> set[int]:
    """Our lines this payment adjudicated with effect: paid, or left to the patient."""
    return {
        number
        for service, number in zip(payment.services, lines, strict=True)
        if number is not None
        and (service.paid != ZERO or any(a.group == "PR" for a in service.adjustments))
    }


def holds(
    payment: ClaimPayment,
    lines: tuple[int | None, ...],
    postings: list[Posting],
    facts: ClaimFacts,
    view: MoneyView,
    remittance_payer_id: str | None,
) -> list[Hold]:
    """Every guard the payment fails (empty: post it)."""
    found: list[Hold] = []
    pcn = payment.patient_control_number
    if facts.kind == "predetermination":
        other = [a for a in payment.adjustments if (a.group, a.reason) != ("OA", "101")]
        if payment.status != PREDETERMINATION_ANSWER or payment.paid != ZERO or other:
            found.append(
                Hold(
                    WorkReason.PREDETERMINATION_MONEY,
                    f"claim {pcn} is a predetermination, but the payer answered "
                    f"CLP02={payment.status} with {payment.paid} paid"
                    + (f" and adjustments {_codes(other)}" if other else "")
                    + "; a predetermination is priced, never paid",
                )
            )
    if (
        remittance_payer_id
        and facts.payer_id
        and remittance_payer_id.strip().upper() != facts.payer_id.strip().upper()
        and remittance_payer_id.strip().upper() in {p.upper() for p in facts.known_payers}
    ):
        found.append(
            Hold(
                WorkReason.PAYER_MISMATCH,
                f"the 835 comes from payer {remittance_payer_id}, but claim {pcn} "
                f"was sent to payer {facts.payer_id}",
            )
        )
    money = view.of(facts.claim_id)
    if payment.is_reversal:
        return found + _reversal_of_nothing(payment, postings, money)
    if payment.status == PREDETERMINATION_ANSWER:
        return found
    if money.by_hand > ZERO and (payment.paid != ZERO or payment.services):
        found.append(
            Hold(
                WorkReason.OVERPAYMENT,
                f"claim {pcn} was settled by hand ({money.by_hand} written off or moved "
                "to the patient) and the payer now answers it: posting both would settle "
                "it twice; reverse the hand settlement, then approve, or dismiss",
            )
        )
    duplicate = _duplicate_of(payment, lines, money)
    if duplicate is not None:
        found.append(Hold(WorkReason.DUPLICATE_PAYMENT, duplicate))
    found += _over_payment(payment, postings, facts, view)
    if payment.paid > ZERO:
        standing = [(o, view.of(o).paid) for o in facts.originals]
        paid_before = [(o, paid) for o, paid in standing if paid != ZERO]
        if paid_before:
            found.append(
                Hold(
                    WorkReason.REPLACEMENT_PAID,
                    f"claim {pcn} is a replacement, and the payment of the claim "
                    f"it replaced ({', '.join(str(p) for _o, p in paid_before)}) "
                    "still stands: the payer did not reverse it, so the same "
                    "service would be paid twice",
                )
            )
    return found


def _reversal_of_nothing(
    payment: ClaimPayment, postings: list[Posting], money: ClaimMoney
) -> list[Hold]:
    """A reversal takes back posted money: one taking back more than is posted for the
    claim or one of its lines (the payment it reverses was held, dismissed or never
    posted) would leave the claim paid less than nothing."""
    pcn = payment.patient_control_number
    if -payment.paid > money.paid:
        return [
            Hold(
                WorkReason.REVERSAL,
                f"the payer takes back {-payment.paid} of claim {pcn}, but only "
                f"{money.paid} of its payments is posted (the payment it reverses was "
                "held, dismissed or never posted)",
            )
        ]
    patient = -sum((p.amount for p in postings if p.kind in _PATIENT), ZERO)
    contractual = -sum((p.amount for p in postings if p.kind is PostingKind.CONTRACTUAL), ZERO)
    if patient > money.patient or contractual > money.contractual:
        return [
            Hold(
                WorkReason.REVERSAL,
                f"the payer takes back {contractual} contractual and {patient} patient "
                f"share of claim {pcn}, but only {money.contractual} and {money.patient} "
                "are posted (the payment it reverses is not the one posted)",
            )
        ]
    taken: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for posting in postings:
        if posting.kind in _MONEY and posting.line_number is not None:
            taken[posting.line_number] -= posting.amount
    for line, amount in sorted(taken.items()):
        posted = money.paid_by_line.get(line, ZERO)
        if amount > posted:
            return [
                Hold(
                    WorkReason.REVERSAL,
                    f"the payer takes back {amount} of claim {pcn} line {line}, but only "
                    f"{posted} is posted for it",
                )
            ]
    return []


def _duplicate_of(
    payment: ClaimPayment, lines: tuple[int | None, ...], money: ClaimMoney
) -> str | None:
    pcn = payment.patient_control_number
    mine = effective_lines(payment, lines)
    for earlier in money.standing:
        overlap = mine & earlier.lines
        if overlap:
            return (
                f"the payer already paid claim {pcn} line(s) "
                f"{', '.join(str(n) for n in sorted(overlap))} (claim payment "
                f"{earlier.id}, payer claim {earlier.payer_claim_control_number or '?'}, "
                f"{earlier.paid}) and did not reverse it; this payment "
                f"({payment.payer_claim_control_number or '?'}, {payment.paid}) would "
                "post it twice"
            )
        no_lines = not payment.services or not earlier.lines
        same_number = (
            payment.payer_claim_control_number is not None
            and payment.payer_claim_control_number == earlier.payer_claim_control_number
        )
        same_amounts = (payment.charge, payment.paid) == (earlier.charge, earlier.paid)
        if no_lines and not mine and (same_number or same_amounts) and payment.paid != ZERO:
            return (
                f"the payer already paid claim {pcn} (claim payment {earlier.id}, payer "
                f"claim {earlier.payer_claim_control_number or '?'}, {earlier.paid}) "
                "and did not reverse it; this payment has the same "
                + ("payer claim number" if same_number else "amounts")
            )
    return None


def _over_payment(
    payment: ClaimPayment, postings: list[Posting], facts: ClaimFacts, view: MoneyView
) -> list[Hold]:
    pcn = payment.patient_control_number
    found: list[Hold] = []
    payers = (facts.claim_id, *facts.related)
    before = sum((view.of(c).paid for c in payers), ZERO)
    if payment.paid > ZERO and before + payment.paid > facts.charge:
        found.append(
            Hold(
                WorkReason.OVERPAYMENT,
                f"the payers of claim {pcn} would have paid {before + payment.paid} "
                f"on {facts.charge} billed ({before} already posted, "
                f"{payment.paid} now)",
            )
        )
    else:
        new_by_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for posting in postings:
            if posting.kind in _MONEY and posting.line_number is not None:
                new_by_line[posting.line_number] += posting.amount
        for line, amount in sorted(new_by_line.items()):
            earlier = sum((view.of(c).paid_by_line.get(line, ZERO) for c in payers), ZERO)
            charge = facts.line_charges.get(line)
            if amount > ZERO and charge is not None and earlier + amount > charge:
                found.append(
                    Hold(
                        WorkReason.OVERPAYMENT,
                        f"line {line} of claim {pcn} would be paid "
                        f"{earlier + amount} on {charge} billed",
                    )
                )
                break
    if facts.primary is not None and payment.paid > ZERO:
        primary = view.of(facts.primary)
        left = primary.patient
        if payment.paid > left:
            found.append(
                Hold(
                    WorkReason.OVERPAYMENT,
                    f"the secondary payer pays {payment.paid} on claim {pcn}, but "
                    f"the primary left the patient {left} to owe (primary paid "
                    f"{primary.paid})",
                )
            )
    return found


def _codes(adjustments: Iterable[object]) -> str:
    return ", ".join(
        f"{getattr(a, 'group', '')}-{getattr(a, 'reason', '')} {getattr(a, 'amount', '')}"
        for a in adjustments
    )
