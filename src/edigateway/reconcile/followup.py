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
from typing import Final, Literal

BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-120", 91, 120),
    ("120+", 121, None),
)
ZERO = Decimal("0.00")
WARN_DAYS: Final = 30
"""How close to its timely-filing deadline an unfiled claim is warned about (days), in the
aging report and when the claim is submitted."""

FilingCode = Literal["timely_filing_due", "timely_filing_passed"]
"""A timely-filing warning's code: the claim's deadline is near, or passed."""

AgingBasis = Literal["sent", "service"]
"""What a claim's age counts from: the day it was sent (the default: how long the payer
has sat on it), or its date of service (how close it is to the payer's limits)."""


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
    primary_paid_on: date | None = None
    """For a secondary claim: the day the primary payer paid it (its 2330B DTP*573);
    ``None`` for any other claim, or when that day is not known."""
    secondary_filing_days: int | None = None
    """The payer's window for a secondary claim, in days from the primary's payment;
    ``None`` when the payer gives none (the date-of-service limit alone counts)."""

    @property
    def aged_from(self) -> date | None:
        """The day its age counts from: when it was sent, else its date of service."""
        return self.submitted_on or self.first_service_date

    def age_start(self, by: AgingBasis) -> date | None:
        """The day its age counts from, by sent date (:attr:`aged_from`) or date of
        service (its first; when it has none, when it was sent)."""
        if by == "service":
            return self.first_service_date or self.submitted_on
        return self.aged_from


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


def age_of(claim: OpenClaim, *, today: date, by: AgingBasis = "sent") -> int:
    """The claim's age in days on ``today`` (0 when it has no date to count from)."""
    start = claim.age_start(by) or today
    return (today - start).days


def aging(claims: Iterable[OpenClaim], *, today: date, by: AgingBasis = "sent") -> AgingReport:
    """Outstanding amounts by payer and bucket, payers sorted by name; ages count from the
    day each claim was sent, or (``by="service"``) from its date of service.

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
        row.buckets[bucket_for(age_of(claim, today=today, by=by))] += claim.outstanding
        row.claims += 1
    return AgingReport(today, sorted(rows.values(), key=lambda r: (r.payer_name, r.payer_id)))


@dataclass(frozen=True, slots=True)
class FilingDeadline:
    """The last day a payer must receive a claim, and what set it."""

    day: date
    from_primary_payment: date | None = None
    """The primary's payment day when the payer's secondary window set the deadline (it
    ends after the date-of-service limit); ``None`` when the date of service set it."""
    secondary_filing_days: int | None = None
    """That window's days, when it set the deadline."""

    @property
    def rule(self) -> str | None:
        """The secondary window in words, when it set the deadline."""
        if self.from_primary_payment is None:
            return None
        return (
            f"{self.secondary_filing_days} days from the primary's payment on "
            f"{self.from_primary_payment}"
        )


def filing_deadline(claim: OpenClaim) -> FilingDeadline | None:
    """The claim's timely-filing deadline: its first date of service plus the payer's
    limit; for a secondary claim whose payer gives secondaries their own window
    (``secondary_filing_days``) and whose primary payment day is known, the later of that
    and the primary's payment day plus the window. ``None`` without a date of service."""
    if claim.first_service_date is None:
        return None
    by_service = claim.first_service_date + timedelta(days=claim.timely_filing_days)
    if claim.primary_paid_on is None or claim.secondary_filing_days is None:
        return FilingDeadline(by_service)
    by_payment = claim.primary_paid_on + timedelta(days=claim.secondary_filing_days)
    if by_payment <= by_service:
        return FilingDeadline(by_service)
    return FilingDeadline(by_payment, claim.primary_paid_on, claim.secondary_filing_days)


@dataclass(frozen=True, slots=True)
class FilingAlert:
    """An unpaid claim close to (or past) its payer's timely-filing limit."""

    patient_control_number: str
    payer_name: str
    deadline: date
    days_left: int
    expired: bool
    rule: str | None = None
    """What set the deadline when it is not the date-of-service limit (a secondary
    claim's window from the primary's payment, :attr:`FilingDeadline.rule`)."""

    @property
    def message(self) -> str:
        """The alert in plain words; a deadline the secondary window set says so."""
        if self.expired:
            why = f" ({self.rule})" if self.rule else ""
            return f"filing limit passed on {self.deadline}{why}"
        why = f"{self.rule}; " if self.rule else ""
        return f"must be received by {self.deadline} ({why}{self.days_left} days left)"


def timely_filing_alerts(
    claims: Iterable[OpenClaim], *, today: date, warn_days: int = WARN_DAYS
) -> list[FilingAlert]:
    """Claims at risk of their payer's timely-filing limit (:func:`filing_deadline`: date
    of service + the payer's days, or for a secondary claim the later end of the payer's
    window from the primary's payment), soonest first, so they are chased before they
    expire. ``submitted_on`` is when the payer got the claim: a claim sent by its deadline
    was filed in time and is never warned again, whatever today is; one sent after it is
    flagged as filed late. A claim not filed (``submitted_on`` ``None``: ready, queued,
    rejected) is warned once its deadline is within ``warn_days`` or past."""
    alerts = []
    for claim in claims:
        found = filing_deadline(claim)
        if found is None:
            continue
        deadline = found.day
        if claim.submitted_on is not None:
            if claim.submitted_on > deadline:
                alerts.append(
                    FilingAlert(
                        claim.patient_control_number,
                        claim.payer_name,
                        deadline,
                        (deadline - claim.submitted_on).days,
                        expired=True,
                        rule=found.rule,
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
                    found.rule,
                )
            )
    return sorted(alerts, key=lambda a: (a.days_left, a.patient_control_number))
