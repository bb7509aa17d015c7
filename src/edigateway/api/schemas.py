"""What the API accepts and returns (separate from tables and, where they differ, from the
domain models). The wire conventions live here, once:

* :data:`Money` — an exact decimal string with two places (``"520.00"``), never a JSON
  number: a float cannot hold every amount, and a PM system sums what we send.
* :data:`Timestamp` — an RFC 3339 time with its offset, always UTC (``…T09:00:00Z``). The
  gateway's clock stores local wall-clock time without a zone; it is read as the gateway
  host's local time and converted on the way out, so two answers compare correctly
  whatever zone the host is in.
* Code values are enums (states, reasons, kinds): a client can switch on them, and a new
  value is a documented change (``docs/api.md``).

Every property has a description and every model an example, since the OpenAPI document
generated from these models is what SDKs are generated from (``docs/openapi.json``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from edigateway.api.examples import (
    CLAIM_CREATED,
    CLAIM_DETAIL,
    REMITTANCE,
    REMITTANCE_DETAIL,
    WORK_ITEM,
)
from edigateway.domain.claim_lifecycle import ClaimState as ClaimState  # noqa: PLC0414 - API
from edigateway.domain.claims import Claim, FrequencyCode
from edigateway.domain.eligibility import EligibilityInquiry
from edigateway.domain.postings import PostingKind, WorkReason
from edigateway.domain.remittances import AdjustmentGroup
from edigateway.reconcile.followup import AgingBasis, FilingCode

T = TypeVar("T")
CENT = Decimal("0.01")
MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


def _money_text(amount: Decimal) -> str:
    return format(amount.quantize(CENT), "f")


Money = Annotated[
    Decimal,
    PlainSerializer(_money_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["218.43"]}),
]
"""An amount in dollars on the wire: an exact decimal string with two places."""


def _utc(value: datetime) -> datetime:
    """A stored time (naive: the gateway host's local wall-clock time) in UTC."""
    return value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]
"""A point in time on the wire: RFC 3339 with its offset, always UTC."""


def stored_time(value: datetime) -> datetime:
    """A caller's time (with its offset) as the gateway stores times: naive local
    wall-clock, to compare with stored columns (the inverse of :data:`Timestamp`)."""
    return value.astimezone().replace(tzinfo=None)


class ClaimKind(StrEnum):
    """A claim for payment, or a predetermination (an estimate asked of the payer before
    treatment)."""

    CLAIM = "claim"
    PREDETERMINATION = "predetermination"


class TransmissionStatus(StrEnum):
    """An outbound file: ``pending`` (queued), ``sending`` (an upload started; it is
    checked and finished by the next send), ``sent`` (in the clearinghouse's folder)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"


class AckStatus(StrEnum):
    """The clearinghouse's verdict on a file (TA1/999): ``accepted`` (999 A or E),
    ``partial`` (999 P: some transactions rejected), ``rejected``."""

    ACCEPTED = "accepted"
    PARTIAL = "partial"
    REJECTED = "rejected"


class WorkItemStatus(StrEnum):
    """``open`` until someone resolves it with a note."""

    OPEN = "open"
    RESOLVED = "resolved"


class ReceivedFileStatus(StrEnum):
    """What became of a received file: ``stored`` (kept, being applied), ``processed``
    (applied), ``duplicate`` (same interchange received before; kept, not applied),
    ``unmatched`` (nothing of ours in it), ``unsupported`` (a transaction or version the
    gateway does not read), ``failed`` (could not be applied; a work item says why)."""

    STORED = "stored"
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    UNMATCHED = "unmatched"
    UNSUPPORTED = "unsupported"
    FAILED = "failed"


AgingBucket = Literal["0-30", "31-60", "61-90", "91-120", "120+"]
"""Days since submission, as the aging report groups them."""


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Page(_Out, Generic[T]):
    """One page of a list; ask for the next with ``offset=next_offset``."""

    items: list[T] = Field(description="this page's records")
    total: int = Field(description="how many records match in all (every page)")
    limit: int = Field(description="the page size asked for")
    offset: int = Field(description="how many matching records come before this page")
    next_offset: int | None = Field(
        description="the offset of the next page; null on the last page"
    )


class ClaimSummary(_Out):
    """A claim's searchable columns (no names, member IDs or birth dates)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{k: v for k, v in CLAIM_CREATED.items() if k != "status"}]}
    )

    id: int = Field(description="the gateway's ID of the claim")
    patient_control_number: str = Field(description="the practice's claim number (CLM01)")
    kind: ClaimKind = Field(description="a claim, or a predetermination")
    frequency: FrequencyCode = Field(description="CLM05-3: 1 original, 7 replacement, 8 void")
    state: ClaimState = Field(description="where the claim is in its life")
    state_changed_at: Timestamp = Field(description="when the state last changed")
    total_charge: Money = Field(description="the claim's total charge (CLM02)")
    first_service_date: date | None = Field(description="the earliest line's date of service")
    submitted_on: date | None = Field(
        description="the day the claim was sent (uploaded to the clearinghouse); null until then"
    )
    payer_id: str | None = Field(description="the payer's ID on the clearinghouse's list")
    payer_claim_control_number: str | None = Field(
        description="the payer's number for the claim, once a 277CA or 835 gave it"
    )
    superseded_by_id: int | None = Field(
        description="the replacement or void that superseded this claim, if any"
    )


