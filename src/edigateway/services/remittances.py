"""Posting an 835: read → balance → match → post, one database transaction per file.

``post_era(db, path, codes=..., now=...)`` is what ``edigateway era post`` and the workers
run. The file is streamed (:func:`~edigateway.x12.x835_005010X221A1.iter_835`) and posted in
batches of claims, all inside one transaction, so memory stays flat and the database holds
either the whole file's postings or none of them:

1. the same bytes (SHA-256) already posted → ``duplicate``, nothing written;
2. each payment (ST…SE) already posted — same TRN02/TRN03, or same sender + ISA13 + ST02 —
   is skipped; when every payment of the file was, the file is a ``duplicate``;
3. every SVC and CLP is balanced before its batch is posted, the payment (Σ CLP04 − Σ PLB =
   BPR02) at its SE; any imbalance or X12 problem rolls everything back and the file is
   recorded as ``quarantined`` with the segment that failed (position, ID, loop and
   element: the SVC, CLP or BPR amount that does not add up), plus a work item; a file
   that is not a 005010X221A1 835 at all (4010, GS08 ``005010X221`` without A1, another
   transaction) is recorded the same way but reported ``unsupported``;
4. claims are matched (:mod:`edigateway.reconcile.plan`), postings and work items written,
   claim states moved with their history, reversals linked to what they reverse and to the
   corrected claim, PLB entries written to the provider ledger linked to their claim.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from edigateway.domain.postings import WorkItem, WorkReason
from edigateway.errors import (
    PersistenceError,
    UnsupportedX12Error,
    X12Error,
    X12Location,
    X12SyntaxError,
)
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    PostingRow,
    ProviderAdjustmentRow,
    RemittanceAdjustmentRow,
    RemittanceClaimRow,
    RemittanceFileRow,
    RemittanceLineRow,
    RemittanceRow,
    WorkItemRow,
    table_of,
)
from edigateway.reconcile.balance import check_claim, check_payment
from edigateway.reconcile.plan import Planner
from edigateway.reconcile.secondary import build_secondary
from edigateway.services.claim_store import load_claims, store_claim
from edigateway.services.parsing import require
from edigateway.x12.envelope import iter_segments, sniff_header_bytes, x12_text_of
from edigateway.x12.x835_005010X221A1 import GUIDE as GUIDE_835
from edigateway.x12.x835_005010X221A1 import RemittanceEnd, RemittanceStart, iter_835

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path

    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.domain.claims import Claim
    from edigateway.domain.remittances import ClaimPayment, Remittance
    from edigateway.persistence.database import Database
    from edigateway.reconcile.balance import Imbalance
    from edigateway.reconcile.plan import ClaimOutcome, PostingPlan
    from edigateway.x12.x835_005010X221A1 import Event, Interchange

ZERO = Decimal("0.00")
BATCH = 500
"""Claims planned and inserted together: large enough for fast inserts, small for memory."""
RACE_ATTEMPTS = 3
"""Posting attempts when concurrent posters of the same file or payment collide: the
second attempt finds the winner's rows; a third covers a file racing two others."""


@dataclass
class WorkSummary:
    """A work item as reported to the caller."""

    claim: str | None
    reason: str
    codes: list[str]
    message: str


