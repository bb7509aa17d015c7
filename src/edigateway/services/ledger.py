"""Claim ledgers from what was posted: per claim, per practice, and a claim shown whole.

The ledger is derived, never stored: :func:`~edigateway.domain.claim_lifecycle.ledger_of`
over the claim's postings (held ones excluded), so it cannot drift from the postings that
prove it. One grouped query serves any number of claims. A split claim's parts post to
their parent, so the parent's ledger is the sum of its parts'.

A claim not sent yet (``ready``, ``queued``) keeps the same six figures: ``billed`` is its
charge and ``outstanding`` all of it, which is what it *will* bill — the identity holds at
every step, and sending it changes no figure. What a coordinator must not read into it
(that the payer owes that money today) is said beside the ledger: :attr:`ClaimView.sent`
is false (``"sent": false`` in ``claims show --json``, "not sent yet" in its text), and
such a claim is in no A/R or aging (:func:`receivables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import bindparam, func, select

from edigateway.domain.claim_lifecycle import (
    NOT_SENT,
    ClaimState,
    Ledger,
    allowed,
    counts_in_receivables,
    ledger_of,
)
from edigateway.errors import InputError, NotFoundError
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    Payer,
    PostingRow,
    Practice,
    PredeterminationEstimateRow,
    RemittanceClaimRow,
    WorkItemRow,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from datetime import date, datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database

ZERO = Decimal("0.00")


def ledgers(session: Session, claims: Iterable[ClaimRow]) -> dict[int, Ledger]:
    """Each claim's ledger (one grouped query for them all)."""
    rows = {c.id: c for c in claims}
    amounts = _amounts(session, rows)
    return {
        claim_id: ledger_of(
            kind=row.kind,
            state=row.state,
            frequency=row.frequency,
            charge=row.total_charge,
            postings=amounts.get(claim_id, []),
        )
        for claim_id, row in rows.items()
    }


def _amounts(session: Session, claim_ids: Collection[int]) -> dict[int, list[tuple[str, Decimal]]]:
    found: dict[int, list[tuple[str, Decimal]]] = {}
    if not claim_ids:
        return found
    for claim_id, kind, amount in session.execute(
        select(PostingRow.claim_id, PostingRow.kind, func.sum(PostingRow.amount))
        .where(PostingRow.claim_id.in_(claim_ids), PostingRow.held.is_(False))
        .group_by(PostingRow.claim_id, PostingRow.kind)
    ):
        if claim_id is not None:
            found.setdefault(claim_id, []).append((kind, amount or ZERO))
    return found


def practice_ledger(db: Database, practice_id: int | None = None) -> Ledger:
    """The sum of every claim's ledger (one practice's, when given): reconciles to the
    cent because each claim's does."""
    query = select(ClaimRow)
    if practice_id is not None:
        query = query.where(ClaimRow.practice_id == practice_id)
    with db.transaction() as session:
        total = Ledger()
        for ledger in ledgers(session, session.scalars(query)).values():
            total += ledger
        return total


def receivables(session: Session, claims: Iterable[ClaimRow]) -> dict[int, Decimal]:
    """What payers owe per claim: sent claims (not drafts, cancelled, voided, replaced or
    predeterminations) with something outstanding."""
    rows = [c for c in claims if counts_in_receivables(c.kind, c.state, c.frequency)]
    return {
        claim_id: ledger.outstanding
        for claim_id, ledger in ledgers(session, rows).items()
        if ledger.outstanding > ZERO
    }


@dataclass(frozen=True, slots=True)
class LinePosting:
    """One amount counted in a claim's ledger, traced to the payment that posted it (or the
    person who wrote it off or moved it to the patient)."""

    line_number: int | None
    kind: str
    amount: Decimal
    group_code: str | None
    reason_code: str | None
    remark_codes: tuple[str, ...]
    remittance_id: int | None
    remittance_claim_id: int | None
    source_position: int | None
    actor: str | None


@dataclass(frozen=True, slots=True)
class ClaimMoney:
    """A claim's ledger with the postings that make it, line by line."""

    ledger: Ledger
    postings: tuple[LinePosting, ...]


def claim_money(session: Session, row: ClaimRow) -> ClaimMoney:
    """The claim's ledger and its counted postings (held ones count nowhere, so they are
    not listed: they are pending payments), claim-level amounts last. The ledger is summed
    from those same postings (one query, not a second grouped one: every API read of a
    claim runs this)."""
    postings = tuple(
        LinePosting(
            p.line_number,
            p.kind,
            p.amount,
            p.group_code,
            p.reason_code,
            tuple(code for code in p.remark_codes.split(",") if code),
            p.remittance_id,
            p.remittance_claim_id,
            p.source_position,
            p.actor if p.remittance_id is None else None,
        )
        for p in session.execute(_COUNTED_POSTINGS, {"claim": row.id})
    )
    ledger = ledger_of(
        kind=row.kind,
        state=row.state,
        frequency=row.frequency,
        charge=row.total_charge,
        postings=[(p.kind, p.amount) for p in postings],
    )
    return ClaimMoney(ledger, postings)


