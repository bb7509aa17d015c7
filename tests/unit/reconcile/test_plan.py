"""Posting plans: every cent traced, balanced, and the rest explained as work items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edigateway.domain.claims import (
    BillingProvider,
    Claim,
    OtherPayer,
    Payer,
    ServiceLine,
    Subscriber,
    ToothDetail,
)
from edigateway.domain.common import Address, PersonName
from edigateway.domain.postings import PostingKind, WorkReason
from edigateway.domain.remittances import (
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from edigateway.reconcile.balance import check_remittance
from edigateway.reconcile.plan import MONEY_KINDS, match_lines, plan_remittance

D = Decimal
DAY = date(2026, 10, 1)
CARC = {
    "1": "Deductible amount",
    "2": "Coinsurance amount",
    "45": "Charge exceeds fee schedule",
    "96": "Non-covered charge(s)",
    "29": "The time limit for filing has expired",
}


def line(code: str, charge: str, ref: str | None = None, tooth: str | None = None) -> ServiceLine:
    return ServiceLine(
        procedure_code=code,
        charge=D(charge),
        service_date=DAY,
        line_control_number=ref,
        teeth=[ToothDetail(tooth=tooth)] if tooth else [],
    )


def claim(pcn: str, lines: list[ServiceLine], **extra: object) -> Claim:
    return Claim(
        patient_control_number=pcn,
        total_charge=sum((ln.charge for ln in lines), D("0")),
        billing_provider=BillingProvider(
            organization_name="SMILE",
            npi="1234567893",
            tax_id="123456789",
            address=Address(line1="1 MAIN", city="MIAMI", state="FL", postal_code="33101"),
        ),
        payer=Payer(payer_id="DD1", name="DENTAL PLAN"),
        subscriber=Subscriber(
            name=PersonName(last_name="DOE"),
            member_id="M1",
            date_of_birth=date(1980, 1, 1),
            gender="F",
            address=Address(line1="2 OAK", city="MIAMI", state="FL", postal_code="33101"),
        ),
        lines=lines,
        **extra,
    )


def adj(group: str, reason: str, amount: str) -> Adjustment:
    return Adjustment(group=group, reason=reason, amount=D(amount))


def svc(
    code: str, charge: str, paid: str, *adjs: Adjustment, ref: str | None = None, position: int = 0
) -> ServicePayment:
    return ServicePayment(
        procedure_code=code,
        charge=D(charge),
        paid=D(paid),
        adjustments=list(adjs),
        line_control_number=ref,
        service_date=DAY,
        source_position=position or None,
    )


def clp(
    pcn: str,
    status: str,
    charge: str,
    paid: str,
    *services: ServicePayment,
    adjustments: tuple[Adjustment, ...] = (),
    **extra: object,
) -> ClaimPayment:
    return ClaimPayment(
        patient_control_number=pcn,
        status=status,
        charge=D(charge),
        paid=D(paid),
        services=list(services),
        adjustments=list(adjustments),
        **extra,
    )


def remit(*claims: ClaimPayment, plb: tuple[ProviderAdjustment, ...] = ()) -> Remittance:
    paid = sum((c.paid for c in claims), D("0")) - sum((p.amount for p in plb), D("0"))
    return Remittance(
        transaction_control_number="0001",
        handling_code="I",
        payment_amount=paid,
        payment_method="ACH",
        trace_number="TRACE1",
        payer=Party(name="DENTAL PLAN"),
        payee=Party(name="SMILE"),
        claims=list(claims),
        provider_adjustments=list(plb),
    )


def plan(r: Remittance, claims: dict[str, Claim], **kw: object):
    assert check_remittance(r) == []
    return plan_remittance(r, claims, describe_carc=CARC.get, **kw)  # type: ignore[arg-type]


def money_for(p, pcn: str) -> Decimal:
    return sum(
        (x.amount for x in p.postings if x.patient_control_number == pcn and x.kind in MONEY_KINDS),
        D("0"),
    )


def test_full_pay_posts_paid_and_contractual_per_line():
    c = claim("A1", [line("D1110", "100", "L1"), line("D0120", "60", "L2")])
    r = remit(
        clp(
            "A1",
            "1",
            "160",
            "120",
            svc("D1110", "100", "80", adj("CO", "45", "20"), ref="L1"),
            svc("D0120", "60", "40", adj("CO", "45", "20"), ref="L2"),
        )
    )
    p = plan(r, {"A1": c})
    assert [(x.kind, x.amount, x.line_number) for x in p.postings] == [
        (PostingKind.PAID, D("80.00"), 1),
        (PostingKind.CONTRACTUAL, D("20.00"), 1),
        (PostingKind.PAID, D("40.00"), 2),
        (PostingKind.CONTRACTUAL, D("20.00"), 2),
    ]
    assert p.work_items == []
    assert p.outcomes[0].new_state == "paid"
    assert p.posted_total == D("120.00")


def test_partial_pay_splits_patient_responsibility():
    c = claim("A2", [line("D2391", "200", "L1", "30")])
    r = remit(
        clp(
            "A2",
            "1",
            "200",
            "90",
            svc(
                "D2391",
                "200",
                "90",
                adj("CO", "45", "20"),
                adj("PR", "1", "50"),
                adj("PR", "2", "40"),
                ref="L1",
            ),
        )
    )
    p = plan(r, {"A2": c})
    kinds = {x.kind: x.amount for x in p.postings}
    assert kinds[PostingKind.DEDUCTIBLE] == D("50.00")
    assert kinds[PostingKind.COINSURANCE] == D("40.00")
    assert p.patient_responsibility_total == D("90.00")
    assert p.adjustments_total == D("20.00")
    assert p.outcomes[0].new_state == "paid"


def test_denied_claim_becomes_work_item_with_codes_in_words():
    c = claim("A3", [line("D2740", "1200", "L1", "3")])
    r = remit(
        clp("A3", "4", "1200", "0", svc("D2740", "1200", "0", adj("CO", "29", "1200"), ref="L1"))
    )
    p = plan(r, {"A3": c})
    (item,) = p.work_items
    assert item.reason is WorkReason.DENIED
    assert item.codes == ["CO-29"]
    assert "time limit for filing" in item.message
    assert p.outcomes[0].new_state == "denied"


def test_zero_paid_line_is_a_line_denial_and_claim_partially_paid():
    c = claim("A4", [line("D1110", "100", "L1"), line("D4910", "150", "L2")])
    r = remit(
        clp(
            "A4",
            "1",
            "250",
            "80",
            svc("D1110", "100", "80", adj("CO", "45", "20"), ref="L1"),
            svc("D4910", "150", "0", adj("CO", "96", "150"), ref="L2"),
        )
    )
    p = plan(r, {"A4": c})
    assert [w.reason for w in p.work_items] == [WorkReason.LINE_DENIED]
    assert p.work_items[0].codes == ["CO-96"]
    assert p.outcomes[0].new_state == "partially_paid"


def test_reversal_and_correction():
    c = claim("A5", [line("D1110", "100", "L1")])
    r = remit(
        clp(
            "A5",
            "22",
            "-100",
            "-80",
            svc("D1110", "-100", "-80", adj("CO", "45", "-20"), ref="L1"),
            payer_claim_control_number="P1",
        ),
        clp(
            "A5",
            "1",
            "100",
            "70",
            svc("D1110", "100", "70", adj("CO", "45", "30"), ref="L1"),
            payer_claim_control_number="P2",
        ),
    )
    p = plan(r, {"A5": c})
    assert [o.new_state for o in p.outcomes] == ["reversed", "paid"]
    assert money_for(p, "A5") == D("-10.00")
    (item,) = p.work_items
    assert item.reason is WorkReason.REVERSAL
    assert "corrected claim follows" in item.message
    assert any(x.kind is PostingKind.REVERSAL and x.amount == D("-80.00") for x in p.postings)


def test_unmatched_claim_goes_to_work_queue_with_unapplied_money():
    r = remit(clp("NOPE", "1", "100", "75", svc("D1110", "100", "75", adj("CO", "45", "25"))))
    p = plan(r, {})
    assert p.postings == []
    assert p.work_items[0].reason is WorkReason.UNMATCHED_CLAIM
    assert p.unapplied_total == D("75.00")


def test_plb_recoupment_links_to_earlier_claim_and_interest_is_separate():
    c = claim("A6", [line("D1110", "100", "L1")])
    r = remit(
        clp("A6", "1", "100", "100", svc("D1110", "100", "100", ref="L1")),
        plb=(
            ProviderAdjustment(
                provider_id="1234567893", reason="WO", reference="PCC9", amount=D("30")
            ),
            ProviderAdjustment(provider_id="1234567893", reason="L6", amount=D("-2.5")),
        ),
    )
    p = plan(r, {"A6": c}, payer_claim_numbers={"PCC9": "OLD1"})
    plbs = [x for x in p.postings if x.kind is PostingKind.PROVIDER_ADJUSTMENT]
    assert [(x.reason_code, x.amount, x.patient_control_number) for x in plbs] == [
        ("WO", D("30.00"), "OLD1"),
        ("L6", D("-2.50"), None),
    ]
    assert p.posted_total - p.plb_total == r.payment_amount
    assert [w.reason for w in p.work_items] == [WorkReason.RECOUPMENT]


def test_claim_interest_included_in_clp04_is_posted_separately():
    c = claim("A7", [line("D1110", "100")])
    r = remit(clp("A7", "1", "100", "103.25", adjustments=(), interest=D("3.25")))
    p = plan(r, {"A7": c})
    assert {x.kind: x.amount for x in p.postings} == {
        PostingKind.PAID: D("100.00"),
        PostingKind.INTEREST: D("3.25"),
    }
    assert money_for(p, "A7") == D("103.25")


def test_primary_payment_with_secondary_plan_asks_for_secondary():
    other = OtherPayer(
        responsibility="S",
        relationship="18",
        filing_indicator="CI",
        subscriber_name=PersonName(last_name="DOE"),
        subscriber_member_id="S1",
        payer=Payer(payer_id="SEC1", name="SECOND PLAN"),
    )
    c = claim("A8", [line("D1110", "100", "L1")], other_payers=[other])
    r = remit(
        clp("A8", "1", "100", "80", svc("D1110", "100", "80", adj("PR", "2", "20"), ref="L1"))
    )
    p = plan(r, {"A8": c})
    assert p.outcomes[0].needs_secondary
    assert [w.reason for w in p.work_items] == [WorkReason.SECONDARY_NEEDED]


def test_unknown_carc_is_kept_and_flagged():
    c = claim("A9", [line("D1110", "100", "L1")])
    r = remit(
        clp("A9", "1", "100", "90", svc("D1110", "100", "90", adj("CO", "Z99", "10"), ref="L1"))
    )
    p = plan(r, {"A9": c})
    assert any(x.reason_code == "Z99" and x.amount == D("10.00") for x in p.postings)
    assert [w.reason for w in p.work_items] == [WorkReason.UNKNOWN_CODE]


def test_lines_match_by_procedure_and_date_without_line_control_numbers():
    c = claim("B1", [line("D0120", "60"), line("D1110", "100"), line("D0274", "80")])
    services = [
        svc("D1110", "100", "80"),
        svc("D0274", "80", "60"),
        svc("D0120", "60", "50"),
        svc("D9999", "10", "0"),
    ]
    assert match_lines(c, services) == [2, 3, 1, None]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 50000),
            st.integers(0, 100),
            st.integers(0, 100),
            st.sampled_from(["1", "2", "3", "45", "96"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.integers(-5000, 5000), max_size=3),
)
@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_postings_always_reproduce_svc_clp_and_bpr(lines, plbs):
    services, ours = [], []
    for number, (charge_cents, pr_pct, co_pct, carc) in enumerate(lines, start=1):
        charge = D(charge_cents) / 100
        pr = (charge * pr_pct / 100).quantize(D("0.01"))
        co = min(charge - pr, (charge * co_pct / 100).quantize(D("0.01")))
        paid = charge - pr - co
        services.append(
            svc(
                "D1110",
                str(charge),
                str(paid),
                adj("PR", carc, str(pr)),
                adj("CO", "45", str(co)),
                ref=f"L{number}",
            )
        )
        ours.append(line("D1110", str(charge), f"L{number}"))
    payment = clp(
        "P1",
        "1",
        str(sum(s.charge for s in services)),
        str(sum(s.paid for s in services)),
        *services,
    )
    r = remit(
        payment,
        plb=tuple(
            ProviderAdjustment(provider_id="1", reason="WO", amount=D(a) / 100) for a in plbs
        ),
    )
    p = plan(r, {"P1": claim("P1", ours)})
    assert money_for(p, "P1") == payment.paid
    for number, service in enumerate(services, start=1):
        assert (
            sum(
                (
                    x.amount
                    for x in p.postings
                    if x.line_number == number and x.kind is PostingKind.PAID
                ),
                D("0"),
            )
            == service.paid
        )
    assert p.posted_total - p.plb_total == r.payment_amount
    # a line paid nothing for reasons the patient does not owe is denied: still owed
    assert (
        p.posted_total
        + p.adjustments_total
        + p.patient_responsibility_total
        + p.total({PostingKind.DENIED})
    ) == payment.charge


def test_each_outcome_counts_the_postings_and_work_items_its_claim_added():
    """The poster slices a plan's postings and work items by these counts, claim by claim."""
    c1 = claim("C1", [line("D1110", "100", "L1"), line("D0120", "60", "L2")])
    c3 = claim("C3", [line("D1110", "100", "L1")])
    r = remit(
        clp(
            "C1",
            "1",
            "160",
            "120",
            svc("D1110", "100", "80", adj("CO", "45", "20"), ref="L1"),
            svc("D0120", "60", "40", adj("CO", "Z98", "20"), ref="L2"),
        ),
        clp("C2", "1", "100", "75", svc("D1110", "100", "75", adj("CO", "45", "25"))),
        clp(
            "C3",
            "25",
            "100",
            "0",
            svc("D1110", "100", "0", adj("CO", "45", "20"), adj("PR", "1", "80"), ref="L1"),
        ),
    )
    p = plan(r, {"C1": c1, "C3": c3})
    assert [(o.postings, o.work_items) for o in p.outcomes] == [(4, 1), (0, 1), (0, 1)]
    postings, work = iter(p.postings), iter(p.work_items)
    for o in p.outcomes:
        assert {x.patient_control_number for x in islice(postings, o.postings)} <= {
            o.patient_control_number
        }
        assert [w.patient_control_number for w in islice(work, o.work_items)] == [
            o.patient_control_number
        ] * o.work_items
    assert [w.reason for w in p.work_items] == [
        WorkReason.UNKNOWN_CODE,
        WorkReason.UNMATCHED_CLAIM,
        WorkReason.ESTIMATE_ON_CLAIM,
    ]
