"""The dental claim as a practice sees it: who treated whom, what was done, what it cost.

Nothing here knows X12. The 837D codec (``edigateway.x12``) maps these models to and from
005010X224A2 segments; the clean-claim edits (:mod:`edigateway.domain.edits`) check the
rules a payer applies before a claim is written. The schema is deliberately a little more
permissive than the edits (a CDT code is any short code here, ``D0100``–``D9999`` there), so
that a coordinator gets an edit ID and a plain message instead of a schema error.

Example, the smallest claim (a prophylaxis for the subscriber herself)::

    {"patient_control_number": "PC1001", "total_charge": "95.00",
     "billing_provider": {...}, "subscriber": {...}, "payer": {...},
     "lines": [{"procedure_code": "D1110", "charge": "95.00", "service_date": "2026-11-02"}]}
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from edigateway.domain.common import (
    NPI,
    Address,
    DomainModel,
    Gender,
    Money,
    NonNegativeMoney,
    PersonName,
    PhoneNumber,
    Taxonomy,
)

MAX_LINES_PER_CLAIM = 50
"""The 837D allows at most 50 service lines (2400 loops) per claim."""

Surface = Literal["M", "O", "D", "B", "L", "I", "F"]
"""Tooth surfaces: mesial, occlusal, distal, buccal, lingual, incisal, facial."""

OralCavityArea = Literal["00", "01", "02", "09", "10", "20", "30", "40", "L", "R"]
"""Oral cavity designation (SV304): 00 whole mouth, 01 maxillary, 02 mandibular, 09 other,
10/20/30/40 upper-right/upper-left/lower-left/lower-right quadrant, L/R left/right side."""

ProsthesisCode = Literal["I", "R"]
"""Prosthesis, crown or inlay: I initial placement, R replacement."""

FrequencyCode = Literal["1", "7", "8"]
"""Claim frequency: 1 original, 7 replacement of a prior claim, 8 void of a prior claim."""

PayerResponsibility = Literal["P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H", "U"]
"""SBR01: primary, secondary, tertiary, payer 4–11 (A–H), unknown."""

ClaimFilingIndicator = Literal[
    "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM",
    "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ",
]
"""SBR09: CI commercial, MC Medicaid, HM HMO, 12 PPO, BL Blue Cross/Blue Shield, …"""

PatientRelationship = Literal["01", "19", "20", "21", "39", "40", "53", "G8"]
"""PAT01: 01 spouse, 19 child, 20 employee, 21 unknown, 39 organ donor, 40 cadaver donor,
53 life partner, G8 other relationship."""

IndividualRelationship = Literal["01", "18", "19", "20", "21", "39", "40", "53", "G8"]
"""SBR02 of another payer's subscriber: as PAT01 plus 18 self."""

RelatedCause = Literal["AA", "EM", "OA"]
"""Claim related to an auto accident, employment, or another accident."""

AdjustmentGroup = Literal["CO", "CR", "OA", "PI", "PR"]
"""CAS01 claim adjustment group: contractual, correction/reversal, other, payer-initiated,
patient responsibility."""

AttachmentReportType = Literal[
    "B4", "DA", "DG", "EB", "OZ", "P6", "RB", "RR", "04", "07", "09", "PN", "PO", "RX",
]
"""PWK01: B4 referral form, DA dental models, DG diagnostic report, EB explanation of benefits,
OZ support data for claim, P6 periodontal charts, RB radiology films, RR radiology reports,
04 drugs administered, 07 anesthesia record, 09 progress report, PN physical therapy notes,
PO prosthetics or orthotic certification, RX renewable oxygen content averaging report."""

AttachmentTransmission = Literal["AA", "BM", "EL", "EM", "FT", "FX"]
"""PWK02: AA available on request at provider site, BM by mail, EL electronically only,
EM e-mail, FT file transfer, FX by fax."""

ProcedureCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9]{1,48}$",
        description="CDT procedure code, D0100–D9999 (checked by clean-claim edit E012).",
        examples=["D2150"],
    ),
]

ToothCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9]{1,2}$",
        description="Universal/National tooth designation: 1–32 permanent, A–T primary, "
        "51–82 and AS–TS supernumerary (checked by edit E020).",
        examples=["3", "K", "AS"],
    ),
]

Identifier = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^\S(.*\S)?$")]


class Contact(DomainModel):
    """Who to call about a submission or a claim (PER)."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    phone: PhoneNumber | None = None
    email: Annotated[str | None, Field(max_length=256)] = None

    @model_validator(mode="after")
    def _one_way_to_reach(self) -> Contact:
        if self.phone is None and self.email is None:
            raise ValueError("a contact needs a phone or an e-mail")
        return self


class BillingProvider(DomainModel):
    """The practice (or dentist) that bills: 2000A/2010AA."""

    entity: Literal["organization", "person"] = "organization"
    organization_name: Annotated[str | None, Field(max_length=60)] = None
    person: PersonName | None = None
    npi: NPI
    tax_id: Annotated[str, Field(pattern=r"^\d{9}$", description="TIN, 9 digits, no dash")]
    tax_id_type: Literal["EI", "SY"] = Field(
        default="EI", description="EI employer identification number, SY social security number"
    )
    taxonomy: Taxonomy | None = None
    address: Address
    contact: Contact | None = None
    pay_to_address: Address | None = Field(
        default=None, description="Where payments go when not the practice's street address"
    )

    @model_validator(mode="after")
    def _named(self) -> BillingProvider:
        if self.entity == "organization" and not self.organization_name:
            raise ValueError("an organization billing provider needs organization_name")
        if self.entity == "person" and self.person is None:
            raise ValueError("a person billing provider needs person")
        return self

    @property
    def display_name(self) -> str:
        """The name printed on the claim (NM103)."""
        if self.entity == "organization":
            return self.organization_name or ""
        assert self.person is not None  # noqa: S101 - guaranteed by _named
        return self.person.last_name


class RenderingProvider(DomainModel):
    """The dentist who performed the services, when not the billing provider: 2310B/2420A."""

    name: PersonName
    npi: NPI
    taxonomy: Taxonomy


class ServiceFacility(DomainModel):
    """Where the services were performed, when not the billing provider's address: 2310C."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    npi: NPI | None = None
    address: Address


class Payer(DomainModel):
    """The insurance company the claim goes to (2010BB) or that paid before (2330B)."""

    payer_id: Annotated[str, Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9]+$")]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    address: Address | None = None


class Subscriber(DomainModel):
    """The insured person whose plan pays: 2000B/2010BA."""

    name: PersonName
    member_id: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$")]
    date_of_birth: date | None = None
    gender: Gender | None = None
    address: Address | None = None
    group_number: Annotated[str | None, Field(max_length=50)] = None
    group_name: Annotated[str | None, Field(max_length=60)] = None

    @model_validator(mode="after")
    def _birth_and_gender_together(self) -> Subscriber:
        if (self.date_of_birth is None) != (self.gender is None):
            raise ValueError("date_of_birth and gender go together (both or neither)")
        return self


class Patient(DomainModel):
    """A patient who is not the subscriber (a dependent): 2000C/2010CA."""

    name: PersonName
    relationship: PatientRelationship
    date_of_birth: date
    gender: Gender
    address: Address


class Accident(DomainModel):
    """Why the treatment was needed when an accident caused it (CLM11, DTP*439)."""

    causes: Annotated[list[RelatedCause], Field(min_length=1, max_length=2)]
    state: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")] = None
    accident_date: date | None = None


class Orthodontics(DomainModel):
    """Orthodontic treatment facts (DN1, DTP*452)."""

    total_months: Annotated[int | None, Field(ge=1, le=99)] = None
    months_remaining: Annotated[int | None, Field(ge=0, le=99)] = None
    treatment_indicator: bool | None = Field(
        default=None, description="DN103: Y when the treatment is orthodontic"
    )
    appliance_placement_date: date | None = None


