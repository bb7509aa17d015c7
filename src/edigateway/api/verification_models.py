"""What the verification, visit, fee-schedule and estimate routes accept and return (issue
16): kept eligibility checks, the verification queue, fee schedules. The wire conventions
are :mod:`edigateway.api.schemas`' (money as exact strings, times in UTC, pages)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from edigateway.api.schemas import Money, Page, Timestamp, _Out
from edigateway.domain.eligibility import (
    DentalBenefits,
    EligibilityInquiry,
    TreatmentPlan,
    UpcomingVisit,
)
from edigateway.services.fees import FeeEntry

VerificationStatus = Literal["active", "inactive", "not_stated", "not_found", "rejected"]
Channel = Literal["api", "cli", "ui", "queue"]


class VerificationSummary(_Out):
    """A kept eligibility check: when, who asked, for whom, what the payer said."""

    id: int = Field(description="the verification's ID (use it as verification_id)")
    created_at: Timestamp = Field(description="when the payer was asked")
    actor: str = Field(
        description="who asked: an API key (key:…), a dashboard user or the command line"
    )
    channel: Channel = Field(
        description="where the check was made: api, cli, ui (the "
        "dashboard) or queue (a bulk check of the visit queue)"
    )
    payer_id: str = Field(description="the payer asked")
    trace_number: str = Field(description="TRN02 of the inquiry")
    status: VerificationStatus = Field(
        description="the answer: coverage active, inactive "
        "or not stated; not_found (the payer did not find "
        "the member or patient, e.g. AAA 75) or rejected "
        "(another AAA, e.g. 42 the payer cannot respond)"
    )
    patient_name: str = Field(description="the patient asked about")
    member_id: str | None = Field(description="the subscriber's member ID")
    visit_id: int | None = Field(description="the visit the check was made for (queue)")


class VerificationPage(Page[VerificationSummary]):
    """A page of kept eligibility checks, newest first."""


class Verification(VerificationSummary):
    """A kept check with the inquiry, the benefits read and the 271 as received."""

    inquiry: EligibilityInquiry = Field(description="what was asked")
    benefits: list[DentalBenefits] = Field(
        description="the benefits read from the 271, one per patient it answers for"
    )
    raw_271: str = Field(description="the 271 exactly as the clearinghouse sent it")


class EligibilityChecked(_Out):
    """The payer's benefits for the inquiry, and the check as kept."""

    benefits: list[DentalBenefits] = Field(
        description="one per patient the 271 answers for, as the payer stated them"
    )
    verification_id: int = Field(
        description="the kept check (GET /v1/eligibility/verifications/{id})"
    )
    status: VerificationStatus = Field(
        description="coverage active, inactive or not "
        "stated, or rejected (the payer's reasons are in "
        "benefits[].rejections)"
    )


class VisitsRequest(BaseModel):
    """Upcoming visits from the practice-management system."""

    model_config = ConfigDict(extra="forbid")

    visits: Annotated[list[UpcomingVisit], Field(min_length=1, max_length=5000)] = Field(
        description="the visits; one with an external_id posted before is updated"
    )


class VisitSaved(_Out):
    """A visit stored."""

    id: int = Field(description="the gateway's ID of the visit")
    external_id: str = Field(description="the PM system's appointment ID")
    visit_date: date = Field(description="the day of the visit")
    status: Literal["created", "updated"] = Field(
        description="new, or an earlier post of the same external_id updated"
    )


class VisitsSaved(_Out):
    """What a post of visits stored."""

    visits: list[VisitSaved] = Field(description="each visit, in the order posted")


class QueueItem(_Out):
    """A patient to verify before their visit, and why."""

    visit_id: int = Field(description="the gateway's ID of the visit")
    external_id: str = Field(description="the PM system's appointment ID")
    visit_date: date = Field(description="the day of the visit")
    patient_name: str = Field(description="the patient coming")
    member_id: str = Field(description="the subscriber's member ID")
    payer_id: str = Field(description="the payer to ask")
    procedures: list[str] = Field(description="the procedures planned (CDT codes)")
    reason: str = Field(description="why the patient needs verifying")
    last_verification_id: int | None = Field(description="the latest kept check, if any")
    last_verified_at: Timestamp | None = Field(description="when it was made")
    last_status: VerificationStatus | None = Field(description="what the payer said then")


