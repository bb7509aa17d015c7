"""Follow-up reports from the database: A/R aging and timely filing (the work queue is
:mod:`.work_queue`, payers' limits :mod:`.payer_limits`).

The arithmetic lives in :mod:`edigateway.reconcile.followup` (pure); this module only
gathers the rows. A claim's insurance balance is its ledger's outstanding amount
(:mod:`.ledger`): its charge minus everything posted against it (paid, written off, moved
to the patient) — a denied claim keeps its denied amount until someone appeals or writes
it off; predeterminations, drafts, cancelled, voided and replaced claims owe nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from edigateway.domain.claim_lifecycle import counts_in_receivables
from edigateway.persistence.tables import ClaimRow, Payer
from edigateway.reconcile.followup import (
    BUCKETS,
    WARN_DAYS,
    AgingBasis,
    FilingAlert,
    FilingCode,
    OpenClaim,
    age_of,
    aging,
    bucket_for,
    timely_filing_alerts,
)
from edigateway.services.ledger import ledgers

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from datetime import date

    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database

ZERO = Decimal("0.00")
NOT_FILED = frozenset({"ready", "queued", "ch_rejected", "payer_rejected"})
"""Claims the payer has not got (yet, or after a rejection): their filing date is open."""
FILED = frozenset({"submitted", "ch_accepted", "payer_accepted"})
"""Claims sent and not rejected, unanswered: filed on the day they were sent."""


@dataclass(frozen=True, slots=True)
class _Receivable:
    """A claim in the A/R with its ledger figures (one row of the per-claim report)."""

    claim_id: int
    state: str
    billed: Decimal
    paid: Decimal
    open: OpenClaim


def _receivables(db: Database, practice_id: int | None) -> list[_Receivable]:
    query = (
        select(ClaimRow, Payer)
        .join(Payer, Payer.id == ClaimRow.payer_id)
        .where(ClaimRow.superseded_by_id.is_(None))
        .order_by(ClaimRow.id)
    )
    if practice_id is not None:
        query = query.where(ClaimRow.practice_id == practice_id)
    found = []
    with db.transaction() as session:
        pairs = [
            (claim, payer)
            for claim, payer in session.execute(query)
            if counts_in_receivables(claim.kind, claim.state, claim.frequency)
        ]
        books = ledgers(session, [claim for claim, _payer in pairs])
        for claim, payer in pairs:
            ledger = books[claim.id]
            if ledger.outstanding <= ZERO:
                continue
            found.append(
                _Receivable(
                    claim.id,
                    claim.state,
                    ledger.billed,
                    ledger.paid,
                    OpenClaim(
                        claim.patient_control_number,
                        payer.payer_id,
                        payer.name,
                        ledger.outstanding,
                        claim.submitted_on,
                        claim.first_service_date,
                        payer.timely_filing_days,
                        claim.primary_paid_on,
                        payer.secondary_filing_days,
                    ),
                )
            )
    return found


def open_claims(db: Database, practice_id: int | None = None) -> list[tuple[OpenClaim, str]]:
    """Every claim payers owe money on (of one practice, when given), with its state:
    the A/R. A claim's balance is its ledger's ``outstanding``
    (:func:`~edigateway.services.ledger.receivables`): sent claims only (no drafts,
    cancelled, voided, replaced claims or predeterminations); a denial stays until it is
    appealed and paid or written off; reversed money counts as never paid."""
    return [(r.open, r.state) for r in _receivables(db, practice_id)]


def _filing_query() -> Select[ClaimRow, Payer]:
    """Claims whose timely filing is still at stake: not predeterminations, voids,
    cancelled or superseded claims, and not answered by the payer yet."""
    return (
        select(ClaimRow, Payer)
        .join(Payer, Payer.id == ClaimRow.payer_id)
        .where(
            ClaimRow.superseded_by_id.is_(None),
            ClaimRow.kind == "claim",
            ClaimRow.frequency != "8",
            ClaimRow.state.in_(NOT_FILED | FILED),
        )
    )


def _filing_claim(claim: ClaimRow, payer: Payer, *, filed: bool) -> OpenClaim:
    return OpenClaim(
        claim.patient_control_number,
        payer.payer_id,
        payer.name,
        claim.total_charge,
        claim.submitted_on if filed else None,
        claim.first_service_date,
        payer.timely_filing_days,
        claim.primary_paid_on,
        payer.secondary_filing_days,
    )


def filing_candidates(db: Database, practice_id: int | None = None) -> list[OpenClaim]:
    """Every claim whose timely filing is still at stake (of one practice, when given):
    unsent, queued and rejected claims (``submitted_on`` ``None``: not filed) and sent
    claims the payer has not answered (filed on ``submitted_on``); not predeterminations,
    voids, cancelled or superseded claims."""
    query = _filing_query()
    if practice_id is not None:
        query = query.where(ClaimRow.practice_id == practice_id)
    with db.transaction() as session:
        return [
            _filing_claim(claim, payer, filed=claim.state in FILED)
            for claim, payer in session.execute(query)
        ]


@dataclass(frozen=True, slots=True)
class FilingWarning:
    """A claim close to (or past) its payer's timely-filing limit: an alert of the aging
    report, and the warning a submit answer carries."""

    claim: str
    """The claim's number (CLM01)."""
    payer: str
    deadline: date
    days_left: int
    """Days until the deadline on the day asked (negative: passed; for a claim filed late,
    how many days late it was filed)."""
    expired: bool
    message: str

    @property
    def code(self) -> FilingCode:
        """``timely_filing_passed`` once the deadline passed, else ``timely_filing_due``."""
        return "timely_filing_passed" if self.expired else "timely_filing_due"

    @classmethod
    def of(cls, alert: FilingAlert) -> FilingWarning:
        """The warning of one alert of
        :func:`~edigateway.reconcile.followup.timely_filing_alerts`."""
        return cls(
            alert.patient_control_number,
            alert.payer_name,
            alert.deadline,
            alert.days_left,
            alert.expired,
            alert.message,
        )

    def as_json(self) -> dict[str, object]:
        """The alert as the aging report's JSON gives it."""
        return {
            "claim": self.claim,
            "payer": self.payer,
            "deadline": self.deadline.isoformat(),
            "days_left": self.days_left,
            "expired": self.expired,
            "message": self.message,
        }

    def warning_json(self) -> dict[str, object]:
        """The warning as a submit answer gives it (``--json``)."""
        return {
            "code": self.code,
            "message": self.message,
            "claim": self.claim,
            "deadline": self.deadline.isoformat(),
            "days_left": self.days_left,
        }


