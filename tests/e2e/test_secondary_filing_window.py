"""A secondary claim's own timely-filing window, counted from the primary's payment.

fixtures/era-money/08: MNY801 (treated 2026-10-05) to DDPIL names GUARDIAN (GRDN1) as its
secondary plan; the primary's 835 pays it on 2026-11-12 (BPR16). Posting it stores
MNY801-S with ``primary_paid_on`` 2026-11-12 (the date its 2330B DTP*573 carries). On
2026-11-23 (the suite's clock), with GRDN1's limit at 60 days from the date of service,
the secondary is due by 2026-12-04 (11 days left: warned). Given 90 days from the primary's
payment, it is due by 2027-02-10 — no warning; a window ending earlier than the
date-of-service limit changes nothing; with a 40-day limit (passed on 2026-11-14) a
20-day window keeps it in time until 2026-12-02, and the warning says which rule set the
deadline. The aging report and the secondary's send answer agree."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from edigateway.bootstrap import Gateway
from edigateway.persistence.tables import ClaimRow
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.era_review import approve, pending, set_policy
from edigateway.services.followup import aging_report
from edigateway.services.payer_limits import (
    payer_practice,
    set_secondary_filing,
    set_timely_filing,
)
from edigateway.services.posting import post_received
from edigateway.services.received import ReceivedFile
from edigateway.services.secondary import send_secondary
from tests.factories import NOW, PRACTICE_NPI, REPO

SCENARIO = REPO / "fixtures" / "era-money" / "08_secondary_remaining_liability"
LATER = NOW + timedelta(days=2)


def _posted(gateway: Gateway, *, review: bool = False) -> int:
    """The claims imported and the primary's 835 posted (``review``: DDPIL's payments wait
    for a person's approval); the practice's ID."""
    db = gateway.database
    import_claims(db, load_claim_file(SCENARIO / "claims.json"), now=NOW)
    practice = payer_practice(db, PRACTICE_NPI)
    assert practice is not None
    if review:
        set_policy(db, "review", practice_id=practice, payer_id="DDPIL", now=NOW)
    era = SCENARIO / "primary.835"
    post_received(
        db, ReceivedFile.of(str(era), era.read_bytes(), source="cli"), codes=gateway.codes, now=NOW
    )
    return practice


def _paid_on(gateway: Gateway, practice: int) -> dict[str, date | None]:
    with gateway.database.transaction() as session:
        return {
            r.patient_control_number: r.primary_paid_on
            for r in session.scalars(select(ClaimRow).where(ClaimRow.practice_id == practice))
        }


def _secondary_alerts(gateway: Gateway, practice: int) -> list[tuple[str, int, str]]:
    report = aging_report(gateway.database, today=NOW.date(), practice_id=practice)
    return [
        (a.deadline.isoformat(), a.days_left, a.message)
        for a in report.timely_filing
        if a.claim == "MNY801-S"
    ]


def test_the_secondary_window_counts_from_the_primarys_payment(gateway: Gateway):
    practice = _posted(gateway)
    db = gateway.database
    assert _paid_on(gateway, practice) == {"MNY801": None, "MNY801-S": date(2026, 11, 12)}

    set_timely_filing(db, "GRDN1", 60, practice_id=practice, now=NOW)
    by_service = ("2026-12-04", 11, "must be received by 2026-12-04 (11 days left)")
    assert _secondary_alerts(gateway, practice) == [by_service]

    set_secondary_filing(db, "GRDN1", 90, practice_id=practice, now=NOW)
    assert _secondary_alerts(gateway, practice) == []

    set_secondary_filing(db, "GRDN1", 20, practice_id=practice, now=NOW)  # ends 2026-12-02: earlier
    assert _secondary_alerts(gateway, practice) == [by_service]

    set_timely_filing(db, "GRDN1", 40, practice_id=practice, now=NOW)  # passed on 2026-11-14
    window = (
        "2026-12-02",
        9,
        (
            "must be received by 2026-12-02 (20 days from the primary's payment on "
            "2026-11-12; 9 days left)"
        ),
    )
    assert _secondary_alerts(gateway, practice) == [window]

    set_secondary_filing(db, "GRDN1", 5, practice_id=practice, now=NOW)  # ended 2026-11-17
    assert _secondary_alerts(gateway, practice) == [
        (
            "2026-11-17",
            -6,
            "filing limit passed on 2026-11-17 (5 days from the primary's payment on 2026-11-12)",
        )
    ]

    set_secondary_filing(db, "GRDN1", None, practice_id=practice, now=NOW)
    assert _secondary_alerts(gateway, practice) == [
        ("2026-11-14", -9, "filing limit passed on 2026-11-14")
    ]

    set_secondary_filing(db, "GRDN1", 20, practice_id=practice, now=NOW)
    sent = send_secondary(
        db,
        "MNY801",
        practice_id=practice,
        settings=gateway.settings,
        clearinghouse=gateway.profile(),
        numbers=gateway.control_numbers,
        now=NOW,
        actor="test",
    )
    assert [(w.deadline.isoformat(), w.days_left, w.message) for w in sent.warnings] == [window]
    assert [w.code for w in sent.warnings] == ["timely_filing_due"]


def test_the_primarys_own_limit_never_takes_the_window(gateway: Gateway):
    """The window is the secondary payer's: set on DDPIL (the primary), it does not move
    MNY801's own deadline nor the secondary's."""
    practice = _posted(gateway)
    db = gateway.database
    set_timely_filing(db, "GRDN1", 60, practice_id=practice, now=NOW)
    set_secondary_filing(db, "DDPIL", 365, practice_id=practice, now=NOW)
    assert _secondary_alerts(gateway, practice) == [
        ("2026-12-04", 11, "must be received by 2026-12-04 (11 days left)")
    ]


def test_a_secondary_built_when_the_primary_payment_is_approved_has_its_payment_day(
    gateway: Gateway,
):
    """A held primary payment builds its secondary at approval (another day: 2026-11-25),
    from the 835 read again: it carries the 835's payment day, not the approval's."""
    practice = _posted(gateway, review=True)
    assert _paid_on(gateway, practice) == {"MNY801": None}
    (waiting,) = pending(gateway.database, practice_id=practice)
    approve(gateway.database, waiting.id, now=LATER, actor="test", practice_id=practice)
    assert _paid_on(gateway, practice) == {"MNY801": None, "MNY801-S": date(2026, 11, 12)}
