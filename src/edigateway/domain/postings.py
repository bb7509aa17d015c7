"""What posting a remittance produces: ledger postings and work-queue items.

A :class:`Posting` is one amount with its kind, against a claim line, a claim or the
provider ledger, with the codes that explain it and the source segment it came from. The
sums of postings reproduce the payer's figures exactly — CLP04 per claim, SVC03 per line,
BPR02 per payment — which is the balance proof a coordinator can show an auditor.

A :class:`WorkItem` is something a person must look at (a denial, an unmatched claim, a
recoupment), with a reason a coordinator understands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from edigateway.domain.common import DomainModel


class PostingKind(StrEnum):
    """What an amount is: money received, written off, or owed by the patient."""

    PAID = "paid"
    CONTRACTUAL = "contractual"
    DEDUCTIBLE = "deductible"
    COINSURANCE = "coinsurance"
    COPAY = "copay"
    PATIENT_OTHER = "patient_other"
    OTHER_ADJUSTMENT = "other_adjustment"
    PROVIDER_ADJUSTMENT = "provider_adjustment"
    INTEREST = "interest"
    REVERSAL = "reversal"
    DENIED = "denied"
    """An adjustment of a denied claim or line (not the patient's): still owed until
    someone appeals it or writes it off, so the ledger keeps it outstanding."""
    WRITE_OFF = "write_off"
    """A person wrote off what the payer left (a denial, an unpaid balance)."""
    PATIENT_TRANSFER = "patient_transfer"
    """A person moved what the payer left to the patient (the claim is closed)."""


class WorkReason(StrEnum):
    """Why a work item exists."""

    DENIED = "denied"
    LINE_DENIED = "line_denied"
    UNMATCHED_CLAIM = "unmatched_claim"
    UNMATCHED_LINE = "unmatched_line"
    REVERSAL = "reversal"
    RECOUPMENT = "recoupment"
    UNKNOWN_CODE = "unknown_code"
    QUARANTINED = "quarantined"
    SECONDARY_NEEDED = "secondary_needed"
    TIMELY_FILING = "timely_filing"
    NO_ACKNOWLEDGMENT = "no_999"
    CLEARINGHOUSE_REJECTED = "ch_rejected"
    PAYER_REJECTED = "payer_rejected"
    NO_PAYER_ANSWER = "claim_status"
    DUPLICATE_PAYMENT = "duplicate_payment"
    OVERPAYMENT = "overpayment"
    REPLACEMENT_PAID = "replacement_paid"
    PREDETERMINATION_MONEY = "predet_money"
    PAYER_MISMATCH = "payer_mismatch"
    ERA_REVIEW = "era_review"
    ESTIMATE_ON_CLAIM = "estimate_on_claim"
    APPEAL_FOLLOW_UP = "appeal_follow_up"
    """An appeal's follow-up date came without the payer's answer: call or check the
    portal (opened on that day; it closes when the appeal's outcome is recorded)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Posting:
    """One amount posted, traced to its source segment.

    A plain dataclass, not a validated model: posting builds ~10 per claim from amounts
    the 835 reader has validated already (200,000 for a 20,000-claim file), and no
    posting is ever read from outside."""

    kind: PostingKind
    amount: Decimal
    patient_control_number: str | None = None
    """The claim it belongs to; None for provider-level (PLB)."""
    line_number: int | None = None
    """1-based service line of our claim; None for claim level."""
    group: str | None = None
    reason_code: str | None = None
    """CARC, or PLB reason."""
    remark_codes: Sequence[str] = ()
    reference: str | None = None
    """PLB reference, reversed claim …"""
    source_position: int | None = None


class WorkItem(DomainModel):
    """Something a coordinator must act on, with the payer's codes in plain words."""

    patient_control_number: str | None
    reason: WorkReason
    message: str
    codes: list[str] = Field(default_factory=list)
    amount: Decimal | None = None
    source_position: int | None = None
