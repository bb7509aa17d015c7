"""A claim's life in one place: its states, the moves between them, the cause each move
needs, and the money rules that say what a claim still owes.

States (:class:`ClaimState`)::

    ready ─► queued ─► submitted ─► ch_accepted ─► payer_accepted ─► paid / partially_paid
      │                     │  (predetermination_sent)  │                 denied / reversed
      └► cancelled          └► ch_rejected   payer_rejected ─► cancelled   │
                                  └──────┴─► resubmitted (a corrected   │
                                             original took its place)   │
                                                                           ├► appealed ─► (835)
    predetermination: … ─► predetermined (CLP02 = 25)                      ├► written_off
    any sent claim ─► replaced / voided (a frequency 7 or 8 supersedes it) └► closed

Two rules decide whether a move is allowed:

* **the exchange only moves forward** (:func:`moves_forward`): acknowledgments (999, TA1,
  277CA) can arrive late, twice or out of order, so a state they set is applied only when
  it lies further along the exchange than the claim is — a late 999 never pulls a paid
  claim back to ``ch_accepted``;
* **every other move is in** :data:`TRANSITIONS`, each with the kinds of cause it needs
  (:data:`CAUSES`): an 835 moves a claim by a file and segment position, a write-off by a
  person or an API key. A move not in the table is a bug or a race, refused with
  :class:`~edigateway.errors.ClaimTransitionError` rather than written.

Money (:class:`Ledger`, :func:`ledger_of`): a claim as sent to one payer keeps the identity
``billed = paid + contractual + patient_responsibility + other_adjustments + outstanding``
exactly, in ``Decimal``, after every event, because ``outstanding`` is *defined* as what the
other columns leave. What each posting kind counts as is :data:`LEDGER_COLUMN`; a denial's
amount (kind ``denied``) counts as nothing, so it stays outstanding until someone appeals or
writes it off; reversals are negative amounts of the same kinds, so reversed money nets out.
A predetermination bills nothing and never enters the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Literal

from edigateway.domain.claim_stages import moves_forward
from edigateway.errors import ClaimTransitionError

if TYPE_CHECKING:
    from collections.abc import Iterable

ZERO: Final = Decimal("0.00")


class ClaimState(StrEnum):
    """Where a claim is in its life: ``ready`` (stored, not yet sent), ``queued`` (in an
    837D waiting to be uploaded), ``submitted`` (uploaded; ``predetermination_sent`` for a
    predetermination), ``ch_accepted`` / ``ch_rejected`` (the clearinghouse's 999),
    ``payer_accepted`` / ``payer_rejected`` (the payer's 277CA), ``paid`` /
    ``partially_paid`` / ``denied`` (an 835), ``reversed`` (the payer took a payment back),
    ``predetermined`` (the payer's estimate came: CLP02 = 25), ``appealed`` (a denial
    appealed), ``written_off`` / ``closed`` (what the payer left was written off, or moved
    to the patient), ``replaced`` / ``voided`` (superseded by a frequency 7 or 8 claim),
    ``resubmitted`` (rejected, then superseded by its corrected claim sent as a new
    original under the same number), ``cancelled`` (never to be sent, or not resent after
    a rejection)."""

    READY = "ready"
    QUEUED = "queued"
    SUBMITTED = "submitted"
    PREDETERMINATION_SENT = "predetermination_sent"
    CH_ACCEPTED = "ch_accepted"
    CH_REJECTED = "ch_rejected"
    PAYER_ACCEPTED = "payer_accepted"
    PAYER_REJECTED = "payer_rejected"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    REVERSED = "reversed"
    PREDETERMINED = "predetermined"
    APPEALED = "appealed"
    WRITTEN_OFF = "written_off"
    CLOSED = "closed"
    REPLACED = "replaced"
    VOIDED = "voided"
    RESUBMITTED = "resubmitted"
    CANCELLED = "cancelled"


S = ClaimState

CauseKind = Literal["file", "user", "key", "system"]
"""What moved a claim: a received file (835, 999, 277CA …, with the segment position), a
person at the command line or dashboard, a PM system's API key, or the gateway itself
(the outbox uploading a file)."""

PEOPLE: Final[frozenset[CauseKind]] = frozenset({"user", "key"})
ANYONE: Final[frozenset[CauseKind]] = frozenset({"file", "user", "key", "system"})

EXCHANGE_SENT: Final = frozenset(
    {S.SUBMITTED, S.PREDETERMINATION_SENT, S.CH_ACCEPTED, S.PAYER_ACCEPTED}
)
"""Sent and not answered by an 835 yet (rejections are answers that need a person)."""

ADJUDICATED: Final = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED, S.REVERSED})
"""States an 835 claim payment sets."""

REJECTED: Final = frozenset({S.CH_REJECTED, S.PAYER_REJECTED})

SUPERSEDED: Final = frozenset({S.REPLACED, S.VOIDED, S.RESUBMITTED})
"""Another claim took this one's place (:attr:`ClaimRow.superseded_by_id` names it)."""

NOT_SENT: Final = frozenset({S.READY, S.QUEUED, S.CANCELLED})
"""Never reached a payer: no A/R, no ledger beyond what was billed."""

CLOSED_STATES: Final = frozenset(
    {
        S.WRITTEN_OFF,
        S.CLOSED,
        S.CANCELLED,
        S.REPLACED,
        S.VOIDED,
        S.RESUBMITTED,
        S.PREDETERMINED,
    }
)
"""Nothing more is expected from the payer."""

_WITH_BALANCE: Final = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED, S.REVERSED, S.APPEALED})
"""States a person may write off or close (what the payer left is settled by hand)."""

