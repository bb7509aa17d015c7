"""Balancing checks name the failing level and segment."""

from __future__ import annotations

from decimal import Decimal

from edigateway.domain.remittances import (
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from edigateway.reconcile.balance import check_remittance

D = Decimal


def _remittance(
    svc_paid: str = "80",
    clp_paid: str = "80",
    bpr: str = "70",
    plb: str = "10",
    credit_debit: str = "C",
    interest: str | None = None,
) -> Remittance:
    service = ServicePayment(
        procedure_code="D1110",
        charge=D("100"),
        paid=D(svc_paid),
        adjustments=[Adjustment(group="CO", reason="45", amount=D("20"))],
        source_position=12,
    )
    payment = ClaimPayment(
        patient_control_number="PC1",
        status="1",
        charge=D("100"),
        paid=D(clp_paid),
        services=[service],
        source_position=10,
        interest=D(interest) if interest else None,
    )
    return Remittance(
        transaction_control_number="1",
        handling_code="I",
        payment_amount=D(bpr),
        credit_debit=credit_debit,
        payment_method="CHK",
        trace_number="T1",
        payer=Party(name="P"),
        payee=Party(name="Q"),
        claims=[payment],
        source_position=3,
        provider_adjustments=[ProviderAdjustment(provider_id="1", reason="WO", amount=D(plb))],
    )


def test_balanced_remittance_has_no_problems():
    assert check_remittance(_remittance()) == []


def test_service_imbalance_names_the_svc_segment():
    problems = check_remittance(_remittance(svc_paid="81", clp_paid="81", bpr="71"))
    assert [(p.level, p.source_position) for p in problems] == [("service", 12), ("claim", 10)]
    assert "service 1 (D1110)" in problems[0].message


def test_payment_imbalance_names_the_check():
    (problem,) = check_remittance(_remittance(bpr="75"))
    assert problem.level == "payment"
    assert problem.expected == D("70.00")
    assert problem.actual == D("75.00")
    assert "BPR02" in problem.message


def test_debit_payment_is_negative():
    # Claims paid 80, the payer recoups 90: the provider owes 10, sent as a debit (BPR03 D).
    assert check_remittance(_remittance(bpr="10", credit_debit="D", plb="90")) == []
    (problem,) = check_remittance(_remittance(bpr="10", credit_debit="C", plb="90"))
    assert problem.level == "payment"


def test_interest_included_in_claim_payment_balances():
    assert [
        p.level for p in check_remittance(_remittance(clp_paid="83", bpr="73", interest="3"))
    ] == []


def test_each_level_names_its_segment_loop_and_element():
    """What the quarantine's ``problem`` shows: the amount that does not add up."""
    service, claim = check_remittance(_remittance(svc_paid="81", clp_paid="81", bpr="71"))
    assert (service.segment_id, service.loop, service.element) == ("SVC", "2110", "SVC03")
    assert (claim.segment_id, claim.loop, claim.element) == ("CLP", "2100", "CLP04")
    (payment,) = check_remittance(_remittance(bpr="75"))
    assert (payment.source_position, payment.segment_id, payment.loop, payment.element) == (
        3,
        "BPR",
        "HEADER",
        "BPR02",
    )


def test_claim_payment_off_from_its_lines_blames_clp04():
    (problem,) = check_remittance(_remittance(clp_paid="85", bpr="75"))
    assert (problem.level, problem.source_position, problem.element) == ("claim", 10, "CLP04")
    assert (problem.expected, problem.actual) == (D("80.00"), D("85.00"))


def test_claim_charge_off_from_its_lines_blames_clp03():
    """Lines balanced and CLP04 = Σ SVC03: the charge CLP03 is what does not fit."""
    remittance = _remittance()
    claim = remittance.claims[0].model_copy(update={"charge": D("110.00")})
    (problem,) = check_remittance(remittance.model_copy(update={"claims": [claim]}))
    assert (problem.level, problem.segment_id, problem.element) == ("claim", "CLP", "CLP03")
    assert (problem.expected, problem.actual) == (D("100.00"), D("110.00"))
    assert "the lines' charges add up to 100.00" in problem.message


def test_claim_without_lines_blames_clp04():
    remittance = _remittance()
    claim = remittance.claims[0].model_copy(update={"charge": D("110.00"), "services": []})
    (problem,) = check_remittance(remittance.model_copy(update={"claims": [claim]}))
    assert problem.element == "CLP04"
