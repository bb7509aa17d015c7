"""The simulator's payer: adjudicate claims by deterministic rules into 835 remittances.

Rules come from ``mappings/simulator/adjudication.json`` so tests and the demo can predict
every cent, and from the benefit table its own 271s answer with
(``mappings/simulator/benefit_plans.json``), so a claim is paid the way the eligibility
answer said it would be:

* **Fee for service** (PPO and indemnity members): allowed = the fee schedule (or a fixed
  share of the fee), the difference is a CO-45 write-off; a deductible is taken once per
  patient and payer — a dependent has their own, not the subscriber's — except for the
  service types it is waived for; the patient's coinsurance per service type is PR-2; codes
  listed as not covered are denied (CO with the configured CARC and an LQ remark).
* **Copay schedule** (DHMO members, whose 271 lists an in-network copay per category):
  nothing is paid per service (the office is paid by capitation), the patient owes the
  copay of the line's service type (PR-3) and the rest is CO-24 (covered by capitation).
  The claim is processed (CLP02 = 1), not denied.
* **Predeterminations** (CLM19 = PB) are priced, never paid, the usual dental way:
  CLP02 = 25, each line's SVC03 the estimated benefit with its CO-45/PR adjustments and
  AMT*B6 allowed, a claim-level ``CAS*OA*101`` offsetting the estimate so CLP04 = 0; CLP07
  is the payer's predetermination number. Pricing uses no one's deductible.
* **Secondary claims** (SBR01 = S) are paid after the primary (coordination of benefits):
  per line the smaller of the plan's own benefit and what the primary left the patient
  (its PR adjustments in 2430 CAS, or the claim's AMT*EAF), never more than that remaining
  liability; CLP02 = 2, OA-23 for what the earlier payer's adjudication covered.
* **Replacements and voids** (CLM05-3 = 7 / 8): the payment standing for the claim is
  reversed (CLP02 = 22, every amount negated) in the same 835, before the replacement's
  payment; a void gets only the reversal.

Claims named in ``reverse_and_correct`` come back in a later cycle as a reversal and a
corrected payment; one PLB adjustment per remittance when configured.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from edigateway.domain.remittances import (
    Adjustment,
    ClaimPayment,
    Party,
    PartyAddress,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from edigateway.estimates.cdt import service_type_of

if TYPE_CHECKING:
    from pathlib import Path

    from edigateway.domain.claims import Claim, ServiceLine
    from edigateway.sim.eligibility import BenefitPlans

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class PlbRule(BaseModel):
    """A provider-level adjustment added to each remittance."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    reason: str
    amount: Decimal


class Rules(BaseModel):
    """The simulator payer's adjudication rules (see module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    payer_name: str
    payer_id: str
    payer_address: PartyAddress
    payer_phone: str
    allowed_ratio_without_schedule: Decimal
    fee_schedule: dict[str, Decimal]
    coinsurance: dict[str, Decimal]
    deductible: Decimal
    deductible_waived_for: list[str]
    not_covered: dict[str, list[str]]
    reverse_and_correct: list[str]
    provider_adjustment: PlbRule | None = None

    @classmethod
    def load(cls, mappings_dir: Path) -> Rules:
        """The rules shipped in ``mappings/simulator/adjudication.json``."""
        path = mappings_dir / "simulator" / "adjudication.json"
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def payer_claim_number(pcn: str) -> str:
    """The simulator's stable claim number for our patient control number."""
    return "SIM" + hashlib.sha256(pcn.encode()).hexdigest()[:12].upper()


def deductible_key(claim: Claim) -> str:
    """Whose deductible a claim uses: the plan (payer ID), the subscriber's member ID and
    the patient — a dependent meets their own deductible, not the subscriber's."""
    who = "self"
    if claim.patient is not None:
        p = claim.patient
        who = f"{p.name.last_name}/{p.name.first_name or ''}/{p.date_of_birth.isoformat()}"
    return f"{claim.payer.payer_id}|{claim.subscriber.member_id}|{who}"


@dataclass(frozen=True, slots=True)
class _Benefit:
    """How the plan's own rules price one line, before any other payer is considered."""

    allowed: Decimal
    adjustments: list[Adjustment]
    deductible: Decimal
    paid: Decimal
    remarks: list[str]

    @property
    def covered(self) -> bool:
        return not self.remarks and not any(
            a.group == "CO" and a.reason != "45" for a in self.adjustments
        )