class ClaimCreated(ClaimSummary):
    """The claim stored (``stored``) or found identical (``unchanged``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CLAIM_CREATED]})

    status: Literal["stored", "unchanged"] = Field(
        description="stored now, or an identical claim was already stored (nothing changed)"
    )


class ClaimPage(Page[ClaimSummary]):
    """One page of claims."""


class HistoryStep(_Out):
    """One state change and its cause."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "submitted",
                    "to": "ch_accepted",
                    "at": "2026-11-23T09:00:00Z",
                    "reason": "999 ACK-1.999: accepted",
                }
            ]
        },
    )

    from_: ClaimState | None = Field(
        alias="from", serialization_alias="from", description="the state before; null for the first"
    )
    to: ClaimState = Field(description="the state after")
    at: Timestamp = Field(description="when it changed")
    reason: str = Field(description="the cause: a file and segment position, a user or an API key")


class Transmission(_Out):
    """A file sent to a clearinghouse and what came back for it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "kind": "837D",
                    "clearinghouse": "simulator",
                    "file_name": "837D-000000012.x12",
                    "remote_name": "837D-000000012.x12",
                    "interchange_control_number": "000000012",
                    "status": "sent",
                    "created_at": "2026-11-23T09:00:00Z",
                    "sent_at": "2026-11-23T09:00:05Z",
                    "ack_status": "accepted",
                    "ack_at": "2026-11-23T09:05:00Z",
                    "last_error": None,
                    "transaction_control_number": "0001",
                }
            ]
        }
    )

    id: int = Field(description="the gateway's ID of the submission")
    kind: Literal["837D"] = Field(description="the transaction sent")
    clearinghouse: str = Field(description="the clearinghouse profile it went to")
    file_name: str = Field(description="the file's name in the gateway")
    remote_name: str | None = Field(
        description="its name in the clearinghouse's folder, once an upload started"
    )
    interchange_control_number: str = Field(description="ISA13 of the file")
    status: TransmissionStatus = Field(description="how far the upload is")
    created_at: Timestamp = Field(description="when it was queued")
    sent_at: Timestamp | None = Field(description="when the upload completed")
    ack_status: AckStatus | None = Field(description="the TA1/999 verdict, once one came")
    ack_at: Timestamp | None = Field(description="when that verdict was applied")
    last_error: str | None = Field(description="why the last upload failed, if it did")
    transaction_control_number: str | None = Field(
        default=None,
        description="ST02 of the claim's transaction in the file (on a claim's own transmissions)",
    )


class TransmissionPage(Page[Transmission]):
    """One page of transmissions."""


class ClaimLedger(_Out):
    """A claim's money as sent to its payer, derived from what was posted:
    ``billed = paid + contractual + patient_responsibility + other_adjustments +
    outstanding``, to the cent. Held or awaiting payments count nowhere until approved;
    reversed money nets out; a denial stays outstanding until appealed, written off or
    closed; a predetermination bills nothing (all zero)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CLAIM_DETAIL["ledger"]]})

    billed: Money = Field(
        description="what the claim bills its payer (its charge; only "
        "what was settled once it is voided, replaced or cancelled)"
    )
    paid: Money = Field(description="what the payer paid, net of reversals")
    contractual: Money = Field(
        description="contractual adjustments (CAS CO) the practice cannot bill the patient for"
    )
    patient_responsibility: Money = Field(
        description="the patient's share (deductible, "
        "coinsurance, copay, CAS PR), and what a person "
        "moved to the patient on closing the claim"
    )
    other_adjustments: Money = Field(
        description="other adjustments (CAS OA/PI/CR) and amounts written off by a person"
    )
    outstanding: Money = Field(
        description="what the payer still owes: what the other columns leave of billed"
    )


