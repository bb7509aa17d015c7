"""The simulator pays like a dental payer: predeterminations priced and never paid (CLP02
25), secondaries after the primary and never past what it left the patient, replacements
and voids reversing the payment they replace, deductibles per patient and plan, DHMO
members by the copay schedule its own 271 announces. Every answer balances and is valid."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from edigateway.domain.claims import Claim, Payer
from edigateway.reconcile.balance import check_remittance
from edigateway.reconcile.secondary import build_secondary
from edigateway.services.claims import load_claim_file
from edigateway.sim.adjudicate import Adjudicator, Rules, deductible_key, payer_claim_number
from edigateway.sim.eligibility import BenefitPlans
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x835_005010X221A1 import read_835, write_835
from tests.factories import REPO

RULES = Rules.load(REPO / "mappings").model_copy(update={"provider_adjustment": None})
PLANS = BenefitPlans.load(REPO / "mappings")
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
PAID_ON = date(2026, 11, 20)
D = Decimal


def _claims(name: str) -> list[Claim]:
    return load_claim_file(REPO / "fixtures" / "claims" / name).claims


def _cas(service) -> list[tuple[str, str, Decimal]]:
    return [(a.group, a.reason, a.amount) for a in service.adjustments]


def _valid_round_trip(adjudicator: Adjudicator, claims: list[Claim], validator: Validator):
    remittance = adjudicator.remittance(
        claims,
        trace="SIM9",
        paid_on=PAID_ON,
        payee_name="MAPLE STREET DENTAL",
        payee_npi="1456789019",
    )
    assert check_remittance(remittance) == []
    text = write_835([remittance], PARAMS)
    verdict = validator.validate_text(text, "sim.835")
    assert verdict.status == "valid", verdict.errors
    (read,) = read_835(text.encode()).remittances
    assert check_remittance(read) == []
    return read


def test_predetermination_is_priced_with_clp02_25_and_pays_nothing(validator: Validator):
    (plan,) = _claims("12_predetermination_crown_buildup.json")  # D2740 1250, D2950 290
    adjudicator = Adjudicator(RULES)
    remittance = _valid_round_trip(adjudicator, [plan], validator)
    (answer,) = remittance.claims
    assert (answer.status, answer.paid) == ("25", D("0.00"))
    assert answer.payer_claim_control_number == payer_claim_number("MSD1012")
    crown, buildup = answer.services
    # D2740: allowed 980, CO-45 270; deductible 50; major 50 % of 930 = 465 → estimate 465
    assert _cas(crown) == [
        ("CO", "45", D("270.00")),
        ("PR", "1", D("50.00")),
        ("PR", "2", D("465.00")),
    ]
    assert (crown.paid, crown.allowed_amount) == (D("465.00"), D("980.00"))
    # D2950 (basic, 20 %): allowed 220, CO-45 70; the deductible is priced once per plan
    assert _cas(buildup) == [("CO", "45", D("70.00")), ("PR", "2", D("44.00"))]
    assert buildup.paid == D("176.00")
    assert [(a.group, a.reason, a.amount) for a in answer.adjustments] == [
        ("OA", "101", D("641.00"))
    ]
    assert answer.patient_responsibility == D("559.00")
    assert remittance.payment_amount == D("0.00")
    # pricing used no one's deductible: the treatment claimed later still meets it
    assert adjudicator.deductible_met == {}
    treatment = plan.model_copy(
        update={
            "kind": "claim",
            "lines": [
                line.model_copy(update={"service_date": date(2026, 11, 2)}) for line in plan.lines
            ],
        }
    )
    paid = adjudicator.claim(treatment)
    assert paid.status == "1"
    assert paid.paid == D("641.00")  # as estimated: the deductible was still there


def test_secondary_pays_at_most_what_the_primary_left_the_patient(validator: Validator):
    (primary,) = _claims("01_filling_amalgam_mod.json")
    primary = primary.model_copy(
        update={
            "other_payers": [
                _claims("17_secondary_with_primary_adjudication.json")[0]
                .other_payers[0]
                .model_copy(
                    update={
                        "responsibility": "S",
                        "paid_amount": None,
                        "remaining_patient_liability": None,
                        "adjudication_date": None,
                        "payer": Payer(payer_id="GRDN1", name="GUARDIAN DENTAL"),
                    }
                )
            ]
        }
    )
    adjudicator = Adjudicator(RULES)
    first = adjudicator.claim(primary)
    assert first.status == "1"
    left = first.patient_responsibility
    assert left is not None
    assert left > 0
    secondary = build_secondary(primary, [first], PAID_ON)
    assert secondary.other_payers[0].remaining_patient_liability == left
    remittance = _valid_round_trip(adjudicator, [secondary], validator)
    (second,) = remittance.claims
    assert second.status == "2"
    assert D("0") < second.paid <= left
    assert first.paid + second.paid <= primary.total_charge
    for line, service, earlier in zip(
        secondary.lines, second.services, first.services, strict=True
    ):
        patient_left = sum((a.amount for a in earlier.adjustments if a.group == "PR"), D(0))
        assert service.paid <= patient_left
        # OA-23: what the primary's adjudication took care of
        assert ("OA", "23", line.charge - patient_left) in _cas(service)


def test_secondary_respects_amt_eaf_and_line_adjudications(validator: Validator):
    (claim,) = _claims("17_secondary_with_primary_adjudication.json")
    # D2740: the primary left 500 (PR-2) but the claim says 460 remains (AMT*EAF)
    remittance = _valid_round_trip(Adjudicator(RULES), [claim], validator)
    (answer,) = remittance.claims
    crown, film = answer.services
    assert crown.paid == D("460.00")  # own benefit 465, line left 500, claim left 460
    assert _cas(crown) == [("OA", "23", D("790.00"))]
    assert film.paid == D("0.00")  # the primary left nothing on the radiograph
    assert _cas(film) == [("OA", "23", D("50.00"))]
    assert answer.paid == D("460.00")


def test_secondary_own_benefit_below_what_is_left():
    (claim,) = _claims("17_secondary_with_primary_adjudication.json")
    claim = claim.model_copy(
        update={
            "other_payers": [
                claim.other_payers[0].model_copy(update={"remaining_patient_liability": None})
            ]
        }
    )
    (answer,) = Adjudicator(RULES).answers(claim)
    crown = answer.services[0]
    # own benefit 465 < 500 left: the patient still owes 35 (within the deductible 50)
    assert crown.paid == D("465.00")
    assert _cas(crown) == [("OA", "23", D("750.00")), ("PR", "1", D("35.00"))]


def test_replacement_reverses_the_original_first_and_void_only_reverses(validator: Validator):
    (original,) = _claims("01_filling_amalgam_mod.json")
    adjudicator = Adjudicator(RULES)
    paid = adjudicator.claim(original)
    replacement = original.model_copy(
        update={
            "frequency": "7",
            "payer_claim_control_number": paid.payer_claim_control_number,
            "lines": [original.lines[0].model_copy(update={"charge": D("150.00")})],
            "total_charge": D("150.00"),
        }
    )
    remittance = _valid_round_trip(adjudicator, [replacement], validator)
    reversal, corrected = remittance.claims
    assert (reversal.status, corrected.status) == ("22", "1")
    assert reversal.paid == -paid.paid
    assert reversal.payer_claim_control_number == paid.payer_claim_control_number
    assert corrected.charge == D("150.00")
    # the deductible the original used was given back, and taken again by the replacement
    assert adjudicator.deductible_met[deductible_key(original)] == D("50.00")
    void = replacement.model_copy(update={"frequency": "8"})
    (gone,) = adjudicator.answers(void)
    assert (gone.status, gone.paid) == ("22", -corrected.paid)
    assert adjudicator.answers(void) == []  # nothing stands any more
    assert original.patient_control_number not in adjudicator.paid


def test_deductible_is_per_patient_not_per_subscriber():
    subscriber, son, daughter, _other = _claims("26_batch_family_two_patients.json")
    fillings = [
        c.model_copy(
            update={
                "lines": [
                    c.lines[0].model_copy(update={"procedure_code": "D2391", "charge": D("210.00")})
                ],
                "total_charge": D("210.00"),
            }
        )
        for c in (subscriber, son, daughter)
    ]
    adjudicator = Adjudicator(RULES)
    answers = [adjudicator.claim(c) for c in fillings]
    for answer in answers:  # each patient meets their own 50.00
        assert ("PR", "1", D("50.00")) in _cas(answer.services[0])
    assert len(set(adjudicator.deductible_met)) == 3
    again = adjudicator.claim(fillings[1].model_copy(update={"patient_control_number": "MSD1027B"}))
    assert all(a.reason != "1" for a in again.services[0].adjustments)


def test_dhmo_member_pays_the_copay_of_the_271(validator: Validator):
    (claim,) = _claims("01_filling_amalgam_mod.json")
    lines = [
        claim.lines[0].model_copy(
            update={"procedure_code": code, "charge": D(fee), "line_control_number": f"L{n}"}
        )
        for n, (code, fee) in enumerate(
            [
                ("D0120", "65.00"),
                ("D2391", "210.00"),
                ("D2740", "1250.00"),
                ("D4341", "280.00"),
                ("D9944", "450.00"),
                ("D5110", "1600.00"),
            ],
            start=1,
        )
    ]
    dhmo = claim.model_copy(
        update={
            "subscriber": claim.subscriber.model_copy(update={"member_id": "DHMO000123"}),
            "lines": lines,
            "total_charge": sum((line.charge for line in lines), D(0)),
        }
    )
    assert PLANS.copays("DHMO000123") == {
        "23": D("0.00"),
        "41": D("0.00"),
        "25": D("35.00"),
        "26": D("245.00"),
        "24": D("95.00"),
        "40": D("60.00"),
        "36": D("395.00"),
    }
    remittance = _valid_round_trip(Adjudicator(RULES, PLANS), [dhmo], validator)
    (answer,) = remittance.claims
    assert (answer.status, answer.paid) == ("1", D("0.00"))
    exam, filling, crown, scaling, guard, denture = answer.services
    assert _cas(exam) == [("CO", "24", D("65.00"))]  # diagnostic: no copay
    assert _cas(filling) == [("PR", "3", D("35.00")), ("CO", "24", D("175.00"))]
    assert _cas(crown) == [("PR", "3", D("395.00")), ("CO", "24", D("855.00"))]
    assert _cas(scaling) == [("PR", "3", D("95.00")), ("CO", "24", D("185.00"))]
    assert _cas(guard) == [("CO", "96", D("450.00"))]  # not covered by the plan
    # prosthodontics: not in the schedule, nor Dental Care (35): no copay
    assert _cas(denture) == [("CO", "24", D("1600.00"))]
    assert answer.patient_responsibility == D("525.00")
    # a PPO member of the same payer is paid fee for service
    ppo = Adjudicator(RULES, PLANS).claim(claim)
    assert ppo.paid > 0