def submit_warnings(
    session: Session, claim_ids: Collection[int], *, today: date, warn_days: int = WARN_DAYS
) -> tuple[FilingWarning, ...]:
    """The timely-filing warnings of claims being submitted ``today``: the aging report's
    rule (:func:`~edigateway.reconcile.followup.timely_filing_alerts`) over these claims as
    not filed yet — the payer gets them after today, so a deadline within ``warn_days`` or
    past is at risk."""
    if not claim_ids:
        return ()
    rows = session.execute(_filing_query().where(ClaimRow.id.in_(claim_ids)))
    claims = [_filing_claim(claim, payer, filed=False) for claim, payer in rows]
    return tuple(
        FilingWarning.of(a) for a in timely_filing_alerts(claims, today=today, warn_days=warn_days)
    )


@dataclass(frozen=True, slots=True)
class AgingLine:
    """One payer's insurance A/R by age bucket, or the total over every payer
    (``payer`` ``TOTAL``, ``payer_id`` ``None``)."""

    payer: str
    payer_id: str | None
    claims: int
    buckets: Mapping[str, Decimal]
    total: Decimal

    def as_json(self) -> dict[str, object]:
        """The row with its amounts as exact strings (the total row has no ``payer_id``)."""
        row: dict[str, object] = {"payer": self.payer}
        if self.payer_id is not None:
            row["payer_id"] = self.payer_id
        row["claims"] = self.claims
        row["buckets"] = {name: str(amount) for name, amount in self.buckets.items()}
        row["total"] = str(self.total)
        return row