TRANSITIONS: Final[dict[ClaimState, frozenset[ClaimState]]] = {
    S.READY: frozenset({S.QUEUED, S.CANCELLED}),
    S.QUEUED: frozenset({S.SUBMITTED, S.PREDETERMINATION_SENT}),
    S.SUBMITTED: frozenset(),
    S.PREDETERMINATION_SENT: frozenset(),
    S.CH_ACCEPTED: frozenset(),
    S.PAYER_ACCEPTED: frozenset(),
    S.CH_REJECTED: frozenset({S.CANCELLED, S.RESUBMITTED}),
    S.PAYER_REJECTED: frozenset({S.CANCELLED, S.RESUBMITTED}),
    S.PAID: frozenset({S.APPEALED, S.WRITTEN_OFF, S.CLOSED}),
    S.PARTIALLY_PAID: frozenset({S.APPEALED, S.WRITTEN_OFF, S.CLOSED}),
    S.DENIED: frozenset({S.APPEALED, S.WRITTEN_OFF, S.CLOSED}),
    S.REVERSED: frozenset({S.WRITTEN_OFF, S.CLOSED}),
    S.APPEALED: frozenset({S.WRITTEN_OFF, S.CLOSED}),
    S.PREDETERMINED: frozenset(),
    S.WRITTEN_OFF: frozenset(),
    S.CLOSED: frozenset(),
    S.REPLACED: frozenset(),
    S.VOIDED: frozenset(),
    S.RESUBMITTED: frozenset(),
    S.CANCELLED: frozenset(),
}
"""Moves a person or the gateway makes, besides the exchange's forward moves, an 835's
adjudications and supersession (:func:`allowed`)."""

