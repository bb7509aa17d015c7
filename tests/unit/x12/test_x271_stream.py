"""The 271 reader streams (issue 18, target 2): each patient is handed on as soon as the
next HL (or the SE) closes it, and the payer's and provider's rejections go to the
patients under them, which come after them in the file."""

from __future__ import annotations

import pytest

from edigateway.errors import X12StructureError
from edigateway.x12.x271_005010X279A1 import iter_271, read_271

HEAD = (
    "ISA*00*          *00*          *ZZ*PRAIRIEDENTAL  *ZZ*MAPLEDENTAL    *261123*1000*^*00501"
    "*000002705*0*T*:~\n"
    "GS*HB*PRAIRIEDENTAL*MAPLEDENTAL*20261123*1000*2705*X*005010X279A1~\n"
    "ST*271*0001*005010X279A1~\n"
    "BHT*0022*11*000002705*20261123*1000~\n"
)
TAIL = "SE*99*0001~\nGE*1*2705~\nIEA*1*000002705~\n"


def _payer(hl: int, name: str, *rejections: str) -> str:
    return f"HL*{hl}**20*1~\nNM1*PR*2*{name}*****PI*P{hl}~\n" + "".join(
        f"AAA*N**{code}*C~\n" for code in rejections
    )


def _provider(hl: int, parent: int, *rejections: str) -> str:
    return f"HL*{hl}*{parent}*21*1~\nNM1*1P*2*MAPLE STREET DENTAL*****XX*1456789019~\n" + "".join(
        f"AAA*N**{code}*C~\n" for code in rejections
    )


def _subscriber(hl: int, parent: int, last: str, *extra: str) -> str:
    return (
        f"HL*{hl}*{parent}*22*0~\nTRN*2*ELG-{hl}*9145678901~\n"
        f"NM1*IL*1*{last}*SAM****MI*M{hl}~\nEB*1**35**PRAIRIE PPO~\n"
        + "".join(f"{s}~\n" for s in extra)
    )


def test_rejections_go_to_the_patients_under_their_payer_and_provider():
    text = (
        HEAD
        + _payer(1, "FIRST PLAN", "42")
        + _provider(2, 1, "43")
        + _subscriber(3, 2, "ONE")
        + _provider(4, 1)
        + _subscriber(5, 4, "TWO", "AAA*N**75*C")
        + _payer(6, "SECOND PLAN")
        + _subscriber(7, 6, "THREE")
        + _payer(8, "THIRD PLAN", "80")
        + _provider(9, 8, "51")
        + TAIL
    )
    one, two, three, rejected = read_271(text.encode(), name="x.271").benefits
    assert [(r.level, r.code) for r in one.rejections] == [("payer", "42"), ("provider", "43")]
    assert [(r.level, r.code) for r in two.rejections] == [("payer", "42"), ("subscriber", "75")]
    assert (three.payer_name, three.rejections) == ("SECOND PLAN", [])
    assert (rejected.patient, rejected.subscriber) == (None, None)
    assert [(r.level, r.code) for r in rejected.rejections] == [("payer", "80"), ("provider", "51")]


def test_a_provider_rejection_no_patient_carries_ends_its_payer_as_an_entry():
    text = (
        HEAD
        + _payer(1, "FIRST PLAN")
        + _provider(2, 1, "51")
        + _provider(3, 1)
        + _subscriber(4, 3, "ONE")
        + TAIL
    )
    one, rejected = read_271(text.encode(), name="x.271").benefits
    assert (one.subscriber is not None, one.rejections) == (True, [])
    assert [r.code for r in rejected.rejections] == ["51"]


def test_each_patient_is_handed_on_before_the_rest_of_the_file_is_read():
    bad = _subscriber(5, 2, "TWO", "EB*F*IND*41**********AD:D1110", "HSD*VS*2***99")
    text = HEAD + _payer(1, "FIRST PLAN") + _provider(2, 1) + _subscriber(3, 2, "ONE") + bad + TAIL
    stream = iter_271(text.encode(), name="x.271")
    first = next(stream)
    assert first.subscriber is not None
    assert first.subscriber.last_name == "ONE"
    with pytest.raises(X12StructureError) as caught:
        next(stream)
    assert caught.value.location.segment_id == "HSD"
