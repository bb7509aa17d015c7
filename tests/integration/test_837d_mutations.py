"""Mutation test: single faults in a valid 837D are each caught, by the map or the edits.

Starting from an 837D we generate (a dependent's claim with fillings, a crown replacement,
quadrant scaling and a secondary payer), each mutation changes one thing. A fault counts as
flagged when pyx12 with our 005010X224A2 map reports it, when reading the file fails with a
located error, or when the clean-claim edits reject the claims read back. Structural faults
must be caught by the map itself (``layer="map"``): that proves the map is not a rubber stamp.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from edigateway.domain.claims import (
    Adjustment,
    BillingProvider,
    Claim,
    ClaimBatch,
    Contact,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Receiver,
    RenderingProvider,
    ServiceLine,
    Submitter,
    Subscriber,
    ToothDetail,
)
from edigateway.domain.common import Address, PersonName
from edigateway.domain.edits import check_batch
from edigateway.errors import X12Error
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x837d_005010X224A2 import read_837d, write_837d

REPO = Path(__file__).resolve().parents[2]
MAP = REPO / "mappings" / "pyx12" / "837.5010.X224.A2.xml"
TODAY = date(2026, 11, 22)

pytestmark = pytest.mark.skipif(not MAP.exists(), reason="837D map not written yet")


def _address(line1: str) -> Address:
    return Address(line1=line1, city="SPRINGFIELD", state="IL", postal_code="62701")


def _claim() -> Claim:
    rendering = RenderingProvider(name=PersonName(last_name="MOLAR", first_name="MIA"),
                                  npi="1234567893", taxonomy="1223G0001X")
    day = date(2026, 10, 6)
    lines = [
        ServiceLine(procedure_code="D2392", charge=Decimal("260.00"), service_date=day,
                    teeth=[ToothDetail(tooth="19", surfaces=["M", "O", "D"])],
                    line_control_number="L1"),
        ServiceLine(procedure_code="D2750", charge=Decimal("1250.00"), service_date=day,
                    prosthesis="R", prior_placement_date=date(2015, 3, 2),
                    teeth=[ToothDetail(tooth="3")], line_control_number="L2",
                    adjudications=[LineAdjudication(
                        payer_id="PRIM1", paid=Decimal("600.00"), procedure_code="D2750",
                        adjudication_date=date(2026, 10, 20),
                        adjustments=[Adjustment(group="CO", reason="45",
                                                amount=Decimal("250.00")),
                                     Adjustment(group="PR", reason="2",
                                                amount=Decimal("400.00"))])]),
        ServiceLine(procedure_code="D4341", charge=Decimal("280.00"), service_date=day,
                    oral_cavity_areas=["10"], line_control_number="L3"),
    ]
    return Claim(
        patient_control_number="MUT1", total_charge=Decimal("1790.00"),
        payer_responsibility="S",
        billing_provider=BillingProvider(
            organization_name="SPRINGFIELD FAMILY DENTAL", npi="1245319599", tax_id="371234567",
            taxonomy="1223G0001X", address=_address("100 ELM ST")),
        rendering_provider=rendering,
        payer=Payer(payer_id="SECND", name="SECOND DENTAL PLAN"),
        subscriber=Subscriber(name=PersonName(last_name="RIVER", first_name="ROSE"),
                              member_id="SUB123", group_number="G77"),
        patient=Patient(name=PersonName(last_name="RIVER", first_name="ROBIN"),
                        relationship="19", date_of_birth=date(2012, 4, 9), gender="F",
                        address=_address("7 OAK AVE")),
        other_payers=[OtherPayer(
            responsibility="P", relationship="18", filing_indicator="CI",
            subscriber_name=PersonName(last_name="RIVER", first_name="RAY"),
            subscriber_member_id="PRI999", payer=Payer(payer_id="PRIM1", name="PRIMARY PLAN"),
            paid_amount=Decimal("600.00"), adjudication_date=date(2026, 10, 20))],
        lines=lines,
    )


def _original() -> str:
    params = InterchangeParams(
        sender_qualifier="ZZ", sender_id="SPRINGFIELD", receiver_qualifier="ZZ",
        receiver_id="CLEARHOUSE", gs_sender_code="SPRINGFIELD", gs_receiver_code="CLEARHOUSE",
        interchange_control_number=77, group_control_number=77,
        first_transaction_control_number=1, created=datetime(2026, 11, 21, 8, 15))
    return write_837d(
        ClaimBatch(claims=[_claim()]), params,
        submitter=Submitter(name="SPRINGFIELD FAMILY DENTAL", identifier="SFD01",
                            contact=Contact(name="OFFICE", phone="2175550100")),
        receiver=Receiver(name="CLEARHOUSE", identifier="CH1"))


@pytest.fixture(scope="module")
def validator():
    from edigateway.x12.validation import Validator

    return Validator(mappings_dir=REPO / "mappings")


def _flags(validator: object, text: str) -> dict[str, list[str]]:
    """What each layer says about ``text``: map findings, reader error, edit failures."""
    verdict = validator.validate_text(text, "mutant.837")  # type: ignore[attr-defined]
    found: dict[str, list[str]] = {"map": [], "reader": [], "edits": []}
    if verdict.status != "valid":
        found["map"] = [f"{f.segment_id}/{f.element}: {f.message}" for f in verdict.errors] or [
            verdict.status]
    try:
        parsed = read_837d(text, "mutant.837")
    except X12Error as exc:
        found["reader"] = [str(exc)]
    else:
        found["edits"] = [str(f) for f in check_batch(parsed.batch, today=TODAY)]
    return found


def _sub(pattern: str, replacement: str, count: int = 1) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        result, done = re.subn(pattern, replacement, text, count=count, flags=re.MULTILINE)
        assert done, f"mutation pattern {pattern!r} did not apply"
        return result
    return mutate


def _drop(segment_start: str) -> Callable[[str], str]:
    return _sub(rf"^{re.escape(segment_start)}[^~]*~\n", "")


def _se_plus_one(text: str) -> str:
    return re.sub(r"^SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 1}*", text,
                  flags=re.MULTILINE)


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[str], str]
    layer: str = "any"  # "map": pyx12 with our map must flag it itself


MUTATIONS = [
    Mutation("missing billing provider name NM1*85", _drop("NM1*85*"), "map"),
    Mutation("missing billing provider street N3", _sub(r"^N3\*100 ELM ST~\n", ""), "map"),
    Mutation("missing billing provider tax ID REF*EI", _drop("REF*EI*"), "map"),
    Mutation("missing claim CLM", _drop("CLM*"), "map"),
    Mutation("missing submitter NM1*41", _drop("NM1*41*"), "map"),
    Mutation("missing receiver NM1*40", _drop("NM1*40*"), "map"),
    Mutation("missing payer NM1*PR", _sub(r"^NM1\*PR\*2\*SECOND[^~]*~\n", ""), "map"),
    Mutation("missing subscriber SBR", _sub(r"^SBR\*S\*[^~]*~\n", ""), "map"),
    Mutation("missing patient PAT", _drop("PAT*"), "map"),
    Mutation("missing SV3 in a line", _sub(r"^SV3\*AD:D4341[^~]*~\n", ""), "map"),
    Mutation("wrong SE segment count", _se_plus_one, "map"),
    Mutation("wrong GE transaction count", _sub(r"^GE\*1\*", "GE*2*"), "map"),
    Mutation("IEA control number differs from ISA13",
             _sub(r"^IEA\*1\*000000077", "IEA*1*000000078"), "map"),
    Mutation("SE02 differs from ST02", _sub(r"^SE\*(\d+)\*0001", r"SE*\1*0002"), "map"),
    Mutation("bad NPI qualifier NM108", _sub(r"^(NM1\*85\*2\*[^*]*\*\*\*\*\*)XX", r"\1ZZ"),
             "map"),
    Mutation("SV301 qualifier not AD", _sub(r"SV3\*AD:D2392", "SV3*ZZ:D2392"), "map"),
    Mutation("BHT01 not 0019", _sub(r"^BHT\*0019", "BHT*0020"), "map"),
    Mutation("BHT06 bad transaction type", _sub(r"^(BHT\*[^~]*)\*CH~", r"\1*ZZ~"), "map"),
    Mutation("CLM05-2 facility qualifier not B", _sub(r":B:1\*", ":A:1*"), "map"),
    Mutation("CLM05-3 frequency 9", _sub(r":B:1\*", ":B:9*"), "map"),
    Mutation("impossible service date", _sub(r"DTP\*472\*D8\*20261006", "DTP*472*D8*20261399"),
             "map"),
    Mutation("bad claim filing indicator SBR09", _sub(r"^(SBR\*S\*[^~]*)\*CI~", r"\1*XX~"),
             "map"),
    Mutation("bad patient relationship PAT01", _sub(r"^PAT\*19", "PAT*99"), "map"),
    Mutation("bad gender DMG03", _sub(r"^(DMG\*D8\*\d+)\*F", r"\1*X"), "map"),
    Mutation("bad surface code TOO03", _sub(r"TOO\*JP\*19\*M:O:D", "TOO*JP*19*M:O:X"), "map"),
    Mutation("bad oral cavity code SV304", _sub(r"\*\*10~", "**77~"), "map"),
    Mutation("bad prosthesis code SV305", _sub(r"\*\*\*R~", "***Z~"), "map"),
    Mutation("non-numeric charge", _sub(r"SV3\*AD:D2392\*260", "SV3*AD:D2392*2X0"), "map"),
    Mutation("4010 version in GS08", _sub(r"\*X\*005010X224A2~", "*X*004010X097A1~"), "map"),
    Mutation("bad tooth code 33", _sub(r"TOO\*JP\*19\*", "TOO*JP*33*")),
    Mutation("lines do not sum to the claim total", _sub(r"^CLM\*MUT1\*1790\*", "CLM*MUT1*1800*")),
    Mutation("bad NPI check digit", _sub(r"XX\*1245319599", "XX*1245319598")),
    Mutation("bad CDT code", _sub(r"AD:D2392", "AD:D239")),
    Mutation("future service date", _sub(r"DTP\*472\*D8\*20261006", "DTP*472*D8*20271006")),
    Mutation("replacement claim without payer claim number", _sub(r":B:1\*", ":B:7*")),
    Mutation("prosthesis replacement without prior placement date", _drop("DTP*441*")),
    Mutation("surfaces on an extraction-free crown line removed tooth",
             _sub(r"^TOO\*JP\*19\*M:O:D~\n", "")),
    Mutation("quadrant scaling without quadrant", _sub(r"\*\*10~", "~")),
    Mutation("COB paid amount differs from line payments", _sub(r"^AMT\*D\*600", "AMT*D*650")),
]


def test_original_is_clean(validator):
    assert _flags(validator, _original()) == {"map": [], "reader": [], "edits": []}


def test_enough_distinct_faults():
    assert len({m.name for m in MUTATIONS}) >= 30


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_fault_is_flagged(validator, mutation: Mutation):
    original = _original()
    mutant = mutation.apply(original)
    assert mutant != original
    found = _flags(validator, mutant)
    assert any(found.values()), f"{mutation.name}: nobody flagged it"
    if mutation.layer == "map":
        assert found["map"], f"{mutation.name}: pyx12 with our map did not flag it ({found})"
