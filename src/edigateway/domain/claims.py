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
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "AM",
    "BL",
    "CH",
    "CI",
    "DS",
    "FI",
    "HM",
    "LM",
    "MA",
    "MB",
    "MC",
    "OF",
    "TV",
    "VA",
    "WC",
    "ZZ",
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
    "B4",
    "DA",
    "DG",
    "EB",
    "OZ",
    "P6",
    "RB",
    "RR",
    "04",
    "07",
    "09",
    "PN",
    "PO",
    "RX",
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

DiagnosisCodeSet = Literal["ICD-10-CM", "ICD-9-CM"]
"""The code set of a diagnosis (HI01-1: ABK/ABF ICD-10-CM, BK/BF ICD-9-CM). Dental
diagnoses are ICD-10-CM; ICD-9-CM is read for old claims."""

PricingMethod = Literal[
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14"
]
"""HCP01 pricing methodology: 00 zero pricing (not covered), 01 priced as billed at 100 %,
02 priced at the standard fee schedule, 03 priced at a contractual percentage, 04 bundled
pricing, 05 peer review pricing, 06 per diem, 07 flat rate, 08 combination, 09 maternity,
10 other pricing, 11 lower of cost, 12 ratio of cost, 13 cost reimbursed, 14 adjustment."""

RepricingReject = Literal["T1", "T2", "T3", "T4", "T5", "T6"]
"""HCP13: T1 cannot identify provider as a TPO participant, T2 cannot identify payer as a
TPO participant, T3 cannot identify insured as a TPO participant, T4 payer name or
identifier missing, T5 certification information missing, T6 claim does not contain
enough information for re-pricing."""

PolicyCompliance = Literal["1", "2", "3", "4", "5"]
"""HCP14: 1 procedure followed (compliance), 2 not followed – call not made, 3 not
medically necessary, 4 not followed – provider not in network, 5 not followed – out of
network provider chosen by the patient (not compliant with the plan)."""

RepricingException = Literal["1", "2", "3", "4", "5", "6"]
"""HCP15: 1 non-network professional provider in a network hospital, 2 emergency care,
3 services or specialist not in network, 4 out-of-service area, 5 state mandates,
6 other."""


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
    tax_id: Annotated[str, Field(pattern=r"^[0-9]{9}$", description="TIN, 9 digits, no dash")]
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


class Diagnosis(DomainModel):
    """One diagnosis on the claim (2300 HI): the first is the principal diagnosis, the
    others follow in order, and service lines point at them by position (SV311).

    The code is sent as the code set writes it without the decimal point (``K0252``,
    not ``K02.52``); clean-claim edit E014 checks its format.
    """

    code: Annotated[
        str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9.]+$", examples=["K0252"])
    ]
    code_set: DiagnosisCodeSet = "ICD-10-CM"


class Repricing(DomainModel):
    """What a repricing organization (a PPO network) did with the claim or line (HCP):
    filled in by the repricer on the way to the payer, so a practice rarely sends it."""

    method: PricingMethod = Field(description="HCP01 pricing methodology")
    allowed_amount: Money = Field(description="HCP02 repriced allowed amount")
    saving_amount: Money | None = Field(default=None, description="HCP03 repriced saving")
    organization_id: Annotated[str | None, Field(min_length=1, max_length=50)] = Field(
        default=None, description="HCP04 repricing organization identifier"
    )
    rate: Money | None = Field(default=None, description="HCP05 per diem or flat rate amount")
    apg_code: Annotated[str | None, Field(min_length=1, max_length=50)] = Field(
        default=None, description="HCP06 approved ambulatory patient group code"
    )
    apg_amount: Money | None = Field(default=None, description="HCP07 approved APG amount")
    unit: Literal["DA", "UN"] | None = Field(default=None, description="HCP11 DA days, UN units")
    quantity: Annotated[Decimal | None, Field(ge=0, max_digits=15)] = Field(
        default=None, description="HCP12 approved quantity (with HCP11)"
    )
    reject_reason: RepricingReject | None = Field(default=None, description="HCP13")
    policy_compliance: PolicyCompliance | None = Field(default=None, description="HCP14")
    exception: RepricingException | None = Field(default=None, description="HCP15")

    @model_validator(mode="after")
    def _unit_with_quantity(self) -> Repricing:
        if (self.unit is None) != (self.quantity is None):
            raise ValueError("unit and quantity go together (HCP11 and HCP12)")
        return self


