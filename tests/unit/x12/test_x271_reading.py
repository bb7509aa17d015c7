"""271 readings the fixtures do not show alone: EB12 W and U, HSD qualifiers, ages and
located errors for codes outside the guide's lists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edigateway.errors import X12StructureError
from edigateway.x12.x271_005010X279A1 import read_271
from tests.factories import REPO

BASE = (REPO / "fixtures" / "eligibility" / "10_active_only" / "response.271").read_text()


def _with(*benefits: str) -> str:
    """The active-only 271 with ``benefits`` after its coverage EB (SE01 not recounted:
    the reader does not check it)."""
    head, tail = BASE.split("SE*", 1)
    return head + "".join(b + "~\n" for b in benefits) + "SE*" + tail


def test_network_w_is_both_and_u_is_never_in_network():
    (b,) = read_271(
        _with(
            "EB*A*IND*25*****.2****W", "EB*A*IND*36*****.5****U", "EB*C*IND*35***23*75*****U"
        ).encode()
    ).benefits
    basic = next(c for c in b.categories if c.service_type == "25")
    major = next(c for c in b.categories if c.service_type == "36")
    assert (basic.coinsurance_in_network, basic.coinsurance_out_of_network) == (
        Decimal(".2"),
        Decimal(".2"),
    )
    assert (
        major.coinsurance_in_network,
        major.coinsurance_out_of_network,
        major.coinsurance_unknown_network,
    ) == (None, None, Decimal(".5"))
    assert [d.network for d in b.deductibles] == ["unknown"]
    assert b.accumulator("deductible", "35") is None


@pytest.mark.parametrize(
    ("hsd", "text"),
    [
        ("HSD*VS*3***22", "D1110: 3 per service year"),
        ("HSD*VS*1***35", "D1110: 1 per week"),
        ("HSD*VS*2***6", "D1110: 2 per hour"),
        ("HSD*VS*1***26", "D1110: 1 per episode"),
        ("HSD*VS*1***33", "D1110: 1 remaining for life"),
        ("HSD*VS*2***30", "D1110: limit of 2 exceeded"),
        ("HSD*VS*2***31", "D1110: limit of 2 not exceeded"),
        ("HSD*VS*1***24", "D1110: 1 used this year to date"),
        ("HSD*DY*10***34", "D1110: 10 days per month"),
    ],
)
def test_every_hsd_period_reads_in_words(hsd: str, text: str):
    (b,) = read_271(_with("EB*F*IND*41**********AD:D1110", hsd).encode()).benefits
    assert [f.text for f in b.frequencies] == [text]
    assert "not stated" not in b.frequencies[0].text


def test_unknown_hsd_period_is_a_located_error():
    with pytest.raises(X12StructureError) as info:
        read_271(_with("EB*F*IND*41**********AD:D1110", "HSD*VS*2***99").encode(), name="x.271")
    assert (info.value.location.segment_id, info.value.location.element) == ("HSD", "HSD05")


def test_age_rule_of_another_service_is_not_the_orthodontic_limit():
    (b,) = read_271(
        _with("EB*F*IND*23******S8*40***AD:D0431", "EB*F*IND*38******S8*12").encode()
    ).benefits
    assert b.orthodontic_age_limit is None
    assert [(a.minimum_age, a.maximum_age, a.is_orthodontic) for a in b.age_limits] == [
        (40, None, False),
        (12, None, True),
    ]
