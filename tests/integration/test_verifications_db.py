"""Kept verifications, visits and fee schedules on every configured database (SQLite, and
PostgreSQL when EDIGATEWAY_TEST_DATABASE_URL is set): sealed values that open only in their
own row, newest-first look-ups by member and patient, the queue's "too old for the visit"
rule, a fee schedule replaced whole with plan entries over payer-wide ones, and migration
0012 down and up again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import select, update

from edigateway.domain.common import PersonName
from edigateway.domain.eligibility import (
    DentalBenefits,
    EligibilityInquiry,
    Rejection,
    UpcomingVisit,
)
from edigateway.errors import InputError, NotFoundError, PhiError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import Practice
from edigateway.persistence.verification_rows import VerificationRow
from edigateway.security.phi import Binding
from edigateway.services import fees, verifications, visits
from edigateway.services.practice_claims import Caller
from tests.factories import NOW

INQUIRY = {
    "trace_number": "T-1",
    "payer": {"payer_id": "DDPIL", "name": "PRAIRIE"},
    "provider": {"organization_name": "MAPLE", "npi": "1456789019"},
    "subscriber": {
        "name": {"last_name": "OKONKWO", "first_name": "SAMUEL"},
        "member_id": "PDP300412",
    },
}


def _practices(db: Database) -> tuple[Caller, Caller]:
    with db.transaction() as session:
        rows = [
            Practice(name=n, npi=npi, created_at=NOW)
            for n, npi in (("MAPLE", "1456789019"), ("OTHER", "1234567893"))
        ]
        session.add_all(rows)
        session.flush()
        return Caller(rows[0].id, "key:a"), Caller(rows[1].id, "key:b")


def _keep(
    db: Database,
    caller: Caller,
    *,
    member: str = "PDP300412",
    first: str = "SAMUEL",
    found: bool = True,
    at: int = 0,
) -> int:
    inquiry = EligibilityInquiry.model_validate(
        {
            **INQUIRY,
            "subscriber": {
                "name": {"last_name": "OKONKWO", "first_name": first},
                "member_id": member,
            },
        }
    )
    benefits = (
        DentalBenefits(coverage="active", member_id=member)
        if found
        else DentalBenefits(
            rejections=[
                Rejection(
                    level="subscriber",
                    code="75",
                    reason="not found",
                    retry=False,
                    advice="fix the ID",
                )
            ]
        )
    )
    with db.transaction() as session:
        return verifications.keep(
            session,
            practice_id=caller.practice_id,
            actor=caller.actor,
            channel="api",
            inquiry=inquiry,
            benefits=[benefits],
            raw_271="ISA*00*~",
            now=NOW + timedelta(minutes=at),
        ).id


def test_checks_are_sealed_scoped_and_listed_newest_first(database: Database):
    a, b = _practices(database)
    first = _keep(database, a)
    other = _keep(database, a, member="PDP100234", first="ADA", at=1)
    missing = _keep(database, a, member="NOSUCH", found=False, at=2)
    items, total = verifications.list_verifications(
        database, a, member_id=None, patient=None, limit=2, offset=0, now=NOW
    )
    assert ([i.id for i in items], total) == ([missing, other], 3)
    assert items[0].status == "not_found"
    by_member, _ = verifications.list_verifications(
        database, a, member_id=" pdp300412", patient=None, limit=10, offset=0, now=NOW
    )
    assert [i.id for i in by_member] == [first]
    by_patient, _ = verifications.list_verifications(
        database,
        a,
        member_id=None,
        patient=PersonName(last_name="okonkwo", first_name="ada"),
        limit=10,
        offset=0,
        now=NOW,
    )
    assert [i.id for i in by_patient] == [other]
    detail = verifications.get(database, a, first, now=NOW)
    assert (detail.raw_271, detail.patient_name) == ("ISA*00*~", "SAMUEL OKONKWO")
    with pytest.raises(NotFoundError):
        verifications.get(database, b, first, now=NOW)
    assert (
        verifications.list_verifications(
            database, b, member_id=None, patient=None, limit=10, offset=0, now=NOW
        )[1]
        == 0
    )
    with database.transaction() as session:
        row = session.get(VerificationRow, first)
        assert row is not None
        assert "OKONKWO" not in row.inquiry + row.benefits
        moved = row.raw_271
        with pytest.raises(PhiError):
            database.phi.open(
                moved, Binding("eligibility_verifications", "raw_271", a.practice_id, str(other))
            )


def test_a_rejected_check_has_no_benefits_to_estimate_with(database: Database):
    a, _ = _practices(database)
    missing = _keep(database, a, found=False)
    with pytest.raises(InputError) as caught:
        verifications.benefits_of(database, a, missing, now=NOW)
    assert "holds no benefits" in str(caught.value)


def _visit(external_id: str, days: int, member: str = "PDP300412") -> UpcomingVisit:
    return UpcomingVisit.model_validate(
        {
            "external_id": external_id,
            "visit_date": (NOW + timedelta(days=days)).date(),
            "payer": {"payer_id": "DDPIL", "name": "PRAIRIE"},
            "subscriber": {
                "name": {"last_name": "OKONKWO", "first_name": "SAMUEL"},
                "member_id": member,
            },
            "procedures": ["D1110"],
        }
    )


def test_the_queue_counts_checks_by_their_age_at_the_visit(database: Database):
    a, b = _practices(database)
    saved = visits.save(
        database,
        a,
        [_visit("V1", 3), _visit("V2", 60), _visit("V3", 5, member="PDP100234")],
        now=NOW,
    )
    assert [s.status for s in saved] == ["created"] * 3
    assert visits.save(database, a, [_visit("V1", 4)], now=NOW)[0].status == "updated"
    checked = _keep(database, a)
    with database.transaction() as session:  # made 40 days before now
        session.execute(
            update(VerificationRow)
            .where(VerificationRow.id == checked)
            .values(created_at=NOW - timedelta(days=40))
        )
    queue = visits.queue(database, a, days=30, within=14, today=NOW.date(), now=NOW)
    assert [(q.external_id, q.last_verification_id) for q in queue] == [
        ("V1", checked),
        ("V3", None),
    ]
    assert queue[0].reason.startswith("last verified")
    assert queue[0].visit_date == (NOW + timedelta(days=4)).date()
    assert [
        q.external_id
        for q in visits.queue(database, a, days=60, within=14, today=NOW.date(), now=NOW)
    ] == ["V3"]
    _keep(database, a, member="PDP100234", found=False)
    (still,) = visits.queue(database, a, days=60, within=14, today=NOW.date(), now=NOW)
    assert still.reason.startswith("the payer did not find the member")
    assert visits.queue(database, b, days=0, within=180, today=NOW.date(), now=NOW) == []


def test_fee_schedules_are_replaced_whole_and_plan_entries_win(database: Database):
    a, b = _practices(database)
    payer_wide = fees.FeeSchedule(
        entries=[
            fees.FeeEntry(procedure_code="D1110", fee="88.00", description="Cleaning"),
            fees.FeeEntry(procedure_code="D2391", fee="168.00"),
        ]
    )
    assert fees.load(database, a, "DDPIL", payer_wide, now=NOW).replaced == 0
    plan = fees.FeeSchedule(
        plan="GOLD", entries=[fees.FeeEntry(procedure_code="D1110", fee="95.00")]
    )
    fees.load(database, a, "DDPIL", plan, now=NOW)
    with database.transaction() as session:
        gold = fees.scheduled(session, a.practice_id, "DDPIL", "GOLD")
        other = fees.scheduled(session, a.practice_id, "DDPIL", "SILVER")
        none = fees.scheduled(session, b.practice_id, "DDPIL", None)
    assert (gold["D1110"].fee, gold["D2391"].fee) == (Decimal("95.00"), Decimal("168.00"))
    assert other["D1110"].fee == Decimal("88.00")
    assert none == {}
    smaller = fees.FeeSchedule(entries=[fees.FeeEntry(procedure_code="D0120", fee="52")])
    assert fees.load(database, a, "DDPIL", smaller, now=NOW).replaced == 2
    assert [f.procedure_code for f in fees.schedule_of(database, a, "DDPIL", None)] == ["D0120"]


def test_migration_0012_goes_down_and_up(database: Database):
    a, _ = _practices(database)
    _keep(database, a)
    config = database._alembic()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        connection.exec_driver_sql("DELETE FROM eligibility_verifications")
        command.downgrade(config, "0011")
        command.upgrade(config, "0012")
    with database.transaction() as session:
        assert session.scalars(select(VerificationRow)).all() == []
    assert _keep(database, a) >= 1


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("75", "not_found"),
        ("72", "not_found"),
        ("67", "not_found"),
        ("42", "rejected"),
        ("43", "rejected"),
    ],
)
def test_a_rejection_about_the_member_is_not_found_others_are_rejected(code, status):
    rejected = DentalBenefits(
        rejections=[Rejection(level="subscriber", code=code, reason="r", retry=True, advice="a")]
    )
    assert verifications.status_of([rejected]) == status
    assert verifications.status_of([rejected, DentalBenefits(coverage="active")]) == "active"