@dataclass
class Adjudicator:
    """Adjudicates claims; remembers deductibles met (per :func:`deductible_key`), whose
    deductible each payment used, and what it paid (for reversals)."""

    rules: Rules
    plans: BenefitPlans | None = None
    deductible_met: dict[str, Decimal] = field(default_factory=dict)
    paid: dict[str, ClaimPayment] = field(default_factory=dict)
    deductible_of: dict[str, str] = field(default_factory=dict)
    """Patient control number → the deductible key its payment used (to give it back)."""

    def claim(self, claim: Claim) -> ClaimPayment:
        """How the simulator answers ``claim``: priced (a predetermination), paid as a
        secondary, by copay schedule, or fee for service."""
        if claim.is_predetermination:
            return self._predetermination(claim)
        copays = self.plans.copays(claim.subscriber.member_id) if self.plans else None
        if claim.payer_responsibility == "S":
            services = self._secondary(claim)
        elif copays is not None:
            services = [self._copay(claim, n, copays) for n in range(1, len(claim.lines) + 1)]
        else:
            key = deductible_key(claim)
            services = [
                self._service(claim, n, self._benefit(claim.lines[n - 1], key))
                for n in range(1, len(claim.lines) + 1)
            ]
        paid = sum((s.paid for s in services), ZERO)
        patient = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), ZERO)
        denied = (
            paid == ZERO
            and claim.total_charge > ZERO
            and all(
                any(a.group == "CO" and a.reason not in ("45", "24") for a in s.adjustments)
                for s in services
            )
        )
        status = "4" if denied else ("2" if claim.payer_responsibility == "S" else "1")
        payment = self._payment(claim, status, services, paid, patient)
        self.paid[claim.patient_control_number] = payment
        self.deductible_of[claim.patient_control_number] = deductible_key(claim)
        return payment

    def _payment(
        self,
        claim: Claim,
        status: str,
        services: list[ServicePayment],
        paid: Decimal,
        patient: Decimal,
        adjustments: list[Adjustment] | None = None,
    ) -> ClaimPayment:
        who = claim.patient.name if claim.patient else claim.subscriber.name
        return ClaimPayment(
            patient_control_number=claim.patient_control_number,
            status=status,
            charge=claim.total_charge,
            paid=paid,
            patient_responsibility=patient,
            filing_indicator="12",
            frequency=claim.frequency,
            payer_claim_control_number=payer_claim_number(claim.patient_control_number),
            patient_last_name=who.last_name,
            member_id=claim.subscriber.member_id,
            service_start=claim.service_date,
            adjustments=adjustments or [],
            services=services,
        )

    def _benefit(self, line: ServiceLine, key: str) -> _Benefit:
        """The plan's own pricing of ``line``, taking the deductible it uses from the
        balance of ``key`` (:func:`deductible_key`)."""
        code, charge = line.procedure_code, line.charge
        if code in self.rules.not_covered:
            carc, *remarks = self.rules.not_covered[code]
            return _Benefit(
                ZERO, [Adjustment(group="CO", reason=carc, amount=charge)], ZERO, ZERO, remarks
            )
        scheduled = self.rules.fee_schedule.get(code)
        allowed = (
            min(charge, scheduled)
            if scheduled is not None
            else (charge * self.rules.allowed_ratio_without_schedule).quantize(CENT, ROUND_HALF_UP)
        )
        adjustments = []
        if charge > allowed:
            adjustments.append(Adjustment(group="CO", reason="45", amount=charge - allowed))
        service_type = service_type_of(code)
        deductible = ZERO
        if service_type not in self.rules.deductible_waived_for:
            met = self.deductible_met.get(key, ZERO)
            deductible = max(ZERO, min(self.rules.deductible - met, allowed))
            self.deductible_met[key] = met + deductible
            if deductible:
                adjustments.append(Adjustment(group="PR", reason="1", amount=deductible))
        share = self.rules.coinsurance.get(service_type, self.rules.coinsurance.get("35", ZERO))
        coinsurance = ((allowed - deductible) * share).quantize(CENT, ROUND_HALF_UP)
        if coinsurance:
            adjustments.append(Adjustment(group="PR", reason="2", amount=coinsurance))
        return _Benefit(allowed, adjustments, deductible, allowed - deductible - coinsurance, [])

    @staticmethod
    def _service(claim: Claim, number: int, benefit: _Benefit) -> ServicePayment:
        line = claim.lines[number - 1]
        return ServicePayment(
            procedure_code=line.procedure_code,
            charge=line.charge,
            service_date=line.service_date or claim.service_date,
            line_control_number=line.line_control_number,
            paid=benefit.paid,
            allowed_amount=benefit.allowed if benefit.covered else None,
            remark_codes=benefit.remarks,
            adjustments=benefit.adjustments,
        )

    def _copay(self, claim: Claim, number: int, copays: dict[str, Decimal]) -> ServicePayment:
        """A DHMO line: the patient's copay for its service type (the "35" Dental Care
        copay when the schedule does not list the type, none when neither is listed), the
        rest covered by capitation."""
        line = claim.lines[number - 1]
        if line.procedure_code in self.rules.not_covered:
            return self._service(claim, number, self._benefit(line, ""))
        service_type = service_type_of(line.procedure_code)
        copay = min(line.charge, copays.get(service_type, copays.get("35", ZERO)))
        adjustments = [
            a
            for a in (
                Adjustment(group="PR", reason="3", amount=copay) if copay else None,
                Adjustment(group="CO", reason="24", amount=line.charge - copay)
                if line.charge > copay
                else None,
            )
            if a is not None
        ]
        return self._service(claim, number, _Benefit(line.charge, adjustments, ZERO, ZERO, []))

    def _predetermination(self, claim: Claim) -> ClaimPayment:
        """CLP02 = 25: every line priced (estimated benefit in SVC03), offset at claim
        level by OA-101 so nothing is paid. The deductible is taken once across the
        plan's lines, as the claim will be, but not used up: the patient's stays as it was."""
        key = deductible_key(claim)
        before = self.deductible_met.get(key)
        services = [
            self._service(claim, n, self._benefit(claim.lines[n - 1], key))
            for n in range(1, len(claim.lines) + 1)
        ]
        if before is None:
            self.deductible_met.pop(key, None)
        else:
            self.deductible_met[key] = before
        estimate = sum((s.paid for s in services), ZERO)
        patient = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), ZERO)
        offset = [Adjustment(group="OA", reason="101", amount=estimate)] if estimate else []
        return self._payment(claim, "25", services, ZERO, patient, offset)

    def _secondary(self, claim: Claim) -> list[ServicePayment]:
        """Coordination of benefits: each line pays the smaller of the plan's own benefit
        and what the earlier payers left the patient on it, and never, in all, more than
        the claim's remaining patient liability (AMT*EAF) when the primary stated it."""
        key = deductible_key(claim)
        claim_left = min(
            (
                o.remaining_patient_liability
                for o in claim.other_payers
                if o.remaining_patient_liability is not None
            ),
            default=None,
        )
        budget = claim_left if claim_left is not None else self._left_by_claim(claim)
        services = []
        for line in claim.lines:
            own = self._benefit(line, key)
            left = self._left_on_line(line)
            left = min(left if left is not None else line.charge, budget, line.charge)
            pays = min(own.paid, left) if own.covered else ZERO
            budget -= pays
            still_owed = left - pays
            adjustments = []
            if line.charge > left:
                adjustments.append(Adjustment(group="OA", reason="23", amount=line.charge - left))
            if still_owed and not own.covered:
                adjustments.append(Adjustment(group="PR", reason="96", amount=still_owed))
            elif still_owed:
                deductible = min(own.deductible, still_owed)
                adjustments += [
                    a
                    for a in (
                        Adjustment(group="PR", reason="1", amount=deductible)
                        if deductible
                        else None,
                        Adjustment(group="PR", reason="2", amount=still_owed - deductible)
                        if still_owed > deductible
                        else None,
                    )
                    if a is not None
                ]
            services.append(
                ServicePayment(
                    procedure_code=line.procedure_code,
                    charge=line.charge,
                    service_date=line.service_date or claim.service_date,
                    line_control_number=line.line_control_number,
                    paid=pays,
                    allowed_amount=own.allowed if own.covered else None,
                    remark_codes=own.remarks,
                    adjustments=adjustments,
                )
            )
        return services

    @staticmethod
    def _left_on_line(line: ServiceLine) -> Decimal | None:
        """What the earlier payers' line adjudications (2430) left the patient: their
        patient-responsibility adjustments (of the last payer, who saw the others)."""
        if not line.adjudications:
            return None
        last = line.adjudications[-1]
        return sum((a.amount for a in last.adjustments if a.group == "PR"), ZERO)

    @staticmethod
    def _left_by_claim(claim: Claim) -> Decimal:
        """Without AMT*EAF: the charge less what the earlier payers paid and wrote off
        (their non-patient claim and line adjustments)."""
        taken = sum(
            (o.paid_amount or ZERO)
            + sum((a.amount for a in o.claim_adjustments if a.group != "PR"), ZERO)
            for o in claim.other_payers
            if o.responsibility != "S"
        )
        taken += sum(
            (
                a.amount
                for line in claim.lines
                for j in line.adjudications
                for a in j.adjustments
                if a.group != "PR"
            ),
            ZERO,
        )
        return max(ZERO, claim.total_charge - taken)

    def reversal(self, pcn: str) -> ClaimPayment | None:
        """The reversal (CLP02 = 22) of the payment standing for ``pcn``, negated line by
        line; the deductible it used is given back and the payment no longer stands."""
        earlier = self.paid.pop(pcn, None)
        if earlier is None:
            return None
        key = self.deductible_of.pop(pcn, None)
        if key is not None:
            self.deductible_met[key] = self.deductible_met.get(key, ZERO) - sum(
                (
                    a.amount
                    for s in earlier.services
                    for a in s.adjustments
                    if (a.group, a.reason) == ("PR", "1")
                ),
                ZERO,
            )
        return earlier.model_copy(
            update={
                "status": "22",
                "charge": -earlier.charge,
                "paid": -earlier.paid,
                "patient_responsibility": -(earlier.patient_responsibility or ZERO),
                "adjustments": [
                    a.model_copy(update={"amount": -a.amount}) for a in earlier.adjustments
                ],
                "services": [
                    s.model_copy(
                        update={
                            "charge": -s.charge,
                            "paid": -s.paid,
                            "allowed_amount": None,
                            "adjustments": [
                                a.model_copy(update={"amount": -a.amount}) for a in s.adjustments
                            ],
                        }
                    )
                    for s in earlier.services
                ],
            }
        )

    def answers(self, claim: Claim, *, correct: bool = False) -> list[ClaimPayment]:
        """The CLP loops answering ``claim``: a replacement (7) or ``correct`` first reverses
        the payment standing for it; a void (8) is only that reversal."""
        pcn = claim.patient_control_number
        reversal = self.reversal(pcn) if correct or claim.frequency in ("7", "8") else None
        if claim.frequency == "8":
            return [reversal] if reversal is not None else []
        return [*([reversal] if reversal is not None else []), self.claim(claim)]

    def remittance(
        self, claims: list[Claim], *, trace: str, paid_on: date, payee_name: str, payee_npi: str
    ) -> Remittance:
        """One 835 payment for ``claims`` (reversal + correction for the configured ones)."""
        payments = [
            p
            for claim in claims
            for p in self.answers(
                claim, correct=claim.patient_control_number in self.rules.reverse_and_correct
            )
        ]
        plbs = []
        rule = self.rules.provider_adjustment
        if rule is not None and payments:
            plbs.append(
                ProviderAdjustment(
                    provider_id=payee_npi,
                    fiscal_period_end=date(paid_on.year, 12, 31),
                    reason=rule.reason,
                    reference=payments[0].payer_claim_control_number,
                    amount=rule.amount,
                )
            )
        total = sum((p.paid for p in payments), ZERO) - sum((p.amount for p in plbs), ZERO)
        return Remittance(
            transaction_control_number="0001",
            handling_code="I" if total > ZERO else "H",
            payment_amount=abs(total),
            credit_debit="C" if total >= ZERO else "D",
            payment_method="ACH" if total > ZERO else "NON",
            payment_date=paid_on,
            trace_number=trace,
            payer_trace_id="1"
            + hashlib.sha256(self.rules.payer_id.encode()).hexdigest()[:9].upper(),
            payer=Party(
                name=self.rules.payer_name,
                address=self.rules.payer_address,
                contact_name="PROVIDER SERVICES",
                contact_phone=self.rules.payer_phone,
            ),
            payer_id=self.rules.payer_id,
            payee=Party(name=payee_name, identifier_qualifier="XX", identifier=payee_npi),
            claims=payments,
            provider_adjustments=plbs,
        )
