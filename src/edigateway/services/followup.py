"""Follow-up reports from the database: A/R aging, timely filing, the work queue.

The arithmetic lives in :mod:`edigateway.reconcile.followup` (pure); this module only
gathers the rows. A claim's insurance balance is its ledger's outstanding amount
(:mod:`.ledger`): its charge minus everything posted against it (paid, written off, moved
to the patient) — a denied claim keeps its denied amount until someone appeals or writes
it off; predeterminations, drafts, cancelled, voided and replaced claims owe nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from edigateway.errors import ConflictError, InputError, NotFoundError
from edigateway.persistence.tables import (
    ClaimRow,
    Payer,
    Practice,
    RemittanceRow,
    SubmissionClaimRow,
    WorkItemRow,
)
from edigateway.reconcile.followup import BUCKETS, OpenClaim, aging, timely_filing_alerts
from edigateway.services.claim_store import payer_aliases
from edigateway.services.ledger import receivables

if TYPE_CHECKING:
    from datetime import date, datetime

    from edigateway.persistence.database import Database

ZERO = Decimal("0.00")
NOT_FILED = frozenset({"ready", "queued", "ch_rejected", "payer_rejected"})
"""Claims the payer has not got (yet, or after a rejection): their filing date is open."""
FILED = frozenset({"submitted", "ch_accepted", "payer_accepted"})
"""Claims sent and not rejected, unanswered: filed on the day they were sent."""


def open_claims(db: Database, practice_id: int | None = None) -> list[tuple[OpenClaim, str]]:
    """Every claim payers owe money on (of one practice, when given), with its state:
    the A/R. A claim's balance is its ledger's ``outstanding``
    (:func:`~edigateway.services.ledger.receivables`): sent claims only (no drafts,
    cancelled, voided, replaced claims or predeterminations); a denial stays until it is
    appealed and paid or written off; reversed money counts as never paid."""
    query = (
        select(ClaimRow, Payer)
        .join(Payer, Payer.id == ClaimRow.payer_id)
        .where(ClaimRow.superseded_by_id.is_(None))
    )
    if practice_id is not None:
        query = query.where(ClaimRow.practice_id == practice_id)
    result = []
    with db.transaction() as session:
        pairs = list(session.execute(query).tuples())
        owed = receivables(session, [claim for claim, _payer in pairs])
        for claim, payer in pairs:
            if claim.id not in owed:
                continue
            result.append(
                (
                    OpenClaim(
                        claim.patient_control_number,
                        payer.payer_id,
                        payer.name,
                        owed[claim.id],
                        claim.submitted_on,
                        claim.first_service_date,
                        payer.timely_filing_days,
                    ),
                    claim.state,
                )
            )
    return result


def filing_candidates(db: Database, practice_id: int | None = None) -> list[OpenClaim]:
    """Every claim whose timely filing is still at stake (of one practice, when given):
    unsent, queued and rejected claims (``submitted_on`` ``None``: not filed) and sent
    claims the payer has not answered (filed on ``submitted_on``); not predeterminations,
    voids, cancelled or superseded claims."""
    query = (
        select(ClaimRow, Payer)
        .join(Payer, Payer.id == ClaimRow.payer_id)
        .where(
            ClaimRow.superseded_by_id.is_(None),
            ClaimRow.kind == "claim",
            ClaimRow.frequency != "8",
            ClaimRow.state.in_(NOT_FILED | FILED),
        )
    )
    if practice_id is not None:
        query = query.where(ClaimRow.practice_id == practice_id)
    with db.transaction() as session:
        return [
            OpenClaim(
                claim.patient_control_number,
                payer.payer_id,
                payer.name,
                claim.total_charge,
                claim.submitted_on if claim.state in FILED else None,
                claim.first_service_date,
                payer.timely_filing_days,
            )
            for claim, payer in session.execute(query).tuples()
        ]


def aging_report(
    db: Database, *, today: date, warn_days: int = 30, practice_id: int | None = None
) -> dict[str, Any]:
    """A/R aging by payer plus timely-filing alerts, JSON-ready (amounts as strings)."""
    claims = open_claims(db, practice_id)
    report = aging([c for c, _state in claims], today=today)
    names = [b[0] for b in BUCKETS]
    alerts = timely_filing_alerts(
        filing_candidates(db, practice_id), today=today, warn_days=warn_days
    )
    totals = report.totals
    return {
        "as_of": today.isoformat(),
        "buckets": names,
        "payers": [
            {
                "payer": row.payer_name,
                "payer_id": row.payer_id,
                "claims": row.claims,
                "buckets": {n: str(row.buckets[n]) for n in names},
                "total": str(row.total),
            }
            for row in report.rows
        ],
        "total": {
            "payer": "TOTAL",
            "claims": sum(r.claims for r in report.rows),
            "buckets": {n: str(totals[n]) for n in names},
            "total": str(sum(totals.values(), ZERO)),
        },
        "timely_filing": [
            {
                "claim": a.patient_control_number,
                "payer": a.payer_name,
                "deadline": a.deadline.isoformat(),
                "days_left": a.days_left,
                "expired": a.expired,
                "message": (
                    f"filing limit passed on {a.deadline}"
                    if a.expired
                    else f"must be received by {a.deadline} ({a.days_left} days left)"
                ),
            }
            for a in alerts
        ],
    }


def practice_work_items(practice_id: int) -> Any:
    """Work items of one practice: about its claims, its submissions or its payments."""
    mine = select(ClaimRow.id).where(ClaimRow.practice_id == practice_id)
    npi = select(Practice.npi).where(Practice.id == practice_id).scalar_subquery()
    return or_(
        WorkItemRow.claim_id.in_(mine),
        WorkItemRow.submission_id.in_(
            select(SubmissionClaimRow.submission_id).where(SubmissionClaimRow.claim_id.in_(mine))
        ),
        WorkItemRow.remittance_id.in_(
            select(RemittanceRow.id).where(RemittanceRow.payee_id == npi)
        ),
    )


def work_items(
    db: Database,
    *,
    include_resolved: bool = False,
    practice_id: int | None = None,
    reason: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    updated_since: datetime | None = None,
) -> list[dict[str, Any]]:
    """Work items, oldest first, JSON-ready (one practice's when ``practice_id``;
    ``updated_since``: opened or resolved at or after it)."""
    query = select(WorkItemRow).order_by(WorkItemRow.id)
    if not include_resolved:
        query = query.where(WorkItemRow.status == "open")
    if practice_id is not None:
        query = query.where(practice_work_items(practice_id))
    if reason is not None:
        query = query.where(WorkItemRow.reason == reason)
    if updated_since is not None:
        query = query.where(
            or_(WorkItemRow.created_at >= updated_since, WorkItemRow.resolved_at >= updated_since)
        )
    query = query.offset(offset).limit(limit)
    with db.transaction() as session:
        return [
            {
                "id": w.id,
                "created_at": w.created_at.isoformat(timespec="seconds"),
                "status": w.status,
                "reason": w.reason,
                "claim": w.patient_control_number,
                "codes": [c for c in w.codes.split(",") if c],
                "message": w.message,
                "amount": str(w.amount) if w.amount is not None else None,
                "source_position": w.source_position,
                "file_id": w.file_id,
                "resolved_at": w.resolved_at.isoformat(timespec="seconds")
                if w.resolved_at
                else None,
                "resolution_note": w.resolution_note,
            }
            for w in session.scalars(query)
        ]


def resolve_work_item(
    db: Database,
    item_id: int,
    *,
    note: str,
    now: datetime,
    practice_id: int | None = None,
    actor: str = "cli",
    remote_addr: str | None = None,
) -> dict[str, Any]:
    """Close a work item with a note (audited); another practice's item is not found."""
    from edigateway.persistence.event_rows import work_items_changed
    from edigateway.services.access import record

    if not note.strip():
        raise InputError("a resolution note is required (what was done: appeal sent, …)")
    with db.transaction() as session:
        query = select(WorkItemRow).where(WorkItemRow.id == item_id)
        if practice_id is not None:
            query = query.where(practice_work_items(practice_id))
        item = session.scalars(query).first()
        if item is None:
            raise NotFoundError(f"no work item {item_id}")
        if item.status != "open":
            raise ConflictError(
                f"work item {item_id} was already resolved on {item.resolved_at:%Y-%m-%d}"
            )
        item.status, item.resolved_at, item.resolution_note = "resolved", now, note.strip()
        work_items_changed(session, [item], at=now)
        record(
            session,
            actor=actor,
            practice_id=practice_id,
            action="change",
            resource="work_item",
            resource_id=str(item_id),
            at=now,
            remote_addr=remote_addr,
            detail="resolved",
        )
    return {"id": item_id, "status": "resolved", "resolution_note": note.strip()}