class ClaimPosting(_Out):
    """One amount counted in a claim's ledger, traced to its 835 claim payment (or to the
    person who wrote it off or moved it to the patient)."""

    line_number: int | None = Field(
        description="the claim's service line (1-based); null at claim level"
    )
    kind: PostingKind = Field(description="what the amount is")
    amount: Money = Field(description="the amount (negative when taken back)")
    group_code: AdjustmentGroup | None = Field(
        description="CAS01 claim adjustment group (CO, PR, OA, PI, CR); null for a payment"
    )
    reason_code: str | None = Field(description="the CARC the payer gave")
    remark_codes: list[str] = Field(description="RARCs the payer added")
    remittance_id: int | None = Field(
        description="the remittance (835 payment) it came "
        "from (GET /v1/remittances/{id}); null for a "
        "person's write-off or transfer"
    )
    remittance_claim_id: int | None = Field(description="the claim payment (CLP) it came from")
    source_position: int | None = Field(description="segment position in the 835")
    actor: str | None = Field(
        description="who wrote it off or moved it to the patient "
        "(user or key); null for the payer's amounts"
    )


class ClaimDetail(ClaimSummary):
    """A claim with its document as submitted, its history, its transmissions and its
    money (ledger and the postings that make it)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CLAIM_DETAIL]})

    claim: Claim = Field(description="the claim as it was submitted")
    history: list[HistoryStep] = Field(description="every state it went through, oldest first")
    transmissions: list[Transmission] = Field(description="the files it was sent in")
    ledger: ClaimLedger = Field(
        description="the claim's ledger (six exact figures that reconcile to the cent)"
    )
    postings: list[ClaimPosting] = Field(
        description="the counted postings, line by line (claim-level ones last)"
    )


class EditFailureItem(_Out):
    """One failed clean-claim edit."""

    edit_id: str = Field(description="the edit's ID (E0xx, table in docs/api.md)")
    path: str = Field(description="the claim field it is about, as a JSON path")
    message: str = Field(description="what is wrong, in plain words")


class X12Finding(_Out):
    """One finding of the 837D validation, located in the file the claim would become."""

    segment_index: int | None = Field(description="segment position counted from ISA = 1")
    segment_id: str | None = Field(description="the segment's ID (CLM, SV3 …)")
    loop: str | None = Field(description="the loop it is in (2300 …)")
    element: str | None = Field(description="the element (CLM02 …)")
    code: str = Field(description="pyx12's error code or one of our rule IDs (E0xx, V1xx)")
    message: str = Field(description="what is wrong")
    snip_type: int = Field(ge=1, le=7, description="WEDI SNIP type (1 syntax … 5 code sets)")


class ValidationResult(_Out):
    """The clean-claim edits and the 837D validation of a claim, nothing stored."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"clean": True, "edit_failures": [], "x12_valid": True, "x12_errors": []},
                {
                    "clean": False,
                    "x12_valid": None,
                    "x12_errors": [],
                    "edit_failures": [
                        {
                            "edit_id": "E020",
                            "path": "lines.0.teeth.0.tooth",
                            "message": "tooth 33 is not a valid tooth number",
                        }
                    ],
                },
            ]
        }
    )

    clean: bool = Field(description="whether every clean-claim edit passed")
    edit_failures: list[EditFailureItem] = Field(description="each failed edit")
    x12_valid: bool | None = Field(
        description="whether the 837D validates; null when the edits failed (no 837D was built)"
    )
    x12_errors: list[X12Finding] = Field(description="each validation finding")


