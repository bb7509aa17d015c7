"""The simulator's payer: adjudicate claims by deterministic rules into 835 remittances.

Rules come from ``mappings/simulator/adjudication.json`` so tests and the demo can predict
every cent: allowed = the fee schedule (or a fixed share of the fee), the difference is a
CO-45 write-off; a deductible is taken once per member (not for the service types it is
waived for); the patient's coinsurance per service type is PR-2; codes listed as not
covered are denied (CO with the configured CARC and an LQ remark); claims named in
``reverse_and_correct`` come back as a reversal (CLP02 = 22) of their earlier payment and a
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

    from edigateway.domain.claims import Claim

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


@dataclass
class Adjudicator:
    """Adjudicates claims; remembers deductibles met and what it paid (for reversals)."""

    rules: Rules
    deductible_met: dict[str, Decimal] = field(default_factory=dict)
    paid: dict[str, ClaimPayment] = field(default_factory=dict)

    def claim(self, claim: Claim) -> ClaimPayment:
        """How the simulator pays ``claim``."""
        member = claim.subscriber.member_id
        services = [self._line(claim, number, member)
                    for number in range(1, len(claim.lines) + 1)]
        paid = sum((s.paid for s in services), ZERO)
        patient = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"),
                      ZERO)
        denied = paid == ZERO and patient == ZERO and claim.total_charge > ZERO
        who = claim.patient.name if claim.patient else claim.subscriber.name
        payment = ClaimPayment(
            patient_control_number=claim.patient_control_number,
            status="4" if denied else ("2" if claim.payer_responsibility == "S" else "1"),
            charge=claim.total_charge, paid=paid, patient_responsibility=patient,
            filing_indicator="12", frequency=claim.frequency,
            payer_claim_control_number=payer_claim_number(claim.patient_control_number),
            patient_last_name=who.last_name, member_id=member,
            service_start=claim.service_date, services=services)
        self.paid[claim.patient_control_number] = payment
        return payment

    def _line(self, claim: Claim, number: int, member: str) -> ServicePayment:
        line = claim.lines[number - 1]
        code, charge = line.procedure_code, line.charge
        when = line.service_date or claim.service_date
        if code in self.rules.not_covered:
            carc, *remarks = self.rules.not_covered[code]
            return ServicePayment(
                procedure_code=code, charge=charge, service_date=when,
                line_control_number=line.line_control_number, paid=ZERO,
                remark_codes=remarks,
                adjustments=[Adjustment(group="CO", reason=carc, amount=charge)])
        scheduled = self.rules.fee_schedule.get(code)
        allowed = min(charge, scheduled) if scheduled is not None else (
            charge * self.rules.allowed_ratio_without_schedule).quantize(CENT, ROUND_HALF_UP)
        adjustments = []
        if charge > allowed:
            adjustments.append(Adjustment(group="CO", reason="45", amount=charge - allowed))
        service_type = service_type_of(code)
        deductible = ZERO
        if service_type not in self.rules.deductible_waived_for:
            met = self.deductible_met.get(member, ZERO)
            deductible = min(self.rules.deductible - met, allowed)
            self.deductible_met[member] = met + deductible
            if deductible:
                adjustments.append(Adjustment(group="PR", reason="1", amount=deductible))
        share = self.rules.coinsurance.get(service_type, self.rules.coinsurance.get("35", ZERO))
        coinsurance = ((allowed - deductible) * share).quantize(CENT, ROUND_HALF_UP)
        if coinsurance:
            adjustments.append(Adjustment(group="PR", reason="2", amount=coinsurance))
        return ServicePayment(
            procedure_code=code, charge=charge, service_date=when,
            line_control_number=line.line_control_number,
            paid=allowed - deductible - coinsurance, allowed_amount=allowed,
            adjustments=adjustments)

    def reversal(self, pcn: str) -> ClaimPayment | None:
        """The reversal (CLP02 = 22) of what was paid for ``pcn``, negated line by line."""
        earlier = self.paid.get(pcn)
        if earlier is None:
            return None
        member = earlier.member_id or ""
        self.deductible_met[member] = self.deductible_met.get(member, ZERO) - sum(
            (a.amount for s in earlier.services for a in s.adjustments
             if (a.group, a.reason) == ("PR", "1")), ZERO)  # the reversal gives it back
        return earlier.model_copy(update={
            "status": "22", "charge": -earlier.charge, "paid": -earlier.paid,
            "patient_responsibility": -(earlier.patient_responsibility or ZERO),
            "services": [s.model_copy(update={
                "charge": -s.charge, "paid": -s.paid, "allowed_amount": None,
                "adjustments": [a.model_copy(update={"amount": -a.amount})
                                for a in s.adjustments]}) for s in earlier.services]})

    def remittance(self, claims: list[Claim], *, trace: str, paid_on: date,
                   payee_name: str, payee_npi: str) -> Remittance:
        """One 835 payment for ``claims`` (reversal + correction for the configured ones)."""
        payments: list[ClaimPayment] = []
        for claim in claims:
            reversal = (self.reversal(claim.patient_control_number)
                        if claim.patient_control_number in self.rules.reverse_and_correct
                        else None)
            if reversal is not None:
                payments.append(reversal)
            payments.append(self.claim(claim))
        plbs = []
        rule = self.rules.provider_adjustment
        if rule is not None and payments:
            plbs.append(ProviderAdjustment(
                provider_id=payee_npi, fiscal_period_end=date(paid_on.year, 12, 31),
                reason=rule.reason, reference=payments[0].payer_claim_control_number,
                amount=rule.amount))
        total = sum((p.paid for p in payments), ZERO) - sum((p.amount for p in plbs), ZERO)
        return Remittance(
            transaction_control_number="0001", handling_code="I" if total > ZERO else "H",
            payment_amount=abs(total), credit_debit="C" if total >= ZERO else "D",
            payment_method="ACH" if total > ZERO else "NON", payment_date=paid_on,
            trace_number=trace, payer_trace_id="1" + hashlib.sha256(
                self.rules.payer_id.encode()).hexdigest()[:9].upper(),
            payer=Party(name=self.rules.payer_name, address=self.rules.payer_address,
                        contact_name="PROVIDER SERVICES", contact_phone=self.rules.payer_phone),
            payer_id=self.rules.payer_id,
            payee=Party(name=payee_name, identifier_qualifier="XX", identifier=payee_npi),
            claims=payments, provider_adjustments=plbs)
