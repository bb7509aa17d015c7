"""The 837 Dental claim (005010X224A2): the spec our pyx12 map and audit are made from.

One call per segment as the guide uses it (loop 2300 is built once and used under 2000B
and 2000C, as the guide does). Element names come from the X12 dictionary by number unless
the guide names them; codes and usages follow the guide; where the guide lets a value be
situational we say ``S`` rather than guess a stricter rule, and give the rule's gist in
``rule`` where the guide states one. Differences from TigerShark's X224A2 grammar are listed
with their reasons in ``docs/conformance.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from edigateway.x12.spec.common import COUNTRY, STATES, C, E, N, Seg, envelope, n3, n4, nm1
from edigateway.x12.spec.model import Guide, Loop, MapInfo, Segment, Usage

VERSION = "005010X224A2"
FILING = [
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "AM",
    "BL",
    "CH",
    "CI",
    "DS",
    "FI",
    "HM",
    "LM",
    "MA",
    "MB",
    "MC",
    "OF",
    "TV",
    "VA",
    "WC",
    "ZZ",
]
RELATIONSHIPS = ["01", "18", "19", "20", "21", "39", "40", "53", "G8"]
PATIENT_RELATIONSHIPS = ["01", "19", "20", "21", "39", "40", "53", "G8"]
AREAS = ["00", "01", "02", "09", "10", "20", "30", "40", "L", "R"]
SURFACES = ["B", "D", "F", "I", "L", "M", "O"]
PROVIDER_REF = ["0B", "1G", "G2", "LU"]
CAS_GROUPS = ["CO", "CR", "OA", "PI", "PR"]


def ref(
    codes: Sequence[str],
    name: str,
    max_use: int = 1,
    usage: Usage = "S",
    *,
    other_payer: bool = False,
) -> Seg:
    """A REF with the given qualifiers; ``other_payer``: REF04 (C040) may name the other
    payer the number belongs to (REF04-01 2U, REF04-02 its identifier)."""
    ref04 = (
        C("C040", "S", [E("128", "R", ["2U"]), E("127", "R")])
        if other_payer
        else C("C040", N, [E("128", N), E("127", N)])
    )
    return Seg("REF", name, usage, max_use, [E("128", "R", codes), E("127"), E("352", N), ref04])


def per(name: str, usage: Usage = "S", max_use: int = 2) -> Seg:
    """Contact information."""
    channels = ["EM", "FX", "TE"]
    return Seg(
        "PER",
        name,
        usage,
        max_use,
        [
            E("366", "R", ["IC"]),
            E("93", "S"),
            E("365", "R", channels),
            E("364"),
            E("365", "S", [*channels, "EX"]),
            E("364", "S"),
            E("365", "S", [*channels, "EX"]),
            E("364", "S"),
            E("443", N),
        ],
        ["P0304", "P0506", "P0708"],
    )


def prv(code: str, name: str, usage: Usage = "S") -> Seg:
    """Provider taxonomy."""
    return Seg(
        "PRV",
        name,
        usage,
        1,
        [
            E("1221", "R", [code]),
            E("128", "R", ["PXC"]),
            E("127"),
            E("156", N),
            C("C035", N, [E("1222", N)]),
            E("1223", N),
        ],
    )


def dtp(code: str, name: str, usage: Usage = "S", formats: Sequence[str] | None = None) -> Seg:
    """A date."""
    return Seg(
        "DTP", name, usage, 1, [E("374", "R", [code]), E("1250", "R", formats or ["D8"]), E("1251")]
    )


def amt(code: str, name: str, usage: Usage = "S") -> Seg:
    """An amount."""
    return Seg("AMT", name, usage, 1, [E("522", "R", [code]), E("782"), E("478", N)])


def cas(name: str, max_use: int) -> Seg:
    """Claim adjustment: group plus up to six reason/amount/quantity triplets."""
    triplets: list[E | C] = []
    for index in range(6):
        usage: Usage = "R" if index == 0 else "S"
        triplets += [E("1034", usage), E("782", usage), E("380", "S")]
    return Seg(
        "CAS",
        name,
        "S",
        max_use,
        [E("1033", "R", CAS_GROUPS), *triplets],
        [
            "L050607",
            "C0605",
            "C0705",
            "L080910",
            "C0908",
            "C1008",
            "L111213",
            "C1211",
            "C1311",
            "L141516",
            "C1514",
            "C1614",
            "L171819",
            "C1817",
            "C1917",
        ],
    )


def hl(code: str, name: str, parent: Usage, children: Sequence[str]) -> Seg:
    """Hierarchical level."""
    return Seg(
        "HL",
        name,
        "R",
        1,
        [E("628"), E("734", parent), E("735", "R", [code]), E("736", "R", children)],
    )


def sbr(name: str, relationship: Sequence[str], rel_usage: Usage) -> Seg:
    """Subscriber information (2000B) or other subscriber information (2320)."""
    return Seg(
        "SBR",
        name,
        "R",
        1,
        [
            E("1138", "R", ["A", "B", "C", "D", "E", "F", "G", "H", "P", "S", "T", "U"]),
            E("1069", rel_usage, relationship),
            E("127", "S"),
            E("93", "S"),
            E("1336", N),
            E("1143", N),
            E("1073", N),
            E("584", N),
            E("1032", "S", FILING),
        ],
    )


def dmg(name: str, usage: Usage = "S") -> Seg:
    """Demographics."""
    return Seg(
        "DMG", name, usage, 1, [E("1250", "R", ["D8"]), E("1251"), E("1068", "R", ["F", "M", "U"])]
    )


def k3() -> Seg:
    """Fixed-format information a regulation requires and no other element carries."""
    return Seg(
        "K3", "File Information", "S", 10, [E("449"), E("1333", N), C("C001", N, [E("355", N)])]
    )


def hi() -> Seg:
    """Claim-level diagnosis codes: the principal (ABK ICD-10, BK ICD-9) then up to three
    others (ABF/BF), the four that SV311's pointers (1-4) can name."""

    def dx(usage: Usage, codes: Sequence[str]) -> C:
        return C(
            "C022",
            usage,
            [
                E("1270", "R", codes),
                E("1271"),
                E("1250", N),
                E("1251", N),
                E("782", N),
                E("380", N),
                E("799", N),
                E("1271", N),
                E("1073", N),
            ],
            name="Health Care Code Information",
        )

    parts: list[E | C] = [dx("R", ["ABK", "BK"])]
    parts += [dx("S", ["ABF", "BF"]) for _ in range(3)]
    parts += [C("C022", N, [E("1270", N), E("1271", N)]) for _ in range(8)]
    return Seg(
        "HI",
        "Health Care Diagnosis Code",
        "S",
        1,
        parts,
        rule=(
            "When a diagnosis may affect the claim's adjudication (the procedures relate the "
            "patient's oral and general health): ICD-10-CM codes (ABK/ABF) from 2015-10-01."
        ),
    )


