"""Eligibility: what we ask a payer (270) and the dental benefits it answers (271).

:class:`EligibilityInquiry` is a 270 without X12: who asks (provider), whom (payer), for
which subscriber or dependent, for which dental service types. :class:`DentalBenefits` is
a 271 read for a person: coverage, coinsurance per service category, deductibles,
maximums, frequency limits and waiting periods — each ``None`` (shown as "not stated") when
the payer did not send it, never a guessed default.

Service type codes (X12 1365; every code the guide allows is in
:data:`edigateway.domain.code_lists.SERVICE_TYPES`, with its name) for dentistry::

    35 Dental Care (all)   23 Diagnostic     24 Periodontics       25 Restorative
    26 Endodontics         27 Maxillofacial Prosthetics            28 Adjunctive
    36 Dental Crowns       37 Dental Accident 38 Orthodontics      39 Prosthodontics
    40 Oral Surgery        41 Routine (Preventive) Dental
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from edigateway.domain.code_lists import SERVICE_TYPES
from edigateway.domain.common import NPI, DomainModel, Money, NonNegativeMoney, PersonName

DENTAL_SERVICE_TYPES: dict[str, str] = {
    "35": "Dental Care",
    "23": "Diagnostic Dental",
    "24": "Periodontics",
    "25": "Restorative",
    "26": "Endodontics",
    "27": "Maxillofacial Prosthetics",
    "28": "Adjunctive Dental Services",
    "36": "Dental Crowns",
    "37": "Dental Accident",
    "38": "Orthodontics",
    "39": "Prosthodontics",
    "40": "Oral Surgery",
    "41": "Routine (Preventive) Dental",
}


class Category(StrEnum):
    """Benefit categories a coordinator explains to a patient, with their service type."""

    DIAGNOSTIC = "diagnostic"
    PREVENTIVE = "preventive"
    BASIC = "basic"
    MAJOR = "major"
    ENDODONTICS = "endodontics"
    PERIODONTICS = "periodontics"
    PROSTHODONTICS = "prosthodontics"
    ORAL_SURGERY = "oral_surgery"
    ORTHODONTICS = "orthodontics"
    ADJUNCTIVE = "adjunctive"
    MAXILLOFACIAL = "maxillofacial_prosthetics"
    ACCIDENT = "accident"
    GENERAL = "dental_care"


CATEGORY_OF_SERVICE_TYPE: dict[str, Category] = {
    "23": Category.DIAGNOSTIC,
    "41": Category.PREVENTIVE,
    "25": Category.BASIC,
    "36": Category.MAJOR,
    "26": Category.ENDODONTICS,
    "24": Category.PERIODONTICS,
    "39": Category.PROSTHODONTICS,
    "40": Category.ORAL_SURGERY,
    "38": Category.ORTHODONTICS,
    "28": Category.ADJUNCTIVE,
    "27": Category.MAXILLOFACIAL,
    "37": Category.ACCIDENT,
    "35": Category.GENERAL,
}
SERVICE_TYPE_OF_CATEGORY: dict[Category, str] = {c: s for s, c in CATEGORY_OF_SERVICE_TYPE.items()}


def _known_service_type(code: str) -> str:
    if code not in SERVICE_TYPES:
        raise ValueError(f"{code!r} is not an X12 service type code (element 1365)")
    return code


ServiceTypeCode = Annotated[
    str,
    AfterValidator(_known_service_type),
    Field(
        description="X12 service type code (element 1365): 35 dental care, 23 diagnostic, "
        "30 health benefit plan coverage, … (every code 005010X279A1 allows)",
        examples=["35"],
    ),
]

ProviderIdQualifier = Literal["XX", "SV", "PI", "FI", "24", "34", "PP", "XV"]
"""2100B NM108: XX NPI, SV service provider number (the payer's own), PI payor
identification, FI federal taxpayer ID, 24 employer ID, 34 social security number,
PP pharmacy processor number, XV CMS plan ID."""


# --------------------------------------------------------------------------- 270


class InquiryProvider(DomainModel):
    """The practice asking (2100B information receiver), named by its NPI or, as the guide
    allows, by another identifier (``id_qualifier`` SV, PI, FI, …)."""

    organization_name: Annotated[str | None, Field(max_length=60)] = None
    person: PersonName | None = None
    npi: NPI | None = Field(default=None, description="NM109 when NM108 is XX")
    id_qualifier: ProviderIdQualifier = Field(default="XX", description="NM108")
    identifier: Annotated[
        str | None, Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9-]+$")
    ] = Field(
        default=None,
        description="NM109 when NM108 is not XX (e.g. SV: the number the payer gave the practice)",
    )

    @model_validator(mode="after")
    def _named(self) -> InquiryProvider:
        if not self.organization_name and self.person is None:
            raise ValueError("the provider needs an organization_name or a person name")
        if self.id_qualifier == "XX" and self.npi is None:
            raise ValueError(
                "the provider needs its npi (or another identifier with its id_qualifier)"
            )
        if self.id_qualifier != "XX" and (self.identifier is None or self.npi is not None):
            raise ValueError(f"id_qualifier {self.id_qualifier} goes with identifier (and no npi)")
        return self

    @property
    def id_value(self) -> str:
        """NM109: the NPI or the other identifier."""
        return self.npi or self.identifier or ""


class InquiryPayer(DomainModel):
    """The payer asked (2100A information source)."""

    payer_id: Annotated[str, Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9]+$")]
    name: Annotated[str, Field(min_length=1, max_length=60)]


class InquiryPerson(DomainModel):
    """Subscriber or dependent as the payer knows them: the guide lets a 270 name the
    subscriber by member ID alone (NM103 situational) when the dependent is the patient."""

    name: PersonName | None = None
    member_id: Annotated[str | None, Field(max_length=80)] = None
    date_of_birth: date | None = None
    gender: Literal["F", "M", "U"] | None = None
    relationship: Annotated[
        str | None,
        Field(
            pattern=r"^(01|19|34)$",
            description=("INS02 for a dependent: 01 spouse, 19 child, 34 other adult"),
        ),
    ] = None

    @model_validator(mode="after")
    def _identified(self) -> InquiryPerson:
        if self.name is None and not self.member_id:
            raise ValueError("a person needs a name or a member_id")
        return self


def _all_dental() -> list[str]:
    return ["35"]


class EligibilityInquiry(DomainModel):
    """One eligibility question: a 270 subscriber (and maybe dependent) loop."""

    trace_number: Annotated[
        str,
        Field(
            min_length=1,
            max_length=50,
            pattern=r"^[A-Za-z0-9-]+$",
            description="TRN02: how the 271 comes back to us",
        ),
    ]
    payer: InquiryPayer
    provider: InquiryProvider
    subscriber: InquiryPerson
    dependent: InquiryPerson | None = Field(
        default=None, description="the patient when not the subscriber (2000D)"
    )
    service_types: Annotated[list[ServiceTypeCode], Field(min_length=1, max_length=99)] = Field(
        default_factory=_all_dental
    )
    service_date: date | None = None

    @model_validator(mode="after")
    def _member_identified(self) -> EligibilityInquiry:
        if not self.subscriber.member_id:
            raise ValueError("subscriber.member_id is required (payers search by it)")
        return self


# --------------------------------------------------------------------------- 271


class Rejection(DomainModel):
    """An AAA segment: the payer could not answer, and whether asking again helps."""

    level: str = Field(description="where: payer, provider, subscriber or dependent")
    code: str = Field(description="AAA03 reject reason")
    reason: str
    follow_up: str | None = Field(default=None, description="AAA04 follow-up action code")
    retry: bool
    advice: str


CoverageLevel = Literal["individual", "family"]
Network = Literal["in", "out", "both", "unknown", "not_stated"]
"""EB12: Y in network, N out of network, W both (network not applicable), U unknown;
``not_stated`` when EB12 is absent. ``unknown`` is never taken for in network."""
AccumulatorPeriod = Literal[
    "calendar_year", "service_year", "contract", "lifetime", "visit", "not_stated"
]
FrequencyPeriod = Literal[
    "hour",
    "day",
    "24_hours",
    "week",
    "month",
    "year",
    "calendar_year",
    "service_year",
    "year_to_date",
    "contract",
    "episode",
    "visit",
    "outlier",
    "admission",
    "lifetime",
    "remaining",
    "lifetime_remaining",
    "exceeded",
    "not_exceeded",
    "not_stated",
]
"""HSD05 (element 615) in words: every time period the 271 allows."""


class Accumulator(DomainModel):
    """A deductible or maximum as stated: the amount for a period and what remains."""

    level: CoverageLevel = "individual"
    network: Network = "not_stated"
    plan: str | None = Field(
        default=None,
        description="the plan it belongs to (EB05 of "
        "the plan's active-coverage EB), when the 271 names plans",
    )
    service_types: list[str] = Field(default_factory=list)
    period: AccumulatorPeriod = "not_stated"
    amount: Money | None = None
    remaining: Money | None = None

    @property
    def met(self) -> Decimal | None:
        """Amount already used (``amount − remaining``) when both are stated."""
        if self.amount is None or self.remaining is None:
            return None
        return self.amount - self.remaining


class Frequency(DomainModel):
    """A frequency limitation (HSD): ``count`` per ``period_count`` ``period``, and how
    many remain when the payer says so (HSD05 29 "remaining" / 33 "lifetime remaining")."""

    count: int | None = Field(
        default=None, description="the limit; None when the payer stated only what remains"
    )
    period: FrequencyPeriod
    period_count: int = 1
    remaining: int | None = None
    quantity_qualifier: str | None = Field(
        default=None, description="HSD01 (VS visits, DY days, FL units, HS hours, MN months)"
    )
    plan: str | None = None
    procedure_codes: list[str] = Field(default_factory=list)
    service_types: list[str] = Field(default_factory=list)
    text: str

    def applies_to(self, code: str, service_type: str | None) -> bool:
        """Whether this limit governs ``code`` (named, or by its service type)."""
        if self.procedure_codes:
            return code in self.procedure_codes
        return service_type is not None and service_type in self.service_types


class CategoryBenefit(DomainModel):
    """What a service category pays, per network, as stated — one per plan when the 271
    names several (each EB*1 with its plan description starts one)."""

    category: Category
    service_type: str
    plan: str | None = None
    covered: bool | None = None
    coinsurance_in_network: Decimal | None = Field(
        default=None, description="patient share, 0.20 = the patient pays 20 %"
    )
    coinsurance_out_of_network: Decimal | None = None
    coinsurance_unknown_network: Decimal | None = Field(
        default=None,
        description="EB12 U: the payer does not know the network; never used as in network",
    )
    copay_in_network: Money | None = None
    copay_out_of_network: Money | None = None
    copay_unknown_network: Money | None = None
    procedure_codes: list[str] = Field(
        default_factory=list, description="codes the payer tied to this line (EB13)"
    )
    messages: list[str] = Field(default_factory=list)


class AgeLimit(DomainModel):
    """An age rule (EB09 S7 "age, high value" / S8 "age, low value") bound to the service
    types and procedures of its own EB segment, never to the plan as a whole."""

    service_types: list[str] = Field(default_factory=list)
    procedure_codes: list[str] = Field(default_factory=list)
    minimum_age: int | None = Field(default=None, description="S8: covered from this age")
    maximum_age: int | None = Field(default=None, description="S7: covered up to this age")
    plan: str | None = None
    network: Network = "not_stated"
    text: str

    @property
    def is_orthodontic(self) -> bool:
        """Whether the rule is about orthodontics (service type 38 or a D8xxx code)."""
        return "38" in self.service_types or any(c.startswith("D8") for c in self.procedure_codes)


class WaitingPeriod(DomainModel):
    """A waiting period the payer stated, with the text it used; ``until`` is the day the
    services are covered from when the payer dated it (DTP*348 on the EB)."""

    service_types: list[str] = Field(default_factory=list)
    procedure_codes: list[str] = Field(
        default_factory=list,
        description="the procedures it is about (EB13), when the payer names them",
    )
    until: date | None = None
    text: str


class ServiceHistory(DomainModel):
    """When a procedure (or a service type) was last done, as the payer stated it: a 2110
    EB naming the procedure (EB13) or service type with a service date (DTP*472) or latest
    visit (DTP*304) — what a coordinator checks before booking a cleaning or X-rays."""

    procedure_code: str | None = Field(default=None, description="EB13-2, when named")
    service_types: list[str] = Field(
        default_factory=list, description="EB03: the service types the date is about"
    )
    last_date: date = Field(description="when it was last done (DTP03)")
    text: str = Field(description="the coordinator's words for it")


class DentalBenefits(DomainModel):
    """A 271 for one person, in the words a coordinator uses."""

    trace_number: str | None = Field(default=None, description="our TRN02 echoed back")
    payer_name: str | None = None
    payer_id: str | None = None
    subscriber: PersonName | None = None
    patient: PersonName | None = None
    member_id: str | None = None
    group_number: str | None = None
    group_name: str | None = None
    plan_name: str | None = None
    coverage: Literal["active", "inactive", "not_stated"] = "not_stated"
    plan_begin: date | None = None
    plan_end: date | None = None
    eligibility_begin: date | None = None
    categories: list[CategoryBenefit] = Field(default_factory=list)
    deductibles: list[Accumulator] = Field(default_factory=list)
    maximums: list[Accumulator] = Field(default_factory=list)
    orthodontic_age_limit: int | None = Field(
        default=None,
        description="the highest age (S7) of an orthodontic benefit (service "
        "type 38 or a D8xxx code); age rules of other services are in age_limits",
    )
    age_limits: list[AgeLimit] = Field(default_factory=list)
    plans: list[str] = Field(
        default_factory=list,
        description="the plans the 271 names (EB05 of its active-coverage EBs), in order",
    )
    frequencies: list[Frequency] = Field(default_factory=list)
    waiting_periods: list[WaitingPeriod] = Field(default_factory=list)
    service_history: list[ServiceHistory] = Field(
        default_factory=list,
        description="last dates of service per procedure, when the payer sends them",
    )
    rejections: list[Rejection] = Field(default_factory=list)
    messages: list[str] = Field(default_factory=list)

    @property
    def capitation(self) -> bool:
        """Whether the plan is a copay schedule (a DHMO): it states in-network copays and
        no in-network coinsurance. The payer then pays the office by capitation, not per
        procedure, and the patient owes the copay."""
        return any(c.copay_in_network is not None for c in self.categories) and all(
            c.coinsurance_in_network is None for c in self.categories
        )

    def category(self, category: Category) -> CategoryBenefit | None:
        """The stated benefit for ``category``, if any."""
        return next((c for c in self.categories if c.category == category), None)

    def accumulator(
        self,
        kind: Literal["deductible", "maximum"],
        service_type: str,
        *,
        level: str = "individual",
        period: str | None = None,
    ) -> Accumulator | None:
        """The deductible/maximum for ``service_type`` (its own, else Dental Care 35)."""
        rows = self.deductibles if kind == "deductible" else self.maximums
        for wanted in (service_type, "35"):
            for row in rows:
                if (
                    row.level == level
                    and wanted in row.service_types
                    and row.network in ("in", "both", "not_stated")
                    and (period is None or row.period == period)
                ):
                    return row
        return None


# --------------------------------------------------------------------------- estimates


CdtCode = Annotated[
    str, Field(pattern=r"^D[0-9]{4}$", description="CDT code, D0100–D9999", examples=["D2391"])
]
FEE_LIMIT = Decimal("100000.00")
"""No single dental procedure is billed at this or more: a fee above it is a typing error."""


def _plausible_fee(value: Decimal) -> Decimal:
    if value >= FEE_LIMIT:
        raise ValueError(f"{value} is not a plausible procedure fee (below {FEE_LIMIT})")
    return value


ProcedureFee = Annotated[NonNegativeMoney, AfterValidator(_plausible_fee)]
"""A procedure's fee or allowed amount: 0.00 up to (not including) :data:`FEE_LIMIT`."""
PlanType = Literal["fee_for_service", "capitation"]


class PlannedProcedure(DomainModel):
    """One line of a treatment plan."""

    procedure_code: CdtCode
    tooth: Annotated[str | None, Field(max_length=3)] = None
    surfaces: Annotated[str | None, Field(max_length=5)] = None
    fee: ProcedureFee
    description: Annotated[str | None, Field(max_length=120)] = Field(
        default=None,
        description="the practice's own words for the procedure (CDT "
        "descriptors are the ADA's); empty: taken from the practice's fee schedule",
    )


class BenefitUsage(DomainModel):
    """What the patient already used this benefit period (from the practice's records)."""

    deductible_met: Money | None = Field(
        default=None, description="overrides the 271's figure when the practice knows better"
    )
    maximum_used: Money | None = None
    orthodontic_maximum_used: Money | None = None
    procedures: dict[CdtCode, Annotated[int, Field(ge=0, le=999, strict=True)]] = Field(
        default_factory=dict, description="CDT code → times done in the current limit period"
    )


class TreatmentPlan(DomainModel):
    """Procedures to estimate, with an optional fee schedule (allowed amounts)."""

    procedures: Annotated[list[PlannedProcedure], Field(min_length=1, max_length=99)]
    fee_schedule: dict[CdtCode, ProcedureFee] = Field(
        default_factory=dict,
        description="CDT code → the plan's allowed amount (the "
        "practice's stored schedule for the payer is used when this is empty)",
    )
    network: Literal["in", "out"] = "in"
    used: BenefitUsage = Field(default_factory=BenefitUsage)
    service_date: date | None = Field(
        default=None,
        description="the planned visit; with the payer's dates it decides "
        "whether a waiting period has passed",
    )
    plan_type: PlanType | None = Field(
        default=None,
        description="capitation (a DHMO: the patient pays the copay, the "
        "payer pays no fee-for-service amount) or fee_for_service; empty: read from the "
        "benefits (copays and no coinsurance = capitation)",
    )


class Figure(DomainModel):
    """An amount and the rule that produced it, for the coordinator to read out."""

    amount: Money
    rule: str


class LineEstimate(DomainModel):
    """One planned procedure, estimated."""

    procedure_code: str
    tooth: str | None = None
    description: str | None = Field(
        default=None,
        description="the practice's words for the procedure (the plan's, else its fee schedule's)",
    )
    fee: Money
    category: Category | None
    allowed: Figure
    deductible: Figure
    coinsurance: Figure
    insurance: Figure
    patient: Figure
    flags: list[str] = Field(default_factory=list)


class Estimate(DomainModel):
    """A treatment plan, estimated line by line, with totals."""

    lines: list[LineEstimate]
    total_fee: Money
    total_allowed: Money
    total_insurance: Money
    total_patient: Money
    plan_type: PlanType = Field(
        default="fee_for_service",
        description="capitation (a "
        "DHMO: insurance pays no fee-for-service amount) or "
        "fee_for_service",
    )
    facts: list[str] = Field(
        default_factory=list,
        description="the plan facts the estimate used, in plain words (for the patient's copy)",
    )
    notes: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------- visits


class UpcomingVisit(DomainModel):
    """A visit the practice-management system booked: who comes, when, with which
    insurance and which procedures planned — what the verification queue is made of."""

    external_id: Annotated[
        str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._:-]+$")
    ] = Field(description="the PM system's appointment ID; posting it again updates the visit")
    visit_date: date = Field(description="the day of the visit")
    payer: InquiryPayer = Field(description="the payer to ask")
    subscriber: InquiryPerson = Field(description="the insured, with the member ID")
    patient: InquiryPerson | None = Field(
        default=None,
        description="the patient when not the subscriber (a dependent, with relationship)",
    )
    procedures: Annotated[list[CdtCode], Field(max_length=99)] = Field(
        default_factory=list, description="the procedures planned (CDT codes)"
    )

    @model_validator(mode="after")
    def _member(self) -> UpcomingVisit:
        if not self.subscriber.member_id:
            raise ValueError("subscriber.member_id is required (payers search by it)")
        if self.patient is not None and self.patient.name is None:
            raise ValueError("patient.name is required for a dependent")
        return self
