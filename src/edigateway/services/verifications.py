"""Eligibility verifications kept: every real-time check — from the CLI, the API, the
dashboard or the visit queue — is stored with who asked, when, the inquiry, the raw 271 and
the benefits read from it, sealed as PHI (:mod:`edigateway.persistence.verification_rows`).

Why keep them: a coordinator must show what the payer said on the day (a denial for "not
eligible" is appealed with it), an estimate is made from the benefits of a known check
(``verification_id``) instead of a 271 pasted around, and the visit queue knows who still
needs checking. A check the payer answered with "member not found" (an AAA, e.g. 75) is
kept too — with status ``not_found`` — and :class:`MemberNotFoundError` tells the caller; a
rejection for another reason (42 the payer cannot respond, a provider problem) is kept as
``rejected`` and answered with the payer's reasons in the benefits.

Every read and check is audited in the same transaction; another practice's verification
is "not found", never a different answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, overload

from sqlalchemy import func, select

from edigateway.domain.eligibility import DentalBenefits, EligibilityInquiry
from edigateway.domain.events import EventType
from edigateway.errors import InputError, MemberNotFoundError, NotFoundError
from edigateway.persistence.database import cipher_of
from edigateway.persistence.event_rows import record as record_event
from edigateway.persistence.tables import Practice
from edigateway.persistence.verification_rows import VerificationRow
from edigateway.security.phi import Binding
from edigateway.services.access import practice_by, record
from edigateway.services.eligibility import ask_realtime

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.domain.common import PersonName
    from edigateway.domain.eligibility import InquiryProvider
    from edigateway.persistence.database import Database
    from edigateway.security.phi import PhiCipher
    from edigateway.services.control_numbers import ControlNumberSource
    from edigateway.services.practice_claims import Caller
    from edigateway.settings import Settings
    from edigateway.transports.https import CoreHttpClient

Channel = Literal["api", "cli", "ui", "queue"]
VerificationStatus = Literal["active", "inactive", "not_stated", "not_found", "rejected"]
TABLE = "eligibility_verifications"
MEMBER_REJECTIONS = frozenset(
    {"58", "60", "64", "65", "66", "67", "68", "71", "72", "73", "74", "75", "76", "77", "78"}
)
"""AAA03 reasons that mean the payer did not find (or could not identify) the member or
patient: the inquiry's person must be corrected. Other reasons (42 the payer cannot
respond, 43 provider ID, …) are ``rejected``: not a question of the member."""


@dataclass(frozen=True, slots=True)
class RealtimeClient:
    """What a real-time check needs from the gateway (its clearinghouse and numbers)."""

    client: CoreHttpClient
    profile: ClearinghouseProfile
    settings: Settings
    control_numbers: ControlNumberSource
    clock: Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class VerificationSummary:
    """A kept check: when, who, for whom, what came of it (the patient's name and member ID
    are opened for the practice that owns it)."""

    id: int
    created_at: datetime
    actor: str
    channel: str
    payer_id: str
    trace_number: str
    status: str
    patient_name: str
    member_id: str | None
    visit_id: int | None


@dataclass(frozen=True, slots=True)
class VerificationDetail(VerificationSummary):
    """A kept check with what was asked, the benefits read and the 271 exactly as
    received."""

    inquiry: EligibilityInquiry
    benefits: list[DentalBenefits]
    raw_271: str


@dataclass(frozen=True, slots=True)
class Verified:
    """One check done now and kept."""

    verification: VerificationSummary
    benefits: list[DentalBenefits]


@overload
def command_line_caller(
    db: Database,
    npi: str | None,
    *,
    provider: InquiryProvider | None = None,
    now: datetime,
    required: Literal[True] = True,
) -> Caller: ...
@overload
def command_line_caller(
    db: Database,
    npi: str | None,
    *,
    provider: InquiryProvider | None = None,
    now: datetime,
    required: bool,
) -> Caller | None: ...
def command_line_caller(
    db: Database,
    npi: str | None,
    *,
    provider: InquiryProvider | None = None,
    now: datetime,
    required: bool = True,
) -> Caller | None:
    """Who a command acts as: the practice ``npi`` names, else the inquiry provider's
    practice (stored with its NPI and name when new, as importing a claim stores its
    billing provider), else the database's only practice (``None`` when it holds none and
    one is not ``required``)."""
    from edigateway.services.practice_claims import Caller

    with db.transaction() as session:
        if npi is not None:
            return Caller(practice_by(session, npi).id, "cli")
        if provider is not None and provider.npi is not None:
            found = session.scalars(select(Practice).where(Practice.npi == provider.npi)).first()
            if found is None:
                name = provider.organization_name or (
                    provider.person.last_name if provider.person else provider.npi
                )
                found = Practice(name=name[:60], npi=provider.npi, created_at=now)
                session.add(found)
                session.flush()
            return Caller(found.id, "cli")
        practices = session.scalars(select(Practice).order_by(Practice.npi).limit(6)).all()
    if not practices and not required:
        return None
    if len(practices) != 1:
        listed = ", ".join(p.npi for p in practices[:5]) + (", …" if len(practices) > 5 else "")
        raise InputError(
            "say which practice with --practice NPI (the database holds "
            + (
                f"several: {listed})"
                if practices
                else "none yet: importing a claim or checking eligibility stores its practice)"
            )
        )
    return Caller(practices[0].id, "cli")


def practice_provider(db: Database, caller: Caller) -> InquiryProvider:
    """The practice as the 270's information receiver (its name and NPI)."""
    from edigateway.domain.eligibility import InquiryProvider

    with db.transaction() as session:
        practice = session.get(Practice, caller.practice_id)
        if practice is None:
            raise NotFoundError(f"no practice {caller.practice_id}")
        return InquiryProvider(organization_name=practice.name, npi=practice.npi)