class SubmitRequest(BaseModel):
    """Claims (state ready) to send together in one 837D."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"claim_ids": [41, 42]}]}
    )

    claim_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=5000, description="the claims to send, each ready"
    )


class SubmitWarning(_Out):
    """Something to know about a claim just submitted; the claims are queued all the same."""

    code: FilingCode = Field(
        description="timely_filing_due: the payer's filing limit (from the date of service; "
        "for a secondary claim, the payer's window from the primary's payment when that ends "
        "later) is near; timely_filing_passed: it has passed"
    )
    message: str = Field(description="the warning in plain words")
    claim: str = Field(description="the claim number (CLM01)")
    deadline: date = Field(description="the last day the payer must receive the claim")
    days_left: int = Field(description="days from today until the deadline (negative: passed)")


class Submitted(_Out):
    """The outbox entry; the sender uploads it (status pending → sent). ``warnings`` lists
    the claims near or past their payer's timely-filing limit."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "submission_id": 3,
                    "file_name": "837D-000000012.x12",
                    "interchange_control_number": "000000012",
                    "claim_ids": [41, 42],
                    "status": "pending",
                    "warnings": [
                        {
                            "code": "timely_filing_due",
                            "message": "must be received by 2026-12-04 (11 days left)",
                            "claim": "MSD1042",
                            "deadline": "2026-12-04",
                            "days_left": 11,
                        }
                    ],
                }
            ]
        }
    )

    submission_id: int = Field(description="the transmission's ID (GET /v1/transmissions)")
    file_name: str = Field(description="the 837D's file name")
    interchange_control_number: str = Field(description="its ISA13")
    claim_ids: list[int] = Field(description="the claims queued in it")
    status: TransmissionStatus = Field(description="pending: the sender uploads it next")
    warnings: list[SubmitWarning] = Field(
        description="claims whose timely-filing deadline is within 30 days or past "
        "(empty when none): they were queued all the same"
    )


