"""The simulator's eligibility answers: a 271 for each 270, from a benefit-plan table.

``mappings/simulator/benefit_plans.json`` maps member IDs (exactly, or by prefix) to plans
written as :class:`~edigateway.domain.eligibility.DentalBenefits`; a member in neither gets
``AAA*N**75*C`` (subscriber not found), the way payers answer a mistyped ID. Its
``service_history`` holds what the payer remembers a subscriber last had done (procedure
code → date, e.g. the last D1110 and D0274): the 271 carries each as a limitation EB
naming the procedure with ``DTP*472``, as payers answer "when was the last cleaning?".
A dependent's inquiry gets none of the subscriber's dates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from edigateway.domain.eligibility import (
    DentalBenefits,
    EligibilityInquiry,
    Rejection,
    ServiceHistory,
)
from edigateway.x12.x270_005010X279A1 import read_270
from edigateway.x12.x271_005010X279A1 import FOLLOW_UP, REJECT_REASONS, write_271

if TYPE_CHECKING:
    from pathlib import Path

    from edigateway.x12.envelope import InterchangeParams


@dataclass(frozen=True)
class BenefitPlans:
    """Member → plan look-up (see module docstring)."""

    members: dict[str, str]
    prefixes: dict[str, str]
    plans: dict[str, dict[str, Any]]
    history: dict[str, dict[str, date]] = field(default_factory=dict)
    """Member ID → procedure code → the subscriber's last date of service."""

    @classmethod
    def load(cls, mappings_dir: Path) -> BenefitPlans:
        """The table shipped in ``mappings/simulator/benefit_plans.json``."""
        doc = json.loads((mappings_dir / "simulator" / "benefit_plans.json").read_text())
        history = {
            member: {code: date.fromisoformat(day) for code, day in dates.items()}
            for member, dates in doc.get("service_history", {}).items()
            if member != "about"
        }
        return cls(doc["members"], doc.get("member_prefix_plans", {}), doc["plans"], history)

    def service_history(self, inquiry: EligibilityInquiry) -> list[ServiceHistory]:
        """The subscriber's last dates of service the payer knows (none for a dependent)."""
        if inquiry.dependent is not None:
            return []
        dates = self.history.get(inquiry.subscriber.member_id or "", {})
        return [
            ServiceHistory(
                procedure_code=code, last_date=day, text=f"{code} last done {day.isoformat()}"
            )
            for code, day in sorted(dates.items())
        ]

    def plan_of(self, member_id: str) -> str | None:
        """The name of the member's plan (exact member ID first, then the first matching
        prefix), None for a member the payer does not know."""
        return self.members.get(member_id) or next(
            (p for prefix, p in self.prefixes.items() if member_id.startswith(prefix)), None
        )

    def copays(self, member_id: str) -> dict[str, Decimal] | None:
        """The member's in-network copay per service type when their plan is a copay
        schedule (a DHMO: the 271 says ``copay_in_network`` per category), else None."""
        plan = self.plan_of(member_id)
        if plan is None:
            return None
        schedule = {
            c["service_type"]: Decimal(c["copay_in_network"])
            for c in self.plans[plan].get("categories", [])
            if c.get("copay_in_network") is not None
        }
        return schedule or None

    def answer(self, inquiry: EligibilityInquiry) -> DentalBenefits:
        """The benefits for the inquiry's member, or a "subscriber not found" rejection."""
        member = inquiry.subscriber.member_id or ""
        plan = self.plan_of(member)
        patient = inquiry.dependent.name if inquiry.dependent else inquiry.subscriber.name
        who = {
            "trace_number": inquiry.trace_number,
            "payer_name": inquiry.payer.name,
            "payer_id": inquiry.payer.payer_id,
            "subscriber": inquiry.subscriber.name,
            "patient": patient,
            "member_id": member,
        }
        if plan is None:
            retry, advice = FOLLOW_UP["C"]
            return DentalBenefits.model_validate(
                {
                    **who,
                    "rejections": [
                        Rejection(
                            level="subscriber",
                            code="75",
                            reason=REJECT_REASONS["75"],
                            follow_up="C",
                            retry=retry,
                            advice=advice,
                        )
                    ],
                }
            )
        return DentalBenefits.model_validate(
            {**self.plans[plan], **who, "service_history": self.service_history(inquiry)}
        )


def answer_270(text: str, plans: BenefitPlans, params: InterchangeParams) -> str:
    """The 271 answering every inquiry of the 270 ``text``."""
    inquiries = read_270(text.encode("utf-8", "surrogateescape"), name="270").inquiries
    return write_271([(inquiry, plans.answer(inquiry)) for inquiry in inquiries], params)
