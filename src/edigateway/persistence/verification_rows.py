"""Eligibility verifications kept, upcoming visits and fee schedules, as rows (migration
0012).

A verification is PHI through and through (the inquiry names the patient, the 271 is their
benefits), so its inquiry, parsed benefits and raw 271 are sealed with the practice's PHI
cipher (:mod:`edigateway.security.phi`), bound to the row. Look-ups by member ID or patient
go through keyed hashes (``member_index``, ``patient_index``), never plaintext: a visit
finds its latest verification by the same hashes. Fee schedules are no PHI: codes, amounts
and the practice's own procedure descriptions.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edigateway.persistence.tables import Base, Cents


class VerificationRow(Base):
    """One eligibility check: who asked, when, what the payer answered (sealed)."""

    __tablename__ = "eligibility_verifications"
    __table_args__ = (
        Index("ix_eligibility_verifications_member", "practice_id", "member_index", "id"),
        Index("ix_eligibility_verifications_patient", "practice_id", "patient_index", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(60))
    """Who asked: an API key's actor (``key:<id>``), a dashboard user, or ``cli``."""
    channel: Mapped[str] = mapped_column(String(10))
    """``api``, ``cli``, ``ui`` or ``queue`` (a bulk check of the visit queue)."""
    payer_id: Mapped[str] = mapped_column(String(80))
    trace_number: Mapped[str] = mapped_column(String(50))
    member_index: Mapped[str] = mapped_column(String(64))
    patient_index: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    """``active``, ``inactive``, ``not_stated`` or ``not_found`` (the payer rejected the
    inquiry: an AAA, e.g. 75 subscriber not found)."""
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    inquiry: Mapped[str] = mapped_column(Text)
    benefits: Mapped[str] = mapped_column(Text)
    raw_271: Mapped[str] = mapped_column(Text)


class VisitRow(Base):
    """An upcoming visit a practice-management system told us about, with the patient
    (sealed) and the planned procedures, so the patients to verify can be listed."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("practice_id", "external_id"),
        Index("ix_visits_practice_date", "practice_id", "visit_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    external_id: Mapped[str] = mapped_column(String(80))
    """The PM system's appointment ID: posting it again updates the visit."""
    visit_date: Mapped[date] = mapped_column(Date)
    payer_id: Mapped[str] = mapped_column(String(80))
    member_index: Mapped[str] = mapped_column(String(64))
    patient_index: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class FeeScheduleRow(Base):
    """One procedure of a practice's fee schedule with a payer (and plan): the allowed
    (contracted) fee and the practice's own description of the procedure."""

    __tablename__ = "fee_schedule_entries"
    __table_args__ = (UniqueConstraint("practice_id", "payer_id", "plan", "procedure_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    payer_id: Mapped[str] = mapped_column(String(80))
    plan: Mapped[str] = mapped_column(String(60), default="")
    """The plan name as the 271 states it; empty: every plan of the payer."""
    procedure_code: Mapped[str] = mapped_column(String(5))
    fee: Mapped[Decimal] = mapped_column(Cents)
    description: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