@dataclass
class PostingResult:
    """What posting one file did (the ``era post --json`` document)."""

    file: str
    status: str  # posted | duplicate | quarantined | unsupported
    readable: bool = True
    """False when the file is not a 5010 835 we read (``unsupported``, or not X12 at all):
    the command line's exit code 2, as ``x12 validate``/``x12 parse`` give for it."""
    payment_amount: Decimal = ZERO
    claims_matched: int = 0
    claims_unmatched: int = 0
    posted_total: Decimal = ZERO
    adjustments_total: Decimal = ZERO
    patient_responsibility_total: Decimal = ZERO
    plb_total: Decimal = ZERO
    interest_total: Decimal = ZERO
    payments: int = 0
    payments_skipped: int = 0
    work_items: list[WorkSummary] = field(default_factory=list)
    secondary_claims: list[str] = field(default_factory=list)
    message: str | None = None
    problem: X12Location | None = None
    file_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI contract's JSON document (amounts as strings, exact)."""
        doc: dict[str, Any] = {
            "file": self.file, "status": self.status,
            "payment_amount": str(self.payment_amount),
            "claims_matched": self.claims_matched, "claims_unmatched": self.claims_unmatched,
            "posted_total": str(self.posted_total),
            "adjustments_total": str(self.adjustments_total),
            "patient_responsibility_total": str(self.patient_responsibility_total),
            "plb_total": str(self.plb_total), "interest_total": str(self.interest_total),
            "payments": self.payments, "payments_skipped": self.payments_skipped,
            "secondary_claims": self.secondary_claims,
            "work_items": [{"claim": w.claim, "reason": w.reason, "codes": w.codes,
                            "message": w.message} for w in self.work_items],
        }
        if self.message:
            doc["message"] = self.message
        if self.problem is not None:
            doc["problem"] = {"segment_index": self.problem.segment_index,
                              "segment_id": self.problem.segment_id,
                              "loop": self.problem.loop, "element": self.problem.element}
        return doc


class _Quarantine(Exception):  # noqa: N818 - control flow, never leaves this module
    def __init__(self, message: str, location: X12Location) -> None:
        super().__init__(message)
        self.message, self.location = message, location


def _imbalance(file: str, problems: list[Imbalance]) -> _Quarantine:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return _Quarantine(f"the file does not balance: {first.message}{more}; nothing was posted",
                       X12Location(file=file, segment_index=first.source_position,
                                   segment_id=first.segment_id, loop=first.loop,
                                   element=first.element))


def post_era(db: Database, path: Path, *, codes: CodeLists, now: datetime,
             fail_after_rows: int | None = None) -> PostingResult:
    """Post the 835 at ``path`` (see module docstring).

    ``fail_after_rows`` exists for the crash-safety test: it raises after that many claims
    were inserted, inside the transaction, the way a killed process would stop.
    """
    return post_era_bytes(db, str(path), path.read_bytes(), codes=codes, now=now,
                          fail_after_rows=fail_after_rows)


def post_era_bytes(db: Database, name: str, data: bytes, *, codes: CodeLists, now: datetime,
                   fail_after_rows: int | None = None) -> PostingResult:
    """Post an 835 held in memory (a file downloaded from a clearinghouse); ``name`` is
    how messages and the remittance file row refer to it."""
    digest = hashlib.sha256(data).hexdigest()
    attempt = 1
    while True:
        seen = _already_received(db, name, digest)
        if seen is not None:
            return seen
        try:
            return _post_new(db, name, data, digest, codes=codes, now=now,
                             fail_after_rows=fail_after_rows)
        except PersistenceError as exc:
            # Another poster (a second process or worker with the same file, or a file
            # with one of its payments) committed between our look and our insert: the
            # unique constraint refused our row. Look again; it is a duplicate now.
            if attempt >= RACE_ATTEMPTS or not isinstance(exc.__cause__, IntegrityError):
                raise
        attempt += 1


_FILE_STATUS: Final = {"posted": ("duplicate", True), "quarantined": ("quarantined", True),
                       "unsupported": ("unsupported", False),
                       "unreadable": ("quarantined", False)}
"""A ``remittance_files.status`` → the status and readability reported when the same bytes
come again, so a second ``era post`` of a file exits as the first did."""


def _already_received(db: Database, name: str, digest: str) -> PostingResult | None:
    """The outcome for a file whose bytes were already posted or set aside, if so."""
    with db.transaction() as session:
        seen = session.scalars(select(RemittanceFileRow).where(
            RemittanceFileRow.sha256 == digest)).first()
        if seen is None:
            return None
        status, readable = _FILE_STATUS.get(seen.status, ("quarantined", True))
        what = "posted" if seen.status == "posted" else "received and not posted"
        return PostingResult(name, status, readable=readable, file_id=seen.id, message=(
            f"this file was already {what} on {seen.received_at:%Y-%m-%d %H:%M} "
            f"(file {seen.id}); nothing new was posted"
            + (f": {seen.problem}" if seen.problem else "")))


