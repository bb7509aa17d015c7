"""Estimate insurance and patient portions of a treatment plan from :class:`DentalBenefits`.

Per procedure, in plan order (so the deductible and the maximum are used up in the order
the work is done):

1. **allowed** — the plan's fee-schedule amount when given (never more than the office
   fee), else the office fee;
2. **frequency** — a limit the payer stated for the code (or its service type) that the
   visit would exceed makes the payer's share 0 (the payer would deny it);
3. **deductible** — what remains of the deductible that applies to the service type (its
   own, else Dental Care 35), at most the allowed amount, and never twice;
4. **coinsurance** — the patient's percentage of what is left (a copay when the payer
   states a copay instead);
5. **insurance** — the rest, capped at what remains of the annual (or, for orthodontics,
   lifetime) maximum;
6. **patient** — allowed − insurance, so patient + insurance = allowed, always.

Whatever the payer did not state is not assumed: a category without a stated coinsurance
gets no insurance share and says so; a maximum with no remaining figure is assumed
unused *and flagged*. Every figure carries the rule that produced it::

    insurance  40.00  allowed 100.00 − deductible 50.00 − coinsurance 10.00; no maximum stated
    coinsurance 10.00  20 % of 50.00 for Restorative (25)

Two kinds of plan change the arithmetic:

* **capitation** (a DHMO: the payer states copays and no coinsurance, or the plan says
  ``plan_type: capitation``): the payer pays the office a fixed monthly amount and nothing
  per procedure, so the insurance share is 0.00 and the patient owes the copay — the
  office accepts it as the whole fee (``allowed`` = the copay);
* a **waiting period** the payer stated for the service: with the visit's date and the
  day the period ends (the payer's date, or its months counted from the eligibility or
  plan begin date) a visit inside it gets no insurance share; without those dates the
  share is counted and the line says the period could not be checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from edigateway.domain.eligibility import (
    CATEGORY_OF_SERVICE_TYPE,
    DENTAL_SERVICE_TYPES,
    Category,
    CategoryBenefit,
    Estimate,
    Figure,
    LineEstimate,
)
from edigateway.estimates.cdt import service_type_of

if TYPE_CHECKING:
    from edigateway.domain.eligibility import (
        Accumulator,
        DentalBenefits,
        PlannedProcedure,
        TreatmentPlan,
        WaitingPeriod,
    )

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
ORTHODONTICS = "38"


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f} %"


def _types(service_types: list[str]) -> str:
    """Service types in words: ``Dental Care (35)``."""
    return (
        ", ".join(f"{DENTAL_SERVICE_TYPES.get(t, t)} ({t})" for t in service_types)
        or "no service type"
    )


@dataclass
class _Pools:
    """What is left to use as the plan is walked line by line."""

    remaining: dict[int, Decimal] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    planned: dict[str, int] = field(default_factory=dict)
    known: frozenset[str] = frozenset()


def _service_type(code: str, benefits: DentalBenefits) -> str:
    for category in benefits.categories:
        if code in category.procedure_codes:
            return category.service_type
    return service_type_of(code)


def _benefit_for(
    service_type: str, benefits: DentalBenefits, network: str
) -> tuple[CategoryBenefit | None, str]:
    """The category line that governs ``service_type`` and a sentence saying which."""
    name = DENTAL_SERVICE_TYPES.get(service_type, service_type)
    own = benefits.category(CATEGORY_OF_SERVICE_TYPE.get(service_type, Category.GENERAL))
    if own is not None and _share(own, network) is not None:
        return own, f"{name} ({service_type})"
    general = benefits.category(Category.GENERAL)
    if general is not None and _share(general, network) is not None:
        return general, f"Dental Care (35), as the payer stated nothing for {name}"
    return own or general, f"{name} ({service_type})"


def _share(benefit: CategoryBenefit, network: str) -> Decimal | Figure | None:
    if network == "out":
        return (
            benefit.coinsurance_out_of_network
            if benefit.coinsurance_out_of_network is not None
            else (
                Figure(amount=benefit.copay_out_of_network, rule="copay")
                if benefit.copay_out_of_network is not None
                else None
            )
        )
    if benefit.coinsurance_in_network is not None:
        return benefit.coinsurance_in_network
    if benefit.copay_in_network is not None:
        return Figure(amount=benefit.copay_in_network, rule="copay")
    return None


def _pool(
    pools: _Pools, accumulator: Accumulator, used_override: Decimal | None
) -> tuple[Decimal, str]:
    key = id(accumulator)
    if key not in pools.remaining:
        if used_override is not None and accumulator.amount is not None:
            pools.remaining[key] = max(accumulator.amount - used_override, ZERO)
            note = f"{accumulator.amount} less {used_override} already used (practice records)"
        elif accumulator.remaining is not None:
            pools.remaining[key] = accumulator.remaining
            note = f"{accumulator.remaining} remaining as the payer stated"
        else:
            pools.remaining[key] = accumulator.amount or ZERO
            note = f"{accumulator.amount} (the payer did not state what remains; assumed unused)"
        return pools.remaining[key], note
    return pools.remaining[key], f"{pools.remaining[key]} left after earlier lines"


def estimate(benefits: DentalBenefits, plan: TreatmentPlan) -> Estimate:
    """Estimate every procedure of ``plan`` (see module docstring)."""
    pools = _Pools(used=dict(plan.used.procedures), known=frozenset(plan.used.procedures))
    notes: list[str] = []
    if benefits.coverage != "active":
        notes.append(
            "coverage is "
            + ("inactive" if benefits.coverage == "inactive" else "not stated")
            + ": no insurance share estimated"
        )
    if benefits.rejections:
        notes += [
            f"the payer rejected the inquiry: {r.reason} ({r.advice})" for r in benefits.rejections
        ]
    capitation = (
        plan.plan_type == "capitation" if plan.plan_type is not None else benefits.capitation
    )
    lines = [
        _line(benefits, plan, procedure, pools, capitation=capitation)
        for procedure in plan.procedures
    ]
    return Estimate(
        lines=lines,
        total_fee=sum((ln.fee for ln in lines), ZERO),
        total_allowed=sum((ln.allowed.amount for ln in lines), ZERO),
        total_insurance=sum((ln.insurance.amount for ln in lines), ZERO),
        total_patient=sum((ln.patient.amount for ln in lines), ZERO),
        plan_type="capitation" if capitation else "fee_for_service",
        facts=plan_facts(benefits, plan, capitation=capitation),
        notes=notes,
    )


def plan_facts(benefits: DentalBenefits, plan: TreatmentPlan, *, capitation: bool) -> list[str]:
    """The plan facts an estimate rests on, in words a patient can check."""
    facts = [
        f"plan: {benefits.plan_name or 'name not stated'}"
        + (f" ({benefits.payer_name})" if benefits.payer_name else "")
    ]
    span = " ".join(
        part
        for part in (
            f"from {benefits.plan_begin}" if benefits.plan_begin else "",
            f"to {benefits.plan_end}" if benefits.plan_end else "",
        )
        if part
    )
    facts.append(f"coverage: {benefits.coverage.replace('_', ' ')}" + (f" {span}" if span else ""))
    if capitation:
        facts.append(
            "copay plan (capitation, e.g. a DHMO): you pay the listed copay; the "
            "plan pays the office a fixed monthly amount, not per procedure"
        )
    else:
        facts.append(
            f"{'in' if plan.network == 'in' else 'out of'} network"
            + (
                "; the plan's allowed amounts (fee schedule) are used"
                if plan.fee_schedule
                else "; the office's fees are used"
            )
        )
    for label, rows in (
        ("deductible", benefits.deductibles),
        ("annual maximum", benefits.maximums),
    ):
        for row in rows:
            if row.level != "individual" or row.network not in ("in", "both", "not_stated"):
                continue
            left = f", {row.remaining} remaining" if row.remaining is not None else ""
            facts.append(
                f"{'lifetime maximum' if row.period == 'lifetime' else label} "
                f"{row.amount if row.amount is not None else 'not stated'} for "
                f"{_types(row.service_types)}{left}"
            )
    facts += [
        f"waiting period: {w.text}" + (f" (until {w.until})" if w.until else "")
        for w in benefits.waiting_periods
    ]
    return facts


def _line(
    benefits: DentalBenefits,
    plan: TreatmentPlan,
    procedure: PlannedProcedure,
    pools: _Pools,
    *,
    capitation: bool,
) -> LineEstimate:
    code, fee = procedure.procedure_code, procedure.fee
    flags: list[str] = []
    service_type = _service_type(code, benefits)
    scheduled = plan.fee_schedule.get(code)
    if scheduled is not None:
        allowed = Figure(
            amount=min(fee, scheduled),
            rule=f"fee schedule {scheduled} for {code}"
            + (" (more than the fee: the fee is used)" if scheduled > fee else ""),
        )
    else:
        allowed = Figure(amount=fee, rule="no fee schedule given: the office fee")
    benefit, which = _benefit_for(service_type, benefits, plan.network)
    category = benefit.category if benefit else CATEGORY_OF_SERVICE_TYPE.get(service_type)

    def result(
        insurance: Figure, deductible: Figure, coinsurance: Figure, base: Figure = allowed
    ) -> LineEstimate:
        patient = Figure(
            amount=base.amount - insurance.amount,
            rule=f"allowed {base.amount} − insurance {insurance.amount}",
        )
        return LineEstimate(
            procedure_code=code,
            tooth=procedure.tooth,
            fee=fee,
            description=procedure.description,
            category=category,
            allowed=base,
            deductible=deductible,
            coinsurance=coinsurance,
            insurance=insurance,
            patient=patient,
            flags=flags,
        )

    none = Figure(amount=ZERO, rule="not applied")
    limit_hit = _frequency(benefits, code, service_type, pools, flags)
    share = _share(benefit, plan.network) if benefit is not None else None
    stopped = _no_share(
        benefits, plan, benefit, share, which, limit_hit, (code, service_type), flags
    )
    if stopped is not None:
        return result(Figure(amount=ZERO, rule=stopped), none, none)
    if capitation and isinstance(share, Figure):
        copay = min(share.amount, fee)
        return result(
            Figure(
                amount=ZERO,
                rule="capitation plan: the payer pays the office a "
                "fixed monthly amount, nothing for this procedure",
            ),
            Figure(amount=ZERO, rule="capitation plan: no deductible"),
            Figure(amount=copay, rule=f"copay {share.amount} for {which}"),
            Figure(
                amount=copay,
                rule=f"capitation plan: the office accepts the "
                f"copay {share.amount} for {which} as the whole fee (office fee "
                f"{fee})"
                + (" (the copay is more than the fee: the fee)" if share.amount > fee else ""),
            ),
        )
    assert share is not None  # noqa: S101 - _no_share stops every line without one

    deductible_acc = benefits.accumulator("deductible", service_type)
    if deductible_acc is None:
        deductible = Figure(amount=ZERO, rule="no deductible stated for this service")
    elif deductible_acc.amount == ZERO:
        deductible = Figure(
            amount=ZERO,
            rule="the payer states a 0.00 deductible for " + _types(deductible_acc.service_types),
        )
    else:
        left, source = _pool(pools, deductible_acc, plan.used.deductible_met)
        applied = min(left, allowed.amount)
        pools.remaining[id(deductible_acc)] = left - applied
        deductible = Figure(
            amount=applied, rule=f"deductible for {_types(deductible_acc.service_types)}: {source}"
        )
    base = allowed.amount - deductible.amount
    if isinstance(share, Figure):
        patient_part = min(share.amount, base)
        coinsurance = Figure(amount=patient_part, rule=f"copay {share.amount} for {which}")
    else:
        patient_part = _money(base * share)
        coinsurance = Figure(amount=patient_part, rule=f"{_pct(share)} of {base} for {which}")
    payable = base - patient_part
    rule = (
        f"allowed {allowed.amount} − deductible {deductible.amount} − "
        f"{'copay' if isinstance(share, Figure) else 'coinsurance'} {patient_part}"
    )

    maximum = _maximum(benefits, service_type)
    if maximum is None:
        insurance = Figure(amount=payable, rule=rule + "; no maximum stated")
    else:
        used = (
            plan.used.orthodontic_maximum_used
            if service_type == ORTHODONTICS
            else plan.used.maximum_used
        )
        left, source = _pool(pools, maximum, used)
        paid = min(payable, left)
        pools.remaining[id(maximum)] = left - paid
        if paid < payable:
            flags.append(
                f"{'orthodontic lifetime' if service_type == ORTHODONTICS else 'annual'}"
                f" maximum reached: {payable - paid} over the remaining {left}"
            )
            rule += f"; capped at the remaining maximum ({source})"
        insurance = Figure(amount=paid, rule=rule)
        if maximum.remaining is None and plan.used.maximum_used is None:
            flags.append("remaining maximum not stated: assumed unused")
    if plan.network == "out" and fee > allowed.amount:
        flags.append(
            f"out of network: the office may also bill {fee - allowed.amount} "
            "(fee above the allowed amount)"
        )
    return result(insurance, deductible, coinsurance)


def _no_share(
    benefits: DentalBenefits,
    plan: TreatmentPlan,
    benefit: CategoryBenefit | None,
    share: Decimal | Figure | None,
    which: str,
    limit_hit: str | None,
    procedure: tuple[str, str],
    flags: list[str],
) -> str | None:
    """Why the payer would pay nothing for the line (the rule), or ``None``."""
    if benefits.coverage != "active":
        flags.append(f"coverage {benefits.coverage.replace('_', ' ')}")
        return "no active coverage stated"
    if benefit is not None and benefit.covered is False:
        flags.append(f"{which} is not covered")
        return f"{which} not covered by the plan"
    if share is None:
        flags.append(f"coinsurance for {which} not stated by the payer")
        return f"the payer stated no coinsurance or copay for {which}: no insurance share estimated"
    if limit_hit is not None:
        return f"frequency limit {limit_hit} reached"
    return _waiting(benefits, plan, *procedure, flags)


def _maximum(benefits: DentalBenefits, service_type: str) -> Accumulator | None:
    if service_type == ORTHODONTICS:
        return benefits.accumulator("maximum", ORTHODONTICS, period="lifetime")
    for period in ("calendar_year", "service_year", "contract", "not_stated"):
        found = benefits.accumulator("maximum", service_type, period=period)
        if found is not None:
            return found
    return None


_NOT_LIMITS = frozenset({"not_exceeded", "year_to_date"})
"""HSD periods whose count is information, not a limit to count against."""


def _frequency(
    benefits: DentalBenefits, code: str, service_type: str, pools: _Pools, flags: list[str]
) -> str | None:
    """Count this procedure; the limit's text when it would exceed a stated limit.

    The practice's own count (``used.procedures``) is held against the limit; without one,
    a "remaining" count the payer stated is held against this plan's own procedures.
    """
    hit = None
    for limit in benefits.frequencies:
        if not limit.applies_to(code, service_type if not limit.procedure_codes else None):
            continue
        codes = limit.procedure_codes or [code]
        if limit.remaining is not None and not pools.known.intersection(codes):
            done, allowed, said = (
                sum(pools.planned.get(c, 0) for c in codes),
                limit.remaining,
                "planned before it",
            )
        elif limit.count is not None and limit.period not in _NOT_LIMITS:
            done, allowed, said = (
                sum(pools.used.get(c, 0) for c in codes),
                limit.count,
                "already done",
            )
            if limit.period == "exceeded":
                allowed = 0
        else:
            continue
        if done >= allowed:
            hit = limit.text
            flags.append(
                f"frequency limit {limit.text} would be exceeded ({done} {said}): "
                "the payer is likely to deny it"
            )
    pools.used[code] = pools.used.get(code, 0) + 1
    pools.planned[code] = pools.planned.get(code, 0) + 1
    return hit


_LENGTH = re.compile(r"(\d{1,3})[\s-]*(MONTH|MO\b|MOS\b|YEAR|YR)", re.IGNORECASE)


def _applies(period: WaitingPeriod, code: str, service_type: str) -> bool:
    if period.procedure_codes:
        return code in period.procedure_codes
    return service_type in period.service_types or "35" in period.service_types


def _add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(start.day, days))


def waiting_period_end(period: WaitingPeriod, benefits: DentalBenefits) -> tuple[date | None, str]:
    """The day the services are covered from, and how it was found (``None``: unknown)."""
    if period.until is not None:
        return period.until, f"the payer dates its end {period.until}"
    found = _LENGTH.search(period.text)
    start = benefits.eligibility_begin or benefits.plan_begin
    if found is None or start is None:
        return None, (
            "the payer gave no length"
            if found is None
            else "the payer gave no eligibility or plan begin date"
        )
    months = int(found.group(1)) * (12 if found.group(2).upper().startswith("Y") else 1)
    which = "eligibility" if benefits.eligibility_begin else "plan"
    return _add_months(start, months), f"{months} months from the {which} begin date {start}"


def _waiting(
    benefits: DentalBenefits, plan: TreatmentPlan, code: str, service_type: str, flags: list[str]
) -> str | None:
    """The rule when a stated waiting period still runs on the visit's date (no insurance
    share); a flag for each period that applies either way."""
    for period in benefits.waiting_periods:
        if not _applies(period, code, service_type):
            continue
        end, how = waiting_period_end(period, benefits)
        if end is None or plan.service_date is None:
            missing = how if end is None else "no visit date was given"
            flags.append(
                f"waiting period stated by the payer: {period.text} — not checked "
                f"({missing}); the insurance share is counted, confirm with the "
                "payer"
            )
        elif plan.service_date < end:
            flags.append(
                f"waiting period: not covered before {end} ({how}); the visit "
                f"on {plan.service_date} is inside it"
            )
            return (
                f"waiting period until {end} ({how}): {period.text}; no insurance share before then"
            )
        else:
            flags.append(f"waiting period ended {end} ({how})")
    return None
