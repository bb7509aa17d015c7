"""Claim status: what we ask a payer about a claim (276) and what it answers (277), without X12.

A coordinator asks when a claim has had no answer (no 277CA rejection, no 835) for N days.
:class:`StatusInquiry` is one such question, in the practice's words: which payer, who asks
(the information receiver, i.e. our clearinghouse submitter ID), for which rendering/billing
provider (NPI), subscriber and patient, and which claim — our patient control number
(CLM01), the payer's claim number when an earlier answer gave one, the charge and the dates
of service, which the payer uses to find it. ``trace_number`` (TRN02) is how the answer
finds its way back.

:class:`ClaimStatusAnswer` is the payer's answer for one claim (277 2200D/2200E): the trace
echoed, one or more status codes (reusing :class:`~edigateway.domain.acknowledgments.StatusCode`),
and, once the claim is finalized, the amounts, the adjudication date and the check::

    STC*F1:65*20261201**150*120*20261128**20261201*CHK10042
        -> outcome "paid", total_charge 150.00, paid_amount 120.00,
           adjudication_date 2026-11-28, check_date 2026-12-01, check_number "CHK10042"

How the first category (STC01-1, external code source 507) becomes :data:`StatusOutcome`:

========================  ========================  =====================================
category                  outcome                   what the coordinator does
========================  ========================  =====================================
F1                        paid                      post the 835 when it comes
F2                        denied                    read the 835 / appeal
F0, F3, F3F, F3N, F4      finalized                 adjudicated without payment due
P0–P5                     pending                   wait, ask again later
R0–R16                    information_requested     send what the payer asks for
A0, A1, A2, A5            acknowledged              received / in adjudication: wait
A3, A6, A7, A8            rejected                  fix and resend the claim
A4, D0                    not_found                 resend the claim (or check the data)
E0–E4                     request_error             fix the 276 (or retry: E1, E2)
anything else             unknown                   a person looks
========================  ========================  =====================================

Codes are kept as received and never refused: lists 507/508 change three times a year.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Final, Literal

from pydantic import Field, model_validator

from edigateway.domain.acknowledgments import ENTITY_CODES, StatusCode
from edigateway.domain.code_lists import CLAIM_STATUS_CATEGORIES, CLAIM_STATUS_CODES, describe_code
from edigateway.domain.common import DomainModel, Gender, Money, NonNegativeMoney, PersonName

# --------------------------------------------------------------------------- code meanings

STATUS_CATEGORIES: Final = CLAIM_STATUS_CATEGORIES
"""Claim status category codes (external code source 507): the table the 277CA reader uses
too (:mod:`edigateway.domain.code_lists`)."""

STATUS_CODES: Final = CLAIM_STATUS_CODES
"""Claim status codes (external code source 508), shared with the 277CA reader."""

StatusOutcome = Literal[
    "paid",
    "denied",
    "finalized",
    "pending",
    "information_requested",
    "acknowledged",
    "rejected",
    "not_found",
    "request_error",
    "unknown",
]
"""What a coordinator does next (see the table in the module docstring)."""

NOT_FOUND: Final = StatusCode(category_code="D0", status_code="35")
"""``STC*D0:35``: the answer for a claim the payer cannot find (data search unsuccessful,
claim/encounter not found). Per X12 RFI 1614 it goes in the claim's own loop (2200D/E),
without STC04, so the inquirer sees *which* request found nothing."""

_OUTCOMES: Final[dict[str, StatusOutcome]] = {
    "F1": "paid",
    "F2": "denied",
    "F0": "finalized",
    "F3": "finalized",
    "F3F": "finalized",
    "F3N": "finalized",
    "F4": "finalized",
    "A0": "acknowledged",
    "A1": "acknowledged",
    "A2": "acknowledged",
    "A5": "acknowledged",
    "A3": "rejected",
    "A6": "rejected",
    "A7": "rejected",
    "A8": "rejected",
    "A4": "not_found",
    "D0": "not_found",
}


def status_outcome(category: str) -> StatusOutcome:
    """The :data:`StatusOutcome` of a category code (module docstring's table)."""
    if category in _OUTCOMES:
        return _OUTCOMES[category]
    if category[:1] == "P" and category[1:].isdigit():
        return "pending"
    if category[:1] == "R" and category[1:].isdigit():
        return "information_requested"
    if category[:1] == "E" and category[1:].isdigit():
        return "request_error"
    return "unknown"


def describe_status(code: StatusCode) -> str:
    """One status in plain words, with its codes: ``Finalized: paid: claim/line has been paid
    [F1:65]``; unknown codes are said to be unknown, never refused."""
    category = STATUS_CATEGORIES.get(code.category_code)
    if category is None and code.category_code[:1] == "R":
        category = "requests additional information"
    words = category or f"code {code.category_code} (not in our table)"
    words += f": {describe_code(STATUS_CODES, code.status_code)}"
    if code.entity_code:
        words += f" ({ENTITY_CODES.get(code.entity_code, 'entity ' + code.entity_code)})"
    codes = ":".join(c for c in (code.category_code, code.status_code, code.entity_code) if c)
    return f"{words[:1].upper()}{words[1:]} [{codes}]"


# --------------------------------------------------------------------------- parties

Identifier = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$")]
ProcedureQualifier = Literal["AD", "ER", "HC", "HP", "IV", "N4", "NU", "WK"]
"""SVC01-1: AD = CDT (dental), HC = CPT/HCPCS, the others for institutional and pharmacy."""


class StatusPayer(DomainModel):
    """The payer asked, who holds the status (2000A/2100A NM1*PR, PI = payer ID)."""

    payer_id: Annotated[str, Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9]+$")]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    id_qualifier: Literal["PI", "XV"] = Field(
        default="PI", description="NM108: PI payer ID, XV CMS plan ID"
    )


