"""A deterministic demo practice: MAPLE STREET DENTAL, 50 patients and a claim each.

The patients and claims are varied the way a practice's month is — exams and cleanings,
fillings with surfaces, crowns, quadrant scaling, extractions, an occlusal guard the plan
does not cover, dependents — and chosen so the simulator's answers exercise every path:
member IDs starting ``PPO``/``DHMO``/``ORTHO`` match its benefit plans, one member ID it
does not know (eligibility AAA 75, 277CA rejection), claim ``MSD1005`` is reversed and
corrected by the payer in a later 835, and the payer's PLB recoups an overpayment.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from edigateway.domain.claims import Claim, ClaimBatch
from edigateway.domain.eligibility import (
    EligibilityInquiry,
    InquiryPayer,
    InquiryPerson,
    InquiryProvider,
)

PRACTICE_NPI = "1456789019"
PRACTICE: dict[str, Any] = {
    "organization_name": "MAPLE STREET DENTAL",
    "npi": PRACTICE_NPI,
    "tax_id": "371234567",
    "taxonomy": "1223G0001X",
    "address": {
        "line1": "1200 MAPLE ST",
        "city": "SPRINGFIELD",
        "state": "IL",
        "postal_code": "627011234",
    },
}
PAYERS = [
    {"payer_id": "DDPIL", "name": "PRAIRIE DENTAL PLAN"},
    {"payer_id": "GRDN1", "name": "GUARDIAN DENTAL"},
]
UNKNOWN_MEMBER = "NOTAMEMBER1"
VISITS: list[list[tuple[str, str, str | None, str | None]]] = [
    # code, fee, tooth, surfaces
    [("D0120", "65.00", None, None), ("D1110", "110.00", None, None)],
    [("D0150", "95.00", None, None), ("D0210", "140.00", None, None)],
    [("D2391", "210.00", "30", "MO"), ("D2392", "260.00", "19", "MOD")],
    [("D2740", "1250.00", "14", None)],
    [("D4341", "280.00", None, None), ("D4341", "280.00", None, None)],
    [("D7140", "180.00", "1", None)],
    [
        ("D0120", "65.00", None, None),
        ("D0274", "85.00", None, None),
        ("D1120", "75.00", None, None),
    ],
    [("D9944", "450.00", None, None)],
    [("D2150", "175.00", "3", "MO"), ("D0220", "30.00", None, None)],
    [("D3330", "1100.00", "3", None)],
]
FIRST_NAMES = ["AVA", "NOAH", "MIA", "LIAM", "ZOE", "OMAR", "LENA", "RAJ", "IVY", "LUIS"]
LAST_NAMES = [
    "NGUYEN",
    "OKAFOR",
    "SMITH",
    "GARCIA",
    "KOWALSKI",
    "HASSAN",
    "BROWN",
    "TANAKA",
    "MOREAU",
    "PATEL",
]


def demo_batch(today: date, patients: int = 50, seed: int = 20261123) -> ClaimBatch:
    """One claim per patient, all clean, dated in the last two months."""
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not a secret
    claims = []
    for number in range(1, patients + 1):
        visit = VISITS[(number - 1) % len(VISITS)]
        day = today - timedelta(days=rng.randint(3, 60))
        plan = ("DHMO", "ORTHO", "PPO", "PPO", "PPO")[number % 5]
        member = UNKNOWN_MEMBER if number == patients else f"{plan}{number:06d}"
        subscriber: dict[str, Any] = {
            "name": {
                "last_name": LAST_NAMES[number % 10],
                "first_name": FIRST_NAMES[(number * 3) % 10],
            },
            "member_id": member,
            "group_number": "GRP4410",
        }
        dependent = number % 4 == 0
        document: dict[str, Any] = {
            "patient_control_number": f"MSD{1000 + number}",
            "billing_provider": PRACTICE,
            "payer": PAYERS[number % 7 == 0],
            "subscriber": subscriber,
            "lines": [],
            "service_date": day.isoformat(),
        }
        for index, (code, fee, tooth, surfaces) in enumerate(visit, start=1):
            line: dict[str, Any] = {
                "procedure_code": code,
                "charge": fee,
                "line_control_number": f"MSD{1000 + number}-{index}",
            }
            if tooth:
                line["teeth"] = [{"tooth": tooth, "surfaces": list(surfaces or "")}]
            if code == "D4341":
                line["oral_cavity_areas"] = ["10" if index == 1 else "20"]
            document["lines"].append(line)
        document["total_charge"] = str(sum(Decimal(f) for _c, f, _t, _s in visit))
        born = date(1955 + rng.randint(0, 45), rng.randint(1, 12), rng.randint(1, 28))
        if dependent:
            document["patient"] = {
                "name": {
                    "last_name": subscriber["name"]["last_name"],
                    "first_name": FIRST_NAMES[number % 10],
                },
                "relationship": "19",
                "date_of_birth": date(2012, 5, number % 28 + 1).isoformat(),
                "gender": "F",
                "address": PRACTICE["address"],
            }
        else:
            subscriber.update(
                {"date_of_birth": born.isoformat(), "gender": "M", "address": PRACTICE["address"]}
            )
        claims.append(Claim.model_validate(document))
    return ClaimBatch(claims=claims)


def inquiry_for(claim: Claim, today: date) -> EligibilityInquiry:
    """The 270 question a front desk asks before the visit."""
    subscriber = claim.subscriber
    patient = claim.patient
    return EligibilityInquiry(
        trace_number=f"ELG-{claim.patient_control_number}",
        payer=InquiryPayer(payer_id=claim.payer.payer_id, name=claim.payer.name),
        provider=InquiryProvider(organization_name=PRACTICE["organization_name"], npi=PRACTICE_NPI),
        subscriber=InquiryPerson(
            name=subscriber.name,
            member_id=subscriber.member_id,
            date_of_birth=subscriber.date_of_birth,
            gender=subscriber.gender,
        ),
        dependent=InquiryPerson(
            name=patient.name,
            date_of_birth=patient.date_of_birth,
            gender=patient.gender,
            relationship="19",
        )
        if patient
        else None,
        service_date=today,
    )
