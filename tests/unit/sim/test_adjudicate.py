"""The simulator's payer: deterministic, balanced, valid 835s that our posting engine
posts completely — the loop the demo and the exchange tests rely on."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from edigateway.reconcile.balance import check_remittance
from edigateway.services.claims import load_claim_file
from edigateway.sim.adjudicate import Adjudicator, Rules, payer_claim_number
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x835_005010X221A1 import read_835, write_835
from tests.factories import REPO

RULES = Rules.load(REPO / "mappings")
PARAMS = InterchangeParams(
    "ZZ",
    "EDGSIM",
    "ZZ",
    "EDIGATEWAY",
    "EDGSIM",
    "EDIGATEWAY",
    9,
    9,
    1,
    datetime(2026, 11, 23, 12, 0),
)


def _claims(name: str):
    return load_claim_file(REPO / "fixtures" / "claims" / name).claims


def test_fee_schedule_deductible_and_coinsurance():
    (claim,) = _claims("07_quadrant_scaling.json")  # D4341 285 ×2, D4342 190 (perio, 20 %)
    payment = Adjudicator(RULES).claim(claim)
    first, second, third = payment.services
    # D4341: allowed 228, CO-45 57; deductible 50; coinsurance 20 % of 178 = 35.60
    assert [(a.group, a.reason, a.amount) for a in first.adjustments] == [
        ("CO", "45", Decimal("57.00")),
        ("PR", "1", Decimal("50.00")),
        ("PR", "2", Decimal("35.60")),
    ]
    assert first.paid == Decimal("142.40")
    # the deductible is met: the second D4341 pays 80 % of 228
    assert second.paid == Decimal("182.40")
    assert third.paid == Decimal("121.60")  # D4342: allowed 152, 20 % = 30.40
    assert payment.status == "1"
    assert payment.paid == Decimal("446.40")
    assert payment.payer_claim_control_number == payer_claim_number(claim.patient_control_number)


def test_not_covered_code_is_denied_with_its_codes():
    rules = RULES.model_copy(update={"not_covered": {"D2740": ["96", "N130"]}})
    (claim,) = _claims("05_crown_initial.json")
    payment = Adjudicator(rules).claim(claim)
    crown = next(s for s in payment.services if s.procedure_code == "D2740")
    assert crown.paid == 0
    assert [(a.group, a.reason) for a in crown.adjustments] == [("CO", "96")]
    assert crown.remark_codes == ["N130"]


def test_remittance_balances_validates_and_reverses(validator: Validator):
    claims = [
        c
        for name in (
            "01_filling_amalgam_mod.json",
            "05_crown_initial.json",
            "07_quadrant_scaling.json",
        )
        for c in _claims(name)
    ]
    first_pcn = claims[0].patient_control_number
    adjudicator = Adjudicator(RULES.model_copy(update={"reverse_and_correct": [first_pcn]}))
    first = adjudicator.remittance(
        claims,
        trace="SIM1",
        paid_on=date(2026, 11, 20),
        payee_name="MAPLE STREET DENTAL",
        payee_npi="1456789019",
    )
    again = adjudicator.remittance(
        claims[:1],
        trace="SIM2",
        paid_on=date(2026, 11, 27),
        payee_name="MAPLE STREET DENTAL",
        payee_npi="1456789019",
    )
    assert [c.status for c in again.claims] == ["22", "1"]
    assert again.claims[0].paid == -again.claims[1].paid
    for remittance in (first, again):
        assert check_remittance(remittance) == []
        text = write_835([remittance], PARAMS)
        verdict = validator.validate_text(text, "sim.835")
        assert verdict.status == "valid", verdict.errors
        (read,) = read_835(text.encode()).remittances
        assert check_remittance(read) == []
