"""Estimate rules of issue 16: capitation plans by copay, waiting periods enforced when the
dates are known, implausible fees refused, the deductible's rule text naming its own
service types, the plan facts, and service history read from a 271."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from edigateway.domain.eligibility import (
    Accumulator,
    Category,
    CategoryBenefit,
    DentalBenefits,
    PlannedProcedure,
    TreatmentPlan,
    WaitingPeriod,
)
from edigateway.estimates.engine import estimate, waiting_period_end
from edigateway.x12.x271_005010X279A1 import read_271
from tests.factories import FIXTURES

ELIGIBILITY = FIXTURES / "eligibility"


def _benefits(folder: str) -> DentalBenefits:
    (benefits,) = read_271(ELIGIBILITY / folder / "response.271").benefits
    return benefits


def _plan(folder: str, **update: object) -> TreatmentPlan:
    plan = TreatmentPlan.model_validate_json((ELIGIBILITY / folder / "plan.json").read_text())
    return plan.model_copy(update=update)


def test_dhmo_is_estimated_by_copay_and_the_payer_pays_no_fee_for_service():
    result = estimate(_benefits("02_dhmo_copay"), _plan("02_dhmo_copay"))
    crown = next(ln for ln in result.lines if ln.procedure_code == "D2740")
    assert result.plan_type == "capitation"
    assert (crown.insurance.amount, crown.patient.amount, crown.allowed.amount) == (
        Decimal("0.00"),
        Decimal("395.00"),
        Decimal("395.00"),
    )
    assert "capitation" in crown.insurance.rule
    assert "1250.00" in crown.allowed.rule
    assert result.total_insurance == Decimal("0.00")
    assert result.total_patient == Decimal("430.00")
    assert any("copay plan" in fact for fact in result.facts)


def test_a_plan_can_say_fee_for_service_even_when_the_271_states_only_copays():
    result = estimate(
        _benefits("02_dhmo_copay"), _plan("02_dhmo_copay", plan_type="fee_for_service")
    )
    crown = next(ln for ln in result.lines if ln.procedure_code == "D2740")
    assert result.plan_type == "fee_for_service"
    assert crown.insurance.amount == Decimal("855.00")


def _with_eligibility_begin(begin: date) -> DentalBenefits:
    return _benefits("01_ppo_full_breakdown").model_copy(update={"eligibility_begin": begin})


def test_a_visit_inside_the_waiting_period_gets_no_insurance_share():
    benefits = _with_eligibility_begin(date(2026, 3, 15))
    result = estimate(benefits, _plan("01_ppo_full_breakdown", service_date=date(2026, 12, 1)))
    crown = next(ln for ln in result.lines if ln.procedure_code == "D2740")
    assert crown.insurance.amount == Decimal("0.00")
    assert crown.patient.amount == crown.allowed.amount == Decimal("980.00")
    assert "waiting period until 2027-03-15" in crown.insurance.rule
    assert "12 months from the eligibility begin date 2026-03-15" in crown.insurance.rule
    filling = next(ln for ln in result.lines if ln.procedure_code == "D2391")
    assert filling.insurance.amount == Decimal("94.40")  # restorative has no waiting period


def test_a_visit_after_the_waiting_period_is_counted_and_says_so():
    benefits = _with_eligibility_begin(date(2025, 1, 1))
    result = estimate(benefits, _plan("01_ppo_full_breakdown", service_date=date(2026, 12, 1)))
    crown = next(ln for ln in result.lines if ln.procedure_code == "D2740")
    assert crown.insurance.amount == Decimal("490.00")
    assert crown.flags == [
        ("waiting period ended 2026-01-01 (12 months from the eligibility begin date 2025-01-01)")
    ]


def test_without_a_visit_date_the_waiting_period_is_flagged_as_not_checked():
    result = estimate(_benefits("01_ppo_full_breakdown"), _plan("01_ppo_full_breakdown"))
    crown = next(ln for ln in result.lines if ln.procedure_code == "D2740")
    assert crown.insurance.amount == Decimal("490.00")
    assert "not checked (no visit date was given)" in crown.flags[0]


def test_a_dated_waiting_period_ends_on_the_payers_date():
    period = WaitingPeriod(service_types=["36"], until=date(2027, 2, 1), text="WAITING")
    assert waiting_period_end(period, DentalBenefits())[0] == date(2027, 2, 1)
    no_length = WaitingPeriod(service_types=["36"], text="WAITING PERIOD APPLIES")
    assert waiting_period_end(no_length, DentalBenefits(plan_begin=date(2026, 1, 1))) == (
        None,
        "the payer gave no length",
    )


def test_month_arithmetic_keeps_the_end_of_the_month():
    period = WaitingPeriod(service_types=["36"], text="6 MONTH WAITING PERIOD")
    benefits = DentalBenefits(eligibility_begin=date(2026, 8, 31))
    assert waiting_period_end(period, benefits)[0] == date(2027, 2, 28)


@pytest.mark.parametrize("fee", ["-0.01", "-100", "100000.00", "2500000"])
def test_negative_or_absurd_fees_are_refused(fee):
    with pytest.raises(ValidationError) as caught:
        PlannedProcedure(procedure_code="D1110", fee=fee)
    assert caught.value.errors()[0]["loc"] == ("fee",)
    with pytest.raises(ValidationError):
        TreatmentPlan(
            procedures=[PlannedProcedure(procedure_code="D1110", fee="90")],
            fee_schedule={"D1110": fee},
        )


def test_the_zero_deductible_rule_names_the_deductibles_own_service_type():
    benefits = DentalBenefits(
        coverage="active",
        categories=[
            CategoryBenefit(
                category=Category.BASIC, service_type="25", coinsurance_in_network=Decimal("0.2")
            )
        ],
        deductibles=[Accumulator(service_types=["35"], amount=Decimal("0.00"))],
    )
    plan = TreatmentPlan(procedures=[PlannedProcedure(procedure_code="D2391", fee="100")])
    (line,) = estimate(benefits, plan).lines
    assert line.deductible.rule == "the payer states a 0.00 deductible for Dental Care (35)"


def test_a_deductible_taken_names_which_deductible():
    result = estimate(_benefits("05_deductible_partly_met"), _plan("05_deductible_partly_met"))
    assert result.lines[0].deductible.rule == (
        "deductible for Dental Care (35): 30.00 remaining as the payer stated"
    )


def test_estimates_carry_the_procedures_description_and_the_plan_facts():
    plan = TreatmentPlan(
        procedures=[
            PlannedProcedure(procedure_code="D1110", fee="110", description="Adult cleaning")
        ]
    )
    result = estimate(_benefits("01_ppo_full_breakdown"), plan)
    assert result.lines[0].description == "Adult cleaning"
    assert result.facts[:2] == [
        "plan: PRAIRIE PPO PLUS (PRAIRIE DENTAL PLAN)",
        "coverage: active from 2026-01-01 to 2026-12-31",
    ]
    assert "in network; the office's fees are used" in result.facts


HISTORY_271 = Path(ELIGIBILITY / "08_frequency_limits" / "response.271")


def test_service_history_is_read_from_2110_dates():
    raw = HISTORY_271.read_text()
    raw = raw.replace("HSD*VS*2***23~", "HSD*VS*2***23~DTP*472*D8*20260512~", 1)
    raw = raw.replace("HSD*VS*1***34*12~", "HSD*VS*1***34*12~DTP*304*D8*20251103~", 1)
    (benefits,) = read_271(raw.encode()).benefits
    assert [(h.procedure_code, h.last_date, h.text) for h in benefits.service_history] == [
        ("D1110", date(2026, 5, 12), "D1110 last done 2026-05-12"),
        ("D0274", date(2025, 11, 3), "D0274 last done 2025-11-03"),
    ]


def test_a_waiting_period_dated_by_the_payer_is_read():
    raw = (ELIGIBILITY / "01_ppo_full_breakdown" / "response.271").read_text()
    message = "MSG*12 MONTH WAITING PERIOD FOR MAJOR SERVICES FROM THE EFFECTIVE DATE~"
    assert message in raw
    raw = raw.replace(message, "DTP*348*D8*20270301~" + message, 1)
    (benefits,) = read_271(raw.encode()).benefits
    assert benefits.waiting_periods[0].until == date(2027, 3, 1)
