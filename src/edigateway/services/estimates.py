"""Patient estimates as the practice gives them: a treatment plan (or a stored claim)
estimated from the patient's benefits — given, or those of a kept verification — on the
payer's fee schedule, with what the patient's copy needs (practice header, patient, the
practice's own procedure descriptions, the plan facts used).

The arithmetic is :mod:`edigateway.estimates.engine`'s (pure); this module finds its inputs:

* **benefits**: the caller's, or a kept verification's (``verification_id``: the check's
  date becomes one of the plan facts);
* **fee schedule**: the plan's own when the request gives one, else the practice's stored
  schedule for the payer and plan (:mod:`edigateway.services.fees`) — a PPO estimate is
  made on the allowed fee, not the office fee;
* **descriptions**: each procedure's own, else the practice's fee-schedule description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.domain.eligibility import Estimate
from edigateway.errors import InputError, NotFoundError
from edigateway.estimates.engine import estimate
from edigateway.persistence.tables import ClaimEstimateRow, ClaimRow, Practice
from edigateway.services import fees, verifications
from edigateway.services.access import record
from edigateway.services.claim_store import open_document
from edigateway.services.practice_claims import plan_of

if TYPE_CHECKING:
    from datetime import date, datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.claims import Claim
    from edigateway.domain.common import PersonName
    from edigateway.domain.eligibility import DentalBenefits, TreatmentPlan
    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller

DISCLAIMER = (
    "This is an estimate, not a guarantee of payment. Your insurance plan decides what it "
    "pays when it receives the claim. The amounts above depend on your eligibility on the "
    "day of treatment, on what remains of your deductible and annual maximum at that time, "
    "on the plan's frequency limits and waiting periods, and on any other insurance you "
    "have. You are responsible for any amount your plan does not pay. Please ask us if "
    "anything here is unclear."
)
"""The plain-language disclaimer printed on every patient estimate."""


@dataclass(frozen=True, slots=True)
class PatientEstimate:
    """An estimate with what the patient's copy shows around it."""

    practice_name: str
    practice_npi: str
    practice_address: tuple[str, ...]
    patient_name: str
    payer_name: str | None
    plan_name: str | None
    member_id: str | None
    prepared_on: date
    estimate: Estimate
    claim_number: str | None = None
    verification_id: int | None = None
    disclaimer: str = DISCLAIMER


def _name(person: PersonName | None) -> str:
    if person is None:
        return "patient"
    return " ".join(p for p in (person.first_name, person.middle_name, person.last_name) if p)


def _benefits(
    db: Database,
    caller: Caller,
    benefits: DentalBenefits | None,
    verification_id: int | None,
    now: datetime,
) -> tuple[DentalBenefits, str | None, int | None]:
    """The benefits to estimate with, the fact saying where they came from, and the
    verification's ID."""
    if (benefits is None) == (verification_id is None):
        raise InputError("give either benefits or verification_id (one of the two)")
    if verification_id is None:
        assert benefits is not None  # noqa: S101 - one of the two, checked above
        return benefits, None, None
    summary, kept = verifications.benefits_of(db, caller, verification_id, now=now)
    return (
        kept,
        (
            f"benefits checked with the payer on {summary.created_at.date()} "
            f"(verification {summary.id})"
        ),
        summary.id,
    )


def _priced(
    session: Session,
    practice_id: int,
    plan: TreatmentPlan,
    benefits: DentalBenefits,
    payer_id: str | None,
) -> TreatmentPlan:
    """``plan`` with the practice's stored fee schedule (when it gives none) and the
    schedule's descriptions for procedures that have none."""
    stored = fees.scheduled(session, practice_id, payer_id or benefits.payer_id, benefits.plan_name)
    codes = {p.procedure_code for p in plan.procedures}
    update: dict[str, object] = {
        "procedures": [
            p
            if p.description or p.procedure_code not in stored
            else p.model_copy(update={"description": stored[p.procedure_code].description})
            for p in plan.procedures
        ]
    }
    if not plan.fee_schedule:
        update["fee_schedule"] = {c: s.fee for c, s in stored.items() if c in codes}
    return plan.model_copy(update=update)


def _practice(session: Session, caller: Caller) -> Practice:
    practice = session.get(Practice, caller.practice_id)
    if practice is None:
        raise NotFoundError(f"no practice {caller.practice_id}")
    return practice


def _with_fact(result: Estimate, fact: str | None) -> Estimate:
    return result if fact is None else result.model_copy(update={"facts": [*result.facts, fact]})