class VerificationQueue(_Out):
    """The patients to verify before their visits, soonest visit first."""

    days: int = Field(
        description="a verification older than this many days before the visit does not count"
    )
    within: int = Field(description="visits from today to this many days ahead")
    items: list[QueueItem] = Field(description="the patients to verify")


class BulkVerifyRequest(BaseModel):
    """Which part of the queue to check now."""

    model_config = ConfigDict(extra="forbid")

    days: Annotated[int, Field(ge=0, le=365)] = Field(
        default=30,
        description="verifications older than this many days before the visit do not count",
    )
    within: Annotated[int, Field(ge=0, le=180)] = Field(
        default=7, description="visits from today to this many days ahead"
    )
    limit: Annotated[int, Field(ge=1, le=200)] = Field(
        default=50, description="check at most this many patients now"
    )


class BulkOutcome(_Out):
    """What a bulk check did for one visit."""

    visit_id: int = Field(description="the visit checked")
    external_id: str = Field(description="the PM system's appointment ID")
    verification_id: int | None = Field(
        description="the kept check (none when the payer could not be reached)"
    )
    status: Literal["active", "inactive", "not_stated", "not_found", "rejected", "failed"] = Field(
        description="what the payer said, or failed (no answer)"
    )
    message: str = Field(description="what happened, in words")


class BulkVerified(_Out):
    """The outcome of each check of a bulk verification."""

    outcomes: list[BulkOutcome] = Field(description="one per patient checked")


class FeeScheduleRequest(BaseModel):
    """A payer's fee schedule (it replaces the one stored for the payer and plan)."""

    model_config = ConfigDict(extra="forbid")

    plan: Annotated[str, Field(max_length=60)] = Field(
        default="", description="the plan name as the 271 states it; empty: every plan of the payer"
    )
    entries: Annotated[list[FeeEntry], Field(min_length=1, max_length=2000)] = Field(
        description="the procedures with their allowed fee and the practice's description"
    )


class ScheduledFee(_Out):
    """One procedure of a stored fee schedule."""

    procedure_code: str = Field(description="CDT code")
    fee: Money = Field(description="the allowed (contracted) fee")
    description: str | None = Field(description="the practice's words for the procedure")
    plan: str = Field(description="the plan it applies to (empty: every plan)")


class FeeScheduleLoaded(_Out):
    """What a fee schedule load did."""

    payer_id: str = Field(description="the payer")
    plan: str = Field(description="the plan (empty: every plan of the payer)")
    entries: int = Field(description="procedures stored")
    replaced: int = Field(description="procedures of the earlier schedule replaced")


class FeeScheduleAnswer(_Out):
    """A payer's stored fee schedule (the plan's entries over the payer-wide ones)."""

    payer_id: str = Field(description="the payer")
    entries: list[ScheduledFee] = Field(description="by procedure code")


class PlanEstimateRequest(BaseModel):
    """A treatment plan, with the patient's benefits or a kept verification."""

    model_config = ConfigDict(extra="forbid")

    benefits: DentalBenefits | None = Field(
        default=None,
        description="the patient's benefits, from POST /v1/eligibility (or give verification_id)",
    )
    verification_id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = Field(
        default=None, description="a kept eligibility check whose benefits to use"
    )
    plan: TreatmentPlan = Field(description="the procedures to estimate, with fees")


class ClaimEstimateBody(BaseModel):
    """The patient's benefits or a kept verification, to estimate a stored claim with."""

    model_config = ConfigDict(extra="forbid")

    benefits: DentalBenefits | None = Field(
        default=None,
        description="the patient's benefits, from POST /v1/eligibility (or give verification_id)",
    )
    verification_id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = Field(
        default=None, description="a kept eligibility check whose benefits to use"
    )