class SecondarySubmitted(_Out):
    """The secondary claim (coordination of benefits) queued in the outbox; the sender
    uploads it. Its "secondary claim due" work items are resolved. ``warnings`` says when
    it is near or past the secondary payer's timely-filing limit, as a submit answer does."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "primary_id": 41,
                    "primary_control_number": "MSD1017",
                    "secondary_id": 57,
                    "patient_control_number": "MSD1017-S",
                    "submission_id": 9,
                    "file_name": "EDGW_000000019.837",
                    "interchange_control_number": "000000019",
                    "work_items_closed": [12],
                    "status": "pending",
                    "warnings": [
                        {
                            "code": "timely_filing_due",
                            "message": "must be received by 2026-12-04 (11 days left)",
                            "claim": "MSD1017-S",
                            "deadline": "2026-12-04",
                            "days_left": 11,
                        }
                    ],
                }
            ]
        }
    )

    primary_id: int = Field(description="the primary claim, which the primary payer paid")
    primary_control_number: str = Field(description="the primary claim's CLM01")
    secondary_id: int = Field(description="the secondary claim queued (GET /v1/claims/{id})")
    patient_control_number: str = Field(
        description="the secondary claim's CLM01 (the primary's with -S)"
    )
    submission_id: int = Field(description="the transmission's ID (GET /v1/transmissions)")
    file_name: str = Field(description="the 837D's file name")
    interchange_control_number: str = Field(description="its ISA13")
    work_items_closed: list[int] = Field(
        description='the "secondary claim due" work items resolved by sending it'
    )
    status: TransmissionStatus = Field(
        default=TransmissionStatus.PENDING, description="pending: the sender uploads it next"
    )
    warnings: list[SubmitWarning] = Field(
        description="the secondary claim, when the secondary payer's timely-filing deadline "
        "(from the date of service) is within 30 days or past (empty when not): it was "
        "queued all the same"
    )


class LineAmounts(_Out):
    """One line as a payer priced (estimate) or paid (actual) it."""

    allowed: Money = Field(
        description="what the payer allowed: the charge less "
        "contractual and other non-patient adjustments"
    )
    insurance: Money = Field(
        description="what the payer would pay (estimate, SVC03 of "
        "the CLP02 25 answer) or paid (actual, reversals netted)"
    )
    patient: Money = Field(description="the patient's share (PR adjustments)")


class LineComparison(_Out):
    """One line of the claim: the predetermination's estimate beside the payment."""

    line_number: int = Field(description="the claim's line (1-based)")
    procedure_code: str = Field(description="CDT code")
    charge: Money = Field(description="the line's charge on the claim")
    estimate: LineAmounts | None = Field(
        description="the payer's estimate; null when the "
        "predetermination did not price this procedure"
    )
    actual: LineAmounts | None = Field(
        description="what the payer paid; null until an 835 pays the line"
    )


class EstimateVsActual(_Out):
    """A claim's predetermination estimate, line by line, beside what the payer paid."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "predetermination_id": 40,
                    "predetermination_number": "SIM0A1B2C3D4E5F",
                    "estimated_insurance": "641.00",
                    "paid": "641.00",
                    "lines": [
                        {
                            "line_number": 1,
                            "procedure_code": "D2740",
                            "charge": "1250.00",
                            "estimate": {
                                "allowed": "980.00",
                                "insurance": "465.00",
                                "patient": "515.00",
                            },
                            "actual": {
                                "allowed": "980.00",
                                "insurance": "465.00",
                                "patient": "515.00",
                            },
                        }
                    ],
                }
            ]
        }
    )

    predetermination_id: int = Field(description="our predetermination claim's ID")
    predetermination_number: str = Field(
        description="the payer's predetermination number, REF*G3 on the claim"
    )
    estimated_insurance: Money = Field(description="what the payer said it would pay")
    paid: Money = Field(description="what the payer paid on the claim's lines")
    lines: list[LineComparison] = Field(description="the claim's lines")


class EligibilityRequest(BaseModel):
    """One real-time inquiry."""

    model_config = ConfigDict(extra="forbid")

    inquiry: EligibilityInquiry = Field(description="whom to ask about, for which service types")


class WorkItem(_Out):
    """Something a coordinator must act on."""

    model_config = ConfigDict(json_schema_extra={"examples": [WORK_ITEM]})

    id: int = Field(description="the item's ID")
    created_at: Timestamp = Field(description="when it was opened")
    status: WorkItemStatus = Field(description="open or resolved")
    reason: WorkReason = Field(description="why it exists")
    claim: str | None = Field(description="the claim number it is about, if any")
    codes: list[str] = Field(description="the payer's codes (CARC, RARC, 999/277CA codes)")
    message: str = Field(description="what happened, in plain words")
    amount: Money | None = Field(description="the amount at stake, if any")
    source_position: int | None = Field(description="segment position in the file that raised it")
    file_id: int | None = Field(description="the remittance file that raised it, if any")
    resolved_at: Timestamp | None = Field(description="when it was resolved")
    resolution_note: str | None = Field(description="what was done")


class WorkItemPage(Page[WorkItem]):
    """One page of work items. ``total`` is a lower bound: it counts up to the next page."""


class ResolveRequest(BaseModel):
    """How a work item was settled."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "appealed with the x-rays on 2026-11-24"}]},
    )

    note: str = Field(
        min_length=1, max_length=2000, description="what was done (kept in the audit trail)"
    )