def estimate_plan(
    db: Database,
    caller: Caller,
    plan: TreatmentPlan,
    *,
    benefits: DentalBenefits | None = None,
    verification_id: int | None = None,
    now: datetime,
) -> PatientEstimate:
    """Estimate a treatment plan for the patient of ``benefits`` (or of a kept
    verification) on the payer's fee schedule."""
    chosen, fact, kept = _benefits(db, caller, benefits, verification_id, now)
    with db.transaction() as session:
        practice = _practice(session, caller)
        priced = _priced(session, caller.practice_id, plan, chosen, None)
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="create",
            resource="estimate",
            resource_id=str(kept) if kept else None,
            at=now,
            remote_addr=caller.remote_addr,
        )
        name, npi = practice.name, practice.npi
    return PatientEstimate(
        practice_name=name,
        practice_npi=npi,
        practice_address=(),
        patient_name=_name(chosen.patient or chosen.subscriber),
        payer_name=chosen.payer_name,
        plan_name=chosen.plan_name,
        member_id=chosen.member_id,
        prepared_on=now.date(),
        estimate=_with_fact(estimate(chosen, priced), fact),
        verification_id=kept,
    )


def estimate_without_practice(
    plan: TreatmentPlan, benefits: DentalBenefits, *, now: datetime
) -> PatientEstimate:
    """An estimate from a 271 on a gateway that holds no practice yet (a first try of the
    command line): no stored fee schedule and no practice header to use."""
    return PatientEstimate(
        practice_name="",
        practice_npi="",
        practice_address=(),
        patient_name=_name(benefits.patient or benefits.subscriber),
        payer_name=benefits.payer_name,
        plan_name=benefits.plan_name,
        member_id=benefits.member_id,
        prepared_on=now.date(),
        estimate=estimate(benefits, plan),
    )


def _claim_row(session: Session, caller: Caller, claim_id: int) -> ClaimRow:
    row = session.scalars(
        select(ClaimRow).where(ClaimRow.id == claim_id, ClaimRow.practice_id == caller.practice_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no claim {claim_id}")
    return row


def _address(claim: Claim) -> tuple[str, ...]:
    provider = claim.billing_provider
    where = provider.address
    lines = [
        where.line1,
        *([where.line2] if where.line2 else []),
        f"{where.city}, {where.state} {where.postal_code[:5]}",
    ]
    if provider.contact is not None and provider.contact.phone:
        phone = provider.contact.phone
        lines.append(f"({phone[:3]}) {phone[3:6]}-{phone[6:]}")
    return tuple(lines)


def _claim_estimate(
    practice: Practice, claim: Claim, result: Estimate, now: datetime, kept: int | None = None
) -> PatientEstimate:
    patient = claim.patient.name if claim.patient else claim.subscriber.name
    return PatientEstimate(
        practice_name=claim.billing_provider.display_name or practice.name,
        practice_npi=practice.npi,
        practice_address=_address(claim),
        patient_name=_name(patient),
        payer_name=claim.payer.name,
        plan_name=None,
        member_id=claim.subscriber.member_id,
        prepared_on=now.date(),
        estimate=result,
        claim_number=claim.patient_control_number,
        verification_id=kept,
    )


def estimate_claim(
    db: Database,
    caller: Caller,
    claim_id: int,
    *,
    benefits: DentalBenefits | None = None,
    verification_id: int | None = None,
    now: datetime,
) -> PatientEstimate:
    """Estimate a stored claim's procedures (on the payer's fee schedule) and keep the
    estimate with the claim, to compare with what the payer pays."""
    chosen, fact, kept = _benefits(db, caller, benefits, verification_id, now)
    with db.transaction() as session:
        row = _claim_row(session, caller, claim_id)
        claim = open_document(session, row)
        priced = _priced(session, caller.practice_id, plan_of(claim), chosen, claim.payer.payer_id)
        result = _with_fact(estimate(chosen, priced), fact)
        session.add(
            ClaimEstimateRow(
                claim_id=claim_id,
                created_at=now,
                total_fee=result.total_fee,
                total_insurance=result.total_insurance,
                total_patient=result.total_patient,
                document=result.model_dump_json(),
            )
        )
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="create",
            resource="claim_estimate",
            resource_id=str(claim_id),
            at=now,
            remote_addr=caller.remote_addr,
        )
        return _claim_estimate(_practice(session, caller), claim, result, now, kept)


def claim_estimate(
    db: Database, caller: Caller, claim_id: int, *, now: datetime
) -> PatientEstimate:
    """The latest estimate kept with a claim, for the patient's copy (read is audited)."""
    with db.transaction() as session:
        row = _claim_row(session, caller, claim_id)
        kept = session.scalars(
            select(ClaimEstimateRow)
            .where(ClaimEstimateRow.claim_id == claim_id)
            .order_by(ClaimEstimateRow.id.desc())
            .limit(1)
        ).first()
        if kept is None:
            raise NotFoundError(
                f"claim {claim_id} has no estimate yet (POST "
                f"/v1/claims/{claim_id}/estimate makes one)"
            )
        claim = open_document(session, row)
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="read",
            resource="claim_estimate",
            resource_id=str(claim_id),
            at=now,
            remote_addr=caller.remote_addr,
        )
        return _claim_estimate(
            _practice(session, caller),
            claim,
            Estimate.model_validate_json(kept.document),
            kept.created_at,
        )
