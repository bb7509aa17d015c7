"""The 835 Health Care Claim Payment/Advice (005010X221A1): the spec of the guide.

We validate 835s with pyx12's packaged map (``835.5010.X221.A1.xml``), not one generated
from here (``Guide.generated`` is false; docs/conformance.md says why). This spec transcribes
that map's facts, with one correction where the map is stricter than the guide: the
submitted procedure qualifier SVC06-01 takes the same codes as SVC01-01, N6 and UI
included. ``tests/unit/x12/test_spec_maps.py`` checks that this is the only difference
between the spec and the map in use.

Layout: table 1 BPR/TRN/CUR/REF/DTM with payer (1000A N1*PR) and payee (1000B N1*PE);
table 2 the 2000 header number (LX, TS3, TS2), 2100 claim (CLP …) and 2110 service line
(SVC …); table 3 the provider adjustment PLB.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from edigateway.x12.spec.common import COUNTRY, STATES, C, E, N, Seg, envelope
from edigateway.x12.spec.model import (
    UNBOUNDED,
    Composite,
    Element,
    Guide,
    Loop,
    MapInfo,
    Repeat,
    Segment,
    Usage,
)

VERSION = "005010X221A1"
HANDLING = ["C", "D", "H", "I", "P", "U", "X"]
PAYMENT_METHODS = ["ACH", "BOP", "CHK", "FWT", "NON"]
CHANNELS = ["EM", "EX", "FX", "TE", "UR"]
CLAIM_STATUSES = ["1", "19", "2", "20", "21", "22", "23", "25", "3", "4"]
CLAIM_FILING = [
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "AM",
    "CH",
    "DS",
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
PATIENT_ID_QUALIFIERS = ["34", "HN", "II", "MI", "MR"]
PROVIDER_ID_QUALIFIERS = ["BD", "BS", "FI", "MC", "PC", "SL", "UP", "XX"]
PAYER_ID_QUALIFIERS = ["AD", "FI", "NI", "PI", "PP", "XV"]
CLAIM_IDS = ["1L", "1W", "28", "6P", "9A", "9C", "BB", "CE", "EA", "F8", "G1", "G3", "IG", "SY"]
RENDERING_IDS = ["0B", "1A", "1B", "1C", "1D", "1G", "1H", "1J", "D3", "G2", "LU"]
CLAIM_AMOUNTS = ["AU", "D8", "DY", "F5", "I", "NL", "T", "T2", "ZK", "ZL", "ZM", "ZN", "ZO"]
CLAIM_QUANTITIES = [
    "CA",
    "CD",
    "LA",
    "LE",
    "NE",
    "NR",
    "OU",
    "PS",
    "VS",
    "ZK",
    "ZL",
    "ZM",
    "ZN",
    "ZO",
]
PROCEDURE_QUALIFIERS = ["AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"]
SERVICE_IDS = ["1S", "APC", "BB", "E9", "G1", "G3", "LU", "RB"]
LINE_RENDERING_IDS = ["0B", "1A", "1B", "1C", "1D", "1G", "1H", "1J", "D3", "G2", "HPI", "SY", "TJ"]
SERVICE_AMOUNTS = ["B6", "KH", "T", "T2", "ZK", "ZL", "ZM", "ZN", "ZO"]
SERVICE_QUANTITIES = ["ZK", "ZL", "ZM", "ZN", "ZO"]
PROVIDER_ADJUSTMENT_REASONS = [
    "50",
    "51",
    "72",
    "90",
    "AH",
    "AM",
    "AP",
    "B2",
    "B3",
    "BD",
    "BN",
    "C5",
    "CR",
    "CS",
    "CT",
    "CV",
    "CW",
    "DM",
    "E3",
    "FB",
    "FC",
    "GO",
    "HM",
    "IP",
    "IR",
    "IS",
    "J1",
    "L3",
    "L6",
    "LE",
    "LS",
    "OA",
    "OB",
    "PI",
    "PL",
    "RA",
    "RE",
    "SL",
    "TL",
    "WO",
    "WU",
]
CAS_SYNTAX = [
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
]
DTM_SYNTAX = ["R020305", "C0403", "P0506"]
NM1_SYNTAX = ["P0809", "C1110", "C1203"]
PER_SYNTAX = ["P0304", "P0506", "P0708"]
REMARK = "remark_code"


def unused(number: str) -> Composite:
    """A composite the guide does not use (its components are not described)."""
    return C(number, N, [])


def ref(name: str, codes: Sequence[str], max_use: Repeat, identifier: str) -> Segment:
    """REF with REF03/REF04 not used."""
    return Seg(
        "REF",
        name,
        "S",
        max_use,
        [
            E("128", "R", codes),
            E("127", name=identifier),
            E("352", N),
            unused("C040"),
        ],
        ["R0203"],
    )


def dtm(name: str, codes: Sequence[str], max_use: int, date: str | None = None) -> Segment:
    """DTM: qualifier and date only."""
    return Seg(
        "DTM",
        name,
        "S",
        max_use,
        [
            E("374", "R", codes, name="Date Time Qualifier"),
            E("373", name=date),
            E("337", N),
            E("623", N),
            E("1250", N),
            E("1251", N),
        ],
        DTM_SYNTAX,
    )


def cas(name: str) -> Segment:
    """CAS: group code and up to six reason/amount/quantity triplets."""
    triplets: list[Element | Composite] = []
    for index in range(6):
        usage: Usage = "R" if index == 0 else "S"
        triplets += [
            E("1034", usage, name="Adjustment Reason Code"),
            E("782", usage, name="Adjustment Amount"),
            E("380", "S", name="Adjustment Quantity"),
        ]
    return Seg(
        "CAS", name, "S", 99, [E("1033", "R", ["CO", "OA", "PI", "PR"]), *triplets], CAS_SYNTAX
    )


def n4(who: str, usage: Usage) -> Segment:
    """Payer/payee city, state, ZIP."""
    return Seg(
        "N4",
        f"{who} City, State, ZIP Code",
        usage,
        1,
        [
            E("19", name=f"{who} City Name"),
            E("156", "S", external=STATES, name=f"{who} State Code"),
            E("116", "S", name=f"{who} Postal Zone or ZIP Code"),
            E("26", "S", external=COUNTRY),
            E("309", N),
            E("310", N),
            E("1715", "S"),
        ],
        ["E0207", "C0605", "C0704"],
    )


def n3(who: str, usage: Usage) -> Segment:
    """Payer/payee street address."""
    return Seg(
        "N3",
        f"{who} Address",
        usage,
        1,
        [E("166", name=f"{who} Address Line"), E("166", "S", name=f"{who} Address Line")],
    )


def person(
    entity: str,
    name: str,
    who: str,
    kinds: Sequence[str],
    id_usage: Usage,
    qualifiers: Sequence[str],
    *,
    usage: Usage = "S",
    last: Usage = "S",
) -> Segment:
    """A 2100 NM1 naming a person or organisation (all name parts situational)."""
    return Seg(
        "NM1",
        name,
        usage,
        1,
        [
            E("98", "R", [entity]),
            E("1065", "R", kinds),
            E("1035", last, name=f"{who} Last Name"),
            E("1036", "S", name=f"{who} First Name"),
            E("1037", "S", name=f"{who} Middle Name or Initial"),
            E("1038", N),
            E("1039", "S", name=f"{who} Name Suffix"),
            E("66", id_usage, qualifiers),
            E("67", id_usage, name=f"{who} Identifier"),
            E("706", N),
            E("98", N),
            E("1035", N),
        ],
        NM1_SYNTAX,
    )


def organisation(entity: str, name: str, who: str, identifier: str) -> Segment:
    """A 2100 NM1 naming a payer (organisation only)."""
    return Seg(
        "NM1",
        name,
        "S",
        1,
        [
            E("98", "R", [entity]),
            E("1065", "R", ["2"]),
            E("1035", name=who),
            E("1036", N),
            E("1037", N),
            E("1038", N),
            E("1039", N),
            E("66", "R", PAYER_ID_QUALIFIERS),
            E("67", name=identifier),
            E("706", N),
            E("98", N),
            E("1035", N),
        ],
        NM1_SYNTAX,
    )


def payer() -> Loop:
    """1000A Payer Identification."""

    def contact(
        name: str,
        function: str,
        usage: Usage,
        max_use: Repeat,
        channels: tuple[Sequence[str], Sequence[str], Sequence[str]],
        who: str = "Payer Contact",
    ) -> Segment:
        return Seg(
            "PER",
            name,
            usage,
            max_use,
            [
                E("366", "R", [function]),
                E("93", "S", name=f"{who} Name"),
                E("365", "S", channels[0]),
                E("364", "S", name="Payer Contact Communication Number"),
                E("365", "S", channels[1]),
                E("364", "S", name="Payer Contact Communication Number"),
                E("365", "S", channels[2]),
                E("364", "S", name="Payer Contact Communication Number"),
                E("443", N),
            ],
            PER_SYNTAX,
        )

    return Loop(
        "1000A",
        "Payer Identification",
        "R",
        1,
        [
            Seg(
                "N1",
                "Payer Identification",
                "R",
                1,
                [
                    E("98", "R", ["PR"]),
                    E("93", name="Payer Name"),
                    E("66", "S", ["XV"]),
                    E("67", "S", name="Payer Identifier"),
                    E("706", N),
                    E("98", N),
                ],
                ["R0203", "P0304"],
            ),
            n3("Payer", "R"),
            n4("Payer", "R"),
            ref(
                "Additional Payer Identification",
                ["2U", "EO", "HI", "NF"],
                4,
                "Additional Payer Identifier",
            ),
            contact(
                "Payer Business Contact Information",
                "CX",
                "S",
                1,
                (["EM", "FX", "TE"], ["EM", "EX", "FX", "TE"], ["EX"]),
            ),
            contact(
                "Payer Technical Contact Information",
                "BL",
                "R",
                UNBOUNDED,
                (["EM", "TE", "UR"], CHANNELS, ["EM", "EX", "FX", "UR"]),
                who="Payer Technical Contact",
            ),
            Seg(
                "PER",
                "Payer WEB Site",
                "S",
                1,
                [
                    E("366", "R", ["IC"]),
                    E("93", N),
                    E("365", "R", ["UR"]),
                    E("364"),
                    E("365", N),
                    E("364", N),
                    E("365", N),
                    E("364", N),
                    E("443", N),
                ],
                PER_SYNTAX,
            ),
        ],
    )


def payee() -> Loop:
    """1000B Payee Identification."""
    return Loop(
        "1000B",
        "Payee Identification",
        "R",
        1,
        [
            Seg(
                "N1",
                "Payee Identification",
                "R",
                1,
                [
                    E("98", "R", ["PE"]),
                    E("93", name="Payee Name"),
                    E("66", "R", ["FI", "XV", "XX"]),
                    E("67", name="Payee Identification Code"),
                    E("706", N),
                    E("98", N),
                ],
                ["R0203", "P0304"],
            ),
            n3("Payee", "S"),
            n4("Payee", "S"),
            ref(
                "Payee Additional Identification",
                ["0B", "D3", "PQ", "TJ"],
                UNBOUNDED,
                "Additional Payee Identifier",
            ),
            Seg(
                "RDM",
                "Remittance Delivery Method",
                "S",
                1,
                [
                    E("756", "R", ["BM", "EM", "FT", "OL"]),
                    E("93", "S"),
                    E("364", "S"),
                    unused("C040"),
                    unused("C040"),
                ],
            ),
        ],
    )


def procedure(
    usage: Usage, qualifiers: Sequence[str], code: str, *, description: Usage = N
) -> Composite:
    """C003 procedure: qualifier, code, four modifiers (and the description on SVC06)."""
    return C(
        "C003",
        usage,
        [
            E("235", "R", qualifiers, name="Product or Service ID Qualifier"),
            E("234", name=code),
            E("1339", "S"),
            E("1339", "S"),
            E("1339", "S"),
            E("1339", "S"),
            E("352", description, name="Procedure Code Description"),
            E("234", N),
        ],
        name="Composite Medical Procedure Identifier",
    )


def service_line() -> Loop:
    """2110 Service Payment Information."""
    return Loop(
        "2110",
        "Service Payment Information",
        "S",
        999,
        [
            Seg(
                "SVC",
                "Service Payment Information",
                "R",
                1,
                [
                    procedure("R", PROCEDURE_QUALIFIERS, "Adjudicated Procedure Code"),
                    E("782", name="Line Item Charge Amount"),
                    E("782", name="Line Item Provider Payment Amount"),
                    E("234", "S", name="National Uniform Billing Committee Revenue Code"),
                    E("380", "S", name="Units of Service Paid Count"),
                    # the submitted procedure, when it differs: the same qualifiers as SVC01-01
                    procedure("S", PROCEDURE_QUALIFIERS, "Procedure Code", description="S"),
                    E("380", "S", name="Original Units of Service Count"),
                ],
            ),
            dtm("Service Date", ["150", "151", "472"], 2, "Service Date"),
            cas("Service Adjustment"),
            ref("Service Identification", SERVICE_IDS, 8, "Provider Identifier"),
            ref("Line Item Control Number", ["6R"], 1, "Line Item Control Number"),
            ref(
                "Rendering Provider Information",
                LINE_RENDERING_IDS,
                10,
                "Rendering Provider Identifier",
            ),
            ref("HealthCare Policy Identification", ["0K"], 5, "Healthcare Policy Identification"),
            Seg(
                "AMT",
                "Service Supplemental Amount",
                "S",
                9,
                [
                    E("522", "R", SERVICE_AMOUNTS),
                    E("782", name="Service Supplemental Amount"),
                    E("478", N),
                ],
            ),
            Seg(
                "QTY",
                "Service Supplemental Quantity",
                "S",
                6,
                [
                    E("673", "R", SERVICE_QUANTITIES),
                    E("380", name="Service Supplemental Quantity Count"),
                    unused("C001"),
                    E("61", N),
                ],
                ["E0204", "R0204"],
            ),
            Seg(
                "LQ",
                "Health Care Remark Codes",
                "S",
                99,
                [E("1270", "R", ["HE", "RX"]), E("1271", name="Remark Code")],
                ["C0102"],
            ),
        ],
    )


def claim() -> Loop:
    """2100 Claim Payment Information."""
    inpatient_amounts = [
        "PPS Operating Outlier Amount",
        "Lifetime Psychiatric Days Count",
        "Claim DRG Amount",
        "Claim Payment Remark Code",
        "Claim Disproportionate Share Amount",
        "Claim MSP Pass-through Amount",
        "Claim PPS Capital Amount",
        "PPS-Capital FSP DRG Amount",
        "PPS-Capital HSP DRG Amount",
        "PPS-Capital DSH DRG Amount",
        "Old Capital Amount",
        "PPS-Capital IME amount",
        "PPS-Operating Hospital Specific DRG Amount",
        "Cost Report Day Count",
        "PPS-Operating Federal Specific DRG Amount",
        "Claim PPS Capital Outlier Amount",
        "Claim Indirect Teaching Amount",
        "Nonpayable Professional Component Amount",
        "Claim Payment Remark Code",
        "Claim Payment Remark Code",
        "Claim Payment Remark Code",
        "Claim Payment Remark Code",
        "PPS-Capital Exception Amount",
    ]

    def mia(title: str) -> Element:
        if title == "Claim Payment Remark Code":
            return E("127", "S", external=REMARK, name=title)
        return E("380" if "Count" in title else "782", "S", name=title)

    remark = E("127", "S", external=REMARK, name="Claim Payment Remark Code")
    return Loop(
        "2100",
        "Claim Payment Information",
        "R",
        UNBOUNDED,
        [
            Seg(
                "CLP",
                "Claim Payment Information",
                "R",
                1,
                [
                    E("1028", name="Patient Control Number"),
                    E("1029", "R", CLAIM_STATUSES),
                    E("782", name="Total Claim Charge Amount"),
                    E("782", name="Claim Payment Amount"),
                    E("782", "S", name="Patient Responsibility Amount"),
                    E("1032", "R", CLAIM_FILING),
                    E("127", name="Payer Claim Control Number"),
                    E("1331", "S", name="Facility Type Code"),
                    E("1325", "S", name="Claim Frequency Code"),
                    E("1352", N),
                    E("1354", "S"),
                    E("380", "S", name="Diagnosis Related Group (DRG) Weight"),
                    E("954", "S", name="Discharge Fraction"),
                    E("1073", N),
                ],
            ),
            cas("Claim Adjustment"),
            person("QC", "Patient Name", "Patient", ["1"], "S", PATIENT_ID_QUALIFIERS, usage="R"),
            person("IL", "Insured Name", "Subscriber", ["1", "2"], "R", ["FI", "II", "MI"]),
            person(
                "74",
                "Corrected Patient/Insured Name",
                "Corrected Patient or Insured",
                ["1", "2"],
                "S",
                ["C"],
            ),
            person(
                "82",
                "Service Provider Name",
                "Rendering Provider",
                ["1", "2"],
                "R",
                PROVIDER_ID_QUALIFIERS,
            ),
            organisation(
                "TT",
                "Crossover Carrier Name",
                "Coordination of Benefits Carrier Name",
                "Coordination of Benefits Carrier Identifier",
            ),
            organisation(
                "PR",
                "Corrected Priority Payer Name",
                "Corrected Priority Payer Name",
                "Corrected Priority Payer Identification Number",
            ),
            person(
                "GB",
                "Other Subscriber Name",
                "Other Subscriber",
                ["1", "2"],
                "S",
                ["FI", "II", "MI"],
            ),
            Seg(
                "MIA",
                "Inpatient Adjudication Information",
                "S",
                1,
                [
                    E("380", name="Covered Days or Visits Count"),
                    *[mia(t) for t in inpatient_amounts],
                ],
            ),
            Seg(
                "MOA",
                "Outpatient Adjudication Information",
                "S",
                1,
                [
                    E("954", "S", name="Reimbursement Rate"),
                    E("782", "S", name="Claim HCPCS Payable Amount"),
                    *[remark] * 5,
                    E("782", "S", name="Claim ESRD Payment Amount"),
                    E("782", "S", name="Nonpayable Professional Component Amount"),
                ],
            ),
            ref(
                "Other Claim Related Identification", CLAIM_IDS, 5, "Other Claim Related Identifier"
            ),
            ref(
                "Rendering Provider Identification",
                RENDERING_IDS,
                10,
                "Rendering Provider Secondary Identifier",
            ),
            dtm("Statement From or To Date", ["232", "233"], 2, "Claim Date"),
            dtm("Coverage Expiration Date", ["036"], 1),
            dtm("Claim Received Date", ["050"], 1),
            Seg(
                "PER",
                "Claim Contact Information",
                "S",
                2,
                [
                    E("366", "R", ["CX"]),
                    E("93", "S", name="Claim Contact Name"),
                    E("365", "R", ["EM", "FX", "TE"]),
                    E("364", name="Claim Contact Communications Number"),
                    E("365", "S", ["EM", "EX", "FX", "TE"]),
                    E("364", "S", name="Claim Contact Communications Number"),
                    E("365", "S", ["EX"]),
                    E("364", "S", name="Communication Number Extension"),
                    E("443", N),
                ],
                PER_SYNTAX,
            ),
            Seg(
                "AMT",
                "Claim Supplemental Information",
                "S",
                13,
                [
                    E("522", "R", CLAIM_AMOUNTS),
                    E("782", name="Claim Supplemental Information Amount"),
                    E("478", N),
                ],
            ),
            Seg(
                "QTY",
                "Claim Supplemental Information Quantity",
                "S",
                14,
                [
                    E("673", "R", CLAIM_QUANTITIES),
                    E("380", name="Claim Supplemental Information Quantity"),
                    unused("C001"),
                    E("61", N),
                ],
                ["E0204", "R0204"],
            ),
            service_line(),
        ],
    )


def header_number() -> Loop:
    """2000 Header Number with the provider summaries (institutional)."""

    def amounts(*names: str) -> list[Element | Composite]:
        return [
            E("782", N)
            if not title
            else E("380" if "Count" in title or "Average" in title else "782", "S", name=title)
            for title in names
        ]

    return Loop(
        "2000",
        "Header Number",
        "S",
        UNBOUNDED,
        [
            Seg("LX", "Header Number", "R", 1, [E("554")]),
            Seg(
                "TS3",
                "Provider Summary Information",
                "S",
                1,
                [
                    E("127", name="Provider Identifier"),
                    E("1331", name="Facility Type Code"),
                    E("373", name="Fiscal Period Date"),
                    E("380", name="Total Claim Count"),
                    E("782", name="Total Claim Charge Amount"),
                    *amounts(
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "Total MSP Payer Amount",
                        "",
                        "Total Non-Lab Charge Amount",
                        "",
                        "Total HCPCS Reported Charge Amount",
                        "Total HCPCS Payable Amount",
                        "",
                        "Total Professional Component Amount",
                        "Total MSP Patient Liability Met Amount",
                        "Total Patient Reimbursement Amount",
                        "Total PIP Claim Count",
                        "Total PIP Adjustment Amount",
                    ),
                ],
            ),
            Seg(
                "TS2",
                "Provider Supplemental Summary Information",
                "S",
                1,
                amounts(
                    "Total DRG Amount",
                    "Total Federal Specific Amount",
                    "Total Hospital Specific Amount",
                    "Total Disproportionate Share Amount",
                    "Total Capital Amount",
                    "Total Indirect Medical Education Amount",
                    "Total Outlier Day Count",
                    "Total Day Outlier Amount",
                    "Total Cost Outlier Amount",
                    "Average DRG Length of Stay",
                    "Total Discharge Count",
                    "Total Cost Report Day Count",
                    "Total Covered Day Count",
                    "Total Noncovered Day Count",
                    "Total MSP Pass-Through Amount",
                    "Average DRG weight",
                    "Total PPS Capital FSP DRG Amount",
                    "Total PPS Capital HSP DRG Amount",
                    "Total PPS DSH DRG Amount",
                ),
            ),
            claim(),
        ],
    )


def transaction() -> Loop:
    """The whole interchange."""
    dfi = "Depository Financial Institution (DFI) Identification Number Qualifier"
    bpr = Seg(
        "BPR",
        "Financial Information",
        "R",
        1,
        [
            E("305", "R", HANDLING),
            E("782", name="Total Actual Provider Payment Amount"),
            E("478", "R", ["C", "D"], name="Credit or Debit Flag Code"),
            E("591", "R", PAYMENT_METHODS),
            E("812", "S", ["CCP", "CTX"]),
            E("506", "S", ["01", "04"], name=dfi),
            E("507", "S", name="Sender DFI Identifier"),
            E("569", "S", ["DA"]),
            E("508", "S", name="Sender Bank Account Number"),
            E("509", "S", name="Payer Identifier"),
            E("510", "S"),
            E("506", "S", ["01", "04"], name=dfi),
            E("507", "S", name="Receiver or Provider Bank ID Number"),
            E("569", "S", ["DA", "SG"]),
            E("508", "S", name="Receiver or Provider Account Number"),
            E("373", name="Check Issue or EFT Effective Date"),
            E("1048", N),
            E("506", N),
            E("507", N),
            E("569", N),
            E("508", N),
        ],
        ["P0607", "C0809", "P1213", "C1415", "P1819", "C2021"],
    )
    currency_dates = [E(number, N) for _ in range(5) for number in ("374", "373", "337")]
    header: list[Segment | Loop] = [
        bpr,
        Seg(
            "TRN",
            "Reassociation Trace Number",
            "R",
            1,
            [
                E("481", "R", ["1"]),
                E("127", name="Check or EFT Trace Number"),
                E("509", name="Payer Identifier"),
                E("127", "S", name="Originating Company Supplemental Code"),
            ],
        ),
        Seg(
            "CUR",
            "Foreign Currency Information",
            "S",
            1,
            [
                E("98", "R", ["PR"]),
                E("100", external="currency"),
                E("280", N),
                E("98", N),
                E("100", N),
                E("669", N),
                *currency_dates,
            ],
            [
                "C0807",
                "C0907",
                "L101112",
                "C1110",
                "C1210",
                "L131415",
                "C1413",
                "C1513",
                "L161718",
                "C1716",
                "C1816",
                "L192021",
                "C2019",
                "C2119",
            ],
        ),
        ref("Receiver Identification", ["EV"], 1, "Receiver Identifier"),
        ref("Version Identification", ["F2"], 1, "Version Identification Code"),
        dtm("Production Date", ["405"], 1, "Production Date"),
        payer(),
        payee(),
    ]
    adjustments: list[Element | Composite] = []
    for index in range(6):
        usage: Usage = "R" if index == 0 else "S"
        adjustments += [
            C(
                "C042",
                usage,
                [
                    E("426", "R", PROVIDER_ADJUSTMENT_REASONS if index == 0 else None),
                    E("127", "S", name="Provider Adjustment Identifier"),
                ],
                name="Adjustment Identifier",
            ),
            E("782", usage, name="Provider Adjustment Amount"),
        ]
    plb = Seg(
        "PLB",
        "Provider Adjustment",
        "S",
        UNBOUNDED,
        [
            E("127", name="Provider Identifier"),
            E("373", name="Fiscal Period Date"),
            *adjustments,
        ],
        ["P0506", "P0708", "P0910", "P1112", "P1314"],
    )
    return envelope("HP", "835", VERSION, header, [header_number()], [plb], st03=N)


@cache
def guide() -> Guide:
    """The 835 spec (validated with pyx12's own map)."""
    return Guide(
        "835",
        "x221a1_835",
        MapInfo(
            "835.5010.X221.A1.xml",
            VERSION,
            "HP",
            "835W1",
            "835W1",
            "HIPAA Health Care Claim Payment/Advice 005010X221A1 835W1",
            "835 Health Care Claim Payment/Advice",
        ),
        transaction(),
        generated=False,
    )
