"""A/R aging buckets and timely-filing alerts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from edigateway.reconcile.followup import OpenClaim, aging, bucket_for, timely_filing_alerts

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(("days", "bucket"), [(0, "0-30"), (30, "0-30"), (31, "31-60"),
                                               (60, "31-60"), (61, "61-90"), (90, "61-90"),
                                               (91, "91-120"), (120, "91-120"), (121, "120+"),
                                               (999, "120+")])
def test_bucket_edges(days, bucket):
    assert bucket_for(days) == bucket


def _open(pcn: str, payer: str, amount: str, submitted: date, limit: int = 365,
          service: date | None = None) -> OpenClaim:
    return OpenClaim(pcn, payer, payer.title(), Decimal(amount), submitted, service, limit)


def test_aging_groups_by_payer_and_bucket():
    report = aging([
        _open("A", "DELTA", "100.00", date(2026, 11, 1)),
        _open("B", "DELTA", "50.00", date(2026, 8, 1)),
        _open("C", "CIGNA", "75.50", date(2026, 9, 10)),
        _open("D", "CIGNA", "0.00", date(2026, 1, 1)),
    ], today=TODAY)
    assert [(r.payer_id, r.claims, r.total) for r in report.rows] == [
        ("CIGNA", 1, Decimal("75.50")), ("DELTA", 2, Decimal("150.00"))]
    assert report.rows[1].buckets["0-30"] == Decimal("100.00")
    assert report.rows[1].buckets["91-120"] == Decimal("50.00")
    assert report.totals["61-90"] == Decimal("75.50")


def test_timely_filing_alerts_soonest_first_and_expired_flagged():
    alerts = timely_filing_alerts([
        _open("LATE", "DELTA", "10.00", date(2026, 1, 5), limit=90, service=date(2026, 1, 2)),
        _open("SOON", "DELTA", "10.00", date(2026, 9, 1), limit=90, service=date(2026, 9, 1)),
        _open("FINE", "DELTA", "10.00", date(2026, 11, 1), limit=365),
        _open("PAID", "DELTA", "0.00", date(2026, 1, 5), limit=90),
    ], today=TODAY)
    assert [(a.patient_control_number, a.expired) for a in alerts] == [("LATE", True),
                                                                         ("SOON", False)]
    assert alerts[1].deadline == date(2026, 11, 30)
    assert alerts[1].days_left == 8
