"""Mutation test: single faults in a valid 837D are each flagged, with their SNIP type.

Starting from an 837D we generate (a dependent's claim with fillings, a crown replacement,
quadrant scaling and a secondary payer), each mutation changes one thing: an envelope
element (dates, times, counts, control numbers, extra or missing elements), the grammar,
a balance (SNIP 3), a situational rule (SNIP 4) or a code set (SNIP 5). ``x12 validate``
(pyx12 with our map, our rules and the clean-claim edits on the claims read back) must
flag each with a finding of the expected WEDI SNIP type. Faults the map itself must catch
(``by_map``) need a pyx12 finding: that proves the map is not a rubber stamp.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

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
from edigateway.domain.rules import RULES
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator, Verdict
from edigateway.x12.x837d_005010X224A2 import write_837d
from tests.factories import REPO

MAP = REPO / "mappings" / "pyx12" / "837.5010.X224.A2.xml"
TODAY = date(2026, 11, 22)

pytestmark = pytest.mark.skipif(not MAP.exists(), reason="837D map not written yet")


def _address(line1: str) -> Address:
    return Address(line1=line1, city="SPRINGFIELD", state="IL", postal_code="62701")


def _claim() -> Claim:
    rendering = RenderingProvider(
        name=PersonName(last_name="MOLAR", first_name="MIA"),
        npi="1234567893",
        taxonomy="1223G0001X",
    )
    day = date(2026, 10, 6)
    lines = [
        ServiceLine(
            procedure_code="D2392",
            charge=Decimal("260.00"),
            service_date=day,
            teeth=[ToothDetail(tooth="19", surfaces=["M", "O", "D"])],
            line_control_number="L1",
        ),
        ServiceLine(
            procedure_code="D2750",
            charge=Decimal("1250.00"),
            service_date=day,
            prosthesis="R",
            prior_placement_date=date(2015, 3, 2),
            teeth=[ToothDetail(tooth="3")],
            line_control_number="L2",
            adjudications=[
                LineAdjudication(
                    payer_id="PRIM1",
                    paid=Decimal("600.00"),
                    procedure_code="D2750",
                    adjudication_date=date(2026, 10, 20),
                    adjustments=[
                        Adjustment(group="CO", reason="45", amount=Decimal("250.00")),
                        Adjustment(group="PR", reason="2", amount=Decimal("400.00")),
                    ],
                )
            ],
        ),
        ServiceLine(
            procedure_code="D4341",
            charge=Decimal("280.00"),
            service_date=day,
            oral_cavity_areas=["10"],
            line_control_number="L3",
        ),
    ]
    return Claim(
        patient_control_number="MUT1",
        total_charge=Decimal("1790.00"),
        payer_responsibility="S",
        billing_provider=BillingProvider(
            organization_name="SPRINGFIELD FAMILY DENTAL",
            npi="1245319599",
            tax_id="371234567",
            taxonomy="1223G0001X",
            address=_address("100 ELM ST"),
        ),
        rendering_provider=rendering,
        payer=Payer(payer_id="SECND", name="SECOND DENTAL PLAN"),
        subscriber=Subscriber(
            name=PersonName(last_name="RIVER", first_name="ROSE"),
            member_id="SUB123",
            group_number="G77",
        ),
        patient=Patient(
            name=PersonName(last_name="RIVER", first_name="ROBIN"),
            relationship="19",
            date_of_birth=date(2012, 4, 9),
            gender="F",
            address=_address("7 OAK AVE"),
        ),
        other_payers=[
            OtherPayer(
                responsibility="P",
                relationship="18",
                filing_indicator="CI",
                subscriber_name=PersonName(last_name="RIVER", first_name="RAY"),
                subscriber_member_id="PRI999",
                payer=Payer(payer_id="PRIM1", name="PRIMARY PLAN"),
                paid_amount=Decimal("600.00"),
                adjudication_date=date(2026, 10, 20),
            )
        ],
        lines=lines,
    )


def _original() -> str:
    params = InterchangeParams(
        sender_qualifier="ZZ",
        sender_id="SPRINGFIELD",
        receiver_qualifier="ZZ",
        receiver_id="CLEARHOUSE",
        gs_sender_code="SPRINGFIELD",
        gs_receiver_code="CLEARHOUSE",
        interchange_control_number=77,
        group_control_number=77,
        first_transaction_control_number=1,
        created=datetime(2026, 11, 21, 8, 15),
    )
    return write_837d(
        ClaimBatch(claims=[_claim()]),
        params,
        submitter=Submitter(
            name="SPRINGFIELD FAMILY DENTAL",
            identifier="SFD01",
            contact=Contact(name="OFFICE", phone="2175550100"),
        ),
        receiver=Receiver(name="CLEARHOUSE", identifier="CH1"),
    )


def _verdict(validator: Validator, text: str) -> Verdict:
    return validator.validate_text(text, "mutant.837", today=TODAY)


def _sub(pattern: str, replacement: str, count: int = 1) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        result, done = re.subn(pattern, replacement, text, count=count, flags=re.MULTILINE)
        assert done, f"mutation pattern {pattern!r} did not apply"
        return result

    return mutate


def _drop(segment_start: str, count: int = 1) -> Callable[[str], str]:
    return _sub(rf"^{re.escape(segment_start)}[^~]*~\n", "", count)


def _se_plus_one(text: str) -> str:
    return re.sub(r"^SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 1}*", text, flags=re.MULTILINE)


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[str], str]
    snip: int  # the WEDI SNIP type of the finding that must flag it
    by_map: bool = False  # pyx12 with our map must flag it itself
    code: str | None = None  # our rule that must flag it, when it is ours


def _m(name: str, apply: Callable[[str], str], snip: int, code: str | None = None) -> Mutation:
    return Mutation(name, apply, snip, by_map=code is None, code=code)


MUTATIONS = [
    # --- the grammar (pyx12 with our map): SNIP 1 and 2
    _m("missing billing provider name NM1*85", _drop("NM1*85*"), 2),
    _m("missing billing provider street N3", _sub(r"^N3\*100 ELM ST~\n", ""), 2),
    _m("missing billing provider tax ID REF*EI", _drop("REF*EI*"), 2),
    _m("missing claim CLM", _drop("CLM*"), 2),
    _m("missing submitter NM1*41", _drop("NM1*41*"), 2),
    _m("missing receiver NM1*40", _drop("NM1*40*"), 2),
    _m("missing payer NM1*PR", _sub(r"^NM1\*PR\*2\*SECOND[^~]*~\n", ""), 2),
    _m("missing subscriber SBR", _sub(r"^SBR\*S\*[^~]*~\n", ""), 2),
    _m("missing patient PAT", _drop("PAT*"), 2),
    _m("missing SV3 in a line", _sub(r"^SV3\*AD:D4341[^~]*~\n", ""), 2),
    _m("bad NPI qualifier NM108", _sub(r"^(NM1\*85\*2\*[^*]*\*\*\*\*\*)XX", r"\1ZZ"), 2),
    _m("SV301 qualifier not AD", _sub(r"SV3\*AD:D2392", "SV3*ZZ:D2392"), 2),
    _m("BHT01 not 0019", _sub(r"^BHT\*0019", "BHT*0020"), 2),
    _m("BHT06 bad transaction type", _sub(r"^(BHT\*[^~]*)\*CH~", r"\1*ZZ~"), 2),
    _m("CLM05-2 facility qualifier not B", _sub(r":B:1\*", ":A:1*"), 2),
    _m("CLM05-3 frequency 9", _sub(r":B:1\*", ":B:9*"), 2),
    _m("impossible service date", _sub(r"DTP\*472\*D8\*20261006", "DTP*472*D8*20261399"), 1),
    _m("bad claim filing indicator SBR09", _sub(r"^(SBR\*S\*[^~]*)\*CI~", r"\1*XX~"), 2),
    _m("bad patient relationship PAT01", _sub(r"^PAT\*19", "PAT*99"), 2),
    _m("bad gender DMG03", _sub(r"^(DMG\*D8\*\d+)\*F", r"\1*X"), 2),
    _m("bad prosthesis code SV305", _sub(r"\*\*\*R~", "***Z~"), 2),
    _m("non-numeric charge", _sub(r"SV3\*AD:D2392\*260", "SV3*AD:D2392*2X0"), 1),
    _m("4010 version in GS08", _sub(r"\*X\*005010X224A2~", "*X*004010X097A1~"), 1),
    _m("unknown segment in a line", _sub(r"^(REF\*6R\*L1~\n)", r"\1ZZZ*1~\n"), 2),
    # --- the envelope: dates, times, counts, control numbers, elements
    _m("ISA09 impossible date", _sub(r"\*261121\*0815\*", "*261321*0815*"), 1),
    _m("ISA10 impossible time", _sub(r"\*261121\*0815\*", "*261121*2515*"), 1),
    _m("ISA15 usage indicator not P or T", _sub(r"\*0\*T\*:~", "*0*Q*:~"), 2),
    _m("GS04 impossible date", _sub(r"\*20261121\*0815\*77\*", "*20261131*0815*77*"), 1),
    _m("GS05 impossible time", _sub(r"\*20261121\*0815\*77\*", "*20261121*0875*77*"), 1),
    _m("GS extra element", _sub(r"\*X\*005010X224A2~", "*X*005010X224A2*9~"), 1),
    _m(
        "ST extra element", _sub(r"^ST\*837\*0001\*005010X224A2~", "ST*837*0001*005010X224A2*9~"), 1
    ),
    _m("ST03 missing", _sub(r"^ST\*837\*0001\*005010X224A2~", "ST*837*0001~"), 2),
    _m(
        "BHT04 impossible date",
        _sub(r"^BHT\*0019\*00\*0001\*20261121", "BHT*0019*00*0001*20261141"),
        1,
    ),
    _m("SE01 segment count wrong", _se_plus_one, 3),
    _m("SE extra element", _sub(r"^SE\*(\d+)\*0001~", r"SE*\1*0001*9~"), 1),
    _m("SE02 differs from ST02", _sub(r"^SE\*(\d+)\*0001", r"SE*\1*0002"), 1),
    _m("GE01 transaction count wrong", _sub(r"^GE\*1\*", "GE*2*"), 3),
    _m("GE02 differs from GS06", _sub(r"^GE\*1\*77~", "GE*1*78~"), 1),
    _m("IEA01 group count wrong", _sub(r"^IEA\*1\*", "IEA*2*"), 3),
    _m("IEA02 differs from ISA13", _sub(r"^IEA\*1\*000000077", "IEA*1*000000078"), 1),
    _m("IEA extra element", _sub(r"^IEA\*1\*000000077~", "IEA*1*000000077*9~"), 1),
    # --- SNIP 3: balancing
    _m(
        "CLM02 differs from the sum of SV302",
        _sub(r"^CLM\*MUT1\*1790\*", "CLM*MUT1*1800*"),
        3,
        "E010",
    ),
    _m("one SV302 changed", _sub(r"SV3\*AD:D4341\*280", "SV3*AD:D4341*290"), 3, "E010"),
    _m("COB paid amount differs from line payments", _sub(r"^AMT\*D\*600", "AMT*D*650"), 3, "E083"),
    _m("other payer's line does not balance", _sub(r"^CAS\*PR\*2\*400", "CAS*PR*2*390"), 3, "E084"),
    # --- SNIP 4: situational rules
    _m("SV306 = 1 reported (RFI 1866)", _sub(r"\*\*10~", "**10**1~"), 4, "V110"),
    _m(
        "organization payer with a first name",
        _sub(r"^NM1\*PR\*2\*SECOND DENTAL PLAN\*", "NM1*PR*2*SECOND DENTAL PLAN*JOHN"),
        4,
        "V111",
    ),
    _m(
        "DTP RD8 range ending before it starts",
        _sub(r"^DTP\*472\*D8\*20261006~", "DTP*472*RD8*20261006-20261001~"),
        4,
        "V112",
    ),
    _m("future service date", _sub(r"DTP\*472\*D8\*20261006", "DTP*472*D8*20271006"), 4, "E050"),
    _m(
        "service before the patient was born",
        _sub(r"^DMG\*D8\*20120409", "DMG*D8*20261010"),
        4,
        "E051",
    ),
    _m("no service date anywhere", _drop("DTP*472*", count=0), 4, "E052"),
    _m("replacement claim without payer claim number", _sub(r":B:1\*", ":B:7*"), 4, "E060"),
    _m(
        "original claim with a payer claim number",
        _sub(r"^(CLM\*MUT1\*[^~]*~\n)", r"\1REF*F8*PAYER123~\n"),
        4,
        "E060",
    ),
    _m("prosthesis replacement without prior placement date", _drop("DTP*441*"), 4, "E040"),
    _m(
        "prior placement after the service",
        _sub(r"^DTP\*441\*D8\*20150302", "DTP*441*D8*20261101"),
        4,
        "E040",
    ),
    _m("prosthesis indicator on scaling", _sub(r"\*\*10~", "**10*I~"), 4, "E041"),
    _m("restoration without its tooth", _sub(r"^TOO\*JP\*19\*M:O:D~\n", ""), 4, "E022"),
    _m("restoration without surfaces", _sub(r"^TOO\*JP\*19\*M:O:D~", "TOO*JP*19~"), 4, "E022"),
    _m("crown without its tooth", _sub(r"^TOO\*JP\*3~\n", ""), 4, "E023"),
    _m("quadrant scaling without quadrant", _sub(r"\*\*10~", "~"), 4, "E030"),
    _m(
        "patient control number over 20 characters",
        _sub(r"^CLM\*MUT1\*", "CLM*MUT1" + "X" * 17 + "*"),
        2,
        "E002",
    ),
    # --- SNIP 5: external code sets
    _m("tooth 99", _sub(r"TOO\*JP\*19\*", "TOO*JP*99*"), 5, "E020"),
    _m("tooth 33", _sub(r"TOO\*JP\*19\*", "TOO*JP*33*"), 5, "E020"),
    _m("supernumerary tooth 83", _sub(r"^TOO\*JP\*3~", "TOO*JP*83~"), 5, "E020"),
    _m("bad surface code X", _sub(r"TOO\*JP\*19\*M:O:D", "TOO*JP*19*M:O:X"), 5, "V102"),
    _m("surface repeated", _sub(r"TOO\*JP\*19\*M:O:D", "TOO*JP*19*M:O:M"), 5, "E021"),
    _m("six surfaces", _sub(r"TOO\*JP\*19\*M:O:D", "TOO*JP*19*M:O:D:B:L:I"), 5, "V102"),
    _m("tooth code list not JP", _sub(r"TOO\*JP\*19\*", "TOO*ZZ*19*"), 5, "V101"),
    _m("bad oral cavity area", _sub(r"\*\*10~", "**77~"), 5, "V103"),
    _m("bad billing NPI check digit", _sub(r"XX\*1245319599", "XX*1245319598"), 5, "E001"),
    _m("bad rendering NPI check digit", _sub(r"XX\*1234567893", "XX*1234567894"), 5, "E001"),
    _m(
        "ZIP code of 4 digits",
        _sub(r"^N4\*SPRINGFIELD\*IL\*62701~", "N4*SPRINGFIELD*IL*6270~"),
        5,
        "V105",
    ),
    _m("state code XX", _sub(r"^N4\*SPRINGFIELD\*IL\*", "N4*SPRINGFIELD*XX*"), 5, "E092"),
    _m(
        "taxonomy not ending in X",
        _sub(r"^PRV\*BI\*PXC\*1223G0001X", "PRV*BI*PXC*1223G00012"),
        5,
        "V104",
    ),
    _m("CDT code of 3 digits", _sub(r"AD:D2392", "AD:D239"), 5, "E012"),
    _m("unknown CARC", _sub(r"^CAS\*CO\*45\*250", "CAS*CO*ZZ9*250"), 5, "V106"),
]


def test_original_is_clean(validator: Validator):
    verdict = _verdict(validator, _original())
    assert (verdict.status, verdict.errors) == ("valid", ())


def test_enough_distinct_faults():
    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS) >= 60
    assert {m.snip for m in MUTATIONS} == {1, 2, 3, 4, 5}


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_fault_is_flagged_with_its_snip_type(validator: Validator, mutation: Mutation):
    original = _original()
    mutant = mutation.apply(original)
    assert mutant != original
    verdict = _verdict(validator, mutant)
    found = [(f.snip_type, f.code, f.segment_id, f.element) for f in verdict.errors]
    assert verdict.status != "valid", f"{mutation.name}: nobody flagged it"
    if verdict.status == "unsupported":
        assert mutation.snip == 1
        return
    assert any(f.snip_type == mutation.snip for f in verdict.errors), found
    if mutation.code is not None:
        assert any(
            f.code == mutation.code and f.snip_type == mutation.snip for f in verdict.errors
        ), found
    if mutation.by_map:
        assert any(f.code not in RULES for f in verdict.errors), (
            f"{mutation.name}: pyx12 with our map did not flag it ({found})"
        )
    assert all(f.segment_index is not None for f in verdict.errors if f.code in RULES), found


def test_levels_hide_higher_snip_types(validator: Validator):
    mutant = _sub(r"TOO\*JP\*19\*", "TOO*JP*99*")(_original())
    assert _verdict(validator, mutant).status == "invalid"
    assert validator.validate_text(mutant, "m.837", today=TODAY, level=4).status == "valid"