class InformationReceiver(DomainModel):
    """Who asks and receives the answer (2000B/2100B NM1*41): the practice, or the
    clearinghouse submitter, named by its electronic transmitter ID (ETIN, qualifier 46)."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    first_name: Annotated[str | None, Field(max_length=35)] = Field(
        default=None, description="NM104, only for a person (entity_type 1)"
    )
    entity_type: Literal["1", "2"] = Field(
        default="2", description="NM102: 1 person, 2 organization"
    )
    etin: Identifier = Field(
        description="NM109: the electronic transmitter ID the payer or clearinghouse assigned to us"
    )


class ServiceProvider(DomainModel):
    """The provider whose claim it is (2000C/2100C NM1*1P), by NPI (XX) normally."""

    organization_name: Annotated[str | None, Field(max_length=60)] = None
    person: PersonName | None = None
    id_qualifier: Literal["XX", "FI", "SV"] = Field(
        default="XX", description="NM108: XX NPI, FI tax ID, SV payer-assigned number"
    )
    identifier: Identifier = Field(description="NM109: the NPI for XX")

    @model_validator(mode="after")
    def _named_and_identified(self) -> ServiceProvider:
        if not self.organization_name and self.person is None:
            raise ValueError("the provider needs an organization_name or a person name")
        if self.id_qualifier == "XX" and not (
            len(self.identifier) == 10 and self.identifier.isdigit()
        ):
            raise ValueError(
                f"identifier {self.identifier!r} is not an NPI (10 digits), "
                "which id_qualifier XX says it is"
            )
        return self

    @property
    def npi(self) -> str | None:
        """The NPI, when the provider is identified by one."""
        return self.identifier if self.id_qualifier == "XX" else None


class StatusSubscriber(DomainModel):
    """The subscriber (2000D DMG, 2100D NM1*IL): the payer finds the claim by member ID."""

    name: PersonName
    member_id: Identifier = Field(description="NM109")
    id_qualifier: Literal["MI", "II", "24"] = Field(default="MI", description="NM108: MI member ID")
    date_of_birth: date | None = Field(default=None, description="DMG02 (with gender)")
    gender: Gender | None = Field(default=None, description="DMG03 (with date_of_birth)")

    @model_validator(mode="after")
    def _birth_and_gender_together(self) -> StatusSubscriber:
        if (self.date_of_birth is None) != (self.gender is None):
            raise ValueError("date_of_birth and gender go together (one DMG segment)")
        return self


class StatusPatient(DomainModel):
    """The patient when not the subscriber (2000E DMG, 2100E NM1*QC); the guide requires
    the DMG there, so birth date and gender are required."""

    name: PersonName
    date_of_birth: date
    gender: Gender
    member_id: Annotated[str | None, Field(max_length=80)] = Field(
        default=None, description="NM109 with NM108 MI, when the patient has their own ID"
    )


# --------------------------------------------------------------------------- 276


class StatusLine(DomainModel):
    """A service line asked about (2210D/E) or answered (2220D/E, with paid and statuses)."""

    procedure_qualifier: ProcedureQualifier = Field(default="AD", description="SVC01-1")
    procedure_code: Annotated[
        str, Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9]+$")
    ] = Field(description="SVC01-2, e.g. D2740")
    modifiers: Annotated[list[str], Field(max_length=4)] = Field(default_factory=list)
    charge: NonNegativeMoney = Field(description="SVC02")
    revenue_code: Annotated[str | None, Field(max_length=48)] = Field(
        default=None, description="SVC04 (institutional)"
    )
    units: Annotated[Decimal, Field(ge=0)] | None = Field(default=None, description="SVC07")
    line_control_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*FJ: our line item control number (837 REF*6R)"
    )
    service_start: date = Field(description="DTP*472 (the guide requires it per line)")
    service_end: date | None = Field(default=None, description="DTP*472 RD8 end date")

    @model_validator(mode="after")
    def _dates_in_order(self) -> StatusLine:
        if self.service_end is not None and self.service_end < self.service_start:
            raise ValueError("service_end is before service_start")
        return self


TraceNumber = Annotated[
    str,
    Field(
        min_length=1,
        max_length=50,
        pattern=r"^[A-Za-z0-9-]+$",
        description="TRN02: how the 277 comes back to us",
    ),
]
PatientControlNumber = Annotated[
    str, Field(min_length=1, max_length=38, pattern=r"^[A-Za-z0-9-]+$")
]


class StatusInquiry(DomainModel):
    """One claim asked about: a 276 2200D (patient = subscriber) or 2200E loop."""

    trace_number: TraceNumber
    payer: StatusPayer
    receiver: InformationReceiver
    provider: ServiceProvider
    subscriber: StatusSubscriber
    patient: StatusPatient | None = Field(
        default=None, description="the patient when not the subscriber (2000E)"
    )
    patient_control_number: PatientControlNumber = Field(
        description="REF*EJ: our CLM01, as sent on the 837"
    )
    payer_claim_control_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*1K, when a 277CA or 835 gave one"
    )
    total_charge: NonNegativeMoney = Field(description="AMT*T3: the claim's total charge")
    service_start: date = Field(description="DTP*472: first (or only) date of service")
    service_end: date | None = Field(default=None, description="DTP*472 RD8 end date")
    bill_type: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*BLT (institutional claims)"
    )
    location_id: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*LU application or location system identifier"
    )
    group_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*6P"
    )
    prescription_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*XZ (pharmacy claims)"
    )
    clearinghouse_trace_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*D9"
    )
    lines: list[StatusLine] = Field(
        default_factory=list, description="lines asked about (2210D/E), if any"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> StatusInquiry:
        if self.service_end is not None and self.service_end < self.service_start:
            raise ValueError("service_end is before service_start")
        return self


# --------------------------------------------------------------------------- 277


FreeText = Annotated[
    str | None,
    Field(
        max_length=264,
        description=(
            "STC12: not used by the 005010X212 guide, but some payers send it anyway; kept when "
            "read, leave it empty when writing"
        ),
    ),
]


class StatusReport(DomainModel):
    """One STC segment of a claim status answer beyond the first (its own date, amounts)."""

    codes: Annotated[list[StatusCode], Field(min_length=1, max_length=3)] = Field(
        description="STC01, STC10, STC11"
    )
    status_date: date = Field(description="STC02")
    total_charge: Money | None = Field(default=None, description="STC04")
    paid_amount: Money | None = Field(default=None, description="STC05")
    adjudication_date: date | None = Field(default=None, description="STC06")
    check_date: date | None = Field(default=None, description="STC08 remittance date")
    check_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="STC09 remittance trace number (check or EFT number)"
    )
    free_text: FreeText = None


class LineStatus(StatusLine):
    """A service line's answer (2220D/E): paid amount and its STC segments (the guide does
    not use STC04–STC09 at the line level)."""

    paid_amount: Money = Field(description="SVC03")
    statuses: Annotated[list[StatusCode], Field(min_length=1, max_length=3)] = Field(
        description="first STC: STC01, STC10, STC11"
    )
    status_date: date = Field(description="STC02")
    free_text: FreeText = None
    more_reports: list[StatusReport] = Field(
        default_factory=list, description="further STC segments"
    )


class ClaimStatusAnswer(DomainModel):
    """The payer's answer about one claim (277 2200D, or 2200E for a dependent).

    The 277 names the patient only (2100E has no ID, no DMG), hence ``patient`` is a name.
    The first STC is flattened into the fields below; further STCs are ``more_reports``.
    """

    trace_number: TraceNumber
    payer: StatusPayer
    receiver: InformationReceiver
    provider: ServiceProvider
    subscriber: PersonName = Field(description="2100D NM1*IL")
    member_id: Identifier = Field(description="2100D NM109")
    member_id_qualifier: Literal["MI", "II", "24"] = Field(default="MI", description="2100D NM108")
    patient: PersonName | None = Field(
        default=None, description="2100E NM1*QC, when the patient is not the subscriber"
    )
    statuses: Annotated[list[StatusCode], Field(min_length=1, max_length=3)] = Field(
        description="first STC: STC01, STC10, STC11"
    )
    status_date: date = Field(description="STC02: when this status took effect")
    total_charge: Money | None = Field(
        default=None, description="STC04 (only when the claim was found)"
    )
    paid_amount: Money | None = Field(default=None, description="STC05")
    adjudication_date: date | None = Field(default=None, description="STC06")
    check_date: date | None = Field(default=None, description="STC08 remittance date")
    check_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="STC09 remittance trace number (check or EFT number)"
    )
    free_text: FreeText = None
    more_reports: list[StatusReport] = Field(
        default_factory=list, description="further STC segments"
    )
    payer_claim_control_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*1K"
    )
    patient_control_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*EJ: our CLM01 echoed"
    )
    bill_type: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*BLT"
    )
    prescription_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*XZ"
    )
    voucher_id: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*VV"
    )
    clearinghouse_trace_number: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, description="REF*D9"
    )
    service_start: date | None = Field(default=None, description="DTP*472")
    service_end: date | None = Field(default=None, description="DTP*472 RD8 end date")
    lines: list[LineStatus] = Field(default_factory=list)

    @property
    def outcome(self) -> StatusOutcome:
        """What the first status means for the coordinator (module docstring's table)."""
        return status_outcome(self.statuses[0].category_code)

    @property
    def message(self) -> str:
        """Every status of the first STC in plain words, joined by "; "."""
        return "; ".join(describe_status(code) for code in self.statuses)


class LevelStatus(DomainModel):
    """A status about the request rather than a claim: the receiver (2200B) or the provider
    (2200C) level, e.g. ``STC*E0:24:85`` — the provider is unknown, so no claim is answered.
    """

    level: Literal["receiver", "provider"]
    trace_number: str = Field(description="TRN02 (receiver level: our 276's BHT03)")
    payer: StatusPayer
    receiver: InformationReceiver
    provider: ServiceProvider | None = None
    statuses: Annotated[list[StatusCode], Field(min_length=1, max_length=3)]
    status_date: date

    @property
    def message(self) -> str:
        """The statuses in plain words."""
        return "; ".join(describe_status(code) for code in self.statuses)