def _post_new(db: Database, name: str, data: bytes, digest: str, *, codes: CodeLists,
              now: datetime, fail_after_rows: int | None) -> PostingResult:
    """Post a file not seen before, or quarantine it."""
    try:
        require(sniff_header_bytes(data, name), name, "835", GUIDE_835, "era post")
        with db.transaction() as session:
            poster = _Poster(session, name, codes, now, fail_after_rows)
            result = poster.post(data, digest)
            if result.status == "duplicate":
                session.rollback()
            return result
    except _Quarantine as exc:
        return _quarantine(db, name, data, digest, now, exc.message, exc.location,
                           file_status="quarantined")
    except UnsupportedX12Error as exc:
        return _quarantine(db, name, data, digest, now, exc.message, exc.location,
                           file_status="unsupported")
    except X12SyntaxError as exc:
        return _quarantine(db, name, data, digest, now, exc.message, exc.location,
                           file_status="unreadable")
    except X12Error as exc:
        return _quarantine(db, name, data, digest, now, exc.message, exc.location,
                           file_status="quarantined")


def _quarantine(db: Database, name: str, data: bytes, digest: str, now: datetime,
                message: str, location: X12Location, *,
                file_status: Literal["quarantined", "unsupported", "unreadable"]
                ) -> PostingResult:
    """Record a file that was not posted, with its work item; ``file_status`` is what
    ``remittance_files.status`` keeps (see ``_FILE_STATUS``)."""
    where = str(X12Location(None, location.segment_index, location.segment_id, location.loop,
                            location.element))
    problem = _storable(f"{where}: {message}" if where else message)
    with db.transaction() as session:
        row = RemittanceFileRow(name=_storable(name)[:255], sha256=digest, size=len(data),
                                received_at=now, status=file_status, problem=problem,
                                problem_position=location.segment_index)
        session.add(row)
        session.flush()
        session.add(WorkItemRow(
            created_at=now, status="open", reason="quarantined",
            message=f"835 file {_storable(name)} was not posted: {problem}", codes="",
            file_id=row.id, source_position=location.segment_index))
        file_id = row.id
    status, readable = _FILE_STATUS[file_status]
    return PostingResult(name, status, readable=readable, message=problem,
                         problem=location, file_id=file_id,
                         work_items=[WorkSummary(None, "quarantined", [], problem)])


