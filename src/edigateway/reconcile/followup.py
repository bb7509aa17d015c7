"""Follow-up after submission: A/R aging by payer and timely-filing warnings (pure).

The coordinator's weekly questions — how much is each payer sitting on, and for how long;
which unpaid claims will be too late to file (or appeal) soon — answered from plain data::

    >>> claim = OpenClaim("PC1", "DELTA", "Delta", Decimal("120.00"),
    ...                   date(2026, 9, 1), date(2026, 8, 30), 90)
    >>> report = aging([claim], today=date(2026, 11, 22))
    >>> report.rows[0].buckets["61-90"]
    Decimal('120.00')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-120", 91, 120),
    ("120+", 121, None),
)
ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class OpenClaim:
    """A submitted claim with money still outstanding."""

    patient_control_number: str
    payer_id: str
    payer_name: str
    outstanding: Decimal
    submitted_on: date | None
    """The day it was sent; ``None`` while it was not."""
    first_service_date: date | None
    timely_filing_days: int

    @property
    def aged_from(self) -> date | None:
        """The day its age counts from: when it was sent, else its date of service."""
        return self.submitted_on or self.first_service_date


@dataclass
class AgingRow:
    """One payer's outstanding amounts by age bucket (days since submission)."""

    payer_id: str
    payer_name: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: {b[0]: ZERO for b in BUCKETS})
    claims: int = 0

    @property
    def total(self) -> Decimal:
        """Everything the payer still owes."""
        return sum(self.buckets.values(), ZERO)


@dataclass
class AgingReport:
    """A/R aging by payer, with totals per bucket."""

    as_of: date
    rows: list[AgingRow]

    @property
    def totals(self) -> dict[str, Decimal]:
        """Σ per bucket over every payer."""
        return {name: sum((r.buckets[name] for r in self.rows), ZERO) for name, _, _ in BUCKETS}


def bucket_for(days: int) -> str:
    """The aging bucket for a claim submitted ``days`` ago."""
    for name, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return name
    return BUCKETS[0][0]


def aging(claims: Iterable[OpenClaim], *, today: date) -> AgingReport:
    """Outstanding amounts by payer and bucket, payers sorted by name.

    A row is a payer ID *under one name*: practices name payers themselves, so a report
    over several practices keeps each name with its own claims instead of showing one
    practice's name over another's money (one practice uses one name per payer ID).
    """
    rows: dict[tuple[str, str], AgingRow] = {}
    for claim in claims:
        if claim.outstanding <= ZERO:
            continue
        row = rows.setdefault(
            (claim.payer_id, claim.payer_name), AgingRow(claim.payer_id, claim.payer_name)
        )
        start = claim.aged_from or today
        row.buckets[bucket_for((today - start).days)] += claim.outstanding
        row.claims += 1
    return AgingReport(today, sorted(rows.values(), key=lambda r: (r.payer_name, r.payer_id)))


@dataclass(frozen=True, slots=True)
class FilingAlert:
    """An unpaid claim close to (or past) its payer's timely-filing limit."""

    patient_control_number: str
    payer_name: str
    deadline: date
    days_left: int
    expired: bool


def timely_filing_alerts(
    claims: Iterable[OpenClaim], *, today: date, warn_days: int = 30
) -> list[FilingAlert]:
    """Claims at risk of their payer's timely-filing limit (date of service + the payer's
    days), soonest first, so they are chased before they expire. ``submitted_on`` is when
    the payer got the claim: a claim sent by its deadline was filed in time and is never
    warned again, whatever today is; one sent after it is flagged as filed late. A claim
    not filed (``submitted_on`` ``None``: ready, queued, rejected) is warned once its
    deadline is within ``warn_days`` or past."""
    alerts = []
    for claim in claims:
        start = claim.first_service_date
        if start is None:
            continue
        deadline = start + timedelta(days=claim.timely_filing_days)
        if claim.submitted_on is not None:
            if claim.submitted_on > deadline:
                alerts.append(
                    FilingAlert(
                        claim.patient_control_number,
                        claim.payer_name,
                        deadline,
                        (deadline - claim.submitted_on).days,
                        expired=True,
                    )
                )
            continue
        days_left = (deadline - today).days
        if days_left <= warn_days:
            alerts.append(
                FilingAlert(
                    claim.patient_control_number,
                    claim.payer_name,
                    deadline,
                    days_left,
                    days_left < 0,
                )
            )
    return sorted(alerts, key=lambda a: (a.days_left, a.patient_control_number))
