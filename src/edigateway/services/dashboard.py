"""What the coordinator's pages show, gathered from the same tables and services as the API.

Every function is scoped to one practice (:class:`~.practice_claims.Caller`) and returns
a frozen view (:class:`WorkItem`, :class:`ClaimPage`, :class:`EraPage` …) the templates
only lay out, reading its attributes. Codes come with their meaning in plain words
(CARC/RARC lists), so a coordinator does not need a code book open.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, type_coerce

from edigateway.domain.attachments import REPORT_TYPES
from edigateway.errors import NotFoundError
from edigateway.persistence.inbound_rows import inbound_payload
from edigateway.persistence.tables import (
    ClaimEstimateRow,
    ClaimRow,
    InboundFileRow,
    Payer,
    PostingRow,
    Practice,
    ProviderAdjustmentRow,
    RemittanceClaimRow,
    RemittanceFileRow,
    RemittanceRow,
    WorkItemRow,
)
from edigateway.services import (
    appeals,
    attachments,
    claim_actions,
    era_review,
    ledger,
    practice_claims,
    predeterminations,
)
from edigateway.services.followup import aging_report, practice_work_items
from edigateway.services.practice_claims import ClaimSummary, HistoryStep, Transmission
from edigateway.services.practice_remittances import (
    Posting,
    ProviderAdjustment,
    RemittanceSummary,
    get_remittance,
)
from edigateway.services.spreadsheet_cells import spreadsheet_text
from edigateway.x12.envelope import iter_segments, x12_text_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.domain.claims import Claim
    from edigateway.persistence.database import Database
    from edigateway.services.followup import Aging, FilingWarning
    from edigateway.services.practice_claims import Caller

ZERO = Decimal("0.00")
PATIENT_KINDS = ("deductible", "coinsurance", "copay", "patient_other")
TODAY_GROUPS: dict[str, tuple[str, ...]] = {
    "Rejections to fix": ("ch_rejected", "payer_rejected"),
    "Denials to appeal or write off": ("denied", "line_denied"),
    "Payments that did not match": ("unmatched_claim", "unmatched_line", "quarantined"),
    "Recoupments and reversals": ("recoupment", "reversal"),
    "Missing 999s": ("no_999",),
    "No answer from the payer": ("claim_status",),
}


@dataclass(frozen=True, slots=True)
class TodayGroup:
    """One kind of work on the Today card: how many open items, and the amount at stake."""

    title: str
    reasons: str
    """The work-item reasons it counts, comma-separated (the work queue's filter)."""
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Today:
    """The Today card; ``filing`` and ``total_ar`` are None when the caller may not read
    reports."""

    groups: tuple[TodayGroup, ...]
    filing: tuple[FilingWarning, ...] | None
    total_ar: Decimal | None


def today(db: Database, caller: Caller, *, now: datetime, with_aging: bool = True) -> Today:
    """Counts and amounts needing action, and claims near their filing limit (only
    ``with_aging``: the caller may read reports; else ``filing``/``total_ar`` are None).

    "At stake" sums each item's absolute amount: a recoupment is stored negative, and
    seven 260.00 recoupments and a -235.00 reversal are 2,055.00 at stake, not 25.00."""
    at_stake = type_coerce(func.abs(WorkItemRow.amount), WorkItemRow.amount.type)
    with db.transaction() as session:
        rows = session.execute(
            select(WorkItemRow.reason, func.count(), func.sum(at_stake))
            .where(WorkItemRow.status == "open", practice_work_items(caller.practice_id))
            .group_by(WorkItemRow.reason)
        ).all()
    by_reason = {reason: (count, amount or ZERO) for reason, count, amount in rows}
    groups = tuple(
        TodayGroup(
            title=title,
            reasons=",".join(reasons),
            count=sum(by_reason.get(r, (0, ZERO))[0] for r in reasons),
            amount=sum((by_reason.get(r, (0, ZERO))[1] for r in reasons), ZERO),
        )
        for title, reasons in TODAY_GROUPS.items()
    )
    if not with_aging:
        return Today(groups, None, None)
    aging = aging_report(db, today=now.date(), practice_id=caller.practice_id)
    return Today(groups, aging.timely_filing, aging.total.total)


@dataclass(frozen=True, slots=True)
class Explained:
    """A code (``CO-96``, ``N130`` …) with its meaning in plain words."""

    code: str
    meaning: str


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A work item as the work queue and its page show it: its codes explained, and the
    835 segment it came from (only on the item's page, for who may read payments)."""

    id: int
    reason: str
    status: str
    claim_id: int | None
    claim: str | None
    payer: str | None
    amount: Decimal | None
    message: str
    age_days: int
    created_at: datetime
    source_position: int | None
    file_id: int | None
    remittance_id: int | None
    resolution_note: str | None
    codes: tuple[Explained, ...]
    source_segment: str | None = None


def work_queue(
    db: Database,
    caller: Caller,
    codes: CodeLists,
    *,
    reason: str | None,
    payer_id: str | None,
    min_age_days: int | None,
    now: datetime,
) -> list[WorkItem]:
    """Open items, filtered, each with its codes explained."""
    query = (
        select(WorkItemRow, Payer.payer_id)
        .outerjoin(ClaimRow, ClaimRow.id == WorkItemRow.claim_id)
        .outerjoin(Payer, Payer.id == ClaimRow.payer_id)
        .where(WorkItemRow.status == "open", practice_work_items(caller.practice_id))
        .order_by(WorkItemRow.id)
    )
    if reason:
        query = query.where(WorkItemRow.reason.in_(reason.split(",")))
    if payer_id:
        query = query.where(Payer.payer_id == payer_id)
    if min_age_days:
        query = query.where(WorkItemRow.created_at <= now - timedelta(days=min_age_days))
    with db.transaction() as session:
        return [_item(item, payer, codes, now) for item, payer in session.execute(query)]


def work_item(
    db: Database,
    caller: Caller,
    codes: CodeLists,
    item_id: int,
    *,
    now: datetime,
    with_segment: bool = True,
) -> WorkItem:
    """One item (any status), explained; with the 835 segment it points at when
    ``with_segment`` (the caller may read payments)."""
    with db.transaction() as session:
        row = session.execute(
            select(WorkItemRow, Payer.payer_id)
            .outerjoin(ClaimRow, ClaimRow.id == WorkItemRow.claim_id)
            .outerjoin(Payer, Payer.id == ClaimRow.payer_id)
            .where(WorkItemRow.id == item_id, practice_work_items(caller.practice_id))
        ).first()
        if row is None:
            raise NotFoundError(f"no work item {item_id}")
        segment = _source_segment(session, row[0]) if with_segment else None
        return _item(row[0], row[1], codes, now, segment)


def _source_segment(session: Session, item: WorkItemRow) -> str | None:
    """The 835 segment a work item points at, from the received file the gateway keeps
    (encrypted) whether it came through the poller or ``era post``; ``None`` for a file
    posted before received files were kept for every path."""
    if item.source_position is None:
        return None
    file_id = item.file_id
    if file_id is None and item.remittance_id is not None:
        remittance = session.get(RemittanceRow, item.remittance_id)
        file_id = remittance.file_id if remittance else None
    era_file = session.get(RemittanceFileRow, file_id) if file_id else None
    if era_file is None:
        return None
    received = session.scalars(
        select(InboundFileRow).where(InboundFileRow.sha256 == era_file.sha256)
    ).first()
    if received is None:
        return None
    text = inbound_payload(session, received)
    with x12_text_of(text.encode("utf-8", "surrogateescape")) as stream:
        for segment in iter_segments(stream, received.remote_name):
            if segment.position == item.source_position:
                joined = segment.delimiters.element.join([segment.id, *segment.elements])
                return joined + segment.delimiters.segment
    return None


def _item(
    item: WorkItemRow,
    payer: str | None,
    codes: CodeLists,
    now: datetime,
    segment: str | None = None,
) -> WorkItem:
    return WorkItem(
        id=item.id,
        reason=item.reason,
        status=item.status,
        claim_id=item.claim_id,
        claim=item.patient_control_number,
        payer=payer,
        amount=item.amount,
        message=item.message,
        age_days=(now - item.created_at).days,
        created_at=item.created_at,
        source_position=item.source_position,
        file_id=item.file_id,
        remittance_id=item.remittance_id,
        resolution_note=item.resolution_note,
        codes=tuple(Explained(c, explain(c, codes)) for c in item.codes.split(",") if c),
        source_segment=segment,
    )


def explain(code: str, codes: CodeLists) -> str:
    """A code in plain words: ``CO-96``, ``N130``, ``TA1:024``, ``A3:33`` …"""
    if "-" in code and code.split("-", 1)[0] in ("CO", "PR", "OA", "PI", "CR"):
        group, carc = code.split("-", 1)
        who = {
            "CO": "contractual (the practice absorbs it)",
            "PR": "patient responsibility",
            "OA": "other adjustment",
            "PI": "payer-initiated",
            "CR": "correction",
        }[group]
        return f"{who}: {codes.describe_carc(carc) or 'reason code ' + carc}"
    if code[:1] in ("M", "N", "MA") and codes.describe_rarc(code):
        return codes.describe_rarc(code) or code
    return codes.describe_carc(code) or "see the message"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One step of a claim's timeline: a state change or a file it went out in."""

    at: datetime
    what: str
    detail: str


@dataclass(frozen=True, slots=True)
class PostedAmount:
    """One amount an ERA posted to the claim (held ones included: the page says what
    the payer sent), traced to its 835 segment."""

    line_number: int | None
    kind: str
    amount: Decimal
    group_code: str | None
    reason_code: str | None
    remark_codes: str
    remittance_id: int | None
    source_position: int | None


@dataclass(frozen=True, slots=True)
class EstimateComparison:
    """The practice's own estimate for the claim (``POST /v1/claims/{id}/estimate``)
    beside what the payer paid and left the patient."""

    estimated_insurance: Decimal
    estimated_patient: Decimal
    paid: Decimal
    patient: Decimal
    insurance_difference: Decimal
    patient_difference: Decimal
    estimated_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimPage(ClaimSummary):
    """A claim as its page shows it: the claim as submitted, one timeline (states and
    files), what the payer paid and the estimates beside it, the ledger, held payments,
    attachments, appeals and the actions it offers now. What the caller may not see is
    left empty (``paid``, ``comparison``, ``money`` ``None``; no postings or held
    payments): :func:`claim_page` is told what the caller may read."""

    claim: Claim
    history: tuple[HistoryStep, ...]
    transmissions: tuple[Transmission, ...]
    events: tuple[TimelineEvent, ...]
    postings: tuple[PostedAmount, ...]
    paid: Decimal | None
    comparison: EstimateComparison | None
    predetermination: predeterminations.EstimateVsActual | None
    remittance_ids: tuple[int, ...]
    can_change: bool
    actions: claim_actions.ClaimActions
    settleable: bool
    money: ledger.ClaimMoney | None
    held: tuple[era_review.PendingPayment, ...]
    attachments: tuple[attachments.AttachmentInfo, ...]
    appeals: tuple[appeals.AppealInfo, ...]
    report_types: Mapping[str, str]

    def document(self) -> dict[str, Any]:
        """A fresh copy of the claim's JSON document (the editor and the replacement form
        change their copy)."""
        return self.claim.model_dump(mode="json", exclude_defaults=True)


def claim_page(
    db: Database,
    caller: Caller,
    claim_id: int,
    *,
    now: datetime,
    payments: bool,
    estimates: bool,
) -> ClaimPage:
    """A claim, its lines and one timeline: states, transmissions, postings. What the payer
    paid (postings, ledger, held payments, estimate vs actual) only with ``payments`` (the
    caller may read remittances); the practice's own estimate beside it also needs
    ``estimates``. The payer's predetermination estimate per line (the use case of
    ``GET /v1/claims/{id}/predetermination``) is shown to whoever reads the claim, as the
    API does."""
    detail = practice_claims.get(db, caller, claim_id, now=now)
    with db.transaction() as session:
        rows = list(
            session.scalars(
                select(PostingRow).where(PostingRow.claim_id == claim_id).order_by(PostingRow.id)
            )
        )
        estimated = session.scalars(
            select(ClaimEstimateRow)
            .where(ClaimEstimateRow.claim_id == claim_id)
            .order_by(ClaimEstimateRow.id.desc())
        ).first()
    paid = sum((p.amount for p in rows if p.kind == "paid"), ZERO)
    patient = sum((p.amount for p in rows if p.kind in PATIENT_KINDS), ZERO)
    events = sorted(
        [
            *(
                TimelineEvent(h.at, f"{h.from_ or 'new'} → {h.to}", h.reason)
                for h in detail.history
            ),
            *(
                TimelineEvent(
                    t.created_at,
                    f"{t.kind} {t.file_name}",
                    f"{t.status}, acknowledgment {t.ack_status or '—'}",
                )
                for t in detail.transmissions
            ),
        ],
        key=lambda e: e.at,
    )
    comparison = (
        None
        if estimated is None or not (payments and estimates)
        else EstimateComparison(
            estimated_insurance=estimated.total_insurance,
            estimated_patient=estimated.total_patient,
            paid=paid,
            patient=patient,
            insurance_difference=paid - estimated.total_insurance,
            patient_difference=patient - estimated.total_patient,
            estimated_at=estimated.created_at,
        )
    )
    books = ledger.claim_books(db, claim_id, practice_id=caller.practice_id)
    held = (
        tuple(
            p
            for p in era_review.pending(db, practice_id=caller.practice_id)
            if p.claim_id == claim_id
        )
        if payments
        else ()
    )
    summary = {f.name: getattr(detail, f.name) for f in fields(ClaimSummary)}
    return ClaimPage(
        **summary,
        claim=detail.claim,
        history=detail.history,
        transmissions=detail.transmissions,
        events=tuple(events),
        postings=tuple(_posted(p) for p in rows) if payments else (),
        paid=paid if payments else None,
        comparison=comparison,
        predetermination=predeterminations.find(
            db,
            practice_id=caller.practice_id,
            claim_id=claim_id,
            actor=caller.actor,
            now=now,
            remote_addr=caller.remote_addr,
        ),
        remittance_ids=(
            tuple(sorted({p.remittance_id for p in rows if p.remittance_id is not None}))
            if payments
            else ()
        ),
        can_change=bool(detail.payer_claim_control_number) and detail.superseded_by_id is None,
        actions=claim_actions.available(db, caller, claim_id),
        settleable=books.settleable,
        money=books.money if payments else None,
        held=held,
        attachments=tuple(attachments.attachments_of(db, caller, claim_id)),
        appeals=tuple(appeals.appeals_of(db, caller, claim_id=claim_id)),
        report_types=REPORT_TYPES,
    )


def _posted(row: PostingRow) -> PostedAmount:
    return PostedAmount(
        line_number=row.line_number,
        kind=row.kind,
        amount=row.amount,
        group_code=row.group_code,
        reason_code=row.reason_code,
        remark_codes=row.remark_codes,
        remittance_id=row.remittance_id,
        source_position=row.source_position,
    )


@dataclass(frozen=True, slots=True)
class EraPosting:
    """One posting of a payment with its claim's number (not a database ID) and each of
    its codes (group-CARC, RARCs) explained."""

    claim_id: int | None
    claim_number: str | None
    line_number: int | None
    kind: str
    amount: Decimal
    meanings: tuple[Explained, ...]
    source_position: int | None


@dataclass(frozen=True, slots=True)
class UnmatchedPayment:
    """A claim payment (CLP) of the ERA that matched no claim of ours."""

    patient_control_number: str
    status: str
    charge: Decimal
    paid: Decimal
    payer_claim_control_number: str | None
    source_position: int | None


@dataclass(frozen=True, slots=True)
class EraPage(RemittanceSummary):
    """A payment as its page shows it: the balance proof, postings, PLB ledger and the
    payments that matched no claim (only to the payee practice)."""

    postings: tuple[EraPosting, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    claims_paid: Decimal
    plb_total: Decimal
    balance: Decimal
    signed_payment: Decimal
    balanced: bool
    matched: int
    unmatched: tuple[UnmatchedPayment, ...]


def era_page(
    db: Database, caller: Caller, remittance_id: int, codes: CodeLists, *, now: datetime
) -> EraPage:
    """A payment with its balance proof (BPR02 = Σ paid − Σ PLB), each posting with its
    claim's number and its CARC/RARC in words, and the payments (CLPs) that matched no
    claim of ours — listed only to the practice the payment is made out to (payee NPI):
    a practice that sees the ERA because one of its claims is in it does not see the
    payee's other patients."""
    detail = get_remittance(db, caller, remittance_id, now=now)
    with db.transaction() as session:
        claims_paid = session.scalar(
            select(func.coalesce(func.sum(RemittanceClaimRow.paid), 0)).where(
                RemittanceClaimRow.remittance_id == remittance_id
            )
        )
        plb = session.scalar(
            select(func.coalesce(func.sum(ProviderAdjustmentRow.amount), 0)).where(
                ProviderAdjustmentRow.remittance_id == remittance_id
            )
        )
        matched = session.scalar(
            select(func.count())
            .select_from(RemittanceClaimRow)
            .where(
                RemittanceClaimRow.remittance_id == remittance_id,
                RemittanceClaimRow.claim_id.is_not(None),
            )
        )
        ids = {p.claim_id for p in detail.postings if p.claim_id is not None}
        numbers = dict(
            session.execute(
                select(ClaimRow.id, ClaimRow.patient_control_number).where(
                    ClaimRow.id.in_(ids), ClaimRow.practice_id == caller.practice_id
                )
            ).all()
        )
        payee = session.scalar(
            select(RemittanceRow.payee_id).where(RemittanceRow.id == remittance_id)
        )
        ours = payee is not None and payee == session.scalar(
            select(Practice.npi).where(Practice.id == caller.practice_id)
        )
        unmatched = (
            ()
            if not ours
            else tuple(
                UnmatchedPayment(
                    patient_control_number=c.patient_control_number,
                    status=c.status,
                    charge=c.charge,
                    paid=c.paid,
                    payer_claim_control_number=c.payer_claim_control_number,
                    source_position=c.source_position,
                )
                for c in session.scalars(
                    select(RemittanceClaimRow)
                    .where(
                        RemittanceClaimRow.remittance_id == remittance_id,
                        RemittanceClaimRow.claim_id.is_(None),
                    )
                    .order_by(RemittanceClaimRow.id)
                )
            )
        )
    paid_total = (
        Decimal(claims_paid) / 100 if isinstance(claims_paid, int) else claims_paid
    ) or ZERO
    plb_total = (Decimal(plb) / 100 if isinstance(plb, int) else plb) or ZERO
    balance = paid_total - plb_total
    signed = detail.payment_amount if detail.credit_debit == "C" else -detail.payment_amount
    summary = {f.name: getattr(detail, f.name) for f in fields(RemittanceSummary)}
    return EraPage(
        **summary,
        postings=tuple(
            EraPosting(
                claim_id=p.claim_id,
                claim_number=numbers.get(p.claim_id) if p.claim_id is not None else None,
                line_number=p.line_number,
                kind=p.kind,
                amount=p.amount,
                meanings=_meanings(p, codes),
                source_position=p.source_position,
            )
            for p in detail.postings
        ),
        provider_adjustments=tuple(detail.provider_adjustments),
        claims_paid=paid_total,
        plb_total=plb_total,
        balance=balance,
        signed_payment=signed,
        balanced=balance.quantize(Decimal("0.01")) == signed,
        matched=matched or 0,
        unmatched=unmatched,
    )


def _meanings(posting: Posting, codes: CodeLists) -> tuple[Explained, ...]:
    """A posting's group-CARC (or bare CARC) and RARCs, each explained."""
    adjustment = (
        [f"{posting.group_code}-{posting.reason_code}"]
        if posting.group_code and posting.reason_code
        else [posting.reason_code]
        if posting.reason_code
        else []
    )
    return tuple(Explained(c, explain(c, codes)) for c in [*adjustment, *posting.remark_codes])


def aging_svg(report: Aging, *, width: int = 720, bar_height: int = 22) -> str:
    """A horizontal stacked bar per payer, one colour per age bucket, drawn on the server."""
    buckets = report.buckets
    colours = ["#2b8a3e", "#94d82d", "#fab005", "#f76707", "#c92a2a"]
    rows = report.payers
    biggest = max((r.total for r in rows), default=Decimal(1)) or Decimal(1)
    label_width, top = 220, 30
    height = top + len(rows) * (bar_height + 10) + 40
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
            f'height="{height}" aria-labelledby="aging-title">'
        ),
        '<title id="aging-title">Insurance A/R by payer and age bucket</title>',
    ]
    for index, row in enumerate(rows):
        y = top + index * (bar_height + 10)
        parts.append(f'<text x="0" y="{y + 16}" font-size="13">{_esc(row.payer)}</text>')
        x = Decimal(label_width)
        for bucket, colour in zip(buckets, colours, strict=False):
            amount = row.buckets[bucket]
            w = amount / biggest * (width - label_width - 80)
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}"'
                    f' fill="{colour}"><title>{_esc(row.payer)} {bucket} days: '
                    f"{amount}</title></rect>"
                )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}" font-size="12">{row.total}</text>')
    legend_y = top + len(rows) * (bar_height + 10) + 16
    for index, (bucket, colour) in enumerate(zip(buckets, colours, strict=False)):
        parts.append(
            f'<rect x="{label_width + index * 90}" y="{legend_y}" width="12" '
            f'height="12" fill="{colour}"/><text x="{label_width + index * 90 + 16}" '
            f'y="{legend_y + 11}" font-size="12">{bucket}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def aging_csv(report: Aging) -> str:
    """The aging table as CSV (payer, claims, one column per bucket, total); payer names
    and IDs are neutralised against formula injection (:func:`spreadsheet_text`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["payer", "payer_id", "claims", *report.buckets, "total"])
    for row in report.payers:
        writer.writerow(
            [
                spreadsheet_text(row.payer),
                spreadsheet_text(row.payer_id or ""),
                row.claims,
                *(row.buckets[b] for b in report.buckets),
                row.total,
            ]
        )
    total = report.total
    writer.writerow(
        ["TOTAL", "", total.claims, *(total.buckets[b] for b in report.buckets), total.total]
    )
    return out.getvalue()


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def payers_with_items(db: Database, caller: Caller) -> list[str]:
    """Payer IDs that have open items (for the filter)."""
    with db.transaction() as session:
        found: dict[str, int] = defaultdict(int)
        for (payer,) in session.execute(
            select(Payer.payer_id)
            .join(ClaimRow, ClaimRow.payer_id == Payer.id)
            .join(WorkItemRow, WorkItemRow.claim_id == ClaimRow.id)
            .where(WorkItemRow.status == "open", ClaimRow.practice_id == caller.practice_id)
        ):
            found[payer] += 1
    return sorted(found)