class Resolved(_Out):
    """The item closed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 7, "status": "resolved", "resolution_note": "appealed"}]
        }
    )

    id: int = Field(description="the item's ID")
    status: WorkItemStatus = Field(description="resolved")
    resolution_note: str = Field(description="the note given")


class Posting(_Out):
    """One amount posted, traced to its 835 segment."""

    claim_id: int | None = Field(
        description="the claim it is posted to; null for provider-level amounts"
    )
    line_number: int | None = Field(
        description="the claim's service line (1-based); null at claim level"
    )
    kind: PostingKind = Field(description="what the amount is")
    amount: Money = Field(description="the amount")
    group_code: AdjustmentGroup | None = Field(
        description="CAS01 claim adjustment group (CO, PR, OA, PI, CR)"
    )
    reason_code: str | None = Field(description="the CARC (or PLB reason)")
    remark_codes: list[str] = Field(description="RARCs the payer added")
    reference: str | None = Field(description="a reference the payer gave (PLB, reversal)")
    source_position: int | None = Field(description="segment position in the 835")


class ProviderAdjustment(_Out):
    """One provider-level adjustment (PLB): money taken or given outside any claim."""

    reason: str = Field(description="PLB03-1 reason (WO overpayment recovery, L6 interest …)")
    reference: str | None = Field(description="PLB03-2, often the claim it concerns")
    amount: Money = Field(description="the amount; positive reduces the payment")
    fiscal_period_end: date | None = Field(description="PLB02")
    source_position: int | None = Field(description="segment position in the 835")


class RemittanceSummary(_Out):
    """One payment (835 transaction)."""

    model_config = ConfigDict(json_schema_extra={"examples": [REMITTANCE]})

    id: int = Field(description="the gateway's ID of the payment")
    trace_number: str = Field(description="TRN02: the check or EFT trace number")
    payer_name: str = Field(description="the payer's name as the 835 gives it")
    payer_id: str | None = Field(description="the payer's ID as the 835 gives it")
    payment_amount: Money = Field(description="BPR02: the payment's total")
    credit_debit: Literal["C", "D"] = Field(description="BPR03: C credit, D debit")
    payment_method: str = Field(description="BPR04: ACH, CHK, NON (no payment), BOP, FWT")
    payment_date: date | None = Field(description="BPR16: the payment's effective date")
    claims: int = Field(description="how many claim payments it holds")
    posted_at: Timestamp = Field(description="when the gateway posted it")


class RemittancePage(Page[RemittanceSummary]):
    """One page of payments."""


class RemittanceDetail(RemittanceSummary):
    """A payment with its postings and provider-level adjustments."""

    model_config = ConfigDict(json_schema_extra={"examples": [REMITTANCE_DETAIL]})

    postings: list[Posting] = Field(
        description="every amount posted to this practice's claims and the provider ledger"
    )
    provider_adjustments: list[ProviderAdjustment] = Field(description="its PLB ledger")


class AgingRow(_Out):
    """One payer's insurance A/R, or the total over every payer."""

    payer: str = Field(description="the payer's name (TOTAL for the total row)")
    payer_id: str | None = Field(default=None, description="the payer's ID; null on the total row")
    claims: int = Field(description="open claims")
    buckets: dict[str, Money] = Field(
        description="outstanding amount per bucket (0-30, 31-60, 61-90, 91-120, 120+ days)"
    )
    total: Money = Field(description="outstanding in all")


class TimelyFilingAlert(_Out):
    """A claim awaiting the payer close to (or past) its filing limit."""

    claim: str = Field(description="the claim number")
    payer: str = Field(description="the payer's name")
    deadline: date = Field(description="the last day the payer must receive it")
    days_left: int = Field(description="days until the deadline (negative: passed)")
    expired: bool = Field(description="whether the deadline passed")
    message: str = Field(description="the alert in plain words")


