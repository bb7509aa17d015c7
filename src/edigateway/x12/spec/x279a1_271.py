"""The 271 Health Care Eligibility Benefit Response (005010X279A1): the spec of our map.

Conventions as in ``x224a2_837d`` and ``x279a1_270`` (whose shared helpers we use): ``S``
wherever the guide makes a value situational; inline code lists only where we are sure of
the whole list, no codes otherwise. EB03 (service type codes) repeats with ISA11, which
pyx12 cannot check element by element; see ``x279a1_270`` for how it is described.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from edigateway.x12.spec.common import C, E, N, Seg, envelope, n3, n4, nm1
from edigateway.x12.spec.model import Guide, Loop, MapInfo
from edigateway.x12.spec.x279a1_270 import (
    COVERAGE_LEVELS,
    DATE_FORMATS,
    MEMBER_QUALIFIERS,
    RECEIVER_ENTITIES,
    RECEIVER_QUALIFIERS,
    SOURCE_ENTITIES,
    SOURCE_QUALIFIERS,
    VERSION,
    YES_NO,
    diagnosis_pointer,
    dmg,
    dtp,
    hi,
    hl,
    ins,
    n4_person,
    procedure,
    prv,
    ref,
    service_types,
    trn,
)

# AAA04 follow-up action codes the guide allows at each level
FOLLOW_UP = {
    "source level": ["C", "N", "P", "R", "S", "Y"],  # 2000A
    "source": ["C", "N", "P", "R", "S", "W", "X", "Y"],  # 2100A
    "person": ["C", "N", "R", "S", "W", "X", "Y"],  # 2100B, 2100C, 2100D
    "benefit": ["C", "N", "R", "W", "X", "Y"],  # 2110C, 2110D
}
BENEFIT_CODES = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "A",
    "B",
    "C",
    "CB",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M",
    "MC",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
    "U",
    "V",
    "W",
    "X",
    "Y",
]
INSURANCE_TYPES = [
    "12",
    "13",
    "14",
    "15",
    "16",
    "41",
    "42",
    "43",
    "47",
    "AP",
    "C1",
    "CO",
    "CP",
    "D",
    "DB",
    "EP",
    "FF",
    "GP",
    "HM",
    "HN",
    "HS",
    "IN",
    "IP",
    "LC",
    "LD",
    "LI",
    "LT",
    "MA",
    "MB",
    "MC",
    "MH",
    "MI",
    "MP",
    "OT",
    "PE",
    "PL",
    "PP",
    "PR",
    "PS",
    "QM",
    "RP",
    "SP",
    "TF",
    "WC",
    "WU",
]
TIME_PERIODS = [
    "6",
    "7",
    "13",
    "21",
    "22",
    "23",
    "24",
    "25",
    "26",
    "27",
    "28",
    "29",
    "30",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
]
CHANNELS = ["ED", "EM", "FX", "TE", "UR"]
ENTITY_CHANNELS = [*CHANNELS, "WP"]  # the benefit related entity may give a work phone
ENTITY_RELATIONSHIPS = ["01", "02", "27", "41", "48", "65", "72"]


def aaa(name: str, level: str) -> Seg:
    """Request validation: reject reason (AAA03) lists differ per loop and are left open;
    the follow-up action (AAA04) list is the one of the ``level``."""
    return Seg(
        "AAA",
        name,
        "S",
        9,
        [E("1073", "R", YES_NO), E("559", N), E("901"), E("889", "R", FOLLOW_UP[level])],
    )


def per(name: str, channels: Sequence[str] = CHANNELS) -> Seg:
    """Contact information (up to three numbers; ED/EM/FX/TE/UR, EX as an extension)."""
    return Seg(
        "PER",
        name,
        "S",
        3,
        [
            E("366", "R", ["IC"]),
            E("93", "S"),
            E("365", "S", channels),
            E("364", "S"),
            E("365", "S", [*channels, "EX"]),
            E("364", "S"),
            E("365", "S", [*channels, "EX"]),
            E("364", "S"),
            E("443", N),
        ],
        ["P0304", "P0506", "P0708"],
    )


def entity_name(name: str) -> Seg:
    """2120C/D NM1: entity and ID qualifier lists are long and loop-specific; left open."""
    return Seg(
        "NM1",
        name,
        "R",
        1,
        [
            E("98"),
            E("1065", "R", ["1", "2"]),
            E("1035", "S"),
            E("1036", "S"),
            E("1037", "S"),
            E("1038", N),
            E("1039", "S"),
            E("66", "S"),
            E("67", "S"),
            E("706", "S", ENTITY_RELATIONSHIPS),
            E("98", N),
            E("1035", N),
        ],
        ["P0809", "C1110", "C1203"],
    )


def benefit_loop(loop_id: str, who: str, suffix: str) -> Loop:
    """2110C/2110D Eligibility or Benefit Information, with 2115 and LS/2120/LE."""
    eb = Seg(
        "EB",
        f"{who} Eligibility or Benefit Information",
        "R",
        1,
        [
            # a dependent's benefits cannot be for the employee alone
            E("1390", "R", BENEFIT_CODES),
            E(
                "1207",
                "S",
                COVERAGE_LEVELS if suffix == "C" else [c for c in COVERAGE_LEVELS if c != "EMP"],
            ),
            service_types("S"),
            E("1336", "S", INSURANCE_TYPES),
            E("1204", "S"),
            E("615", "S", TIME_PERIODS),
            E("782", "S"),
            E("954", "S"),
            E("673", "S"),
            E("380", "S"),
            E("1073", "S", ["N", "U", "Y"]),
            E("1073", "S", ["N", "U", "W", "Y"]),
            procedure("S"),
            diagnosis_pointer("S"),
        ],
        ["P0910"],
    )
    hsd = Seg(
        "HSD",
        "Health Care Services Delivery",
        "S",
        9,
        [
            E("673", "S", ["DY", "FL", "HS", "MN", "VS"]),
            E("380", "S"),
            E("355", "S", ["DA", "MO", "VS", "WK", "YR"]),
            E("1167", "S"),
            E("615", "S"),
            E("616", "S"),
            E("678", "S"),
            E("679", "S"),
        ],
        ["P0102", "C0605"],
    )
    entity = Loop(
        f"2120{suffix}",
        f"{who} Benefit Related Entity Name",
        "S",
        23,
        [
            entity_name(f"{who} Benefit Related Entity Name"),
            n3(f"{who} Benefit Related Entity Address", "S"),
            n4_person(f"{who} Benefit Related Entity City, State, ZIP Code"),
            per(f"{who} Benefit Related Entity Contact Information", ENTITY_CHANNELS),
            prv(f"{who} Benefit Related Provider Information"),
        ],
    )
    return Loop(
        loop_id,
        f"{who} Eligibility or Benefit Information",
        "S",
        ">1",
        [
            eb,
            hsd,
            ref(f"{who} Additional Identification", 9),
            dtp(f"{who} Eligibility/Benefit Date", 20),
            aaa(f"{who} Request Validation", "benefit"),
            Seg("MSG", "Message Text", "S", 10, [E("933"), E("934", N), E("1470", N)]),
            Loop(
                f"2115{suffix}",
                f"{who} Eligibility or Benefit Additional Information",
                "S",
                10,
                [
                    Seg(
                        "III",
                        f"{who} Eligibility or Benefit Additional Information",
                        "R",
                        1,
                        [
                            E("1270", "S"),
                            E("1271", "S"),
                            E("1136", "S"),
                            E("933", "S"),
                            E("380", N),
                            C("C001", N, [E("355", N)]),
                            E("752", N),
                            E("752", N),
                            E("752", N),
                        ],
                        ["P0102"],
                    ),
                ],
            ),
            Seg("LS", "Loop Header", "S", 1, [E("447", "R", ["2120"])]),
            entity,
            Seg("LE", "Loop Trailer", "S", 1, [E("447", "R", ["2120"])]),
        ],
    )


def person_name_loop(loop_id: str, who: str, *, subscriber: bool, suffix: str) -> Loop:
    """2100C/2100D with their 2110 benefits."""
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
            ref(f"{who} Additional Identification", 9),
            n3(f"{who} Address", "S"),
            n4_person(f"{who} City, State, ZIP Code", location=N),
            aaa(f"{who} Request Validation", "person"),
            prv("Provider Information", submitter=False),
            dmg(f"{who} Demographic Information"),
            ins(f"{who} Relationship", subscriber, response=True),
            hi(f"{who} Health Care Diagnosis Code"),
            dtp(f"{who} Date", 9),
            Seg(
                "MPI",
                f"{who} Military Personnel Information",
                "S",
                9,
                [
                    E("1201"),
                    E("584"),
                    E("1595"),
                    E("352", "S"),
                    E("1596", "S"),
                    E("1250", "S", DATE_FORMATS),
                    E("1251", "S"),
                ],
                ["P0607"],
            ),
            benefit_loop(f"2110{suffix}", who, suffix),
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
            E("353", "R", ["06", "11"]),
            E("127", "S"),
            E("373"),
            E("337"),
            E("640", N),
        ],
    )
    dependent = Loop(
        "2000D",
        "Dependent Level",
        "S",
        ">1",
        [
            hl("23", "Dependent Level", "R", ["0"]),
            trn("Dependent Trace Number", ["1", "2"], 3),
            person_name_loop("2100D", "Dependent", subscriber=False, suffix="D"),
        ],
    )
    subscriber = Loop(
        "2000C",
        "Subscriber Level",
        "S",
        ">1",
        [
            hl("22", "Subscriber Level", "R", ["0", "1"]),
            trn("Subscriber Trace Number", ["1", "2"], 3),
            person_name_loop("2100C", "Subscriber", subscriber=True, suffix="C"),
            dependent,
        ],
    )
    receiver = Loop(
        "2000B",
        "Information Receiver Level",
        "S",
        ">1",
        [
            hl("21", "Information Receiver Level", "R", ["0", "1"]),
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
                    ref("Information Receiver Additional Identification", 9),
                    n3("Information Receiver Address", "S"),
                    n4("Information Receiver City, State, ZIP Code", "S"),
                    aaa("Information Receiver Request Validation", "person"),
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
            hl("20", "Information Source Level", N, ["0", "1"]),
            aaa("Request Validation", "source level"),
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
                    per("Information Source Contact Information"),
                    aaa("Information Source Request Validation", "source"),
                ],
            ),
            receiver,
        ],
    )
    return envelope("HB", "271", VERSION, [bht], [source])


@cache
def guide() -> Guide:
    """The 271 spec."""
    return Guide(
        "271",
        "x279a1_271",
        MapInfo(
            "271.5010.X279.A1.xml",
            VERSION,
            "HB",
            "271",
            "271",
            "HIPAA Health Care Eligibility Response X279A1-271",
            "271 Health Care Eligibility Benefit Response",
        ),
        transaction(),
    )
