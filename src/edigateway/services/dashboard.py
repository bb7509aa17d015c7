"""What the coordinator's pages show, gathered from the same tables and services as the API.

Every function is scoped to one practice (:class:`~.practice_claims.Caller`) and returns
a frozen view (:class:`Today`, :class:`WorkItem` …) the templates only lay out, reading
its attributes. Codes come with their meaning in plain words (CARC/RARC lists), so a
coordinator does not need a code book open. A claim's page is
:mod:`~edigateway.services.dashboard_claims`, an ERA's :mod:`~edigateway.services.dashboard_eras`.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select, type_coerce

from edigateway.errors import NotFoundError
from edigateway.persistence.inbound_rows import inbound_payload
from edigateway.persistence.tables import (
    ClaimRow,
    InboundFileRow,
    Payer,
    RemittanceFileRow,
    RemittanceRow,
    WorkItemRow,
)
from edigateway.services.followup import aging_report
from edigateway.services.spreadsheet_cells import spreadsheet_text
from edigateway.services.work_queue import practice_work_items
from edigateway.x12.envelope import iter_segments, x12_text_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.persistence.database import Database
    from edigateway.services.followup import Aging, FilingWarning
    from edigateway.services.practice_claims import Caller

ZERO = Decimal("0.00")
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