def payer_practice(db: Database, npi: str | None) -> int | None:
    """The practice whose payers a command means: the one ``npi`` names, else the only one
    the database holds (``None`` when it holds none yet).

    Payer names and limits belong to a practice, so with several practices the caller
    must say which; guessing would show or change another practice's contract.
    """
    from edigateway.services.access import practice_by

    with db.transaction() as session:
        if npi is not None:
            return practice_by(session, npi).id
        found = session.scalars(select(Practice).order_by(Practice.npi).limit(6)).all()
    if len(found) > 1:
        listed = ", ".join(p.npi for p in found[:5]) + (", …" if len(found) > 5 else "")
        msg = (
            f"the database holds several practices ({listed}); say whose payers with --practice NPI"
        )
        raise InputError(msg)
    return found[0].id if found else None


def set_timely_filing(db: Database, payer_id: str, days: int, *, practice_id: int | None) -> None:
    """Record a practice's timely-filing limit with a payer (days from the date of
    service); other practices' limits with the same payer are theirs to set."""
    if not 1 <= days <= 3650:
        msg = f"timely-filing limit {days} days is out of range (1–3650)"
        raise InputError(msg)
    with db.transaction() as session:
        payer = (
            None
            if practice_id is None
            else session.scalars(
                select(Payer).where(Payer.practice_id == practice_id, Payer.payer_id == payer_id)
            ).first()
        )
        if payer is None:
            msg = (
                f"payer {payer_id} is unknown for this practice (payers are created when "
                "its claims are imported)"
            )
            raise NotFoundError(msg)
        payer.timely_filing_days = days


def payers(db: Database, practice_id: int | None) -> list[dict[str, Any]]:
    """A practice's payers: the name it sends, other names it has sent, and its limit."""
    if practice_id is None:
        return []
    with db.transaction() as session:
        return [
            {
                "payer_id": p.payer_id,
                "name": p.name,
                "aliases": payer_aliases(p),
                "timely_filing_days": p.timely_filing_days,
            }
            for p in session.scalars(
                select(Payer)
                .where(Payer.practice_id == practice_id)
                .order_by(Payer.name, Payer.payer_id)
            )
        ]
