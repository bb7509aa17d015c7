"""Remittance advice as a payer sends it: a payment (check/EFT) and how it paid each claim.

These models mirror what an 835 carries, without X12: one :class:`Remittance` per payment
(one 835 transaction), with :class:`ClaimPayment` per claim, :class:`ServicePayment` per
service line, :class:`Adjustment` for every CAS triplet and :class:`ProviderAdjustment` for
each PLB entry. Every amount-bearing object keeps ``source_position`` — the segment position
it was read from — so a posting can always be traced to the exact line of the file.

The arithmetic the payer promises (and :mod:`edigateway.reconcile.balance` checks)::

    service:  charge − Σ adjustments = paid
    claim:    charge − Σ claim and service adjustments = paid
    payment:  Σ claim paid − Σ provider adjustments = payment amount
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from edigateway.domain.common import DomainModel, Money

AdjustmentGroup = Literal["CO", "CR", "OA", "PI", "PR"]
"""CO contractual obligation, CR correction/reversal, OA other, PI payer initiated,
PR patient responsibility."""

ClaimStatus = Literal["1", "2", "3", "4", "19", "20", "21", "22", "23", "25"]
"""CLP02: 1/2/3 processed as primary/secondary/tertiary, 4 denied, 19/20/21 processed as
primary/secondary/tertiary and forwarded to another payer, 22 reversal of previous payment,
23 not our claim (forwarded), 25 predetermination pricing only (no payment)."""

PROCESSED_AS: dict[str, int] = {"1": 1, "19": 1, "2": 2, "20": 2, "3": 3, "21": 3}
"""Which payer position (1 primary, 2 secondary, 3 tertiary) a CLP02 status means."""


class Adjustment(DomainModel):
    """One CAS triplet: why an amount was not paid (group + CARC), and how much."""

    group: AdjustmentGroup
    reason: Annotated[str, Field(min_length=1, max_length=5, description="CARC")]
    amount: Money
    quantity: Decimal | None = None
    source_position: int | None = None


class ServicePayment(DomainModel):
    """How one service line was paid (SVC loop 2110)."""

    procedure_qualifier: Annotated[str, Field(max_length=2)] = "AD"
    procedure_code: Annotated[str, Field(max_length=48)]
    modifiers: list[str] = Field(default_factory=list)
    charge: Money
    paid: Money
    units_paid: Decimal | None = None
    submitted_procedure_code: Annotated[str | None, Field(max_length=48)] = Field(
        default=None, description="SVC06: the code billed, when the payer paid another"
    )
    service_date: date | None = None
    line_control_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*6R: our line ID as we sent it in the 837D"
    )
    tooth: Annotated[str | None, Field(max_length=3)] = None
    allowed_amount: Money | None = None
    adjustments: list[Adjustment] = Field(default_factory=list)
    remark_codes: list[str] = Field(default_factory=list, description="LQ*HE RARCs")
    source_position: int | None = None


class ClaimPayment(DomainModel):
    """How one claim was paid (CLP loop 2100)."""

    patient_control_number: Annotated[str, Field(min_length=1, max_length=38)]
    status: Annotated[str, Field(min_length=1, max_length=2)]
    charge: Money
    paid: Money
    patient_responsibility: Money | None = None
    filing_indicator: Annotated[str | None, Field(max_length=2)] = None
    payer_claim_control_number: Annotated[str | None, Field(max_length=50)] = None
    frequency: Annotated[str | None, Field(max_length=1)] = None
    patient_last_name: str | None = None
    patient_first_name: str | None = None
    member_id: str | None = None
    corrected_last_name: str | None = Field(default=None, description="NM1*74")
    corrected_first_name: str | None = None
    corrected_member_id: str | None = None
    rendering_npi: str | None = None
    service_start: date | None = None
    service_end: date | None = None
    received_date: date | None = None
    interest: Money | None = Field(default=None, description="AMT*I: prompt-pay interest")
    coverage_amount: Money | None = Field(default=None, description="AMT*AU")
    adjustments: list[Adjustment] = Field(default_factory=list)
    remark_codes: list[str] = Field(default_factory=list, description="MOA/MIA RARCs")
    services: list[ServicePayment] = Field(default_factory=list)
    source_position: int | None = None

    @property
    def is_reversal(self) -> bool:
        """CLP02 = 22: the payer takes back an earlier payment of this claim."""
        return self.status == "22"

    @property
    def is_denied(self) -> bool:
        """CLP02 = 4: the claim was denied."""
        return self.status == "4"

    @property
    def processed_as(self) -> int | None:
        """1, 2 or 3 when the payer processed the claim as primary/secondary/tertiary."""
        return PROCESSED_AS.get(self.status)


class ProviderAdjustment(DomainModel):
    """One PLB adjustment: money taken or given at provider level, not for a claim.

    A positive amount reduces the payment (a recoupment, WO overpayment recovery); a
    negative one increases it (interest L6 is usually negative here).
    """

    provider_id: Annotated[str, Field(max_length=50)]
    fiscal_period_end: date | None = None
    reason: Annotated[str, Field(min_length=2, max_length=2, description="PLB03-1, e.g. WO")]
    reference: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="PLB03-2, e.g. the payer claim number recouped"
    )
    amount: Money
    source_position: int | None = None


class PartyAddress(DomainModel):
    """N3/N4 of a payer or payee, as sent (not checked against US postal rules: payers
    abroad and odd ZIP formats occur, and an address never changes how money posts)."""

    line1: Annotated[str, Field(max_length=55)]
    line2: Annotated[str | None, Field(max_length=55)] = None
    city: Annotated[str, Field(max_length=30)] = ""
    state: Annotated[str | None, Field(max_length=2)] = None
    postal_code: Annotated[str | None, Field(max_length=15)] = None
    country: Annotated[str | None, Field(max_length=3)] = None


class Party(DomainModel):
    """Payer or payee named in the remittance (N1 loops 1000A/1000B)."""

    name: str
    identifier_qualifier: str | None = None
    identifier: str | None = None
    address: PartyAddress | None = None
    contact_name: str | None = Field(default=None, description="PER*BL name (payer)")
    contact_phone: str | None = Field(default=None, description="PER*BL TE number (payer)")


class Remittance(DomainModel):
    """One payment and its explanation: one 835 transaction set (ST…SE)."""

    transaction_control_number: str
    handling_code: Annotated[str, Field(max_length=2, description="BPR01: I, C, D, H, P, U, X")]
    payment_amount: Money
    credit_debit: Literal["C", "D"] = "C"
    payment_method: Annotated[str, Field(max_length=3, description="BPR04: ACH, CHK, NON …")]
    payment_format: str | None = Field(default=None, description="BPR05: CCP, CTX …")
    payment_date: date | None = None
    payer_bank_id: str | None = Field(default=None, description="BPR07: payer's DFI (ABA)")
    payer_account: str | None = Field(default=None, description="BPR09: payer's account")
    payee_bank_id: str | None = Field(default=None, description="BPR13: payee's DFI (ABA)")
    payee_account: str | None = Field(default=None, description="BPR15: payee's account")
    trace_number: Annotated[str, Field(min_length=1, max_length=50, description="TRN02")]
    payer_trace_id: str | None = Field(default=None, description="TRN03 originator")
    payer: Party
    payee: Party
    payer_id: str | None = Field(default=None, description="REF*2U or N1*PR N104")
    payee_tin: str | None = Field(default=None, description="REF*TJ")
    production_date: date | None = None
    claims: list[ClaimPayment] = Field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = Field(default_factory=list)
    source_position: int | None = None
