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

import gc
import io
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from edigateway.domain.claim_lifecycle import Cause, ClaimState, allowed
from edigateway.domain.claims import MAX_LINES_PER_CLAIM, Claim
from edigateway.domain.claims_split import part_parent, split_claim
from edigateway.domain.postings import PostingKind, WorkItem, WorkReason
from edigateway.errors import ConflictError, X12Location
from edigateway.persistence import remittance_rows as rows
from edigateway.persistence.claim_rows import Move, note, transition
from edigateway.persistence.inbound_rows import StoredPieces, open_stored
from edigateway.persistence.tables import ClaimRow
from edigateway.persistence.work_item_rows import insert_work_items
from edigateway.reconcile.balance import check_claim, check_payment
from edigateway.reconcile.guards import holds
from edigateway.reconcile.history import (
    adjudicated_lines,
    claims_referenced,
    link_reversals,
    settle_split_payment,
)
from edigateway.reconcile.plan import Planner, PostingPlan
from edigateway.reconcile.secondary import build_secondary
from edigateway.services.claim_store import load_claims, open_document, store_claim
from edigateway.services.posting_result import PostingResult, WorkSummary
from edigateway.x12.envelope import iter_segments
from edigateway.x12.x835_005010X221A1 import RemittanceEnd, RemittanceStart, iter_835

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path

    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.domain.postings import Posting
    from edigateway.domain.remittances import ClaimPayment, Remittance
    from edigateway.reconcile.balance import Imbalance
    from edigateway.reconcile.plan import ClaimOutcome, ClaimToMatch
    from edigateway.x12.envelope import Source
    from edigateway.x12.x835_005010X221A1 import Event

