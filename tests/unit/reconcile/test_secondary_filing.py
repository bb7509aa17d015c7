"""A secondary claim's deadline: the later of the date-of-service limit and the payer's
window from the primary's payment (:func:`filing_deadline`), and the alerts saying which
rule set it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from edigateway.reconcile.followup import OpenClaim, filing_deadline, timely_filing_alerts

TODAY = date(2026, 11, 22)
SERVED = date(2026, 9, 1)
PAID = date(2026, 10, 20)


def _secondary(
    *,
    limit: int,
    window: int | None,
    paid: date | None = PAID,
    submitted: date | None = None,
    service: date | None = SERVED,
) -> OpenClaim:
    return OpenClaim(
        "PC1-S", "GRDN1", "Guardian", Decimal("80.00"), submitted, service, limit, paid, window
    )


days = st.integers(min_value=1, max_value=3650)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@given(service=dates, limit=days, paid=st.none() | dates, window=st.none() | days)
def test_the_deadline_is_the_later_rule_and_says_when_the_window_set_it(
    service: date, limit: int, paid: date | None, window: int | None
):
    found = filing_deadline(_secondary(limit=limit, window=window, paid=paid, service=service))
    assert found is not None
    by_service = service + timedelta(days=limit)
    if paid is None or window is None:
        assert (found.day, found.rule) == (by_service, None)
        return
    by_payment = paid + timedelta(days=window)
    assert found.day == max(by_service, by_payment)
    if by_payment > by_service:
        assert found.rule == f"{window} days from the primary's payment on {paid}"
    else:
        assert found.rule is None


def test_without_a_date_of_service_there_is_no_deadline():
    assert filing_deadline(_secondary(limit=90, window=90, service=None)) is None


def test_a_window_ending_later_keeps_a_secondary_in_time_and_the_alert_says_why():
    """Served 2026-09-01 with a 60-day limit (ended 2026-10-31), the primary paid on
    2026-10-20: a 45-day window runs to 2026-12-04 (12 days left on 2026-11-22)."""
    (alert,) = timely_filing_alerts([_secondary(limit=60, window=45)], today=TODAY)
    assert (alert.deadline, alert.days_left, alert.expired) == (date(2026, 12, 4), 12, False)
    assert alert.message == (
        "must be received by 2026-12-04 (45 days from the primary's payment on 2026-10-20; "
        "12 days left)"
    )
    (plain,) = timely_filing_alerts([_secondary(limit=60, window=None)], today=TODAY)
    assert plain.message == "filing limit passed on 2026-10-31"
    assert timely_filing_alerts([_secondary(limit=60, window=90)], today=TODAY) == []


def test_a_secondary_sent_after_its_window_is_flagged_with_the_window():
    late = _secondary(limit=60, window=30, submitted=date(2026, 11, 21))
    (alert,) = timely_filing_alerts([late], today=TODAY)
    assert (alert.deadline, alert.days_left, alert.expired) == (date(2026, 11, 19), -2, True)
    assert alert.message == (
        "filing limit passed on 2026-11-19 (30 days from the primary's payment on 2026-10-20)"
    )
    in_time = _secondary(limit=60, window=30, submitted=date(2026, 11, 19))
    assert timely_filing_alerts([in_time], today=TODAY) == []