def person_key(name: PersonName | None) -> str:
    """What a patient's keyed hash is made of: last and first name (the member ID has its
    own index; a dependent shares the subscriber's)."""
    if name is None:
        return ""
    return f"{name.last_name}|{name.first_name or ''}"


def patient_of(inquiry: EligibilityInquiry, benefits: list[DentalBenefits]) -> PersonName | None:
    """The patient an inquiry is about: the dependent, else the subscriber; the 271's name
    when the inquiry named the subscriber by member ID only."""
    person = inquiry.dependent or inquiry.subscriber
    if person.name is not None:
        return person.name
    return next((b.patient for b in benefits if b.patient is not None), None)


def status_of(benefits: list[DentalBenefits]) -> VerificationStatus:
    """The first answered patient's coverage; when the payer rejected the inquiry for
    every patient, ``not_found`` (a reason about the member or patient) or ``rejected``."""
    answered = [b for b in benefits if not b.rejections or b.coverage == "active"]
    if answered:
        return answered[0].coverage
    codes = {r.code for b in benefits for r in b.rejections}
    return "not_found" if codes & MEMBER_REJECTIONS else "rejected"


def _binding(practice_id: int, row_id: int, column: str) -> Binding:
    return Binding(TABLE, column, practice_id, str(row_id))


def keep(
    session: Session,
    *,
    practice_id: int,
    actor: str,
    channel: Channel,
    inquiry: EligibilityInquiry,
    benefits: list[DentalBenefits],
    raw_271: str,
    now: datetime,
    visit_id: int | None = None,
) -> VerificationSummary:
    """Store one check (sealed) in the caller's transaction; its summary."""
    cipher = cipher_of(session)
    patient = patient_of(inquiry, benefits)
    row = VerificationRow(
        practice_id=practice_id,
        created_at=now,
        actor=actor[:60],
        channel=channel,
        payer_id=inquiry.payer.payer_id,
        trace_number=inquiry.trace_number,
        member_index=cipher.blind_index(inquiry.subscriber.member_id or "", purpose="member-id"),
        patient_index=cipher.blind_index(person_key(patient), purpose="patient-name"),
        status=status_of(benefits),
        visit_id=visit_id,
        inquiry="",
        benefits="",
        raw_271="",
    )
    session.add(row)
    session.flush()
    row.inquiry = cipher.seal(inquiry.model_dump_json(), _binding(practice_id, row.id, "inquiry"))
    row.benefits = cipher.seal(
        json.dumps([json.loads(b.model_dump_json()) for b in benefits]),
        _binding(practice_id, row.id, "benefits"),
    )
    row.raw_271 = cipher.seal(raw_271, _binding(practice_id, row.id, "raw_271"))
    return _summary(row, inquiry, benefits)


def _summary(
    row: VerificationRow, inquiry: EligibilityInquiry, benefits: list[DentalBenefits]
) -> VerificationSummary:
    patient = patient_of(inquiry, benefits)
    return VerificationSummary(
        id=row.id,
        created_at=row.created_at,
        actor=row.actor,
        channel=row.channel,
        payer_id=row.payer_id,
        trace_number=row.trace_number,
        status=row.status,
        patient_name=" ".join(p for p in (patient.first_name, patient.last_name) if p)
        if patient
        else "",
        member_id=inquiry.subscriber.member_id,
        visit_id=row.visit_id,
    )


def _opened(
    cipher: PhiCipher, row: VerificationRow
) -> tuple[EligibilityInquiry, list[DentalBenefits]]:
    inquiry = EligibilityInquiry.model_validate_json(
        cipher.open(row.inquiry, _binding(row.practice_id, row.id, "inquiry"))
    )
    benefits = [
        DentalBenefits.model_validate(b)
        for b in json.loads(
            cipher.open(row.benefits, _binding(row.practice_id, row.id, "benefits"))
        )
    ]
    return inquiry, benefits


