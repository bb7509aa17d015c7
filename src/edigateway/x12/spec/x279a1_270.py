"""The 270 Health Care Eligibility Benefit Inquiry (005010X279A1): the spec of our pyx12 map.

Same conventions as ``x224a2_837d``: one call per segment as the guide uses it, element names
from pyx12's dictionary, ``S`` wherever the guide makes a value situational. Code lists are
written inline where the guide lists them and we are sure of the whole list; where we are
not, the element carries no codes (a false rejection is worse than a missed one).

The helpers shared with the 271 (envelope, HL, TRN, DMG, INS, HI, PRV, the repeating
service type code) live here and ``x279a1_271`` imports them.

Repeating elements: 5010 lets EQ01 (and the 271's EB03) repeat with the ISA11 separator
(``EQ*30^35``). pyx12 4.0.0 neither splits repetitions nor reads ``<repeat>`` on elements,
so ``30^35`` would be checked as one ID of length 1-2 against the code list and rejected.
We therefore describe the service type code with data element 933 (AN 1-264) and no code
list: any repetition list passes; the codes themselves are checked by our 270/271 reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from edigateway.x12.spec.common import COUNTRY, STATES, C, E, N, Seg, envelope, n3, n4, nm1
from edigateway.x12.spec.model import Guide, Loop, MapInfo, Usage

VERSION = "005010X279A1"
YES_NO = ["N", "Y"]
GENDER = ["F", "M", "U"]
DATE_FORMATS = ["D8", "RD8"]
PROVIDER_CODES = [
    "AD",
    "AT",
    "BI",
    "CO",
    "CV",
    "H",
    "HH",
    "LA",
    "OT",
    "P1",
    "P2",
    "PC",
    "PE",
    "R",
    "RF",
    "SB",
    "SK",
    "SU",
]
COVERAGE_LEVELS = ["CHD", "DEP", "ECH", "EMP", "ESP", "FAM", "IND", "SPC", "SPO"]
PROCEDURE_QUALIFIERS = ["AD", "CJ", "HC", "ID", "IV", "N4", "ZZ"]
DEPENDENT_RELATIONSHIPS = ["01", "19", "20", "21", "39", "40", "53", "G8"]
INQUIRY_RELATIONSHIPS = ["01", "19", "34"]  # the 270's dependent: spouse, child, other adult
RECEIVER_REFS = [
    "0B",
    "1C",
    "1D",
    "1J",
    "4A",
    "CT",
    "EL",
    "EO",
    "HPI",
    "JD",
    "N5",
    "N7",
    "Q4",
    "SY",
    "TJ",
]
SUBSCRIBER_REFS = [
    "18",
    "1L",
    "1W",
    "3H",
    "6P",
    "CT",
    "EA",
    "EJ",
    "F6",
    "GH",
    "HJ",
    "IG",
    "N6",
    "NQ",
    "SY",
    "Y4",
]
DEPENDENT_REFS = [
    "18",
    "1L",
    "1W",
    "6P",
    "CT",
    "EA",
    "EJ",
    "F6",
    "GH",
    "HJ",
    "IF",
    "IG",
    "MRC",
    "N6",
    "SY",
    "Y4",
]
PERSON_DATES = ["102", "291"]
SOURCE_ENTITIES = ["2B", "36", "GP", "P5", "PR"]
SOURCE_QUALIFIERS = ["24", "46", "FI", "NI", "PI", "XV", "XX"]
RECEIVER_ENTITIES = ["1P", "2B", "36", "80", "FA", "GP", "P5", "PR"]
# The 4010 list plus 5010's; a superset so no valid receiver ID qualifier is rejected.
RECEIVER_QUALIFIERS = ["24", "34", "FI", "PI", "PP", "SV", "XV", "XX"]
MEMBER_QUALIFIERS = ["II", "MI"]


# -- shared segment builders (also used by x279a1_271) ----------------------------------
def service_types(usage: Usage = "S") -> E:
    """Service Type Code (1365), repeating up to 99 times with ISA11 (module docstring)."""
    return E("1365", usage, name="Service Type Code", repeat=99)


def procedure(usage: Usage = "S", *, range_end: Usage = "S") -> C:
    """C003 Composite Medical Procedure Identifier (EQ02, EB13); the end of a code range
    (C003-08) only on the 271."""
    return C(
        "C003",
        usage,
        [
            E("235", "R", PROCEDURE_QUALIFIERS),
            E("234"),
            E("1339", "S"),
            E("1339", "S"),
            E("1339", "S"),
            E("1339", "S"),
            E("352", N),
            E("234", range_end),
        ],
        name="Composite Medical Procedure Identifier",
    )


def diagnosis_pointer(usage: Usage = "S") -> C:
    """C004 Composite Diagnosis Code Pointer (EQ05, EB14)."""
    return C(
        "C004",
        usage,
        [E("1328"), E("1328", "S"), E("1328", "S"), E("1328", "S")],
        name="Composite Diagnosis Code Pointer",
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


def trn(name: str, types: Sequence[str], max_use: int) -> Seg:
    """Trace numbers (ours on the 270; ours echoed and the source's on the 271)."""
    return Seg("TRN", name, "S", max_use, [E("481", "R", types), E("127"), E("509"), E("127", "S")])


def ref(
    name: str, max_use: int, codes: Sequence[str] | None = None, *, description: Usage = "S"
) -> Seg:
    """A situational REF; ``codes`` None when the guide's list is not certain to us."""
    return Seg(
        "REF",
        name,
        "S",
        max_use,
        [
            E("128", "R", codes),
            E("127"),
            E("352", description),
            C("C040", N, [E("128", N), E("127", N)]),
        ],
    )


def n4_person(name: str, usage: Usage = "S", *, location: Usage = "S") -> Seg:
    """City, state, ZIP; N405/N406 (location qualifier/identifier) where the loop allows
    them (the 271's benefit related entity), not for the subscriber or dependent."""
    return Seg(
        "N4",
        name,
        usage,
        1,
        [
            E("19"),
            E("156", "S", external=STATES),
            E("116", "S"),
            E("26", "S", external=COUNTRY),
            E("309", location),
            E("310", location),
            E("1715", "S"),
        ],
        ["E0207", "C0605", "C0704"],
    )


def prv(name: str, *, submitter: bool = True) -> Seg:
    """Provider information (PRV02 qualifier left open: PXC, and 4010's others, occur);
    PRV01 SB (submitting provider) only where the provider is the information receiver."""
    codes = PROVIDER_CODES if submitter else [c for c in PROVIDER_CODES if c != "SB"]
    return Seg(
        "PRV",
        name,
        "S",
        1,
        [
            E("1221", "R", codes),
            E("128"),
            E("127"),
            E("156", N),
            C("C035", N, [E("1222", N)]),
            E("1223", N),
        ],
        ["P0203"],
    )


def dmg(name: str) -> Seg:
    """Demographics: birth date and gender only."""
    return Seg(
        "DMG",
        name,
        "S",
        1,
        [
            E("1250", "S", ["D8"]),
            E("1251", "S"),
            E("1068", "S", GENDER),
            E("1067", N),
            C("C056", N, [E("1109", N)]),
            E("1066", N),
            E("26", N),
            E("659", N),
            E("380", N),
            E("1270", N),
            E("1271", N),
        ],
        ["P0102"],
    )


def ins(name: str, subscriber: bool, response: bool) -> Seg:
    """Relationship: INS01 Y/18 for the subscriber, N/relationship for a dependent.

    On the 271 INS03/INS04 (001/25: identifying data changed) and INS09/INS10 may be sent.
    On the 270 the subscriber's INS exists only to carry the birth sequence number (INS17),
    and a dependent is a spouse, child or other adult.
    """
    resp: Usage = "S" if response else N
    sequence: Usage = "R" if subscriber and not response else "S"
    relationships = DEPENDENT_RELATIONSHIPS if response else INQUIRY_RELATIONSHIPS
    return Seg(
        "INS",
        name,
        "S",
        1,
        [
            E("1073", "R", ["Y"] if subscriber else ["N"]),
            E("1069", "R", ["18"] if subscriber else relationships),
            E("875", resp, ["001"]),
            E("1203", resp, ["25"]),
            E("1216", N),
            E("1218", N),
            E("1219", N),
            E("584", N),
            E("1220", resp),
            E("1073", resp, YES_NO),
            E("1250", N),
            E("1251", N),
            E("1165", N),
            E("19", N),
            E("156", N),
            E("26", N),
            E("1470", sequence, name="Birth Sequence Number"),
        ],
    )


def hi(name: str) -> Seg:
    """Health care diagnosis codes: principal (BK/ABK) then others (BF/ABF)."""

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
    parts += [dx("S", ["ABF", "BF"]) for _ in range(7)]
    parts += [dx(N, ["ABF", "BF"]) for _ in range(4)]
    return Seg("HI", name, "S", 1, parts)


def dtp(name: str, max_use: int, codes: Sequence[str] | None = None) -> Seg:
    """A date or range; qualifier list only where we are sure of it."""
    return Seg(
        "DTP", name, "S", max_use, [E("374", "R", codes), E("1250", "R", DATE_FORMATS), E("1251")]
    )


def inquiry_loop(loop_id: str, who: str, *, subscriber: bool) -> Loop:
    """2110C/2110D Eligibility or Benefit Inquiry. Only the subscriber's inquiry may ask
    for family coverage (EQ03 FAM) and carry spend-down amounts; required at the dependent
    level, where the dependent is the patient the inquiry is about."""
    spend_down: list[Seg | Loop] = (
        [
            Seg(
                "AMT",
                f"{who} Spend Down Amount",
                "S",
                1,
                [E("522", "R", ["R"]), E("782"), E("478", N)],
            ),
            Seg(
                "AMT",
                f"{who} Spend Down Total Billed Amount",
                "S",
                1,
                [E("522", "R", ["PB"]), E("782"), E("478", N)],
            ),
        ]
        if subscriber
        else []
    )
    return Loop(
        loop_id,
        f"{who} Eligibility or Benefit Inquiry",
        "S" if subscriber else "R",
        99,
        [
            Seg(
                "EQ",
                f"{who} Eligibility or Benefit Inquiry",
                "R",
                1,
                [
                    service_types("S"),
                    procedure("S", range_end=N),
                    E("1207", "S", ["FAM"]) if subscriber else E("1207", N),
                    E("1336", N),
                    diagnosis_pointer("S"),
                ],
                ["R0102"],
            ),
            *spend_down,
            Seg(
                "III",
                f"{who} Eligibility or Benefit Additional Inquiry Information",
                "S",
                10,
                [
                    E("1270", "R", ["ZZ"]),
                    E("1271", name="Place of Service"),
                    E("1136", N),
                    E("933", N),
                    E("380", N),
                    C("C001", N, [E("355", N)]),
                    E("752", N),
                    E("752", N),
                    E("752", N),
                ],
                ["P0102"],
            ),
            ref(f"{who} Additional Information", 1, ["9F", "G1"], description=N),
            dtp(f"{who} Eligibility/Benefit Date", 1, ["291"]),
        ],
    )


def person_name_loop(loop_id: str, who: str, *, subscriber: bool, inquiry: str) -> Loop:
    """2100C/2100D with its 2110 inquiries."""
    name = nm1(
        ["IL"] if subscriber else ["03"],
        f"{who} Name",
        kind=["1"],
        last="S",
        qualifiers=MEMBER_QUALIFIERS if subscriber else None,
        id_usage="S",
    )
    return Loop(
        loop_id,
        f"{who} Name",
        "R",
        1,
        [
            name,
            ref(
                f"{who} Additional Identification",
                9,
                SUBSCRIBER_REFS if subscriber else DEPENDENT_REFS,
                description=N,
            ),
            n3(f"{who} Address", "S"),
            n4_person(f"{who} City, State, ZIP Code", location=N),
            prv("Provider Information", submitter=False),
            dmg(f"{who} Demographic Information"),
            ins(f"{who} Relationship", subscriber, response=False),
            hi(f"{who} Health Care Diagnosis Code"),
            dtp(f"{who} Date", 2, PERSON_DATES),
            inquiry_loop(inquiry, who, subscriber=subscriber),
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
            E("1005", "R", ["0022"]),
            E("353", "R", ["01", "13"]),
            E("127", "S"),
            E("373"),
            E("337"),
            E("640", "S", ["RT"]),
        ],
    )
    dependent = Loop(
        "2000D",
        "Dependent Level",
        "S",
        ">1",
        [
            hl("23", "Dependent Level", "R", ["0"]),
            trn("Dependent Trace Number", ["1"], 2),
            person_name_loop("2100D", "Dependent", subscriber=False, inquiry="2110D"),
        ],
    )
    subscriber = Loop(
        "2000C",
        "Subscriber Level",
        "R",
        ">1",
        [
            hl("22", "Subscriber Level", "R", ["0", "1"]),
            trn("Subscriber Trace Number", ["1"], 2),
            person_name_loop("2100C", "Subscriber", subscriber=True, inquiry="2110C"),
            dependent,
        ],
    )
    receiver = Loop(
        "2000B",
        "Information Receiver Level",
        "R",
        ">1",
        [
            hl("21", "Information Receiver Level", "R", ["1"]),
            Loop(
                "2100B",
                "Information Receiver Name",
                "R",
                1,
                [
                    nm1(
                        RECEIVER_ENTITIES,
                        "Information Receiver Name",
                        last="S",
                        qualifiers=RECEIVER_QUALIFIERS,
                    ),
                    ref("Information Receiver Additional Identification", 9, RECEIVER_REFS),
                    n3("Information Receiver Address", "S"),
                    n4("Information Receiver City, State, ZIP Code", "S"),
                    prv("Information Receiver Provider Information"),
                ],
            ),
            subscriber,
        ],
    )
    source = Loop(
        "2000A",
        "Information Source Level",
        "R",
        ">1",
        [
            hl("20", "Information Source Level", N, ["1"]),
            Loop(
                "2100A",
                "Information Source Name",
                "R",
                1,
                [
                    nm1(
                        SOURCE_ENTITIES,
                        "Information Source Name",
                        last="S",
                        qualifiers=SOURCE_QUALIFIERS,
                    ),
                ],
            ),
            receiver,
        ],
    )
    return envelope("HS", "270", VERSION, [bht], [source])


@cache
def guide() -> Guide:
    """The 270 spec."""
    return Guide(
        "270",
        "x279a1_270",
        MapInfo(
            "270.5010.X279.A1.xml",
            VERSION,
            "HS",
            "270",
            "270",
            "HIPAA Health Care Eligibility Inquiry X279A1-270",
            "270 Health Care Eligibility Benefit Inquiry",
        ),
        transaction(),
    )
