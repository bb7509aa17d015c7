"""A/R aging buckets and timely-filing alerts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from edigateway.reconcile.followup import OpenClaim, aging, bucket_for, timely_filing_alerts

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, "120+"),
        (999, "120+"),
    ],
)
def test_bucket_edges(days, bucket):
    assert bucket_for(days) == bucket


def _open(
    pcn: str,
    payer: str,
    amount: str,
    submitted: date,
    limit: int = 365,
    service: date | None = None,
) -> OpenClaim:
    return OpenClaim(pcn, payer, payer.title(), Decimal(amount), submitted, service, limit)


def test_aging_groups_by_payer_and_bucket():
    report = aging(
        [
            _open("A", "DELTA", "100.00", date(2026, 11, 1)),
            _open("B", "DELTA", "50.00", date(2026, 8, 1)),
            _open("C", "CIGNA", "75.50", date(2026, 9, 10)),
            _open("D", "CIGNA", "0.00", date(2026, 1, 1)),
        ],
        today=TODAY,
    )
    assert [(r.payer_id, r.claims, r.total) for r in report.rows] == [
        ("CIGNA", 1, Decimal("75.50")),
        ("DELTA", 2, Decimal("150.00")),
    ]
    assert report.rows[1].buckets["0-30"] == Decimal("100.00")
    assert report.rows[1].buckets["91-120"] == Decimal("50.00")
    assert report.totals["61-90"] == Decimal("75.50")


def _unfiled(pcn: str, service: date, limit: int) -> OpenClaim:
    return OpenClaim(pcn, "DELTA", "Delta", Decimal("10.00"), None, service, limit)


def test_timely_filing_alerts_soonest_first_and_expired_flagged():
    """Unfiled claims (ready, queued, rejected) are warned near and past their deadline;
    a claim the payer got in time is never warned, whatever today is; one sent after its
    deadline is flagged as filed late."""
    alerts = timely_filing_alerts(
        [
            _unfiled("LATE", date(2026, 1, 2), 90),
            _unfiled("SOON", date(2026, 9, 1), 90),
            _unfiled("FINE", date(2026, 11, 1), 365),
            _open("INTIME", "DELTA", "10.00", date(2026, 1, 5), limit=90, service=date(2026, 1, 2)),
            _open(
                "SENTLATE", "DELTA", "10.00", date(2026, 4, 10), limit=90, service=date(2026, 1, 2)
            ),
        ],
        today=TODAY,
    )
    assert [(a.patient_control_number, a.expired) for a in alerts] == [
        ("LATE", True),
        ("SENTLATE", True),
        ("SOON", False),
    ]
    soon = alerts[2]
    assert (soon.deadline, soon.days_left) == (date(2026, 11, 30), 8)
    assert alerts[1].days_left == -8  # sent 8 days after its deadline