def check(
    db: Database,
    caller: Caller,
    inquiry: EligibilityInquiry,
    *,
    realtime: RealtimeClient,
    channel: Channel,
    visit_id: int | None = None,
) -> Verified:
    """Ask the payer now and keep the answer (audited, with an ``eligibility.completed``
    event). A "member not found" answer is kept, then raised as
    :class:`MemberNotFoundError`; an unreadable or missing answer keeps nothing (there is
    no 271 to keep) and raises the transport's error."""
    answer = ask_realtime(
        inquiry,
        client=realtime.client,
        profile=realtime.profile,
        settings=realtime.settings,
        control_numbers=realtime.control_numbers,
        clock=realtime.clock,
    )
    now = realtime.clock()
    with db.transaction() as session:
        kept = keep(
            session,
            practice_id=caller.practice_id,
            actor=caller.actor,
            channel=channel,
            inquiry=inquiry,
            benefits=answer.benefits,
            raw_271=answer.raw_271,
            now=now,
            visit_id=visit_id,
        )
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="transmit",
            resource="eligibility",
            resource_id=str(kept.id),
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"{channel} {kept.status}",
        )
        record_event(
            session,
            caller.practice_id,
            EventType.ELIGIBILITY_COMPLETED,
            "eligibility",
            {
                "trace_number": inquiry.trace_number,
                "verification_id": kept.id,
                "status": kept.status,
                "patients": len(answer.benefits),
                "rejected": sum(bool(b.rejections) for b in answer.benefits),
            },
            at=now,
        )
    if kept.status == "not_found":
        reasons = [f"{r.reason} ({r.advice})" for b in answer.benefits for r in b.rejections]
        raise MemberNotFoundError(
            f"the payer did not find member {inquiry.subscriber.member_id} of "
            f"{inquiry.payer.payer_id}: {'; '.join(reasons) or 'no reason given'} "
            f"(kept as verification {kept.id})",
            (kept.id,),
            reasons,
        )
    return Verified(kept, answer.benefits)


def list_verifications(
    db: Database,
    caller: Caller,
    *,
    member_id: str | None,
    patient: PersonName | None,
    limit: int,
    offset: int,
    now: datetime,
) -> tuple[list[VerificationSummary], int]:
    """A page of the practice's kept checks, newest first, for a member and/or patient
    (matched through their keyed hashes), and how many match in all."""
    query = select(VerificationRow).where(VerificationRow.practice_id == caller.practice_id)
    if member_id:
        query = query.where(
            VerificationRow.member_index == db.phi.blind_index(member_id, purpose="member-id")
        )
    if patient is not None:
        query = query.where(
            VerificationRow.patient_index
            == db.phi.blind_index(person_key(patient), purpose="patient-name")
        )
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(VerificationRow.id.desc()).offset(offset).limit(limit)
        ).all()
        cipher = cipher_of(session)
        items = [_summary(row, *_opened(cipher, row)) for row in rows]
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="read",
            resource="eligibility_list",
            resource_id=None,
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"{len(items)} verifications",
        )
        return items, total


def get(db: Database, caller: Caller, verification_id: int, *, now: datetime) -> VerificationDetail:
    """One kept check with the inquiry, the benefits and the raw 271 (read is audited)."""
    with db.transaction() as session:
        row = _own(session, caller, verification_id)
        cipher = cipher_of(session)
        inquiry, benefits = _opened(cipher, row)
        raw = cipher.open(row.raw_271, _binding(row.practice_id, row.id, "raw_271"))
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="read",
            resource="eligibility",
            resource_id=str(row.id),
            at=now,
            remote_addr=caller.remote_addr,
        )
        summary = _summary(row, inquiry, benefits)
        return VerificationDetail(
            **{f: getattr(summary, f) for f in summary.__slots__},
            inquiry=inquiry,
            benefits=benefits,
            raw_271=raw,
        )


def _own(session: Session, caller: Caller, verification_id: int) -> VerificationRow:
    row = session.scalars(
        select(VerificationRow).where(
            VerificationRow.id == verification_id, VerificationRow.practice_id == caller.practice_id
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no eligibility verification {verification_id}")
    return row


def benefits_of(
    db: Database, caller: Caller, verification_id: int, *, now: datetime
) -> tuple[VerificationSummary, DentalBenefits]:
    """The benefits of a kept check, to estimate with: the first patient the payer
    answered for (a check the payer rejected has none to estimate with)."""
    with db.transaction() as session:
        row = _own(session, caller, verification_id)
        inquiry, benefits = _opened(cipher_of(session), row)
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="read",
            resource="eligibility",
            resource_id=str(row.id),
            at=now,
            remote_addr=caller.remote_addr,
            detail="estimate",
        )
        summary = _summary(row, inquiry, benefits)
    usable = [b for b in benefits if b.coverage != "not_stated" or not b.rejections]
    if not usable:
        raise InputError(
            f"verification_id: verification {verification_id} holds no benefits "
            f"(the payer answered {summary.status.replace('_', ' ')})"
        )
    return summary, usable[0]


def latest_by_person(
    session: Session, practice_id: int, member_index: str, patient_index: str
) -> VerificationRow | None:
    """The newest kept check of a member's patient (the visit queue's question)."""
    return session.scalars(
        select(VerificationRow)
        .where(
            VerificationRow.practice_id == practice_id,
            VerificationRow.member_index == member_index,
            VerificationRow.patient_index == patient_index,
        )
        .order_by(VerificationRow.id.desc())
        .limit(1)
    ).first()