CAUSES: Final[dict[ClaimState, frozenset[CauseKind]]] = {
    S.QUEUED: frozenset({"user", "key", "system"}),
    S.SUBMITTED: frozenset({"system", "file"}),
    S.PREDETERMINATION_SENT: frozenset({"system"}),
    S.CH_ACCEPTED: frozenset({"file"}),
    S.CH_REJECTED: frozenset({"file"}),
    S.PAYER_ACCEPTED: frozenset({"file"}),
    S.PAYER_REJECTED: frozenset({"file"}),
    S.PAID: frozenset({"file", "user", "key"}),
    S.PARTIALLY_PAID: frozenset({"file", "user", "key"}),
    S.DENIED: frozenset({"file", "user", "key"}),
    S.REVERSED: frozenset({"file", "user", "key"}),
    S.PREDETERMINED: frozenset({"file", "user", "key"}),
    S.APPEALED: PEOPLE,
    S.WRITTEN_OFF: PEOPLE,
    S.CLOSED: PEOPLE,
    S.CANCELLED: PEOPLE,
    S.REPLACED: ANYONE,
    S.VOIDED: ANYONE,
    S.RESUBMITTED: ANYONE,
    S.READY: frozenset(),
}
"""The kinds of cause each target state accepts. An 835 payment a guard or the payer's
ERA policy held is posted later by a person approving it (``user``/``key``)."""


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a claim moved: what the history row keeps.

    ``text`` is the human account ("835 era.835 CLP02=1 paid 65.00"); a file cause names
    the file and the segment position (ISA = 1) that moved the claim; ``actor`` is the
    user or API key. ``remittance_claim_id`` links an 835's move to its claim payment.
    """

    kind: CauseKind
    text: str
    file: str | None = None
    position: int | None = None
    actor: str | None = None
    remittance_claim_id: int | None = None

    def describe(self) -> str:
        """The history row's reason: the account plus where it came from."""
        parts = [self.text]
        if self.kind == "file" and self.file and self.file not in self.text:
            parts.append(f"file {self.file}")
        if self.position is not None and f"segment {self.position}" not in self.text:
            parts.append(f"segment {self.position}")
        if self.actor and self.actor not in self.text:
            parts.append(f"by {self.actor}")
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"


def is_exchange_answer(target: ClaimState) -> bool:
    """Whether ``target`` is set by an acknowledgment (forward-only, see module doc)."""
    return target in (S.CH_ACCEPTED, S.CH_REJECTED, S.PAYER_ACCEPTED, S.PAYER_REJECTED)


def allowed(current: ClaimState | str, target: ClaimState, cause: CauseKind) -> bool:
    """Whether a claim in ``current`` may move to ``target`` for a cause of this kind."""
    now = ClaimState(current)
    if cause not in CAUSES.get(target, frozenset()):
        return False
    if is_exchange_answer(target):
        ok = now not in CLOSED_STATES and moves_forward(now, target)
    elif target is S.RESUBMITTED:
        ok = now in REJECTED
    elif target in SUPERSEDED:
        ok = now not in SUPERSEDED and now is not S.CANCELLED
    elif target in ADJUDICATED:
        # READY/QUEUED too: a claim can reach its payer outside the gateway (a secondary
        # printed and mailed), and the payer's answer is still the answer
        ok = (
            now in EXCHANGE_SENT
            or now in REJECTED
            or now in ADJUDICATED
            or now in (S.READY, S.QUEUED, S.APPEALED)
            or (now is S.WRITTEN_OFF and cause == "file")
        )
    elif target is S.PREDETERMINED:
        ok = now in EXCHANGE_SENT or now in REJECTED or now is S.PREDETERMINED
    elif target is S.SUBMITTED and cause == "file":
        ok = now is S.QUEUED
    else:
        ok = target in TRANSITIONS[now]
    return ok


def check(current: ClaimState | str, target: ClaimState, cause: Cause) -> None:
    """Refuse a move :func:`allowed` does not allow, saying what the claim is."""
    if not allowed(current, target, cause.kind):
        what = {
            "file": "a received file",
            "user": "a person",
            "key": "an API key",
            "system": "the gateway",
        }[cause.kind]
        msg = f"a claim that is {current} cannot become {target} by {what} ({cause.text})"
        raise ClaimTransitionError(msg)


# --------------------------------------------------------------------------- money

LedgerColumn = Literal["paid", "contractual", "patient_responsibility", "other_adjustments"]