def _storable(text: str) -> str:
    """``text`` that any database and terminal take: a file name that is not UTF-8 (Linux
    allows any bytes) keeps its odd bytes as ``\\udcXX`` escapes instead of failing the
    insert that records the quarantine."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class _Poster:
    """Posts one file's events inside one session (the caller owns the transaction)."""

    def __init__(self, session: Session, name: str, codes: CodeLists, now: datetime,
                 fail_after_rows: int | None) -> None:
        self.session, self.name, self.codes, self.now = session, name, codes, now
        self.fail_after_rows = fail_after_rows
        self.rows_written = 0
        self.result = PostingResult(name, "posted")
        self.planner = Planner(describe_carc=codes.describe_carc,
                               describe_rarc=codes.describe_rarc,
                               is_known_carc=codes.is_known_carc)

    def post(self, data: bytes, digest: str) -> PostingResult:
        file_row = RemittanceFileRow(name=self.name[:255], sha256=digest, size=len(data),
                                     received_at=self.now, status="posted")
        self.session.add(file_row)
        self.session.flush()
        self.file_id = self.result.file_id = file_row.id
        with x12_text_of(data) as stream:
            self._post_events(iter_835(iter_segments(stream, self.name), self.name))
        if self.result.payments == 0:
            self.result.status = "duplicate"
            self.result.message = ("every payment in this file was already posted (same TRN "
                                   "trace number or interchange); nothing new was posted")
        return self.result

    def _post_events(self, events: Iterator[Event]) -> None:
        remittance: Remittance | None = None
        skipping = False
        batch: list[ClaimPayment] = []
        claims_paid = ZERO
        for event in events:
            if isinstance(event, RemittanceStart):
                remittance, batch, claims_paid = event.remittance, [], ZERO
                skipping = self._already_posted(event.interchange, remittance)
                if not skipping:
                    self.remittance_id = self._insert_remittance(event.interchange, remittance)
            elif isinstance(event, RemittanceEnd):
                assert remittance is not None  # noqa: S101 - the reader starts every payment
                if skipping:
                    self.result.payments_skipped += 1
                    continue
                problems = check_payment(remittance, claims_paid + self._sum(batch),
                                         event.provider_adjustments)
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
                    claims_paid += self._sum(batch)
                    assert remittance is not None  # noqa: S101
                    self._flush(batch, remittance)
                    batch = []

    @staticmethod
    def _sum(batch: list[ClaimPayment]) -> Decimal:
        return sum((c.paid for c in batch), ZERO)

    # -- duplicates
    def _already_posted(self, interchange: Interchange, remittance: Remittance) -> bool:
        trn = select(func.count()).select_from(RemittanceRow).where(
            RemittanceRow.trace_number == remittance.trace_number,
            RemittanceRow.payer_trace_id == (remittance.payer_trace_id or ""))
        isa = select(func.count()).select_from(RemittanceRow).where(
            RemittanceRow.sender_id == interchange.sender_id,
            RemittanceRow.interchange_control_number == interchange.control_number,
            RemittanceRow.transaction_control_number == remittance.transaction_control_number,
            RemittanceRow.file_id != self.file_id)
        return bool(self.session.scalar(trn)) or bool(self.session.scalar(isa))

    def _insert_remittance(self, interchange: Interchange, r: Remittance) -> int:
        row = RemittanceRow(
            file_id=self.file_id, sender_id=interchange.sender_id,
            interchange_control_number=interchange.control_number,
            transaction_control_number=r.transaction_control_number,
            trace_number=r.trace_number, payer_trace_id=r.payer_trace_id or "",
            payer_id=r.payer_id, payer_name=r.payer.name[:60], payee_name=r.payee.name[:60],
            payee_id=r.payee.identifier, handling_code=r.handling_code,
            payment_amount=r.payment_amount, credit_debit=r.credit_debit,
            payment_method=r.payment_method, payment_date=r.payment_date,
            source_position=r.source_position)
        self.session.add(row)
        self.session.flush()
        return row.id

    # -- claims
    def _flush(self, batch: list[ClaimPayment], remittance: Remittance) -> None:
        if not batch:
            return
        payee_npi = remittance.payee.identifier if remittance.payee.identifier_qualifier == "XX" \
            else None
        ours = load_claims(self.session, (c.patient_control_number for c in batch), payee_npi)
        pcns_in_batch = {c.patient_control_number for c in batch if not c.is_reversal}
        outcomes = [self.planner.claim(
            payment, ours[payment.patient_control_number][1]
            if payment.patient_control_number in ours else None,
            correction_follows=payment.is_reversal
            and payment.patient_control_number in pcns_in_batch) for payment in batch]
        plan = self.planner.take()
        ids = self._insert_claims(batch, outcomes, ours)
        self._insert_lines_and_adjustments(batch, outcomes, ids)
        claim_ids = {pcn: row.id for pcn, (row, _claim) in ours.items()}
        self._insert_plan(plan, claim_ids)
        outcomes = self._cumulative(outcomes, ours)
        self._move_states(batch, outcomes, ours, ids)
        self._link_reversals(batch, ours, ids)
        self._secondaries(batch, outcomes, ours, remittance)
        self._count(plan, outcomes)
        self.rows_written += len(batch)
        if self.fail_after_rows is not None and self.rows_written >= self.fail_after_rows:
            msg = f"injected failure after {self.rows_written} claims were written"
            raise RuntimeError(msg)

    def _insert_claims(self, batch: list[ClaimPayment], outcomes: list[ClaimOutcome],
                       ours: dict[str, tuple[ClaimRow, Claim]]) -> list[int]:
        rows = [{
            "remittance_id": self.remittance_id,
            "claim_id": ours[p.patient_control_number][0].id if o.matched else None,
            "patient_control_number": p.patient_control_number, "status": p.status,
            "charge": p.charge, "paid": p.paid,
            "patient_responsibility": p.patient_responsibility,
            "payer_claim_control_number": p.payer_claim_control_number,
            "source_position": p.source_position} for p, o in zip(batch, outcomes, strict=True)]
        result = self.session.execute(
            table_of(RemittanceClaimRow).insert().returning(
                table_of(RemittanceClaimRow).c.id, sort_by_parameter_order=True), rows)
        return [row[0] for row in result]

    def _insert_lines_and_adjustments(self, batch: list[ClaimPayment],
                                      outcomes: list[ClaimOutcome], ids: list[int]) -> None:
        line_rows: list[dict[str, Any]] = []
        owners: list[tuple[int, int]] = []  # (batch index, service index)
        adjustments: list[dict[str, Any]] = []
        for index, (payment, outcome, rc_id) in enumerate(zip(batch, outcomes, ids,
                                                              strict=True)):
            adjustments += [_adjustment_row(rc_id, None, a) for a in payment.adjustments]
            matches = outcome.line_matches or (None,) * len(payment.services)
            for s_index, (service, line_number) in enumerate(zip(payment.services, matches,
                                                                 strict=True)):
                line_rows.append({
                    "remittance_claim_id": rc_id, "claim_line_number": line_number,
                    "procedure_code": service.procedure_code, "charge": service.charge,
                    "paid": service.paid, "line_control_number": service.line_control_number,
                    "service_date": service.service_date,
                    "remark_codes": ",".join(service.remark_codes),
                    "source_position": service.source_position})
                owners.append((index, s_index))
        if line_rows:
            result = self.session.execute(
                table_of(RemittanceLineRow).insert().returning(
                    table_of(RemittanceLineRow).c.id, sort_by_parameter_order=True), line_rows)
            for (index, s_index), (line_id,) in zip(owners, result, strict=True):
                service = batch[index].services[s_index]
                adjustments += [_adjustment_row(ids[index], line_id, a)
                                for a in service.adjustments]
        if adjustments:
            self.session.execute(table_of(RemittanceAdjustmentRow).insert(), adjustments)

    def _insert_plan(self, plan: PostingPlan, claim_ids: dict[str, int]) -> None:
        postings = [{
            "remittance_id": self.remittance_id,
            "claim_id": claim_ids.get(p.patient_control_number or ""),
            "line_number": p.line_number, "kind": p.kind.value, "amount": p.amount,
            "group_code": p.group, "reason_code": p.reason_code,
            "remark_codes": ",".join(p.remark_codes), "reference": p.reference,
            "source_position": p.source_position} for p in plan.postings]
        if postings:
            self.session.execute(table_of(PostingRow).insert(), postings)
        self._insert_work(plan.work_items, claim_ids)

    def _insert_work(self, items: list[WorkItem], claim_ids: dict[str, int]) -> None:
        rows = [{
            "created_at": self.now, "status": "open", "reason": w.reason.value,
            "message": w.message, "codes": ",".join(w.codes), "amount": w.amount,
            "patient_control_number": w.patient_control_number,
            "claim_id": claim_ids.get(w.patient_control_number or ""),
            "remittance_id": self.remittance_id, "file_id": self.file_id,
            "source_position": w.source_position} for w in items]
        if rows:
            self.session.execute(table_of(WorkItemRow).insert(), rows)
        self.result.work_items += [WorkSummary(w.patient_control_number, w.reason.value,
                                               list(w.codes), w.message) for w in items]

    def _cumulative(self, outcomes: list[ClaimOutcome],
                    ours: dict[str, tuple[ClaimRow, Claim]]) -> list[ClaimOutcome]:
        """A claim the payer split over several CLPs/ERAs is ``paid`` only when every line
        has been adjudicated; until then it is ``partially_paid``."""
        paid = [o for o in outcomes if o.matched and o.new_state == "paid"]
        if not paid:
            return outcomes
        claim_ids = {ours[o.patient_control_number][0].id for o in paid}
        seen: dict[int, set[int]] = {}
        rows = self.session.execute(
            select(RemittanceClaimRow.claim_id, RemittanceLineRow.claim_line_number)
            .join(RemittanceClaimRow,
                  RemittanceClaimRow.id == RemittanceLineRow.remittance_claim_id)
            .where(RemittanceClaimRow.claim_id.in_(claim_ids),
                   RemittanceClaimRow.reversed_by_id.is_(None),
                   RemittanceClaimRow.status != "22",
                   RemittanceLineRow.claim_line_number.is_not(None)))
        for claim_id, line_number in rows:
            if claim_id is not None and line_number is not None:
                seen.setdefault(claim_id, set()).add(line_number)
        result = []
        for outcome in outcomes:
            if outcome.matched and outcome.new_state == "paid":
                row, claim = ours[outcome.patient_control_number]
                covered = seen.get(row.id, set())
                if covered and len(covered) < len(claim.lines):
                    outcome = replace(outcome, new_state="partially_paid")  # noqa: PLW2901
            result.append(outcome)
        return result

    def _secondaries(self, batch: list[ClaimPayment], outcomes: list[ClaimOutcome],
                     ours: dict[str, tuple[ClaimRow, Claim]], remittance: Remittance) -> None:
        """Store the secondary claim of every claim the primary just processed."""
        for payment, outcome in zip(batch, outcomes, strict=True):
            if not outcome.needs_secondary:
                continue
            primary = ours[payment.patient_control_number][1]
            try:
                secondary = build_secondary(primary, [payment],
                                            remittance.payment_date or self.now.date())
            except ValueError as exc:
                self._insert_work([WorkItem(
                    patient_control_number=payment.patient_control_number,
                    reason=WorkReason.SECONDARY_NEEDED,
                    message=f"the secondary claim could not be built: {exc}",
                    source_position=payment.source_position)],
                    {payment.patient_control_number: ours[payment.patient_control_number][0].id})
                continue
            store_claim(self.session, secondary, now=self.now, state="ready")
            self.result.secondary_claims.append(secondary.patient_control_number)

    def _move_states(self, batch: list[ClaimPayment], outcomes: list[ClaimOutcome],
                     ours: dict[str, tuple[ClaimRow, Claim]], ids: list[int]) -> None:
        updates: dict[int, dict[str, Any]] = {}
        history: list[dict[str, Any]] = []
        for payment, outcome, rc_id in zip(batch, outcomes, ids, strict=True):
            if not outcome.matched or outcome.new_state is None:
                continue
            row = ours[payment.patient_control_number][0]
            change: dict[str, Any] = {"id": row.id, "state": outcome.new_state,
                                      "state_changed_at": self.now}
            if payment.payer_claim_control_number and not payment.is_reversal:
                change["payer_claim_control_number"] = payment.payer_claim_control_number
            updates[row.id] = {**updates.get(row.id, {}), **change}  # the last CLP wins
            history.append({
                "claim_id": row.id, "previous_state": row.state, "state": outcome.new_state,
                "changed_at": self.now, "remittance_claim_id": rc_id,
                "reason": f"835 {self.name} CLP02={payment.status} paid {payment.paid} "
                f"(segment {payment.source_position})"})
            row.state = outcome.new_state
        if updates:
            # bulk UPDATE by primary key, one statement per set of columns
            for keys in {tuple(sorted(u)) for u in updates.values()}:
                self.session.execute(update(ClaimRow), [
                    u for u in updates.values() if tuple(sorted(u)) == keys])
            self.session.execute(table_of(ClaimStateRow).insert(), history)

    def _link_reversals(self, batch: list[ClaimPayment],
                        ours: dict[str, tuple[ClaimRow, Claim]], ids: list[int]) -> None:
        """Reversal → the payment it takes back; earlier reversal → its corrected claim.

        One query per batch finds the claims with a reversal still waiting for its
        correction; only reversal CLPs (rare) look up what they reverse.
        """
        claim_of = {rc_id: ours[p.patient_control_number][0].id
                    for p, rc_id in zip(batch, ids, strict=True)
                    if p.patient_control_number in ours}
        if not claim_of:
            return
        waiting = list(self.session.scalars(select(RemittanceClaimRow).where(
            RemittanceClaimRow.claim_id.in_(set(claim_of.values())),
            RemittanceClaimRow.status == "22",
            RemittanceClaimRow.corrected_by_id.is_(None))))
        for payment, rc_id in zip(batch, ids, strict=True):
            claim_id = claim_of.get(rc_id)
            if claim_id is None:
                continue
            if payment.is_reversal:
                original = self.session.scalars(select(RemittanceClaimRow).where(
                    RemittanceClaimRow.claim_id == claim_id,
                    RemittanceClaimRow.status != "22",
                    RemittanceClaimRow.reversed_by_id.is_(None),
                    RemittanceClaimRow.id < rc_id).order_by(RemittanceClaimRow.id.desc())
                ).first()
                if original is not None:
                    original.reversed_by_id = rc_id
                continue
            for reversal in waiting:
                if reversal.claim_id == claim_id and reversal.id < rc_id \
                        and reversal.corrected_by_id is None:
                    reversal.corrected_by_id = rc_id

    def _count(self, plan: PostingPlan, outcomes: list[ClaimOutcome]) -> None:
        from edigateway.domain.postings import PostingKind

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
        claims = self._claims_for_references(references)
        by_payer_number = {ref: pcn for ref, (pcn, _id) in claims.items()}
        claim_map = self._claims_by_pcn({pcn for pcn, _id in claims.values()})
        for plb in end.provider_adjustments:
            self.planner.provider_adjustment(plb, claim_map, by_payer_number)
        plan = self.planner.take()
        claim_ids = dict(claims.values())
        self.session.execute(table_of(ProviderAdjustmentRow).insert(), [{
            "remittance_id": self.remittance_id, "provider_id": p.provider_id,
            "fiscal_period_end": p.fiscal_period_end, "reason": p.reason,
            "reference": p.reference, "amount": p.amount,
            "claim_id": claims[p.reference][1] if p.reference in claims else None,
            "source_position": p.source_position} for p in end.provider_adjustments])
        self._insert_plan(plan, claim_ids)
        self.result.plb_total += plan.plb_total

    def _claims_for_references(self, references: set[str]) -> dict[str, tuple[str, int]]:
        """PLB reference → (our patient control number, claim id), by PCN or payer number."""
        if not references:
            return {}
        found: dict[str, tuple[str, int]] = {}
        rows = self.session.execute(select(
            ClaimRow.patient_control_number, ClaimRow.id, ClaimRow.payer_claim_control_number
        ).where(ClaimRow.superseded_by_id.is_(None),
                (ClaimRow.patient_control_number.in_(references))
                | (ClaimRow.payer_claim_control_number.in_(references))))
        for pcn, claim_id, payer_number in rows:
            if pcn in references:
                found[pcn] = (pcn, claim_id)
            if payer_number in references:
                found[payer_number] = (pcn, claim_id)
        earlier = self.session.execute(select(
            RemittanceClaimRow.payer_claim_control_number, ClaimRow.patient_control_number,
            ClaimRow.id).join(ClaimRow, ClaimRow.id == RemittanceClaimRow.claim_id).where(
            RemittanceClaimRow.payer_claim_control_number.in_(references)))
        for payer_number, pcn, claim_id in earlier:
            if payer_number is not None:
                found.setdefault(payer_number, (pcn, claim_id))
        return found

    def _claims_by_pcn(self, pcns: set[str]) -> dict[str, Claim]:
        return {pcn: claim for pcn, (_row, claim) in load_claims(self.session, pcns).items()}


def _adjustment_row(rc_id: int, line_id: int | None, adjustment: Any) -> dict[str, Any]:
    return {"remittance_claim_id": rc_id, "remittance_line_id": line_id,
            "group_code": adjustment.group, "reason": adjustment.reason,
            "amount": adjustment.amount,
            "quantity": format(adjustment.quantity, "f") if adjustment.quantity is not None
            else None, "source_position": adjustment.source_position}


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Files to post: each path, or the files of a folder in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.is_file())
        else:
            yield path
