"""Properties of the estimate arithmetic, over random benefits and treatment plans:
patient + insurance = allowed on every line; insurance never pays past the remaining
maximum; the deductible is never applied beyond what remains (never twice)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edigateway.domain.eligibility import CATEGORY_OF_SERVICE_TYPE as CATEGORIES
from edigateway.domain.eligibility import (
    Accumulator,
    BenefitUsage,
    CategoryBenefit,
    DentalBenefits,
    Frequency,
    PlannedProcedure,
    TreatmentPlan,
)
from edigateway.estimates.cdt import service_type_of
from edigateway.estimates.engine import estimate

CODES = [
    "D0120",
    "D0274",
    "D1110",
    "D1206",
    "D2391",
    "D2392",
    "D2740",
    "D3330",
    "D4341",
    "D5110",
    "D6010",
    "D7140",
    "D8080",
    "D9110",
]
money = st.decimals(min_value=Decimal("0"), max_value=Decimal("3000"), places=2)
share = st.sampled_from([Decimal(x) for x in ("0", ".1", ".2", ".3", ".5", ".8", "1")])


@st.composite
def benefits(draw: st.DrawFn) -> DentalBenefits:
    types = draw(st.lists(st.sampled_from(list(CATEGORIES)), unique=True, max_size=8))
    categories = []
    for service_type in types:
        use_copay = draw(st.booleans())
        categories.append(
            CategoryBenefit(
                category=CATEGORIES[service_type],
                service_type=service_type,
                covered=draw(st.sampled_from([None, True, True, False])),
                coinsurance_in_network=None if use_copay else draw(share),
                copay_in_network=draw(money) if use_copay else None,
            )
        )
    deductibles = []
    if draw(st.booleans()):
        amount = draw(money)
        deductibles.append(
            Accumulator(
                service_types=["35"],
                period="calendar_year",
                amount=amount,
                remaining=draw(
                    st.none() | st.decimals(min_value=Decimal(0), max_value=amount, places=2)
                ),
            )
        )
    maximums = []
    if draw(st.booleans()):
        amount = draw(money)
        maximums.append(
            Accumulator(
                service_types=["35"],
                period="calendar_year",
                amount=amount,
                remaining=draw(
                    st.none() | st.decimals(min_value=Decimal(0), max_value=amount, places=2)
                ),
            )
        )
    if draw(st.booleans()):
        maximums.append(
            Accumulator(
                service_types=["38"], period="lifetime", amount=draw(money), remaining=draw(money)
            )
        )
    frequencies = [
        Frequency(
            count=draw(st.integers(0, 3)),
            period="calendar_year",
            procedure_codes=[code],
            text=f"{code}: limit",
        )
        for code in draw(st.lists(st.sampled_from(CODES), unique=True, max_size=3))
    ]
    return DentalBenefits(
        coverage=draw(st.sampled_from(["active", "active", "inactive"])),
        categories=categories,
        deductibles=deductibles,
        maximums=maximums,
        frequencies=frequencies,
    )


@st.composite
def plans(draw: st.DrawFn) -> TreatmentPlan:
    procedures = draw(
        st.lists(
            st.builds(PlannedProcedure, procedure_code=st.sampled_from(CODES), fee=money),
            min_size=1,
            max_size=8,
        )
    )
    schedule = {p.procedure_code: draw(money) for p in procedures if draw(st.booleans())}
    return TreatmentPlan(
        procedures=procedures,
        fee_schedule=schedule,
        used=BenefitUsage(
            procedures={
                c: draw(st.integers(0, 3))
                for c in draw(st.lists(st.sampled_from(CODES), max_size=3))
            }
        ),
    )


def _starting(acc: Accumulator | None) -> Decimal | None:
    if acc is None:
        return None
    return acc.remaining if acc.remaining is not None else acc.amount


@pytest.mark.slow  # 300 generated plans estimated
@settings(max_examples=300, deadline=None)
@given(benefits(), plans())
def test_portions_add_up_and_limits_hold(b: DentalBenefits, plan: TreatmentPlan):
    result = estimate(b, plan)
    for line in result.lines:
        assert line.patient.amount + line.insurance.amount == line.allowed.amount
        assert line.insurance.amount >= 0
        assert line.patient.amount >= 0
        assert line.allowed.amount <= line.fee
        assert line.deductible.amount <= line.allowed.amount
    general = [ln for ln in result.lines if service_type_of(ln.procedure_code) != "38"]
    ortho = [ln for ln in result.lines if service_type_of(ln.procedure_code) == "38"]
    annual = _starting(b.accumulator("maximum", "35", period="calendar_year"))
    if annual is not None:
        assert sum((ln.insurance.amount for ln in general), Decimal(0)) <= annual
    lifetime = _starting(b.accumulator("maximum", "38", period="lifetime"))
    if lifetime is not None:
        assert sum((ln.insurance.amount for ln in ortho), Decimal(0)) <= lifetime
    deductible = _starting(b.accumulator("deductible", "35"))
    applied = sum((ln.deductible.amount for ln in result.lines), Decimal(0))
    assert applied <= (deductible or Decimal(0))
    assert result.total_patient + result.total_insurance == result.total_allowed


@settings(max_examples=100, deadline=None)
@given(benefits(), plans())
@pytest.mark.slow  # 8.9 s on the loaded 2-core machine
def test_estimating_twice_gives_the_same_answer(b: DentalBenefits, plan: TreatmentPlan):
    assert estimate(b, plan) == estimate(b, plan)