def hcp(name: str, *, line: bool) -> Seg:
    """Repricing: method, allowed amount, savings, repricer and its reference, reject and
    policy codes; at line level also the approved procedure and units."""
    approved: Usage = "S" if line else N
    rule = (
        "Sent by a repricing organization that priced this "
        f"{'line' if line else 'claim'}; a provider's own claim leaves it out."
    )
    return Seg(
        "HCP",
        name,
        "S",
        1,
        [
            E("1473", "R", [f"{n:02d}" for n in range(15)]),
            E("782"),
            E("782", "S"),
            E("127", "S"),
            E("118", "S"),
            E("127", "S"),
            E("782", "S"),
            E("234", "S"),
            E("235", approved, ["AD", "ER", "HC", "HP", "IV", "WK"] if line else None),
            E("234", approved),
            E("355", "S", ["DA", "UN"]),
            E("380", "S"),
            E("901", "S", ["T1", "T2", "T3", "T4", "T5", "T6"]),
            E("1526", "S", ["1", "2", "3", "4", "5"]),
            E("1527", "S", ["1", "2", "3", "4", "5", "6"]),
        ],
        ["R0113", "P0910", "P1112"],
        rule=rule,
    )


def provider_loop(
    loop_id: str,
    entity: Sequence[str],
    name: str,
    *,
    taxonomy: str | None = None,
    kind: Sequence[str] | None = None,
    address: bool = False,
    repeat: int = 1,
    ids: Sequence[str] | None = None,
    ref_max: int = 3,
) -> Loop:
    """A provider name loop (NM1, optional PRV/N3/N4, secondary REFs). At line level
    (2420x) the secondary REF may carry the other payer's identifier in REF04."""
    children: list[Seg | Loop] = [nm1(entity, name, kind=kind, qualifiers=["XX"], id_usage="S")]
    if taxonomy:
        children.append(
            prv(
                taxonomy,
                f"{name} Specialty Information",
                "R" if loop_id in ("2310B", "2420A") else "S",
            )
        )
    if address:
        children += [n3(f"{name} Address"), n4(f"{name} City, State, ZIP Code")]
    children.append(
        ref(
            ids or PROVIDER_REF,
            f"{name} Secondary Identification",
            ref_max,
            other_payer=loop_id.startswith("2420"),
        )
    )
    return Loop(loop_id, name, "S", repeat, children)