LEDGER_COLUMN: Final[dict[str, LedgerColumn | None]] = {
    "paid": "paid",
    "reversal": "paid",
    "contractual": "contractual",
    "deductible": "patient_responsibility",
    "coinsurance": "patient_responsibility",
    "copay": "patient_responsibility",
    "patient_other": "patient_responsibility",
    "patient_transfer": "patient_responsibility",
    "other_adjustment": "other_adjustments",
    "write_off": "other_adjustments",
    "denied": None,
    "interest": None,
    "provider_adjustment": None,
}
"""Posting kind → the ledger column it counts in. ``denied`` counts in none (the amount
stays outstanding: appeal it or write it off); ``interest`` is paid on top of the bill and
``provider_adjustment`` (PLB) is the provider's ledger, not the claim's."""

LEDGER_KEYS: Final = (
    "billed",
    "paid",
    "contractual",
    "patient_responsibility",
    "other_adjustments",
    "outstanding",
)


@dataclass(frozen=True, slots=True)
class Ledger:
    """A claim's money as sent to one payer; ``outstanding`` is what the rest leaves."""

    billed: Decimal = ZERO
    paid: Decimal = ZERO
    contractual: Decimal = ZERO
    patient_responsibility: Decimal = ZERO
    other_adjustments: Decimal = ZERO
    outstanding: Decimal = ZERO

    def __add__(self, other: Ledger) -> Ledger:
        return Ledger(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Ledger)))

    def balances(self) -> bool:
        """The identity, to the cent."""
        return self.billed == (
            self.paid
            + self.contractual
            + self.patient_responsibility
            + self.other_adjustments
            + self.outstanding
        )

    def as_json(self) -> dict[str, str]:
        """The six figures as exact decimal strings (the CLI's and API's contract)."""
        return {key: str(getattr(self, key).quantize(ZERO)) for key in LEDGER_KEYS}


def billed_amount(
    kind: str, state: ClaimState | str, frequency: str, charge: Decimal, settled: Decimal
) -> Decimal:
    """What a claim bills its payer: its charge while it is billed; only what was already
    settled (``settled``: paid + adjustments + patient share) once it is withdrawn
    (voided, replaced or resubmitted by another claim, cancelled) or when it is itself a
    void; nothing for a predetermination, which asks for an estimate, not money."""
    if kind == "predetermination":
        return ZERO
    if frequency == "8" or ClaimState(state) in SUPERSEDED | {S.CANCELLED}:
        return settled
    return charge


def ledger_of(
    *,
    kind: str,
    state: ClaimState | str,
    frequency: str,
    charge: Decimal,
    postings: Iterable[tuple[str, Decimal]],
) -> Ledger:
    """The ledger of one claim from its posted amounts ((posting kind, amount) pairs;
    held payments are not posted). The one place the identity is computed."""
    if kind == "predetermination":
        return Ledger()
    sums: dict[LedgerColumn, Decimal] = {
        "paid": ZERO,
        "contractual": ZERO,
        "patient_responsibility": ZERO,
        "other_adjustments": ZERO,
    }
    for posting_kind, amount in postings:
        column = LEDGER_COLUMN.get(posting_kind)
        if column is not None:
            sums[column] += amount
    settled = sum(sums.values(), ZERO)
    billed = billed_amount(kind, state, frequency, charge, settled)
    return Ledger(
        billed=billed,
        paid=sums["paid"],
        contractual=sums["contractual"],
        patient_responsibility=sums["patient_responsibility"],
        other_adjustments=sums["other_adjustments"],
        outstanding=billed - settled,
    )


def counts_in_receivables(kind: str, state: ClaimState | str, frequency: str) -> bool:
    """Whether a claim's outstanding amount is money a payer owes us (A/R): a claim (not
    a predetermination, not a void) that was sent and is not withdrawn (a rejected claim
    still counts: it is owed once corrected, and timely filing watches it)."""
    now = ClaimState(state)
    return kind == "claim" and frequency != "8" and now not in NOT_SENT | SUPERSEDED