_COUNTED_POSTINGS: Final = (
    select(
        PostingRow.line_number,
        PostingRow.kind,
        PostingRow.amount,
        PostingRow.group_code,
        PostingRow.reason_code,
        PostingRow.remark_codes,
        PostingRow.remittance_id,
        PostingRow.remittance_claim_id,
        PostingRow.source_position,
        PostingRow.actor,
    )
    .where(PostingRow.claim_id == bindparam("claim"), PostingRow.held.is_(False))
    .order_by(PostingRow.line_number.is_(None), PostingRow.line_number, PostingRow.id)
)
"""A claim's counted postings, built once (building the statement cost more than running
it) and read as columns."""


@dataclass(frozen=True, slots=True)
class ClaimBooks:
    """What the claim page shows of a claim's money, and whether a person may settle what
    the payer left (write it off or move it to the patient) — guidance for the buttons; the
    use cases in :mod:`edigateway.services.era_review` still refuse a claim that moved."""

    money: ClaimMoney
    settleable: bool


def claim_books(db: Database, claim_id: int, *, practice_id: int) -> ClaimBooks:
    """Claim ``claim_id`` of the practice: its ledger, counted postings per line, and
    whether it can be written off or closed now."""
    with db.transaction() as session:
        row = session.scalars(
            select(ClaimRow).where(ClaimRow.id == claim_id, ClaimRow.practice_id == practice_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no claim {claim_id}")
        money = claim_money(session, row)
        settleable = (
            row.kind == "claim"
            and money.ledger.outstanding > ZERO
            and any(
                allowed(row.state, target, "user")
                for target in (ClaimState.WRITTEN_OFF, ClaimState.CLOSED)
            )
        )
        return ClaimBooks(money, settleable)


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


@dataclass(frozen=True, slots=True)
class StateStep:
    """One state change of the claim (``from_`` is ``None`` for the first)."""

    from_: str | None
    to: str
    at: datetime
    reason: str | None

    def as_json(self) -> dict[str, object]:
        """The step as ``claims show --json`` gives it (time to the second)."""
        return {
            "from": self.from_,
            "to": self.to,
            "at": self.at.isoformat(timespec="seconds"),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class LinePostings:
    """What was posted to one service line (``line_number`` ``None``: the claim level),
    summed per posting kind."""

    line_number: int | None
    postings: dict[str, Decimal]

    def as_json(self) -> dict[str, object]:
        """The line with each sum as an exact string, kinds in order."""
        return {
            "line_number": self.line_number,
            "postings": {k: str(v) for k, v in sorted(self.postings.items())},
        }


@dataclass(frozen=True, slots=True)
class HeldPayment:
    """A claim payment held for review or awaiting approval (not in the ledger yet)."""

    remittance_claim_id: int
    review: str | None
    reason: str | None
    paid: Decimal
    status: str
    payer_claim_control_number: str | None

    def as_json(self) -> dict[str, object]:
        """The payment with its amount as an exact string."""
        return {
            "remittance_claim_id": self.remittance_claim_id,
            "review": self.review,
            "reason": self.reason,
            "paid": str(self.paid),
            "status": self.status,
            "payer_claim_control_number": self.payer_claim_control_number,
        }


@dataclass(frozen=True, slots=True)
class OpenWorkItem:
    """An open work item about the claim."""

    id: int
    reason: str
    message: str
    amount: Decimal | None

    def as_json(self) -> dict[str, object]:
        """The item with its amount (if any) as an exact string."""
        return {
            "id": self.id,
            "reason": self.reason,
            "message": self.message,
            "amount": _text(self.amount),
        }


@dataclass(frozen=True, slots=True)
class EstimateLine:
    """One line of the payer's predetermination estimate."""

    line_number: int | None
    procedure_code: str
    charge: Decimal
    allowed: Decimal | None
    insurance: Decimal
    patient: Decimal
    predetermination_number: str | None

    def as_json(self) -> dict[str, object]:
        """The line with its amounts as exact strings."""
        return {
            "line_number": self.line_number,
            "procedure_code": self.procedure_code,
            "charge": str(self.charge),
            "allowed": _text(self.allowed),
            "insurance": str(self.insurance),
            "patient": str(self.patient),
            "predetermination_number": self.predetermination_number,
        }


@dataclass(frozen=True, slots=True)
class ClaimView:
    """A claim as ``edigateway claims show`` prints it."""

    id: int
    patient_control_number: str
    kind: str
    frequency: str
    state: str
    payer_id: str
    total_charge: Decimal
    submitted_on: date | None
    payer_claim_control_number: str | None
    ledger: Ledger
    sent: bool
    """Whether the claim was sent (uploaded: it has a ``submitted_on``, or a state past
    the outbox): false while it is ``ready`` or ``queued``, or was cancelled before it
    went — its ledger then shows what it will bill, owed by nobody yet."""
    history: list[StateStep]
    lines: list[LinePostings]
    held_payments: list[HeldPayment]
    work_items: list[OpenWorkItem]
    estimate: list[EstimateLine]

    def document(self) -> dict[str, Any]:
        """The JSON of ``claims show --json`` (amounts as exact strings): a serialisation
        of the typed view above, read as JSON by its callers."""
        return {
            "id": self.id,
            "patient_control_number": self.patient_control_number,
            "kind": self.kind,
            "frequency": self.frequency,
            "state": self.state,
            "payer_id": self.payer_id,
            "total_charge": str(self.total_charge),
            "submitted_on": self.submitted_on.isoformat() if self.submitted_on else None,
            "payer_claim_control_number": self.payer_claim_control_number,
            "sent": self.sent,
            "ledger": self.ledger.as_json(),
            "history": [h.as_json() for h in self.history],
            "lines": [ln.as_json() for ln in self.lines],
            "held_payments": [h.as_json() for h in self.held_payments],
            "work_items": [w.as_json() for w in self.work_items],
            "estimate": [e.as_json() for e in self.estimate],
        }


def show_claim(
    db: Database, patient_control_number: str, *, practice_npi: str | None = None
) -> ClaimView:
    """The current claim with this number (not superseded; the newest), its history,
    ledger, postings per line, held payments, open work items and the payer's estimate."""
    with db.transaction() as session:
        query = select(ClaimRow).where(
            ClaimRow.patient_control_number == patient_control_number,
            ClaimRow.superseded_by_id.is_(None),
        )
        if practice_npi is not None:
            query = query.join(Practice, Practice.id == ClaimRow.practice_id).where(
                Practice.npi == practice_npi
            )
        found = list(session.scalars(query.order_by(ClaimRow.id.desc())))
        if not found:
            raise NotFoundError(f"no claim {patient_control_number}")
        if len({c.practice_id for c in found}) > 1:
            raise InputError(
                f"claim {patient_control_number} exists in several practices; "
                "say which with --practice NPI"
            )
        row = found[0]
        payer = session.get(Payer, row.payer_id)
        history = [
            StateStep(h.previous_state, h.state, h.changed_at, h.reason)
            for h in session.scalars(
                select(ClaimStateRow)
                .where(ClaimStateRow.claim_id == row.id)
                .order_by(ClaimStateRow.id)
            )
        ]
        lines: dict[int | None, dict[str, Decimal]] = {}
        for line, kind, amount in session.execute(
            select(PostingRow.line_number, PostingRow.kind, func.sum(PostingRow.amount))
            .where(PostingRow.claim_id == row.id, PostingRow.held.is_(False))
            .group_by(PostingRow.line_number, PostingRow.kind)
        ):
            lines.setdefault(line, {})[kind] = amount or ZERO
        held = [
            HeldPayment(
                rc.id,
                rc.review,
                rc.review_reason,
                rc.paid,
                rc.status,
                rc.payer_claim_control_number,
            )
            for rc in session.scalars(
                select(RemittanceClaimRow).where(
                    RemittanceClaimRow.claim_id == row.id,
                    RemittanceClaimRow.review.in_(("held", "awaiting")),
                )
            )
        ]
        work_items = [
            OpenWorkItem(w.id, w.reason, w.message, w.amount)
            for w in session.scalars(
                select(WorkItemRow)
                .where(WorkItemRow.claim_id == row.id, WorkItemRow.status == "open")
                .order_by(WorkItemRow.id)
            )
        ]
        estimate = [
            EstimateLine(
                e.line_number,
                e.procedure_code,
                e.charge,
                e.allowed,
                e.insurance,
                e.patient,
                e.predetermination_number,
            )
            for e in session.scalars(
                select(PredeterminationEstimateRow)
                .where(PredeterminationEstimateRow.claim_id == row.id)
                .order_by(PredeterminationEstimateRow.id)
            )
        ]
        return ClaimView(
            id=row.id,
            patient_control_number=row.patient_control_number,
            kind=row.kind,
            frequency=row.frequency,
            state=row.state,
            payer_id=payer.payer_id if payer else "",
            total_charge=row.total_charge,
            submitted_on=row.submitted_on,
            payer_claim_control_number=row.payer_claim_control_number,
            ledger=ledgers(session, [row])[row.id],
            sent=row.submitted_on is not None or ClaimState(row.state) not in NOT_SENT,
            history=history,
            lines=[
                LinePostings(n, kinds)
                for n, kinds in sorted(lines.items(), key=lambda i: (i[0] is None, i[0] or 0))
            ],
            held_payments=held,
            work_items=work_items,
            estimate=estimate,
        )