def other_payer_provider(
    loop_id: str,
    entity: Sequence[str],
    name: str,
    *,
    kind: Sequence[str],
    ids: Sequence[str],
    ref_max: int = 3,
    repeat: int = 1,
) -> Loop:
    """2330C–H: other payers' secondary identifiers for our providers (NM101/NM102 only)."""
    return Loop(
        loop_id,
        name,
        "S",
        repeat,
        [
            nm1(entity, name, kind=kind, last=N, first=N, middle=N, suffix=N, qualifiers=None),
            ref(ids, f"{name} Secondary Identification", ref_max, "R"),
        ],
    )


def claim_loop() -> Loop:
    """2300 and everything below it (used under 2000B and under 2000C)."""
    clm = Seg(
        "CLM",
        "Claim Information",
        "R",
        1,
        [
            E("1028"),
            E("782"),
            E("1032", N),
            E("1343", N),
            C(
                "C023",
                "R",
                [E("1331", "R"), E("1332", "R", ["B"]), E("1325", "R", ["1", "7", "8"])],
            ),
            E("1073", "R", ["N", "Y"]),
            E("1359", "R", ["A", "B", "C"]),
            E("1073", "R", ["N", "W", "Y"]),
            E("1363", "R", ["I", "Y"]),
            E("1351", N),
            C(
                "C024",
                "S",
                [
                    E("1362", "R", ["AA", "EM", "OA"]),
                    E("1362", "S", ["AA", "EM", "OA"]),
                    E("1362", N),
                    E("156", "S", external=STATES),
                    E("26", "S", external=COUNTRY),
                ],
            ),
            E("1366", "S", ["01", "02", "03", "05"]),
            E("1073", N),
            E("1338", N),
            E("1360", N),
            E("1029", N),
            E("1383", N),
            E("1073", N),
            E("1383", "S", ["PB"]),
            E("1514", "S", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "15"]),
        ],
    )
    line = Loop(
        "2400",
        "Line Counter",
        "R",
        50,
        [
            Seg("LX", "Line Counter", "R", 1, [E("554")]),
            Seg(
                "SV3",
                "Dental Service",
                "R",
                1,
                [
                    C(
                        "C003",
                        "R",
                        [
                            E("235", "R", ["AD"]),
                            E("234"),
                            E("1339", "S"),
                            E("1339", "S"),
                            E("1339", "S"),
                            E("1339", "S"),
                            E("352", "S"),
                        ],
                    ),
                    E("782"),
                    E("1331", "S"),
                    C("C006", "S", [E("1361", "R", AREAS)] + [E("1361", "S", AREAS)] * 4),
                    E("1358", "S", ["I", "R"]),
                    E(
                        "380",
                        "S",
                        name="Procedure Count",
                        rule=(
                            "Sent only for more than one unit: a missing SV306 means 1, and X12's "
                            "interpretation RFI 1866 prohibits reporting SV306 with the value 1."
                        ),
                    ),
                    E("352", N),
                    E("1327", N),
                    E("1360", N),
                    E("1073", N),
                    C(
                        "C004",
                        "S",
                        [E("1328"), E("1328", "S"), E("1328", "S"), E("1328", "S")],
                        name="Composite Diagnosis Code Pointer",
                        rule=(
                            "When the claim carries diagnosis codes (2300 HI) that apply to this "
                            "line: pointers 1-4 into HI01-HI04, the first the primary one."
                        ),
                    ),
                ],
            ),
            Seg(
                "TOO",
                "Tooth Information",
                "S",
                32,
                [
                    E("1270", "R", ["JP"]),
                    E("1271"),
                    C(
                        "C005",
                        "S",
                        [E("1369", "R", SURFACES)] + [E("1369", "S", SURFACES)] * 4,
                        rule="When the procedure is on one or more tooth surfaces.",
                    ),
                ],
                rule="When the procedure is on a tooth: one TOO per tooth, up to 32.",
            ),
            dtp("472", "Date - Service", formats=["D8", "RD8"]),
            dtp("441", "Date - Prior Placement"),
            dtp("452", "Date - Appliance Placement"),
            dtp("446", "Date - Replacement"),
            dtp("196", "Date - Treatment Start"),
            dtp("198", "Date - Treatment Completion"),
            Seg(
                "CN1",
                "Contract Information",
                "S",
                1,
                [
                    E("1166", "R", ["01", "02", "03", "04", "05", "06", "09"]),
                    E("782", "S"),
                    E("332", "S"),
                    E("127", "S"),
                    E("338", "S"),
                    E("799", "S"),
                ],
            ),
            ref(["G3"], "Service Predetermination Identification", 5, other_payer=True),
            ref(["G1"], "Prior Authorization", 5, other_payer=True),
            ref(["6R"], "Line Item Control Number", 1),
            ref(["9B"], "Repriced Line Item Reference Number", 1),
            ref(["9D"], "Adjusted Repriced Line Item Reference Number", 1),
            ref(["9F"], "Referral Number", 5, other_payer=True),
            amt("T", "Sales Tax Amount"),
            k3(),
            Seg("NTE", "Line Note", "S", 1, [E("363", "R", ["TPO"]), E("352")]),
            hcp("Line Pricing/Repricing Information", line=True),
            provider_loop("2420A", ["82"], "Rendering Provider Name", taxonomy="PE", ref_max=20),
            provider_loop(
                "2420B", ["DD"], "Assistant Surgeon Name", taxonomy="AS", kind=["1"], ref_max=20
            ),
            provider_loop("2420C", ["DQ"], "Supervising Provider Name", kind=["1"], ref_max=20),
            provider_loop(
                "2420D",
                ["77"],
                "Service Facility Location",
                kind=["2"],
                address=True,
                ids=["0B", "1G", "G2"],
            ),
            Loop(
                "2430",
                "Line Adjudication Information",
                "S",
                15,
                [
                    Seg(
                        "SVD",
                        "Line Adjudication Information",
                        "R",
                        1,
                        [
                            E("67"),
                            E("782"),
                            C(
                                "C003",
                                "R",
                                [
                                    E("235", "R", ["AD"]),
                                    E("234"),
                                    E("1339", "S"),
                                    E("1339", "S"),
                                    E("1339", "S"),
                                    E("1339", "S"),
                                    E("352", "S"),
                                ],
                            ),
                            E("234", N),
                            E("380"),
                            E("554", "S"),
                        ],
                    ),
                    cas("Line Adjustment", 5),
                    dtp("573", "Line Check or Remittance Date", "R"),
                    amt("EAF", "Remaining Patient Liability"),
                ],
            ),
        ],
    )
    other_subscriber = Loop(
        "2320",
        "Other Subscriber Information",
        "S",
        10,
        rule=(
            "When another payer may be responsible for the claim: one loop per other payer, "
            "with its adjudication when it has paid."
        ),
        children=[
            sbr("Other Subscriber Information", RELATIONSHIPS, "R"),
            cas("Claim Level Adjustments", 5),
            amt("D", "Coordination of Benefits (COB) Payer Paid Amount"),
            amt("A8", "Coordination of Benefits (COB) Total Non-covered Amount"),
            amt("EAF", "Remaining Patient Liability"),
            Seg(
                "OI",
                "Other Insurance Coverage Information",
                "R",
                1,
                [
                    E("1032", N),
                    E("1383", N),
                    E("1073", "R", ["N", "W", "Y"]),
                    E("1351", "S", ["P"]),
                    E("1360", N),
                    E("1363", "R", ["I", "Y"]),
                ],
            ),
            Seg(
                "MOA",
                "Outpatient Adjudication Information",
                "S",
                1,
                [
                    E("954", "S", name="Reimbursement Rate"),
                    E("782", "S", name="HCPCS Payable Amount"),
                    *[E("127", "S", name="Claim Payment Remark Code") for _ in range(5)],
                    E("782", "S", name="End Stage Renal Disease Payment Amount"),
                    E("782", "S", name="Non-Payable Professional Component Billed Amount"),
                ],
                rule=(
                    "When the other payer's remittance (835 MOA) reported outpatient adjudication."
                ),
            ),
            Loop(
                "2330A",
                "Other Subscriber Name",
                "R",
                1,
                [
                    nm1(["IL"], "Other Subscriber Name", qualifiers=["II", "MI"]),
                    n3("Other Subscriber Address", "S"),
                    n4("Other Subscriber City, State, ZIP Code", "S"),
                    ref(["SY"], "Other Subscriber Secondary Identification"),
                ],
            ),
            Loop(
                "2330B",
                "Other Payer Name",
                "R",
                1,
                [
                    nm1(["PR"], "Other Payer Name", kind=["2"], qualifiers=["PI", "XV"]),
                    n3("Other Payer Address", "S"),
                    n4("Other Payer City, State, ZIP Code", "S"),
                    dtp("573", "Claim Check or Remittance Date"),
                    ref(["2U", "EI", "FY", "NF"], "Other Payer Secondary Identifier", 2),
                    ref(["G1"], "Other Payer Prior Authorization Number"),
                    ref(["9F"], "Other Payer Referral Number"),
                    ref(["T4"], "Other Payer Claim Adjustment Indicator"),
                    ref(["G3"], "Other Payer Predetermination Identification"),
                    ref(["F8"], "Other Payer Claim Control Number"),
                ],
            ),
            other_payer_provider(
                "2330C",
                ["DN", "P3"],
                "Other Payer Referring Provider",
                kind=["1"],
                ids=PROVIDER_REF,
                repeat=2,
            ),
            other_payer_provider(
                "2330D", ["82"], "Other Payer Rendering Provider", kind=["1", "2"], ids=PROVIDER_REF
            ),
            other_payer_provider(
                "2330E", ["DQ"], "Other Payer Supervising Provider", kind=["1"], ids=PROVIDER_REF
            ),
            other_payer_provider(
                "2330F",
                ["85"],
                "Other Payer Billing Provider",
                kind=["1", "2"],
                ids=["G2", "LU"],
                ref_max=2,
            ),
            other_payer_provider(
                "2330G",
                ["77"],
                "Other Payer Service Facility Location",
                kind=["2"],
                ids=["0B", "G2", "LU"],
            ),
            other_payer_provider(
                "2330H",
                ["DD"],
                "Other Payer Assistant Surgeon",
                kind=["1", "2"],
                ids=["0B", "1G", "G2"],
            ),
        ],
    )
    return Loop(
        "2300",
        "Claim Information",
        "S",
        100,
        rule=(
            "Under 2000B when the subscriber is the patient, under 2000C otherwise; required "
            "where it belongs, which a map cannot say, so situational in both places."
        ),
        children=[
            clm,
            dtp("439", "Date - Accident"),
            dtp("452", "Date - Appliance Placement"),
            dtp("472", "Date - Service", formats=["D8", "RD8"]),
            dtp("050", "Date - Repricer Received Date"),
            Seg(
                "DN1",
                "Orthodontic Information",
                "S",
                1,
                [E("380", "S"), E("380", "S"), E("1073", "S", ["N", "Y"]), E("352", "S")],
                rule="When the claim is for orthodontic treatment.",
            ),
            Seg(
                "DN2",
                "Tooth Status",
                "S",
                35,
                [
                    E("127", name="Tooth Number"),
                    E("1368", "R", ["E", "M"]),
                    E("380", N),
                    E("1250", N),
                    E("1251", N),
                    E("1270", "R", ["JP"]),
                ],
                rule="When the payer needs missing or to-be-extracted teeth (prosthetics, "
                "periodontics): one DN2 per tooth.",
            ),
            Seg(
                "PWK",
                "Claim Supplemental Information",
                "S",
                10,
                [
                    E(
                        "755",
                        "R",
                        [
                            "04",
                            "07",
                            "09",
                            "B4",
                            "DA",
                            "DG",
                            "EB",
                            "OZ",
                            "P6",
                            "PN",
                            "PO",
                            "RB",
                            "RR",
                            "RX",
                        ],
                    ),
                    E("756", "R", ["AA", "BM", "EL", "EM", "FT", "FX"]),
                    E("757", N),
                    E("98", N),
                    E("66", "S", ["AC"]),
                    E("67", "S"),
                    E("352", N),
                    C("C002", N, [E("704", N)]),
                    E("1525", N),
                ],
                ["P0506"],
            ),
            Seg(
                "CN1",
                "Contract Information",
                "S",
                1,
                [
                    E("1166", "R", ["01", "02", "03", "04", "05", "06", "09"]),
                    E("782", "S"),
                    E("332", "S"),
                    E("127", "S"),
                    E("338", "S"),
                    E("799", "S"),
                ],
            ),
            amt("F5", "Patient Amount Paid"),
            ref(["4N"], "Service Authorization Exception Code"),
            ref(["G3"], "Predetermination Identification"),
            ref(["F8"], "Payer Claim Control Number"),
            ref(["9F"], "Referral Number"),
            ref(["G1"], "Prior Authorization"),
            ref(["9A"], "Repriced Claim Number"),
            ref(["9C"], "Adjusted Repriced Claim Number"),
            ref(["D9"], "Claim Identifier For Transmission Intermediaries"),
            k3(),
            Seg("NTE", "Claim Note", "S", 5, [E("363", "R", ["ADD"]), E("352")]),
            hi(),
            hcp("Claim Pricing/Repricing Information", line=False),
            provider_loop(
                "2310A",
                ["DN", "P3"],
                "Referring Provider Name",
                taxonomy="RF",
                kind=["1"],
                repeat=2,
                ids=["0B", "1G", "G2"],
            ),
            provider_loop("2310B", ["82"], "Rendering Provider Name", taxonomy="PE", ref_max=4),
            provider_loop("2310C", ["77"], "Service Facility Location", kind=["2"], address=True),
            provider_loop(
                "2310D", ["DD"], "Assistant Surgeon Name", taxonomy="AS", kind=["1"], ref_max=4
            ),
            provider_loop("2310E", ["DQ"], "Supervising Provider Name", kind=["1"], ref_max=4),
            other_subscriber,
            line,
        ],
    )