@dataclass(frozen=True, slots=True)
class AgedClaim:
    """One claim of the A/R: a row of the per-claim aging CSV. No names or member IDs."""

    claim_id: int
    patient_control_number: str
    payer_id: str
    payer: str
    service_date: date | None
    sent_date: date | None
    billed: Decimal
    paid: Decimal
    outstanding: Decimal
    age_days: int
    bucket: str


CSV_COLUMNS: Final = (
    "claim_id",
    "patient_control_number",
    "payer_id",
    "payer",
    "service_date",
    "sent_date",
    "billed",
    "paid",
    "outstanding",
    "age_days",
    "bucket",
)
"""The per-claim aging CSV's header."""


@dataclass(frozen=True, slots=True)
class Aging:
    """A/R aging by payer (and per claim) with the timely-filing alerts, on ``as_of``;
    ages count from the day each claim was sent or (``by`` ``service``) its date of
    service."""

    as_of: date
    by: AgingBasis
    buckets: tuple[str, ...]
    payers: tuple[AgingLine, ...]
    total: AgingLine
    timely_filing: tuple[FilingWarning, ...]
    claims: tuple[AgedClaim, ...]

    def as_json(self) -> dict[str, Any]:
        """The report as ``report aging --json`` and ``demo --json`` print it (amounts as
        exact strings; without the per-claim rows, which the CSV carries)."""
        return {
            "as_of": self.as_of.isoformat(),
            "by": self.by,
            "buckets": list(self.buckets),
            "payers": [row.as_json() for row in self.payers],
            "total": self.total.as_json(),
            "timely_filing": [a.as_json() for a in self.timely_filing],
        }

    def csv(self) -> str:
        """One row per claim (:data:`CSV_COLUMNS`), oldest first: exact amounts, ISO
        dates; text cells neutralised against spreadsheet formulas as the dashboard's
        CSV does (:func:`~edigateway.services.spreadsheet_cells.spreadsheet_text`)."""
        from edigateway.services.spreadsheet_cells import spreadsheet_text as _cell

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for c in self.claims:
            writer.writerow(
                [
                    c.claim_id,
                    _cell(c.patient_control_number),
                    _cell(c.payer_id),
                    _cell(c.payer),
                    c.service_date.isoformat() if c.service_date else "",
                    c.sent_date.isoformat() if c.sent_date else "",
                    str(c.billed),
                    str(c.paid),
                    str(c.outstanding),
                    c.age_days,
                    c.bucket,
                ]
            )
        return out.getvalue()


def aging_report(
    db: Database,
    *,
    today: date,
    warn_days: int = WARN_DAYS,
    practice_id: int | None = None,
    by: AgingBasis = "sent",
) -> Aging:
    """A/R aging by payer and per claim, plus the timely-filing alerts."""
    owed = _receivables(db, practice_id)
    report = aging([r.open for r in owed], today=today, by=by)
    names = tuple(b[0] for b in BUCKETS)
    alerts = timely_filing_alerts(
        filing_candidates(db, practice_id), today=today, warn_days=warn_days
    )
    totals = report.totals
    claims = []
    for r in sorted(owed, key=lambda r: (-age_of(r.open, today=today, by=by), r.claim_id)):
        age = age_of(r.open, today=today, by=by)
        claims.append(
            AgedClaim(
                r.claim_id,
                r.open.patient_control_number,
                r.open.payer_id,
                r.open.payer_name,
                r.open.first_service_date,
                r.open.submitted_on,
                r.billed,
                r.paid,
                r.open.outstanding,
                age,
                bucket_for(age),
            )
        )
    return Aging(
        as_of=today,
        by=by,
        buckets=names,
        payers=tuple(
            AgingLine(
                row.payer_name,
                row.payer_id,
                row.claims,
                {n: row.buckets[n] for n in names},
                row.total,
            )
            for row in report.rows
        ),
        total=AgingLine(
            "TOTAL",
            None,
            sum(r.claims for r in report.rows),
            {n: totals[n] for n in names},
            sum(totals.values(), ZERO),
        ),
        timely_filing=tuple(FilingWarning.of(a) for a in alerts),
        claims=tuple(claims),
    )
