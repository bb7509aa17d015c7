"""The 276 Health Care Claim Status Request (005010X212): the spec of our pyx12 map.

Same conventions as ``x224a2_837d`` and ``x279a1_270``: one call per segment as the guide uses
it, element names from pyx12's dictionary, ``S`` wherever the guide makes a value
situational, inline code lists only where we are sure of the whole list.

The hierarchy (pyx12 ships no 5010 276 map; its 4010 X093A1 map has the same shape)::

    2000A HL*20  2100A NM1*PR payer
    2000B HL*21  2100B NM1*41 information receiver (ETIN, qualifier 46)
    2000C HL*19  2100C NM1*1P service provider (XX NPI, FI or SV)
    2000D HL*22  DMG, 2100D NM1*IL subscriber, 2200D TRN*1 … (2210D SVC lines)
    2000E HL*23  DMG, 2100E NM1*QC patient,    2200E TRN*1 … (2210E SVC lines)

2200D/2200E: TRN*1 (our trace), REF 1K/BLT/LU/6P/EJ/XZ/D9, AMT*T3 and DTP*472 (D8 or RD8).

The dependent (2100E) carries no ID: a patient with an own ID is the subscriber (X12 RFI
1907). The helpers shared with the 277 (``service_line``, ``claim_refs``, the names) live
here and ``x212_277`` imports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from edigateway.x12.spec.common import NM1_SYNTAX, C, E, N, Seg, envelope
from edigateway.x12.spec.model import Guide, Loop, MapInfo, Usage

VERSION = "005010X212"
GENDER = ["F", "M", "U"]
DATE_FORMATS = ["D8", "RD8"]
PAYER_QUALIFIERS = ["PI", "XV"]
PROVIDER_QUALIFIERS = ["FI", "SV", "XX"]
SUBSCRIBER_QUALIFIERS = ["24", "II", "MI"]
PROCEDURE_QUALIFIERS = ["AD", "ER", "HC", "HP", "IV", "N4", "NU", "WK"]
CLEARINGHOUSE_CLAIM_NUMBER = (
    "Claim Identification Number for Clearinghouses and Other Transmission Intermediaries"
)


# -- shared with x212_277 -------------------------------------------------------------


def hl(code: str, title: str, parent: Usage, children: Sequence[str] | None) -> Seg:
    """Hierarchical level; ``children`` None when HL04 is not used (the 2000E leaf)."""
    return Seg(
        "HL",
        title,
        "R",
        1,
        [
            E("628"),
            E("734", parent),
            E("735", "R", [code]),
            E("736", "R", children) if children is not None else E("736", N),
        ],
    )


def name(
    entity: Sequence[str],
    title: str,
    *,
    kinds: Sequence[str],
    last: Usage = "R",
    person: bool = True,
    qualifiers: Sequence[str] | None = None,
    id_usage: Usage = "R",
    suffix: Usage = "S",
) -> Seg:
    """NM1 as the 276/277 use it (NM106 never, NM110–NM112 never)."""
    return Seg(
        "NM1",
        title,
        "R",
        1,
        [
            E("98", "R", entity),
            E("1065", "R", kinds),
            E("1035", last),
            E("1036", "S" if person else N),
            E("1037", "S" if person else N),
            E("1038", N),
            E("1039", suffix if person else N),
            E("66", id_usage, qualifiers),
            E("67", id_usage),
            E("706", N),
            E("98", N),
            E("1035", N),
        ],
        NM1_SYNTAX,
    )


def payer_name() -> Seg:
    """2100A NM1*PR."""
    return name(["PR"], "Payer Name", kinds=["2"], person=False, qualifiers=PAYER_QUALIFIERS)


def receiver_name() -> Seg:
    """2100B NM1*41 (NM103 situational: a person receiver may be named by NM104 too)."""
    return name(
        ["41"], "Information Receiver Name", kinds=["1", "2"], last="S", qualifiers=["46"], suffix=N
    )


def provider_name() -> Seg:
    """2100C NM1*1P."""
    return name(["1P"], "Provider Name", kinds=["1", "2"], last="S", qualifiers=PROVIDER_QUALIFIERS)


def subscriber_name() -> Seg:
    """2100D NM1*IL."""
    return name(["IL"], "Subscriber Name", kinds=["1", "2"], qualifiers=SUBSCRIBER_QUALIFIERS)


def ref(code: str, title: str, usage: Usage = "S") -> Seg:
    """A REF with one qualifier (REF03/REF04 not used)."""
    return Seg(
        "REF",
        title,
        usage,
        1,
        [E("128", "R", [code]), E("127"), E("352", N), C("C040", N, [E("128", N), E("127", N)])],
    )


def claim_refs(codes: list[tuple[str, str]]) -> list[Seg | Loop]:
    """The claim-level REFs (gen.py sums their max uses: pyx12 counts per segment ID)."""
    return [ref(code, title) for code, title in codes]


def service_date(title: str, usage: Usage) -> Seg:
    """DTP*472 as a single date (D8) or a range (RD8)."""
    return Seg(
        "DTP", title, usage, 1, [E("374", "R", ["472"]), E("1250", "R", DATE_FORMATS), E("1251")]
    )


def service_line(*, paid: Usage) -> Seg:
    """SVC: procedure, charge, paid (the 277's SVC03; not used on the 276), units."""
    return Seg(
        "SVC",
        "Service Line Information",
        "R",
        1,
        [
            C(
                "C003",
                "R",
                [
                    E("235", "R", PROCEDURE_QUALIFIERS),
                    E("234"),
                    E("1339", "S"),
                    E("1339", "S"),
                    E("1339", "S"),
                    E("1339", "S"),
                    E("352", N),
                    E("234", N),
                ],
                name="Composite Medical Procedure Identifier",
            ),
            E("782", "R", name="Line Item Charge Amount"),
            E("782", paid, name="Line Item Provider Payment Amount"),
            E("234", "S", name="Revenue Code"),
            E("380", N),
            C("C003", N, [E("235", N), E("234", N)], name="Composite Medical Procedure Identifier"),
            E("380", "S", name="Original Units of Service Count"),
        ],
    )


def demographics(title: str, usage: Usage) -> Seg:
    """DMG: birth date and gender."""
    return Seg(
        "DMG",
        title,
        usage,
        1,
        [
            E("1250", "R", ["D8"]),
            E("1251"),
            E("1068", "R", GENDER),
            E("1067", N),
            C("C056", N, [E("1109", N)]),
            E("1066", N),
            E("26", N),
            E("659", N),
            E("380", N),
            E("1270", N),
            E("1271", N),
        ],
    )


# -- the 276 --------------------------------------------------------------------------
CLAIM_REFS = [
    ("1K", "Payer Claim Control Number"),
    ("BLT", "Institutional Bill Type Identification"),
    ("LU", "Application or Location System Identifier"),
    ("6P", "Group Number"),
    ("EJ", "Patient Control Number"),
    ("XZ", "Pharmacy Prescription Number"),
    ("D9", CLEARINGHOUSE_CLAIM_NUMBER),
]


def tracking_loop(loop_id: str, line_loop: str, usage: Usage) -> Loop:
    """2200D/2200E Claim Status Tracking Number with its 2210 service lines."""
    return Loop(
        loop_id,
        "Claim Status Tracking Number",
        usage,
        ">1",
        [
            Seg(
                "TRN",
                "Claim Status Tracking Number",
                "R",
                1,
                [E("481", "R", ["1"]), E("127"), E("509", N), E("127", N)],
            ),
            *claim_refs(CLAIM_REFS),
            Seg(
                "AMT",
                "Claim Submitted Charges",
                "S",
                1,
                [E("522", "R", ["T3"]), E("782"), E("478", N)],
            ),
            service_date("Claim Service Date", "S"),
            Loop(
                line_loop,
                "Service Line Information",
                "S",
                ">1",
                [
                    service_line(paid=N),
                    ref("FJ", "Service Line Item Identification"),
                    service_date("Service Line Date", "R"),
                ],
            ),
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
            E("1005", "R", ["0010"]),
            E("353", "R", ["13"]),
            E("127"),
            E("373"),
            E("337"),
            E("640", N),
        ],
    )
    dependent = Loop(
        "2000E",
        "Dependent Level",
        "S",
        ">1",
        [
            hl("23", "Dependent Level", "R", None),
            demographics("Dependent Demographic Information", "R"),
            Loop(
                "2100E",
                "Dependent Name",
                "R",
                1,
                [
                    # no ID for the dependent: one with an own ID is the subscriber (RFI 1907)
                    name(["QC"], "Dependent Name", kinds=["1"], id_usage=N),
                ],
            ),
            tracking_loop("2200E", "2210E", "R"),
        ],
    )
    subscriber = Loop(
        "2000D",
        "Subscriber Level",
        "R",
        ">1",
        [
            hl("22", "Subscriber Level", "R", ["0", "1"]),
            demographics("Subscriber Demographic Information", "S"),
            Loop("2100D", "Subscriber Name", "R", 1, [subscriber_name()]),
            tracking_loop("2200D", "2210D", "S"),
            dependent,
        ],
    )
    provider = Loop(
        "2000C",
        "Service Provider Level",
        "R",
        ">1",
        [
            hl("19", "Service Provider Level", "R", ["1"]),
            Loop("2100C", "Provider Name", "R", 2, [provider_name()]),
            subscriber,
        ],
    )
    receiver = Loop(
        "2000B",
        "Information Receiver Level",
        "R",
        ">1",
        [
            hl("21", "Information Receiver Level", "R", ["1"]),
            Loop("2100B", "Information Receiver Name", "R", 1, [receiver_name()]),
            provider,
        ],
    )
    source = Loop(
        "2000A",
        "Information Source Level",
        "R",
        ">1",
        [
            hl("20", "Information Source Level", N, ["1"]),
            Loop("2100A", "Payer Name", "R", 1, [payer_name()]),
            receiver,
        ],
    )
    return envelope("HR", "276", VERSION, [bht], [source])


@cache
def guide() -> Guide:
    """The 276 spec."""
    return Guide(
        "276",
        "x212_276",
        MapInfo(
            "276.5010.X212.xml",
            VERSION,
            "HR",
            "276",
            "276",
            "HIPAA Health Care Claim Status Request X212-276",
            "276 Health Care Claim Status Request",
        ),
        transaction(),
    )