def transaction() -> Loop:
    """The whole interchange, as pyx12 expects a transaction map to describe it."""
    bht = Seg(
        "BHT",
        "Beginning of Hierarchical Transaction",
        "R",
        1,
        [
            E("1005", "R", ["0019"]),
            E("353", "R", ["00", "18"]),
            E("127"),
            E("373"),
            E("337"),
            E("640", "R", ["31", "CH", "RP"]),
        ],
    )
    header: list[Segment | Loop] = [
        bht,
        Loop(
            "1000A",
            "Submitter Name",
            "R",
            1,
            [
                nm1(["41"], "Submitter Name", suffix=N, qualifiers=["46"]),
                per("Submitter EDI Contact Information", "R", 2),
            ],
        ),
        Loop(
            "1000B",
            "Receiver Name",
            "R",
            1,
            [
                nm1(["40"], "Receiver Name", kind=["2"], qualifiers=["46"]),
            ],
        ),
    ]
    patient = Loop(
        "2000C",
        "Patient Hierarchical Level",
        "S",
        ">1",
        rule=("When the patient is not the subscriber (a dependent of the subscriber)."),
        children=[
            hl("23", "Patient Hierarchical Level", "R", ["0"]),
            Seg(
                "PAT",
                "Patient Information",
                "R",
                1,
                [
                    E("1069", "R", PATIENT_RELATIONSHIPS),
                    E("1384", N),
                    E("584", N),
                    E("1220", N),
                    E("1250", N),
                    E("1251", N),
                    E("355", N),
                    E("81", N),
                    E("1073", N),
                ],
            ),
            Loop(
                "2010CA",
                "Patient Name",
                "R",
                1,
                [
                    nm1(["QC"], "Patient Name", kind=["1"], qualifiers=None),
                    n3("Patient Address"),
                    n4("Patient City, State, ZIP Code"),
                    dmg("Patient Demographic Information", "R"),
                    ref(["Y4"], "Property and Casualty Claim Number"),
                    ref(["SY"], "Property and Casualty Patient Identifier"),
                ],
            ),
            claim_loop(),
        ],
    )
    subscriber = Loop(
        "2000B",
        "Subscriber Hierarchical Level",
        "R",
        ">1",
        [
            hl("22", "Subscriber Hierarchical Level", "R", ["0", "1"]),
            sbr("Subscriber Information", ["18"], "S"),
            Loop(
                "2010BA",
                "Subscriber Name",
                "R",
                1,
                [
                    nm1(["IL"], "Subscriber Name", qualifiers=["II", "MI"]),
                    n3("Subscriber Address", "S"),
                    n4("Subscriber City, State, ZIP Code", "S"),
                    dmg("Subscriber Demographic Information"),
                    ref(["SY"], "Subscriber Secondary Identification"),
                    ref(["Y4"], "Property and Casualty Claim Number"),
                ],
            ),
            Loop(
                "2010BB",
                "Payer Name",
                "R",
                1,
                [
                    nm1(["PR"], "Payer Name", kind=["2"], qualifiers=["PI", "XV"]),
                    n3("Payer Address", "S"),
                    n4("Payer City, State, ZIP Code", "S"),
                    ref(["2U", "EI", "FY", "NF"], "Payer Secondary Identification", 3),
                    ref(["G2", "LU"], "Billing Provider Secondary Identification", 2),
                ],
            ),
            claim_loop(),
            patient,
        ],
    )
    billing = Loop(
        "2000A",
        "Billing Provider Hierarchical Level",
        "R",
        ">1",
        [
            hl("20", "Billing Provider Hierarchical Level", N, ["1"]),
            prv("BI", "Billing Provider Specialty Information"),
            Seg(
                "CUR",
                "Foreign Currency Information",
                "S",
                1,
                [E("98", "R", ["85"]), E("100", external="currency")],
            ),
            Loop(
                "2010AA",
                "Billing Provider Name",
                "R",
                1,
                [
                    nm1(["85"], "Billing Provider Name", qualifiers=["XX"], id_usage="S"),
                    n3("Billing Provider Address"),
                    n4("Billing Provider City, State, ZIP Code"),
                    ref(["EI", "SY"], "Billing Provider Tax Identification", 1, "R"),
                    ref(["0B", "1G"], "Billing Provider UPIN/License Information", 2),
                    per("Billing Provider Contact Information", "S", 2),
                ],
            ),
            Loop(
                "2010AB",
                "Pay-to Address Name",
                "S",
                1,
                rule=("When payment goes to an address other than the billing provider's."),
                children=[
                    nm1(
                        ["87"],
                        "Pay-to Address Name",
                        kind=["1", "2"],
                        last=N,
                        first=N,
                        middle=N,
                        suffix=N,
                    ),
                    n3("Pay-to Address"),
                    n4("Pay-to Address City, State, ZIP Code"),
                ],
            ),
            Loop(
                "2010AC",
                "Pay-To Plan Name",
                "S",
                1,
                [
                    nm1(["PE"], "Pay-to Plan Name", kind=["2"], qualifiers=["PI", "XV"]),
                    n3("Pay-to Plan Address"),
                    n4("Pay-To Plan City, State, ZIP Code"),
                    ref(["2U", "FY", "NF"], "Pay-to Plan Secondary Identification"),
                    ref(["EI"], "Pay-To Plan Tax Identification Number", 1, "R"),
                ],
            ),
            subscriber,
        ],
    )
    return envelope("HC", "837", VERSION, header, [billing])


@cache
def guide() -> Guide:
    """The 837D spec."""
    return Guide(
        "837D",
        "x224a2_837d",
        MapInfo(
            "837.5010.X224.A2.xml",
            VERSION,
            "HC",
            "837D",
            "837",
            "HIPAA Health Care Claim: Dental X224A2-837",
            "837 Health Care Claim: Dental",
        ),
        transaction(),
    )