class MissingTooth(DomainModel):
    """A tooth reported as missing or to be extracted (DN2), e.g. for a bridge or denture."""

    tooth: ToothCode
    status: Literal["E", "M"] = Field(description="E to be extracted, M missing")


class Attachment(DomainModel):
    """A supporting document sent separately (PWK): radiographs, perio chart, narrative."""

    report_type: AttachmentReportType
    transmission: AttachmentTransmission
    control_number: Annotated[str | None, Field(max_length=50)] = None


class Adjustment(DomainModel):
    """One claim adjustment (CAS triplet): group, CARC reason, amount, optional quantity."""

    group: AdjustmentGroup
    reason: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,5}$", description="CARC")]
    amount: Money
    quantity: Annotated[Decimal | None, Field(ge=0)] = None


def _grouped(adjustments: list[Adjustment]) -> list[Adjustment]:
    """Adjustments ordered by group (in order of first appearance), as CAS segments carry
    them: one CAS per group, so the order inside a claim is canonical."""
    order: dict[str, int] = {}
    for adj in adjustments:
        order.setdefault(adj.group, len(order))
    return sorted(adjustments, key=lambda adj: order[adj.group])


class LineAdjudication(DomainModel):
    """How another payer adjudicated one of this claim's lines (2430 SVD/CAS/DTP*573)."""

    payer_id: Annotated[str, Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9]+$")]
    paid: Money
    procedure_code: ProcedureCode
    quantity: Annotated[int, Field(ge=1, le=99)] = 1
    adjustments: list[Adjustment] = Field(default_factory=list)
    adjudication_date: date

    _canonical = field_validator("adjustments")(_grouped)


class OtherPayer(DomainModel):
    """Coordination of benefits: another plan covering the patient (2320/2330A/2330B)."""

    responsibility: PayerResponsibility
    relationship: IndividualRelationship = Field(
        description="Patient's relationship to this other plan's subscriber (18 self)"
    )
    filing_indicator: ClaimFilingIndicator
    group_number: Annotated[str | None, Field(max_length=50)] = None
    group_name: Annotated[str | None, Field(max_length=60)] = None
    subscriber_name: PersonName
    subscriber_member_id: Annotated[
        str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$")
    ]
    payer: Payer
    paid_amount: Money | None = Field(
        default=None, description="AMT*D: what this payer paid, once it adjudicated"
    )
    remaining_patient_liability: Money | None = Field(
        default=None, description="AMT*EAF: what the patient still owes after this payer"
    )
    adjudication_date: date | None = None
    claim_adjustments: list[Adjustment] = Field(default_factory=list)
    benefits_assignment: Literal["N", "W", "Y"] = "Y"
    release_of_information: Literal["I", "Y"] = "Y"

    _canonical = field_validator("claim_adjustments")(_grouped)


class ToothDetail(DomainModel):
    """One tooth a service line treated, with the surfaces involved (TOO)."""

    tooth: ToothCode
    surfaces: Annotated[list[Surface], Field(max_length=5)] = Field(default_factory=list)


class ServiceLine(DomainModel):
    """One procedure on the claim (2400: LX, SV3, TOO, DTP, REF)."""

    procedure_code: ProcedureCode
    modifiers: Annotated[list[Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]],
                         Field(max_length=4)] = Field(default_factory=list)
    description: Annotated[str | None, Field(max_length=80)] = None
    charge: NonNegativeMoney
    place_of_service: Annotated[str | None, Field(pattern=r"^\d{2}$")] = None
    oral_cavity_areas: Annotated[list[OralCavityArea], Field(max_length=5)] = Field(
        default_factory=list
    )
    prosthesis: ProsthesisCode | None = None
    prior_placement_date: date | None = Field(
        default=None, description="DTP*441: when the replaced prosthesis was placed"
    )
    quantity: Annotated[int, Field(ge=1, le=99)] = 1
    teeth: Annotated[list[ToothDetail], Field(max_length=32)] = Field(default_factory=list)
    service_date: date | None = None
    line_control_number: Annotated[
        str | None, Field(max_length=50, description="REF*6R, echoed back on the 835")
    ] = None
    predetermination_number: Annotated[str | None, Field(max_length=50)] = None
    prior_authorization: Annotated[str | None, Field(max_length=50)] = None
    rendering_provider: RenderingProvider | None = None
    adjudications: list[LineAdjudication] = Field(
        default_factory=list, description="Other payers' line adjudication (2430), for COB"
    )


