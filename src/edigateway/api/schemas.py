"""What the API accepts and returns (separate from tables and, where they differ, from the
domain models): money as decimal strings, dates ISO 8601."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from edigateway.domain.claims import Claim
from edigateway.domain.eligibility import DentalBenefits, EligibilityInquiry, TreatmentPlan

T = TypeVar("T")


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Page(_Out, Generic[T]):
    """One page of a list; ask for the next with ``offset=next_offset``."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class ClaimSummary(_Out):
    """A claim's searchable columns (no names, member IDs or birth dates)."""

    id: int
    patient_control_number: str
    kind: str
    frequency: str
    state: str
    state_changed_at: datetime
    total_charge: Decimal
    first_service_date: date | None
    submitted_on: date
    payer_id: str | None
    payer_claim_control_number: str | None
    superseded_by_id: int | None


class ClaimCreated(ClaimSummary):
    """The claim stored (``stored``) or found identical (``unchanged``)."""

    status: Literal["stored", "unchanged"]


class HistoryStep(_Out):
    """One state change and its cause."""

    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str
    at: datetime
    reason: str

    model_config = ConfigDict(populate_by_name=True)


class Transmission(_Out):
    """A file sent to a clearinghouse and what came back for it."""

    id: int
    kind: str
    clearinghouse: str
    file_name: str
    remote_name: str | None
    interchange_control_number: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    ack_status: str | None
    ack_at: datetime | None
    last_error: str | None
    transaction_control_number: str | None = None


class ClaimDetail(ClaimSummary):
    """A claim with its document as submitted, its history and its transmissions."""

    claim: dict[str, Any]
    history: list[HistoryStep]
    transmissions: list[Transmission]


class ValidationResult(_Out):
    """The clean-claim edits and the 837D validation of a claim, nothing stored."""

    clean: bool
    edit_failures: list[dict[str, str]]
    x12_valid: bool | None
    x12_errors: list[dict[str, Any]]


class SubmitRequest(BaseModel):
    """Claims (state ready) to send together in one 837D."""

    model_config = ConfigDict(extra="forbid")
    claim_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=5000)


class Submitted(_Out):
    """The outbox entry; the sender uploads it (status pending → sent)."""

    submission_id: int
    file_name: str
    interchange_control_number: str
    claim_ids: list[int]
    status: str


class ReplaceRequest(BaseModel):
    """A corrected claim for a replacement (frequency 7)."""

    model_config = ConfigDict(extra="forbid")
    claim: Claim


class EligibilityRequest(BaseModel):
    """One real-time inquiry."""

    model_config = ConfigDict(extra="forbid")
    inquiry: EligibilityInquiry


class EligibilityAnswer(_Out):
    """The payer's benefits for the inquiry."""

    benefits: list[DentalBenefits]


class EstimateRequest(BaseModel):
    """Benefits (from an eligibility answer) and a treatment plan."""

    model_config = ConfigDict(extra="forbid")
    benefits: DentalBenefits
    plan: TreatmentPlan


class ClaimEstimateRequest(BaseModel):
    """The patient's benefits, to estimate a stored claim with."""

    model_config = ConfigDict(extra="forbid")
    benefits: DentalBenefits


class WorkItem(_Out):
    """Something a coordinator must act on."""

    id: int
    created_at: str
    status: str
    reason: str
    claim: str | None
    codes: list[str]
    message: str
    amount: str | None
    source_position: int | None
    file_id: int | None
    resolved_at: str | None
    resolution_note: str | None


class ResolveRequest(BaseModel):
    """How a work item was settled."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000)


class Resolved(_Out):
    """The item closed."""

    id: int
    status: str
    resolution_note: str


class Posting(_Out):
    """One amount posted, traced to its 835 segment."""

    claim_id: int | None
    line_number: int | None
    kind: str
    amount: Decimal
    group_code: str | None
    reason_code: str | None
    remark_codes: list[str]
    reference: str | None
    source_position: int | None


class RemittanceSummary(_Out):
    """One payment (835 transaction)."""

    id: int
    trace_number: str
    payer_name: str
    payer_id: str | None
    payment_amount: Decimal
    credit_debit: str
    payment_method: str
    payment_date: date | None
    claims: int


class RemittanceDetail(RemittanceSummary):
    """A payment with its postings and provider-level adjustments."""

    postings: list[Posting]
    provider_adjustments: list[dict[str, Any]]