ZERO = Decimal("0.00")
BATCH = 500
"""Claims planned and inserted together: large enough for fast inserts, small for memory."""


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
        self._documents: dict[int, Claim] = {}
        self.planner = Planner(
            describe_carc=codes.describe_carc,
            describe_rarc=codes.describe_rarc,
            is_known_carc=codes.is_known_carc,
        )

    def post(self, data: bytes | Path | StoredPieces, sha256: str, size: int) -> PostingResult:
        """Record the file (its ``size`` bytes in memory; on disk, or kept in sealed pieces
        read in this transaction: streamed) and post every payment in it not posted before."""
        self.file_id = self.result.file_id = rows.insert_file(
            self.session,
            name=self.name,
            sha256=sha256,
            size=size,
            received_at=self.now,
            status="posted",
        )
        with _startup_objects_frozen(), _young_collections_spaced(), self._source(data) as source:
            self._post_events(iter_835(source, name=self.name))
        if self.result.payments == 0:
            self.result.status = "duplicate"
            self.result.message = (
                "every payment in this file was already posted (same TRN "
                "trace number or interchange); nothing new was posted"
            )
        return self.result

    @contextmanager
    def _source(self, data: bytes | Path | StoredPieces) -> Iterator[Source]:
        """What the 835 reader reads: the bytes or path as given, or a kept file's segments
        read from its pieces (closed, with the stream, when posting ends)."""
        if not isinstance(data, StoredPieces):
            yield data
            return
        raw = open_stored(self.session, data)
        with io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="") as text:
            yield iter_segments(text, self.name)

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
        targets = self._targets(batch, remittance)
        pcns_in_batch = {c.patient_control_number for c in batch if not c.is_reversal}
        outcomes = [
            self.planner.claim(
                payment,
                target.claim if target is not None else None,
                correction_follows=payment.is_reversal
                and payment.patient_control_number in pcns_in_batch,
            )
            for payment, target in zip(batch, targets, strict=True)
        ]
        plan = self.planner.take()
        outcomes = [
            # only a split claim's part has its line numbers moved (a copy of its outcome)
            replace(o, line_matches=t.shift(o.line_matches)) if t is not None and t.offset else o
            for o, t in zip(outcomes, targets, strict=True)
        ]
        postings, work = _slices(plan, outcomes, targets)
        claim_of = [
            t.row.id if t is not None and o.matched else None
            for o, t in zip(outcomes, targets, strict=True)
        ]
        ids = rows.insert_claim_payments(
            self.session, self.remittance_id, list(zip(batch, claim_of, strict=True))
        )
        rows.insert_service_payments(
            self.session,
            [
                (p, o.line_matches or (None,) * len(p.services), rc_id)
                for p, o, rc_id in zip(batch, outcomes, ids, strict=True)
            ],
        )
        reviews = self._guard(batch, outcomes, targets, postings, ids, remittance)
        rows.insert_claim_postings(
            self.session,
            self.remittance_id,
            [
                rows.PostingToWrite(posting, claim_id, rc_id, rc_id in reviews)
                for slice_, claim_id, rc_id in zip(postings, claim_of, ids, strict=True)
                for posting in slice_
            ],
        )
        self._insert_work_for(work, claim_of)
        posted = [rc_id not in reviews for rc_id in ids]
        self._estimates(batch, outcomes, claim_of, ids, posted)
        outcomes = self._settle_split_payments(outcomes, targets)
        self._move_states(batch, outcomes, targets, ids, posted)
        self._link_reversals(batch, claim_of, ids, posted)
        self._secondaries(batch, outcomes, targets, remittance, posted)
        self._count(plan, outcomes, postings, posted)
        self.rows_written += len(batch)
        if self.fail_after_rows is not None and self.rows_written >= self.fail_after_rows:
            msg = f"injected failure after {self.rows_written} claims were written"
            raise RuntimeError(msg)

    def _targets(self, batch: list[ClaimPayment], remittance: Remittance) -> list[_Target | None]:
        """Our claim for each claim payment: the claim with its number; for a part of a
        split claim (``<pcn>-<n>``) its parent, lines shifted to the parent's; for a
        reversal, the claim whose payment it takes back — the original, when a
        replacement has taken the number since.

        Claims are matched against their non-PHI projection (columns, one query for the
        batch: :func:`~edigateway.persistence.remittance_rows.projections`); a document
        is opened only for a claim stored before that projection could be filled, for a
        split claim's part, and for a secondary claim to build (:meth:`_secondaries`)."""
        self._documents.clear()  # one batch's documents at a time: memory stays flat
        payee_npi = (
            remittance.payee.identifier if remittance.payee.identifier_qualifier == "XX" else None
        )
        pcns = {c.patient_control_number for c in batch}
        parents = {p for p in (part_parent(pcn) for pcn in pcns) if p is not None}
        ours = {
            row.patient_control_number: row
            for row in rows.current_claim_rows(
                self.session, pcns | {p[0] for p in parents}, payee_npi
            )
        }
        reversed_pcns = {c.patient_control_number for c in batch if c.is_reversal}
        standing = rows.reversal_targets(self.session, reversed_pcns)
        originals = {
            row.id: row
            for row in rows.claim_rows_by_id(
                self.session,
                {
                    claim_id
                    for pcn in reversed_pcns
                    for claim_id, _number in standing.get(pcn, ())
                    if pcn not in ours or claim_id != ours[pcn].id
                },
            )
        }
        matched = self._to_match([*ours.values(), *originals.values()])
        targets: list[_Target | None] = []
        for payment in batch:
            pcn = payment.patient_control_number
            target: _Target | None = None
            if pcn in ours:
                row = ours[pcn]
                target = _Target(row, matched[row.id], matched[row.id], 0)
            else:
                parent = part_parent(pcn)
                if parent is not None and parent[0] in ours:
                    row = ours[parent[0]]
                    whole = matched[row.id]
                    if len(whole.lines) > MAX_LINES_PER_CLAIM:
                        claim = self._document(row)
                        part = split_part(claim, parent[1])
                        if part is not None:
                            offset = (parent[1] - 1) * MAX_LINES_PER_CLAIM
                            target = _Target(row, part, claim, offset)
            if payment.is_reversal:
                target = self._reversal_target(payment, target, standing, originals, matched)
            targets.append(target)
        return targets

    def _to_match(self, claims: list[ClaimRow]) -> dict[int, ClaimToMatch]:
        """Each claim's matching projection, or its document when it has none."""
        found: dict[int, ClaimToMatch] = dict(rows.projections(self.session, claims))
        for row in claims:
            if row.id not in found:
                found[row.id] = self._document(row)
        return found

    def _document(self, row: ClaimRow) -> Claim:
        """The claim as submitted (decrypted), read once per batch."""
        claim = self._documents.get(row.id)
        if claim is None:
            claim = self._documents[row.id] = open_document(self.session, row)
        return claim

    @staticmethod
    def _reversal_target(
        payment: ClaimPayment,
        target: _Target | None,
        standing: dict[str, list[tuple[int, str | None]]],
        originals: dict[int, ClaimRow],
        matched: dict[int, ClaimToMatch],
    ) -> _Target | None:
        candidates = standing.get(payment.patient_control_number, [])
        if target is not None and any(c == target.row.id for c, _n in candidates):
            return target
        named = [c for c, n in candidates if n == payment.payer_claim_control_number]
        chosen = named[-1] if named else candidates[-1][0] if candidates else None
        if chosen is None or chosen not in originals:
            return target
        return _Target(originals[chosen], matched[chosen], matched[chosen], 0)

    def _guard(
        self,
        batch: list[ClaimPayment],
        outcomes: list[ClaimOutcome],
        targets: list[_Target | None],
        postings: list[list[Posting]],
        ids: list[int],
        remittance: Remittance,
    ) -> dict[int, tuple[str, str, str | None]]:
        """Hold what a guard stops, and keep for approval what the payer's ERA policy says
        a person approves (guards win: a held payment is reviewed whatever the policy);
        one work item per held payment, with the evidence."""
        rows_ = {t.row.id: t.row for t in targets if t is not None}
        charges = {  # what the projection read from claim_lines already: not read again
            t.row.id: {n: line.charge for n, line in enumerate(t.whole.lines, start=1)}
            for t in targets
            if t is not None and isinstance(t.whole, rows.ClaimProjection)
        }
        contexts = rows.claim_contexts(self.session, list(rows_.values()), charges)
        wanted = set(rows_)
        for ctx in contexts.values():
            wanted |= {*ctx.facts.related, *ctx.facts.originals}
        view = rows.money_on_file(self.session, wanted, before=min(ids))
        reviews: dict[int, tuple[str, str, str | None]] = {}
        items: list[WorkItem] = []
        item_claims: list[int | None] = []
        item_payments: dict[int, int] = {}
        awaiting = 0
        for payment, outcome, target, slice_, rc_id in zip(
            batch, outcomes, targets, postings, ids, strict=True
        ):
            if target is None or not outcome.matched:
                continue
            ctx = contexts[target.row.id]
            found = holds(
                payment, outcome.line_matches, slice_, ctx.facts, view, remittance.payer_id
            )
            if found:
                evidence = "; ".join(h.evidence for h in found)
                reviews[rc_id] = ("held", evidence, outcome.new_state)
                item_payments[len(items)] = rc_id
                items.append(
                    WorkItem(
                        patient_control_number=payment.patient_control_number,
                        reason=found[0].reason,
                        message=f"payment held, not posted: {evidence} ({self.name}, "
                        f"segment {payment.source_position}); approve it to post it or "
                        "dismiss it",
                        codes=[h.reason.value for h in found],
                        amount=payment.paid,
                        source_position=payment.source_position,
                    )
                )
                item_claims.append(target.row.id)
            elif ctx.policy in ("semi", "review"):
                reviews[rc_id] = (
                    "awaiting",
                    f"the payer's ERA policy is {ctx.policy}",
                    outcome.new_state,
                )
                awaiting += 1
                if ctx.policy == "review":
                    item_payments[len(items)] = rc_id
                    items.append(
                        WorkItem(
                            patient_control_number=payment.patient_control_number,
                            reason=WorkReason.ERA_REVIEW,
                            message=f"claim {payment.patient_control_number}: "
                            f"{payment.paid} paid (CLP02={payment.status}) waits for "
                            "approval (the payer's ERA policy is review)",
                            amount=payment.paid,
                            source_position=payment.source_position,
                        )
                    )
                    item_claims.append(target.row.id)
            view.post(
                target.row.id,
                payment,
                rc_id,
                slice_,
                outcome.line_matches,
                held=rc_id in reviews,
            )
        semi = awaiting - sum(1 for i in items if i.reason is WorkReason.ERA_REVIEW)
        if semi:
            items.append(
                WorkItem(
                    patient_control_number=None,
                    reason=WorkReason.ERA_REVIEW,
                    message=f"payment {remittance.trace_number} ({self.name}): {semi} claim "
                    "payment(s) planned and waiting for one approval (the payer's ERA "
                    "policy is semi): edigateway era pending / era approve",
                    amount=remittance.payment_amount,
                    source_position=remittance.source_position,
                )
            )
            item_claims.append(None)
        rows.set_review(self.session, reviews)
        insert_work_items(
            self.session,
            items,
            created_at=self.now,
            claim_ids={},
            remittance_id=self.remittance_id,
            file_id=self.file_id,
            remittance_claim_ids=item_payments,
            item_claim_ids=item_claims,
        )
        self._report(items)
        return reviews

    def _insert_work_for(self, work: list[list[WorkItem]], claim_of: list[int | None]) -> None:
        items = [w for slice_ in work for w in slice_]
        insert_work_items(
            self.session,
            items,
            created_at=self.now,
            claim_ids={},
            remittance_id=self.remittance_id,
            file_id=self.file_id,
            item_claim_ids=[c for slice_, c in zip(work, claim_of, strict=True) for _w in slice_],
        )
        self._report(items)

    def _report(self, items: list[WorkItem]) -> None:
        self.result.work_items += [
            WorkSummary(w.patient_control_number, w.reason.value, list(w.codes), w.message)
            for w in items
        ]

    def _estimates(
        self,
        batch: list[ClaimPayment],
        outcomes: list[ClaimOutcome],
        claim_of: list[int | None],
        ids: list[int],
        posted: list[bool],
    ) -> None:
        """Keep a predetermination's estimate per line (CLP02 = 25), unless held."""
        rows.insert_estimates(
            self.session,
            [
                rows.EstimateToWrite(claim_id, rc_id, line, payment.payer_claim_control_number)
                for payment, outcome, claim_id, rc_id, ok in zip(
                    batch, outcomes, claim_of, ids, posted, strict=True
                )
                if ok and claim_id is not None and outcome.new_state == "predetermined"
                for line in outcome.estimate
            ],
            self.now,
        )

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
        self, outcomes: list[ClaimOutcome], targets: list[_Target | None]
    ) -> list[ClaimOutcome]:
        """``paid`` only once every line of the claim (of a split claim: of every part)
        has been adjudicated (:func:`~edigateway.reconcile.history.settle_split_payment`)."""
        paid = {
            t.row.id
            for o, t in zip(outcomes, targets, strict=True)
            if t is not None and o.matched and o.new_state == "paid"
        }
        if not paid:
            return outcomes
        covered = adjudicated_lines(rows.lines_on_file(self.session, paid))
        result = []
        for outcome, target in zip(outcomes, targets, strict=True):
            if target is not None and outcome.matched and outcome.new_state == "paid":
                outcome = settle_split_payment(  # noqa: PLW2901
                    outcome, covered.get(target.row.id, set()), len(target.whole.lines)
                )
            result.append(outcome)
        return result

    def _secondaries(
        self,
        batch: list[ClaimPayment],
        outcomes: list[ClaimOutcome],
        targets: list[_Target | None],
        remittance: Remittance,
        posted: list[bool],
    ) -> None:
        """Store the secondary claim of every claim the primary just processed (a held
        payment's secondary waits for its approval: a work item says so)."""
        for payment, outcome, target, ok in zip(batch, outcomes, targets, posted, strict=True):
            if not outcome.needs_secondary or target is None:
                continue
            try:
                if not ok:
                    msg = "the primary's payment is held for review; build it once approved"
                    raise ValueError(msg)  # noqa: TRY301 - one path for both work items
                primary = (
                    target.claim
                    if isinstance(target.claim, Claim)
                    else self._document(target.row)  # a projection's claim is the whole
                )
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
                    {payment.patient_control_number: target.row.id},
                )
                continue
            try:
                store_claim(self.session, secondary, now=self.now, state="ready")
            except ConflictError:
                # the primary's payment changed (a correction after a reversal) after
                # the secondary was built from it: the stored one no longer says what the
                # primary paid, and only a person can tell whether it was sent
                self._insert_work(
                    [
                        WorkItem(
                            patient_control_number=payment.patient_control_number,
                            reason=WorkReason.SECONDARY_NEEDED,
                            message=f"the primary payer's payment of claim "
                            f"{payment.patient_control_number} changed, but its secondary "
                            f"claim {secondary.patient_control_number} was already built "
                            "from the earlier payment: check it and send a replacement "
                            "(frequency 7) with the primary's new figures",
                            amount=payment.paid,
                            source_position=payment.source_position,
                        )
                    ],
                    {payment.patient_control_number: target.row.id},
                )
                continue
            self.result.secondary_claims.append(secondary.patient_control_number)

    def _move_states(
        self,
        batch: list[ClaimPayment],
        outcomes: list[ClaimOutcome],
        targets: list[_Target | None],
        ids: list[int],
        posted: list[bool],
    ) -> None:
        """Each matched claim to the state its payment decided, every payment a history
        row (:func:`~edigateway.persistence.claim_rows.transition`); the payer's claim
        number from a payment that is not a reversal. A held payment moves nothing: its
        claim's history notes it."""
        moves: list[Move] = []
        for payment, outcome, target, rc_id, ok in zip(
            batch, outcomes, targets, ids, posted, strict=True
        ):
            if target is None or not outcome.matched:
                continue
            cause = Cause(
                "file",
                f"835 {self.name} CLP02={payment.status} paid {payment.paid} "
                f"(segment {payment.source_position})",
                file=self.name,
                position=payment.source_position,
                remittance_claim_id=rc_id,
            )
            if not ok:
                note(
                    self.session,
                    target.row,
                    replace(cause, text=f"{cause.text}: held for review, not posted"),
                    self.now,
                )
            elif outcome.new_state is not None:
                moves.append(
                    Move(
                        target.row,
                        ClaimState(outcome.new_state),
                        cause,
                        None if payment.is_reversal else payment.payer_claim_control_number,
                    )
                )
        transition(self.session, self._movable(moves), now=self.now)

    def _movable(self, moves: list[Move]) -> list[Move]:
        """The moves the lifecycle allows, in order; a payment for a claim in a state no
        835 can move (cancelled, withdrawn) is posted but leaves the state alone, with a
        history note saying so."""
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
                note(
                    self.session,
                    row,
                    replace(
                        move.cause,
                        text=f"{move.cause.text}: posted, but a {current} claim does "
                        f"not become {move.target} by an 835",
                    ),
                    self.now,
                )
        return result

    def _link_reversals(
        self,
        batch: list[ClaimPayment],
        claim_of: list[int | None],
        ids: list[int],
        posted: list[bool],
    ) -> None:
        """Reversal → the payment it takes back; earlier reversal → its corrected claim
        (:func:`~edigateway.reconcile.history.link_reversals`)."""
        new = [
            (rc_id, claim_id, p.is_reversal)
            for p, claim_id, rc_id, ok in zip(batch, claim_of, ids, posted, strict=True)
            if claim_id is not None and ok
        ]
        if not new:
            return
        links = link_reversals(
            new, rows.payments_on_file(self.session, {claim_id for _id, claim_id, _reversal in new})
        )
        rows.link_payments(
            self.session, reversed_by=links.reversed_by, corrected_by=links.corrected_by
        )

    def _count(
        self,
        plan: PostingPlan,
        outcomes: list[ClaimOutcome],
        postings: list[list[Posting]],
        posted: list[bool],
    ) -> None:
        """Totals of what was posted (held payments are reported by their work items)."""
        r = self.result
        r.claims_matched += sum(1 for o in outcomes if o.matched)
        r.claims_unmatched += sum(1 for o in outcomes if not o.matched)
        counted = PostingPlan(
            [p for slice_, ok in zip(postings, posted, strict=True) if ok for p in slice_],
            plan.work_items,
            plan.outcomes,
        )
        r.posted_total += counted.posted_total
        r.adjustments_total += counted.adjustments_total
        r.patient_responsibility_total += counted.patient_responsibility_total
        r.interest_total += counted.total({PostingKind.INTEREST})

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