class LineRepricing(Repricing):
    """A line's repricing (2400 HCP): as the claim's, plus the procedure the repricer
    approved when it is not the one billed (HCP09/HCP10)."""

    procedure_qualifier: Literal["AD", "ER", "HC", "HP", "IV", "WK"] | None = Field(
        default=None, description="HCP09: AD dental (CDT), HC HCPCS, …"
    )
    procedure_code: Annotated[
        str | None, Field(min_length=1, max_length=48, pattern=r"^[A-Z0-9]+$")
    ] = Field(default=None, description="HCP10 approved procedure code")

    @model_validator(mode="after")
    def _procedure_with_qualifier(self) -> LineRepricing:
        if (self.procedure_qualifier is None) != (self.procedure_code is None):
            raise ValueError("procedure_qualifier and procedure_code go together (HCP09 and HCP10)")
        return self


class ToothDetail(DomainModel):
    """One tooth a service line treated, with the surfaces involved (TOO)."""

    tooth: ToothCode
    surfaces: Annotated[list[Surface], Field(max_length=5)] = Field(default_factory=list)


class ServiceLine(DomainModel):
    """One procedure on the claim (2400: LX, SV3, TOO, DTP, REF)."""

    procedure_code: ProcedureCode
    modifiers: Annotated[
        list[Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]], Field(max_length=4)
    ] = Field(default_factory=list)
    description: Annotated[str | None, Field(max_length=80)] = None
    charge: NonNegativeMoney
    place_of_service: Annotated[str | None, Field(pattern=r"^[0-9]{2}$")] = None
    oral_cavity_areas: Annotated[list[OralCavityArea], Field(max_length=5)] = Field(
        default_factory=list
    )
    prosthesis: ProsthesisCode | None = None
    prior_placement_date: date | None = Field(
        default=None, description="DTP*441: when the replaced prosthesis was placed"
    )
    quantity: Annotated[int, Field(ge=1, le=99)] = Field(
        default=1,
        description="SV306 procedure count; 1 is never sent (a missing SV306 "
        "means 1, and X12 RFI 1866 prohibits reporting 1)",
    )
    diagnosis_pointers: Annotated[
        list[Annotated[int, Field(ge=1, le=12)]], Field(max_length=12)
    ] = Field(
        default_factory=list,
        description="SV311: positions (1 = principal) in the claim's "
        "diagnoses that this line treats, at most 4 (edit E015)",
    )
    teeth: Annotated[list[ToothDetail], Field(max_length=32)] = Field(default_factory=list)
    service_date: date | None = None
    line_control_number: Annotated[
        str | None, Field(max_length=50, description="REF*6R, echoed back on the 835")
    ] = None
    predetermination_number: Annotated[str | None, Field(max_length=50)] = None
    prior_authorization: Annotated[str | None, Field(max_length=50)] = None
    sales_tax: NonNegativeMoney | None = Field(
        default=None, description="AMT*T: sales tax on this line"
    )
    repricing: LineRepricing | None = Field(default=None, description="2400 HCP")
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
        Field(
            max_length=50,
            description="REF*F8: the payer's number for the claim replaced "
            "or voided (required for frequency 7 and 8)",
        ),
    ] = None
    total_charge: NonNegativeMoney
    place_of_service: Annotated[str, Field(pattern=r"^[0-9]{2}$")] = "11"
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
    missing_teeth: Annotated[list[MissingTooth], Field(max_length=35)] = Field(default_factory=list)
    attachments: Annotated[list[Attachment], Field(max_length=10)] = Field(default_factory=list)
    patient_amount_paid: NonNegativeMoney | None = None
    note: Annotated[str | None, Field(max_length=80)] = None
    diagnoses: Annotated[list[Diagnosis], Field(max_length=12)] = Field(
        default_factory=list,
        description="2300 HI: the principal diagnosis first, then the "
        "others; the 837D carries four (edit E014)",
    )
    repricing: Repricing | None = Field(default=None, description="2300 HCP")
    clearinghouse_trace_number: Annotated[
        str | None, Field(max_length=50, description="REF*D9, set by a clearinghouse")
    ] = None
    other_payers: Annotated[list[OtherPayer], Field(max_length=10)] = Field(default_factory=list)
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
