"""The 275 Additional Information to Support a Health Care Claim or Encounter (005010X210):
the spec of our pyx12 map.

An unsolicited attachment sent with a claim: the 837D's ``PWK*<type>*EL***AC*<number>``
names it, and the 275 carries the same attachment control number in ``TRN02`` with the
file in ``BIN``. One transaction set per attachment::

    BGN*02 (unsolicited) reference, date, time
    1000A NM1*PR payer (PI payer ID)
    1000B NM1*41 submitter (46 ETIN), PER
    1000C NM1*1P provider (XX NPI)
    1000D NM1*QC patient (MI member ID), REF*EJ patient control number (CLM01),
          REF*EA medical record number, DTP*472 claim service date
    2000A LX, TRN*1 attachment control number (PWK06)
    2100A DTP*368 submission date, CAT*AE*TX category
    2110A EFI*05, BIN length and bytes

This spec is written from public descriptions of the guide (no independent grammar of
X210 exists in stupidedi or pyx12, so the grammar audit does not cover it:
docs/conformance.md). BIN02 is binary: pyx12 sees it as a placeholder (it cannot tokenise
bytes that may equal a delimiter), our reader counts BIN01 bytes.
"""

from __future__ import annotations

from functools import cache

from edigateway.x12.spec.common import NM1_SYNTAX, C, E, N, Seg, envelope
from edigateway.x12.spec.model import Guide, Loop, MapInfo, Usage

VERSION = "005010X210"
DATE_FORMATS = ["D8", "RD8"]


def name(
    entity: str, title: str, *, kinds: list[str], qualifiers: list[str], person: bool = True
) -> Seg:
    """NM1 as the 275 uses it (NM110–NM112 never)."""
    return Seg(
        "NM1",
        title,
        "R",
        1,
        [
            E("98", "R", [entity]),
            E("1065", "R", kinds),
            E("1035", "R" if not person else "S"),
            E("1036", "S" if person else N),
            E("1037", "S" if person else N),
            E("1038", N),
            E("1039", "S" if person else N),
            E("66", "R", qualifiers),
            E("67"),
            E("706", N),
            E("98", N),
            E("1035", N),
        ],
        NM1_SYNTAX,
    )


def ref(code: str, title: str, usage: Usage = "S") -> Seg:
    """A REF with one qualifier (REF03/REF04 not used)."""
    return Seg(
        "REF",
        title,
        usage,
        1,
        [E("128", "R", [code]), E("127"), E("352", N), C("C040", N, [E("128", N), E("127", N)])],
    )


def transaction() -> Loop:
    """The whole interchange, as pyx12 expects a transaction map to describe it."""
    bgn = Seg(
        "BGN",
        "Beginning Segment",
        "R",
        1,
        [
            E("353", "R", ["02", "11"]),
            E("127", name="Attachment Reference Identifier"),
            E("373", name="Transaction Set Creation Date"),
            E("337", "S", name="Transaction Set Creation Time"),
            E("623", N),
            E("127", N),
            E("640", N),
            E("306", N),
            E("786", N),
        ],
        rule="BGN01 02 (add) for an attachment sent unsolicited with its claim, 11 for a "
        "response to a payer's request.",
    )
    payer = Loop(
        "1000A",
        "Payer Name",
        "R",
        1,
        [name("PR", "Payer Name", kinds=["2"], qualifiers=["PI", "XV"], person=False)],
    )
    submitter = Loop(
        "1000B",
        "Submitter Name",
        "R",
        1,
        [
            name("41", "Submitter Name", kinds=["1", "2"], qualifiers=["46"]),
            Seg(
                "PER",
                "Submitter Contact Information",
                "S",
                1,
                [
                    E("366", "R", ["IC"]),
                    E("93", "S"),
                    E("365", "S", ["EM", "FX", "TE"]),
                    E("364", "S"),
                    E("365", "S", ["EM", "EX", "FX", "TE"]),
                    E("364", "S"),
                    E("365", "S", ["EM", "EX", "FX", "TE"]),
                    E("364", "S"),
                    E("443", N),
                ],
                ["P0304", "P0506", "P0708"],
            ),
        ],
    )
    provider = Loop(
        "1000C",
        "Provider Name",
        "R",
        1,
        [name("1P", "Provider Name", kinds=["1", "2"], qualifiers=["XX"])],
    )
    patient = Loop(
        "1000D",
        "Patient Name",
        "R",
        1,
        [
            name("QC", "Patient Name", kinds=["1"], qualifiers=["MI"]),
            ref("EJ", "Patient Control Number", "R"),
            ref("EA", "Medical Record Identification Number"),
            Seg(
                "DTP",
                "Claim Service Period",
                "S",
                1,
                [E("374", "R", ["472"]), E("1250", "R", DATE_FORMATS), E("1251")],
            ),
        ],
    )
    binary = Loop(
        "2110A",
        "Binary Data Segment",
        "R",
        1,
        [
            Seg(
                "EFI",
                "Electronic Format Identification",
                "R",
                1,
                [E("786", "R", ["05"])],
                rule="EFI01 05: the data that follows is not encrypted beyond the link's own "
                "security.",
            ),
            Seg(
                "BIN",
                "Binary Data Segment",
                "R",
                1,
                [E("784", name="Length of Binary Data"), E("785", name="Binary Data")],
            ),
        ],
    )
    submission = Loop(
        "2100A",
        "Additional Information Submission",
        "R",
        1,
        [
            Seg(
                "DTP",
                "Additional Information Submission Date",
                "R",
                1,
                [E("374", "R", ["368"]), E("1250", "R", ["D8"]), E("1251")],
            ),
            Seg(
                "CAT",
                "Category of Patient Information Service",
                "R",
                1,
                [
                    E("755", "R", ["AE"]),
                    E("756", "R", ["TX"]),
                    E("799", N),
                    E("1270", N),
                    E("1271", N),
                    E("1271", N),
                    E("799", N),
                ],
            ),
            binary,
        ],
    )
    assigned = Loop(
        "2000A",
        "Assigned Number",
        "R",
        ">1",
        [
            Seg("LX", "Assigned Number", "R", 1, [E("554")]),
            Seg(
                "TRN",
                "Attachment Control Number",
                "R",
                1,
                [
                    E("481", "R", ["1"]),
                    E("127", name="Attachment Control Number"),
                    E("509", N),
                    E("127", N),
                ],
            ),
            submission,
        ],
    )
    return envelope("PI", "275", VERSION, [bgn, payer, submitter, provider, patient], [assigned])


@cache
def guide() -> Guide:
    """The 275 spec."""
    return Guide(
        "275",
        "x210_275",
        MapInfo(
            "275.5010.X210.xml",
            VERSION,
            "PI",
            "275",
            "275",
            "HIPAA Additional Information to Support a Health Care Claim or Encounter X210-275",
            "275 Additional Information to Support a Health Care Claim or Encounter",
        ),
        transaction(),
    )