@contextmanager
def _startup_objects_frozen() -> Iterator[None]:
    """Keep the objects alive before posting out of the cyclic collector's way while it runs.

    Posting allocates enough for the collector to run a full collection about once per
    batch, and each walked every object the process held — the imported modules, the
    ORM's metadata, pydantic's schemas: ~120,000 before the first claim, nearly all of
    them alive for as long as the process: 4–5 s of a 20,000-claim post's ~23 s CPU went
    there (measured with ``gc.callbacks``). Frozen (:func:`gc.freeze`), they are left out
    of every collection; what posting allocates is still collected as before, and
    :func:`gc.unfreeze` hands them back afterwards, so a long-lived worker's collector
    sees them again between files.

    A process that froze objects itself (a server that freezes what it loaded before it
    forks its workers, so their pages stay shared) is left as it is: unfreezing would
    hand its objects back too, and freezing again would make permanent whatever else is
    alive at that moment, garbage included."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


INTERPRETER_GEN0 = 700
"""CPython's own threshold for a young-generation collection (allocations less frees of
tracked objects): a process whose threshold is anything else chose it."""
GEN0_WHILE_POSTING = 10_000
"""The young-generation threshold while an 835 is posted (see :func:`_young_collections_spaced`)."""


@contextmanager
def _young_collections_spaced() -> Iterator[None]:
    """Collect the young generation every :data:`GEN0_WHILE_POSTING` allocations instead of
    every 700 while posting, and put the threshold back afterwards, failure included.

    With the objects alive before posting frozen, the collector still ran ~4,800 young,
    ~440 middle and ~40 full collections in an ``era post`` of 20,000 claims: posting allocates
    millions of tracked objects (models, postings, rows as tuples), and what a batch
    builds stays alive until the batch is written, so each pass walks much the same
    objects again and finds little to free. At 10,000 it runs ~440, 40 and 3 and its CPU
    falls by about a third (measured with ``gc.callbacks``; figures and the peak, which
    stays where it was, in benchmarks/README.md). Cycles are still collected, only less
    often. A process that set its own threshold (or turned the collector off) is left as
    it is."""
    gen0, gen1, gen2 = gc.get_threshold()
    if gen0 != INTERPRETER_GEN0 or not gc.isenabled():
        yield
        return
    gc.set_threshold(GEN0_WHILE_POSTING, gen1, gen2)
    try:
        yield
    finally:
        gc.set_threshold(gen0, gen1, gen2)


def _sum(batch: list[ClaimPayment]) -> Decimal:
    return sum((c.paid for c in batch), ZERO)


@dataclass(frozen=True, slots=True)
class _Target:
    """Our claim a claim payment is for: its row, the claim the payment's lines are
    matched against (a part, for a split claim), the whole claim, and how far the part's
    line numbers are from the whole's."""

    row: ClaimRow
    claim: ClaimToMatch
    whole: ClaimToMatch
    offset: int

    def shift(self, lines: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """A part's line numbers as the whole claim's."""
        return tuple(n + self.offset if n is not None else None for n in lines)


def _slices(
    plan: PostingPlan, outcomes: list[ClaimOutcome], targets: list[_Target | None]
) -> tuple[list[list[Posting]], list[list[WorkItem]]]:
    """Each claim payment's postings (line numbers of a part shifted to the whole claim)
    and work items, in order."""
    postings: list[list[Posting]] = []
    work: list[list[WorkItem]] = []
    p = w = 0
    for outcome, target in zip(outcomes, targets, strict=True):
        mine = plan.postings[p : p + outcome.postings]
        if target is not None and target.offset:
            mine = [
                replace(x, line_number=x.line_number + target.offset)
                if x.line_number is not None
                else x
                for x in mine
            ]
        postings.append(mine)
        work.append(plan.work_items[w : w + outcome.work_items])
        p += outcome.postings
        w += outcome.work_items
    return postings, work


def split_part(claim: Claim, part: int) -> Claim | None:
    """Part ``part`` (1-based) of a claim the 837D writer split, if it was split."""
    if len(claim.lines) <= MAX_LINES_PER_CLAIM:
        return None
    parts = split_claim(claim, MAX_LINES_PER_CLAIM)
    return parts[part - 1] if 1 <= part <= len(parts) else None
