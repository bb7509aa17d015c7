"""The 999 Implementation Acknowledgment (005010X231A1): the spec of the guide.

We validate 999s with pyx12's packaged map (``999.5010X231.A1.xml``), not one generated from
here (``Guide.generated`` is false; docs/conformance.md says why): this spec transcribes
that map's facts so that our readers and docs share one description, and
``tests/unit/x12/test_spec_maps.py`` checks that it still says what the map in use says.
The whole acknowledgment sits in table 1 (AK1, the 2000 loops, AK9), as in the guide.
"""

from __future__ import annotations

from functools import cache

from edigateway.x12.spec.common import C, E, N, Seg, envelope
from edigateway.x12.spec.model import UNBOUNDED, Composite, Guide, Loop, MapInfo, Segment

VERSION = "005010X231A1"
ACKNOWLEDGED_GROUPS = ["BE", "HB", "HC", "HI", "HN", "HP", "HR", "HS", "RA"]
ACKNOWLEDGED_SETS = ["270", "271", "276", "277", "278", "820", "834", "835", "837"]
SEGMENT_ERRORS = ["1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9"]
ELEMENT_ERRORS = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10",
    "11",
    "12",
    "13",
    "I10",
    "I11",
    "I12",
    "I13",
    "I6",
    "I9",
]
BUSINESS_UNITS = [
    "TRN02",
    "NM109",
    "PATIENT NAME NM109",
    "SUBSCRIBER NAME NM109",
    "ENT01",
    "SUBSCRIBER NUMBER REF02",
    "CLM01",
]
SET_ACKNOWLEDGMENTS = ["A", "E", "M", "R", "W", "X"]
SET_ERRORS = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10",
    "11",
    "12",
    "13",
    "15",
    "16",
    "17",
    "18",
    "19",
    "23",
    "24",
    "25",
    "26",
    "27",
    "I5",
    "I6",
]
GROUP_ACKNOWLEDGMENTS = ["A", "E", "M", "P", "R", "W", "X"]
GROUP_ERRORS = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "10",
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "19",
    "23",
    "24",
    "25",
    "26",
]


def position() -> Composite:
    """C030: element position, component position, repetition position."""
    return C(
        "C030",
        "S",
        [
            E("722"),
            E("1528", "S", name="Component Data Element Position in Composite"),
            E("1686", "S"),
        ],
        name="Position in Segment",
    )


def context(name: str, max_use: int) -> Segment:
    """CTX naming the situational trigger of an error: its segment, position and loop."""
    return Seg(
        "CTX",
        name,
        "S",
        max_use,
        [
            C(
                "C998",
                "R",
                [E("9999", "R", ["SITUATIONAL TRIGGER"]), E("9998", N)],
                name="Context Identification",
            ),
            E("721"),
            E("719"),
            E("447", "S"),
            position(),
            C("C999", "S", [E("725"), E("725", N)], name="Reference in Segment"),
        ],
    )


def element_note() -> Loop:
    """2110: one element in error (IK4) and its context."""
    ik4 = Seg(
        "IK4",
        "Implementation Data Element Note",
        "S",
        1,
        [
            C("C030", "R", list(position().parts), name="Position in Segment"),
            E("725", "S"),
            E("621", "R", ELEMENT_ERRORS, name="Implementation Data Element Syntax Error Code"),
            E("724", "S"),
        ],
    )
    return Loop(
        "2110",
        "AK2/IK3/IK4 Implementation Data Element Note",
        "S",
        UNBOUNDED,
        [ik4, context("Element Context", 10)],
    )


def error_identification() -> Loop:
    """2100: one segment in error (IK3), its contexts and its elements in error."""
    business_unit = Seg(
        "CTX",
        "Business Unit Identifier",
        "S",
        1,
        [
            C(
                "C998",
                "R",
                [E("9999", "R", BUSINESS_UNITS), E("9998")],
                name="Context Identification",
            ),
            E("721", N),
            E("719", N),
            E("447", N),
            position(),
            C("C999", N, [E("725"), E("725", N)]),
        ],
    )
    return Loop(
        "2100",
        "AK2/IK3 Error Identification",
        "S",
        UNBOUNDED,
        [
            Seg(
                "IK3",
                "Error Identification",
                "R",
                1,
                [
                    E("721"),
                    E("719"),
                    E("447", "S"),
                    E("620", "S", SEGMENT_ERRORS, name="Segment Syntax Error Code"),
                ],
            ),
            context("Segment Context", 9),
            business_unit,
            element_note(),
        ],
    )


def transaction() -> Loop:
    """The whole interchange."""
    response = Loop(
        "2000",
        "Transaction Set Response Header",
        "S",
        UNBOUNDED,
        [
            Seg(
                "AK2",
                "Transaction Set Response Header",
                "R",
                1,
                [
                    E("143", "R", ACKNOWLEDGED_SETS),
                    E("329"),
                    E("1705", "S"),
                ],
            ),
            error_identification(),
            Seg(
                "IK5",
                "Transaction Set Response Trailer",
                "R",
                1,
                [
                    E("717", "R", SET_ACKNOWLEDGMENTS),
                    *[E("618", "S", SET_ERRORS) for _ in range(5)],
                ],
            ),
        ],
    )
    header: list[Segment | Loop] = [
        Seg(
            "AK1",
            "Functional Group Response Header",
            "R",
            1,
            [
                E("479", "R", ACKNOWLEDGED_GROUPS),
                E("28"),
                E("480"),
            ],
        ),
        response,
        Seg(
            "AK9",
            "Functional Group Response Trailer",
            "R",
            1,
            [
                E("715", "R", GROUP_ACKNOWLEDGMENTS, name="Functional Group Acknowledge Code"),
                E("97", name="Number of Transaction Sets Included"),
                E("123"),
                E("2"),
                *[E("716", "S", GROUP_ERRORS) for _ in range(5)],
            ],
        ),
    ]
    return envelope("FA", "999", VERSION, header, [])


@cache
def guide() -> Guide:
    """The 999 spec (validated with pyx12's own map)."""
    return Guide(
        "999",
        "x231a1_999",
        MapInfo(
            "999.5010X231.A1.xml",
            VERSION,
            "FA",
            "999",
            "999",
            "HIPAA Implementation Acknowledgment X231A1-999",
            "999 Implementation Acknowledgment",
        ),
        transaction(),
        generated=False,
    )