class Claim(DomainModel):
    """A dental claim or predetermination, as the practice submits it to one payer."""

    patient_control_number: Annotated[
        str,
        Field(
            min_length=1,
            max_length=38,
            pattern=r"^[A-Za-z0-9-]+$",
            description="CLM01, our claim ID; keep it ≤ 20 characters, some payers truncate",
        ),
    ]
    kind: Literal["claim", "predetermination"] = "claim"
    frequency: FrequencyCode = "1"
    payer_claim_control_number: Annotated[
        str | None,
        Field(max_length=50, description="REF*F8: the payer's number for the claim replaced "
              "or voided (required for frequency 7 and 8)"),
    ] = None
    total_charge: NonNegativeMoney
    place_of_service: Annotated[str, Field(pattern=r"^\d{2}$")] = "11"
    payer_responsibility: PayerResponsibility = "P"
    filing_indicator: ClaimFilingIndicator = "CI"
    provider_signature_on_file: bool = True
    assignment_participation: Literal["A", "B", "C"] = "A"
    benefits_assignment: Literal["N", "W", "Y"] = "Y"
    release_of_information: Literal["I", "Y"] = "Y"
    delay_reason: Annotated[str | None, Field(pattern=r"^(1|2|3|4|5|6|7|8|9|10|11|15)$")] = None
    service_date: date | None = Field(
        default=None, description="DTP*472 at claim level, when every line shares one date"
    )
    billing_provider: BillingProvider
    rendering_provider: RenderingProvider | None = None
    service_facility: ServiceFacility | None = None
    payer: Payer
    subscriber: Subscriber
    patient: Patient | None = Field(
        default=None, description="Set when the patient is not the subscriber"
    )
    prior_authorization: Annotated[str | None, Field(max_length=50)] = None
    referral_number: Annotated[str | None, Field(max_length=50)] = None
    predetermination_number: Annotated[
        str | None, Field(max_length=50, description="REF*G3 of an earlier predetermination")
    ] = None
    accident: Accident | None = None
    orthodontics: Orthodontics | None = None
    missing_teeth: Annotated[list[MissingTooth], Field(max_length=35)] = Field(
        default_factory=list
    )
    attachments: Annotated[list[Attachment], Field(max_length=10)] = Field(default_factory=list)
    patient_amount_paid: NonNegativeMoney | None = None
    note: Annotated[str | None, Field(max_length=80)] = None
    clearinghouse_trace_number: Annotated[
        str | None, Field(max_length=50, description="REF*D9, set by a clearinghouse")
    ] = None
    other_payers: Annotated[list[OtherPayer], Field(max_length=10)] = Field(
        default_factory=list
    )
    lines: Annotated[list[ServiceLine], Field(min_length=1)]

    @property
    def is_predetermination(self) -> bool:
        """True for a predetermination of benefits (CLM19 = PB): nothing is billed yet."""
        return self.kind == "predetermination"


class Submitter(DomainModel):
    """Who sends the file (1000A): the practice, its billing service or the gateway."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    identifier: Annotated[str, Field(min_length=2, max_length=80)]
    contact: Contact


class Receiver(DomainModel):
    """Who receives the file (1000B): the clearinghouse or payer."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    identifier: Annotated[str, Field(min_length=2, max_length=80)]


class ClaimBatch(DomainModel):
    """Claims to send together, with the submitter and receiver named in the file."""

    submitter: Submitter | None = None
    receiver: Receiver | None = None
    claims: Annotated[list[Claim], Field(min_length=1)]
