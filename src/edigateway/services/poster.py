"""The posting engine: one 835's events posted inside the caller's transaction.

:class:`Poster` walks the reader's events (:func:`~edigateway.x12.x835_005010X221A1.
iter_835`): each payment is checked for a duplicate and recorded; claim payments are
balanced one by one and posted in batches of :data:`BATCH` — matched and planned
(:mod:`edigateway.reconcile.plan`), their rows, postings and work items written
(:mod:`edigateway.persistence.remittance_rows`), claim states moved with their history,
reversals linked and secondary claims stored; each payment is balanced as a whole at its
SE and its PLB entries go to the provider ledger. A file that does not balance raises
:class:`Quarantine`; the caller (:mod:`.posting`) owns the transaction and rolls it back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from edigateway.domain.claim_lifecycle import Cause, ClaimState, allowed
from edigateway.domain.postings import PostingKind, WorkItem, WorkReason
from edigateway.errors import X12Location
from edigateway.persistence import remittance_rows as rows
from edigateway.persistence.claim_rows import Move, note, transition
from edigateway.persistence.tables import ClaimRow
from edigateway.persistence.work_item_rows import insert_work_items
from edigateway.reconcile.balance import check_claim, check_payment
from edigateway.reconcile.history import (
    adjudicated_lines,
    claims_referenced,
    link_reversals,
    settle_split_payment,
)
from edigateway.reconcile.plan import Planner
from edigateway.reconcile.secondary import build_secondary
from edigateway.services.claim_store import load_claims, store_claim
from edigateway.services.posting_result import PostingResult, WorkSummary
from edigateway.x12.x835_005010X221A1 import RemittanceEnd, RemittanceStart, iter_835

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.domain.claims import Claim
    from edigateway.domain.remittances import ClaimPayment, Remittance
    from edigateway.reconcile.balance import Imbalance
    from edigateway.reconcile.plan import ClaimOutcome, PostingPlan
    from edigateway.x12.x835_005010X221A1 import Event

ZERO = Decimal("0.00")
BATCH = 500
"""Claims planned and inserted together: large enough for fast inserts, small for memory."""

Ours = dict[str, tuple["ClaimRow", "Claim"]]
"""Our claims in a batch, by patient control number: the row and the claim as submitted."""


class Quarantine(Exception):  # noqa: N818 - control flow between the poster and posting
    """The file does not balance: nothing of it may be posted."""

    def __init__(self, message: str, location: X12Location) -> None:
        super().__init__(message)
        self.message, self.location = message, location


def _imbalance(file: str, problems: list[Imbalance]) -> Quarantine:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Quarantine(
        f"the file does not balance: {first.message}{more}; nothing was posted",
        X12Location(
            file=file,
            segment_index=first.source_position,
            segment_id=first.segment_id,
            loop=first.loop,
            element=first.element,
        ),
    )


class Poster:
    """Posts one file's events inside one session (the caller owns the transaction)."""

    def __init__(
        self,
        session: Session,
        name: str,
        codes: CodeLists,
        now: datetime,
        fail_after_rows: int | None,
    ) -> None:
        self.session, self.name, self.now = session, name, now
        self.fail_after_rows = fail_after_rows
        self.rows_written = 0
        self.file_id = 0
        self.remittance_id = 0
        self.result = PostingResult(name, "posted")
        self.planner = Planner(
            describe_carc=codes.describe_carc,
            describe_rarc=codes.describe_rarc,
            is_known_carc=codes.is_known_carc,
        )

    def post(self, data: bytes, sha256: str) -> PostingResult:
        """Record the file and post every payment in it not posted before."""
        self.file_id = self.result.file_id = rows.insert_file(
            self.session,
            name=self.name,
            sha256=sha256,
            size=len(data),
            received_at=self.now,
            status="posted",
        )
        self._post_events(iter_835(data, name=self.name))
        if self.result.payments == 0:
            self.result.status = "duplicate"
            self.result.message = (
                "every payment in this file was already posted (same TRN "
                "trace number or interchange); nothing new was posted"
            )
        return self.result

    def _post_events(self, events: Iterator[Event]) -> None:
        remittance: Remittance | None = None
        skipping = False
        batch: list[ClaimPayment] = []
        claims_paid = ZERO
        for event in events:
            if isinstance(event, RemittanceStart):
                remittance, batch, claims_paid = event.remittance, [], ZERO
                interchange = event.interchange
                skipping = rows.payment_on_file(
                    self.session,
                    trace_number=remittance.trace_number,
                    payer_trace_id=remittance.payer_trace_id or "",
                    sender_id=interchange.sender_id,
                    interchange_control_number=interchange.control_number,
                    transaction_control_number=remittance.transaction_control_number,
                    other_than_file=self.file_id,
                )
                if not skipping:
                    self.remittance_id = rows.insert_remittance(
                        self.session,
                        file_id=self.file_id,
                        sender_id=interchange.sender_id,
                        interchange_control_number=interchange.control_number,
                        remittance=remittance,
                    )
            elif isinstance(event, RemittanceEnd):
                assert remittance is not None  # noqa: S101 - the reader starts every payment
                if skipping:
                    self.result.payments_skipped += 1
                    continue
                problems = check_payment(
                    remittance, claims_paid + _sum(batch), event.provider_adjustments
                )
                if problems:
                    raise _imbalance(self.name, problems)
                self._flush(batch, remittance)
                batch = []
                self._provider_adjustments(event)
                self.result.payments += 1
                amount = remittance.payment_amount
                self.result.payment_amount += -amount if remittance.credit_debit == "D" else amount
            elif not skipping:
                problems = check_claim(event)
                if problems:
                    raise _imbalance(self.name, problems)
                batch.append(event)
                if len(batch) >= BATCH:
                    claims_paid += _sum(batch)
                    assert remittance is not None  # noqa: S101
                    self._flush(batch, remittance)
                    batch = []

    # -- claims
    def _flush(self, batch: list[ClaimPayment], remittance: Remittance) -> None:
        if not batch:
            return
        payee_npi = (
            remittance.payee.identifier if remittance.payee.identifier_qualifier == "XX" else None
        )
        ours = load_claims(self.session, (c.patient_control_number for c in batch), payee_npi)
        pcns_in_batch = {c.patient_control_number for c in batch if not c.is_reversal}
        outcomes = [
            self.planner.claim(
                payment,
                ours[payment.patient_control_number][1]
                if payment.patient_control_number in ours
                else None,
                correction_follows=payment.is_reversal
                and payment.patient_control_number in pcns_in_batch,
            )
            for payment in batch
        ]
        plan = self.planner.take()
        ids = rows.insert_claim_payments(
            self.session,
            self.remittance_id,
            [
                (p, ours[p.patient_control_number][0].id if o.matched else None)
                for p, o in zip(batch, outcomes, strict=True)
            ],
        )
        rows.insert_service_payments(
            self.session,
            [
                (p, o.line_matches or (None,) * len(p.services), rc_id)
                for p, o, rc_id in zip(batch, outcomes, ids, strict=True)
            ],
        )
        claim_ids = {pcn: row.id for pcn, (row, _claim) in ours.items()}
        self._insert_plan(plan, claim_ids)
        outcomes = self._settle_split_payments(outcomes, ours)
        self._move_states(batch, outcomes, ours, ids)
        self._link_reversals(batch, ours, ids)
        self._secondaries(batch, outcomes, ours, remittance)
        self._count(plan, outcomes)
        self.rows_written += len(batch)
        if self.fail_after_rows is not None and self.rows_written >= self.fail_after_rows:
            msg = f"injected failure after {self.rows_written} claims were written"
            raise RuntimeError(msg)

    def _insert_plan(self, plan: PostingPlan, claim_ids: dict[str, int]) -> None:
        rows.insert_postings(self.session, self.remittance_id, plan.postings, claim_ids)
        self._insert_work(plan.work_items, claim_ids)

    def _insert_work(self, items: list[WorkItem], claim_ids: dict[str, int]) -> None:
        insert_work_items(
            self.session,
            items,
            created_at=self.now,
            claim_ids=claim_ids,
            remittance_id=self.remittance_id,
            file_id=self.file_id,
        )
        self.result.work_items += [
            WorkSummary(w.patient_control_number, w.reason.value, list(w.codes), w.message)
            for w in items
        ]

    def _settle_split_payments(
        self, outcomes: list[ClaimOutcome], ours: Ours
    ) -> list[ClaimOutcome]:
        """``paid`` only once every line of the claim has been adjudicated
        (:func:`~edigateway.reconcile.history.settle_split_payment`)."""
        paid = {
            ours[o.patient_control_number][0].id
            for o in outcomes
            if o.matched and o.new_state == "paid"
        }
        if not paid:
            return outcomes
        covered = adjudicated_lines(rows.lines_on_file(self.session, paid))
        result = []
        for outcome in outcomes:
            if outcome.matched and outcome.new_state == "paid":
                row, claim = ours[outcome.patient_control_number]
                outcome = settle_split_payment(  # noqa: PLW2901
                    outcome, covered.get(row.id, set()), len(claim.lines)
                )
            result.append(outcome)
        return result

    def _secondaries(
        self,
        batch: list[ClaimPayment],
        outcomes: list[ClaimOutcome],
        ours: Ours,
        remittance: Remittance,
    ) -> None:
        """Store the secondary claim of every claim the primary just processed."""
        for payment, outcome in zip(batch, outcomes, strict=True):
            if not outcome.needs_secondary:
                continue
            primary = ours[payment.patient_control_number][1]
            try:
                secondary = build_secondary(
                    primary, [payment], remittance.payment_date or self.now.date()
                )
            except ValueError as exc:
                self._insert_work(
                    [
                        WorkItem(
                            patient_control_number=payment.patient_control_number,
                            reason=WorkReason.SECONDARY_NEEDED,
                            message=f"the secondary claim could not be built: {exc}",
                            source_position=payment.source_position,
                        )
                    ],
                    {payment.patient_control_number: ours[payment.patient_control_number][0].id},
                )
                continue
            store_claim(self.session, secondary, now=self.now, state="ready")
            self.result.secondary_claims.append(secondary.patient_control_number)

    def _move_states(
        self, batch: list[ClaimPayment], outcomes: list[ClaimOutcome], ours: Ours, ids: list[int]
    ) -> None:
        """Each matched claim to the state its payment decided, every payment a history
        row (:func:`~edigateway.persistence.claim_rows.transition`); the payer's claim
        number from a payment that is not a reversal."""
        moves = [
            Move(
                ours[payment.patient_control_number][0],
                ClaimState(outcome.new_state),
                Cause(
                    "file",
                    f"835 {self.name} CLP02={payment.status} paid {payment.paid} "
                    f"(segment {payment.source_position})",
                    file=self.name,
                    position=payment.source_position,
                    remittance_claim_id=rc_id,
                ),
                None if payment.is_reversal else payment.payer_claim_control_number,
            )
            for payment, outcome, rc_id in zip(batch, outcomes, ids, strict=True)
            if outcome.matched and outcome.new_state is not None
        ]
        transition(self.session, self._movable(moves), now=self.now)

    def _movable(self, moves: list[Move]) -> list[Move]:
        """The moves the lifecycle allows, in order; a payment for a claim in a state no
        835 can move (never sent, written off, withdrawn) is posted but leaves the state
        alone, with a history note saying so."""
        result: list[Move] = []
        states: dict[int, str] = {}
        for move in moves:
            row = move.claim
            assert isinstance(row, ClaimRow)  # noqa: S101 - loaded rows
            current = states.get(row.id, row.state)
            if allowed(current, move.target, "file"):
                result.append(move)
                states[row.id] = move.target.value
            else:
                note(self.session, row, Cause(
                    "file", f"{move.cause.text}: posted, but a {current} claim does not "
                    f"become {move.target} by an 835", file=self.name,
                    position=move.cause.position,
                    remittance_claim_id=move.cause.remittance_claim_id), self.now)
        return result

    def _link_reversals(self, batch: list[ClaimPayment], ours: Ours, ids: list[int]) -> None:
        """Reversal → the payment it takes back; earlier reversal → its corrected claim
        (:func:`~edigateway.reconcile.history.link_reversals`)."""
        new = [
            (rc_id, ours[p.patient_control_number][0].id, p.is_reversal)
            for p, rc_id in zip(batch, ids, strict=True)
            if p.patient_control_number in ours
        ]
        if not new:
            return
        links = link_reversals(
            new, rows.payments_on_file(self.session, {claim_id for _id, claim_id, _reversal in new})
        )
        rows.link_payments(
            self.session, reversed_by=links.reversed_by, corrected_by=links.corrected_by
        )

    def _count(self, plan: PostingPlan, outcomes: list[ClaimOutcome]) -> None:
        r = self.result
        r.claims_matched += sum(1 for o in outcomes if o.matched)
        r.claims_unmatched += sum(1 for o in outcomes if not o.matched)
        r.posted_total += plan.posted_total
        r.adjustments_total += plan.adjustments_total
        r.patient_responsibility_total += plan.patient_responsibility_total
        r.interest_total += plan.total({PostingKind.INTEREST})

    # -- provider-level adjustments
    def _provider_adjustments(self, end: RemittanceEnd) -> None:
        if not end.provider_adjustments:
            return
        references = {p.reference for p in end.provider_adjustments if p.reference}
        claims = (
            claims_referenced(references, *rows.claims_named(self.session, references))
            if references
            else {}
        )
        by_payer_number = {ref: pcn for ref, (pcn, _id) in claims.items()}
        claim_map = {
            pcn: claim
            for pcn, (_row, claim) in load_claims(
                self.session, {pcn for pcn, _id in claims.values()}
            ).items()
        }
        for plb in end.provider_adjustments:
            self.planner.provider_adjustment(plb, claim_map, by_payer_number)
        plan = self.planner.take()
        rows.insert_provider_adjustments(
            self.session,
            self.remittance_id,
            end.provider_adjustments,
            {ref: claim_id for ref, (_pcn, claim_id) in claims.items()},
        )
        self._insert_plan(plan, dict(claims.values()))
        self.result.plb_total += plan.plb_total


def _sum(batch: list[ClaimPayment]) -> Decimal:
    return sum((c.paid for c in batch), ZERO)