class AgingReport(_Out):
    """Insurance A/R by payer and age bucket, with timely-filing alerts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-23",
                    "buckets": ["0-30", "31-60", "61-90", "91-120", "120+"],
                    "payers": [
                        {
                            "payer": "LAKESHORE DENTAL PLAN",
                            "payer_id": "LKDP1",
                            "claims": 1,
                            "buckets": {
                                "0-30": "218.43",
                                "31-60": "0.00",
                                "61-90": "0.00",
                                "91-120": "0.00",
                                "120+": "0.00",
                            },
                            "total": "218.43",
                        }
                    ],
                    "total": {
                        "payer": "TOTAL",
                        "payer_id": None,
                        "claims": 1,
                        "buckets": {
                            "0-30": "218.43",
                            "31-60": "0.00",
                            "61-90": "0.00",
                            "91-120": "0.00",
                            "120+": "0.00",
                        },
                        "total": "218.43",
                    },
                    "timely_filing": [],
                    "by": "sent",
                }
            ]
        }
    )

    as_of: date = Field(description="the day the report is for")
    by: AgingBasis = Field(
        description="what ages count from: the day each claim was sent (sent) or its "
        "date of service (service)"
    )
    buckets: list[AgingBucket] = Field(description="the buckets, in order")
    payers: list[AgingRow] = Field(description="one row per payer with open claims")
    total: AgingRow = Field(description="the sum over every payer")
    timely_filing: list[TimelyFilingAlert] = Field(
        description="claims near or past their filing limit"
    )


class ReceivedFile(_Out):
    """A file received from the clearinghouse that carried this practice's payments."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "received_at": "2026-11-23T09:05:00Z",
                    "kind": "835",
                    "file_name": "ERA-000000044.835",
                    "sender_id": "SIMCH",
                    "interchange_control_number": "000000044",
                    "status": "processed",
                    "sha256": "9f2c" + "0" * 60,
                    "remittance_ids": [5],
                }
            ]
        }
    )

    id: int = Field(description="the gateway's ID of the received file")
    received_at: Timestamp = Field(description="when the gateway downloaded it")
    kind: Literal["835"] = Field(description="the transaction it holds")
    file_name: str = Field(description="its name in the clearinghouse's folder")
    sender_id: str | None = Field(description="ISA06 of the file")
    interchange_control_number: str | None = Field(description="ISA13 of the file")
    status: ReceivedFileStatus = Field(description="what became of it")
    sha256: str = Field(description="SHA-256 of its bytes (the gateway keeps a file once)")
    remittance_ids: list[int] = Field(description="this practice's payments it carried")


class ReceivedFilePage(Page[ReceivedFile]):
    """One page of received files."""


class Health(_Out):
    """The process answers."""

    status: Literal["ok"] = Field(description="always ok: an answer at all is the check")


CheckResult = Literal["ok", "failed"]


class ReadinessChecks(_Out):
    """Each dependency the gateway needs to serve requests."""

    database: CheckResult = Field(description="the database answers and its schema is current")
    keys: CheckResult = Field(description="the PHI keys are loaded")


class Readiness(_Out):
    """Whether the gateway can serve requests now (no detail: the route is public)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ready", "checks": {"database": "ok", "keys": "ok"}}]
        }
    )

    status: Literal["ready", "not_ready"] = Field(description="ready when every check is ok")
    checks: ReadinessChecks = Field(description="each check's result")


def _unwrap_claim(value: Any) -> Any:
    """``{"claim": {…}}`` (the replace route's first shape, deprecated) as the bare claim."""
    return value["claim"] if is_wrapped_claim(value) else value


ReplacementClaim = Annotated[Claim, BeforeValidator(_unwrap_claim)]
"""The body of ``POST /v1/claims/{id}/replace``: the corrected claim, bare like on create;
the wrapped ``{"claim": …}`` is accepted until the deprecation period ends
(``docs/api.md``)."""


def is_wrapped_claim(body: Any) -> bool:
    """Whether a request body is the deprecated ``{"claim": …}`` shape."""
    return isinstance(body, dict) and set(body) == {"claim"}
