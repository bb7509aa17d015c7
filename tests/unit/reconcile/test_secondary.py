"""Secondary claims built from the primary payer's remittance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from edigateway.domain.claims import OtherPayer, Payer
from edigateway.domain.common import PersonName
from edigateway.errors import NoSecondaryPayerError
from edigateway.reconcile.secondary import build_secondary

from .test_plan import adj, claim, clp, line, svc

D = Decimal


def _secondary(relationship: str = "18") -> OtherPayer:
    return OtherPayer(
        responsibility="S",
        relationship=relationship,
        filing_indicator="CI",
        subscriber_name=PersonName(last_name="DOE", first_name="SAM"),
        subscriber_member_id="SEC-1",
        group_number="G2",
        payer=Payer(payer_id="SEC1", name="SECOND PLAN"),
    )


def test_secondary_carries_primary_adjudication_per_line():
    primary = claim(
        "P1",
        [line("D1110", "100", "L1"), line("D2391", "200", "L2", "30")],
        other_payers=[_secondary()],
    )
    payment = clp(
        "P1",
        "1",
        "300",
        "190",
        svc("D1110", "100", "80", adj("CO", "45", "20"), ref="L1"),
        svc("D2391", "200", "110", adj("CO", "45", "30"), adj("PR", "2", "60"), ref="L2"),
    )
    second = build_secondary(primary, [payment], date(2026, 10, 20))
    assert second.patient_control_number == "P1-S"
    assert second.payer.payer_id == "SEC1"
    assert second.payer_responsibility == "S"
    assert second.subscriber.member_id == "SEC-1"
    assert second.subscriber.date_of_birth == primary.subscriber.date_of_birth
    (prim,) = second.other_payers
    assert (prim.responsibility, prim.payer.payer_id, prim.paid_amount) == ("P", "DD1", D("190.00"))
    assert prim.relationship == "18"
    paid = [[a.paid for a in ln.adjudications] for ln in second.lines]
    assert paid == [[D("80.00")], [D("110.00")]]
    assert [
        (a.group, a.reason, a.amount) for a in second.lines[1].adjudications[0].adjustments
    ] == [("CO", "45", D("30.00")), ("PR", "2", D("60.00"))]
    assert second.total_charge == primary.total_charge


def test_secondary_as_dependent_of_another_subscriber():
    primary = claim("P2", [line("D1110", "100", "L1")], other_payers=[_secondary("01")])
    second = build_secondary(
        primary,
        [clp("P2", "1", "100", "100", svc("D1110", "100", "100", ref="L1"))],
        date(2026, 10, 20),
    )
    assert second.patient is not None
    assert second.patient.relationship == "01"
    assert second.patient.name == primary.subscriber.name
    assert second.subscriber.name.first_name == "SAM"


def test_no_secondary_payer_is_refused():
    with pytest.raises(NoSecondaryPayerError):
        build_secondary(claim("P3", [line("D1110", "100")]), [], date(2026, 10, 20))
