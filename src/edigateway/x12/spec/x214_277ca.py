"""The 277CA Health Care Claim Acknowledgment (005010X214): the spec of our pyx12 map.

Our map replaces pyx12's packaged ``277.5010.X214.xml`` (same file name, so it wins where the
validator assembles its map folder). It starts from that map's facts and corrects the
places where the map is stricter than the guide, found by the grammar audit against
stupidedi's X214 grammar (docs/conformance.md):

* a 277CA that rejects a whole batch at the receiver level has no provider or patient
  levels: 2000C, 2200C and 2000D are situational, and a provider level may have no patients
  below it (2000C HL04 = 0);
* a service line may carry several STC (2220D), and its effective date STC02 is situational;
* the provider and claim REFs (2200C provider IDs, 2200D 1K/D9/BLT) repeat up to three times.

The hierarchy::

    2000A HL*20  2100A NM1*PR/AY source   2200A TRN*1 + DTP*050, DTP*009
    2000B HL*21  2100B NM1*41 receiver    2200B TRN*2, STC, QTY/AMT totals
    2000C HL*19  2100C NM1*85 provider    2200C TRN*1, STC, REF, QTY/AMT totals
    2000D HL*PT  2100D NM1*QC patient     2200D TRN*2 (claim), STC, REF, DTP*472
                                            2220D SVC, STC, REF*FJ/XZ, DTP*472

Entity codes in STC10-3/STC11-3 at the receiver and provider levels are left open, as in
our 277 spec (an entity code list narrower than the guide's rejects valid files).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from edigateway.x12.spec.common import NM1_SYNTAX, C, E, N, Seg, envelope
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

VERSION = "005010X214"
RECEIVER_ENTITIES = ["36", "40", "41", "AY", "PR"]
PROVIDER_ENTITIES = ["36", "40", "41", "77", "82", "85", "87", "AY", "PR"]
CLAIM_ENTITIES = [
    "03",
    "1P",
    "1Z",
    "40",
    "41",
    "71",
    "72",
    "73",
    "77",
    "82",
    "85",
    "87",
    "DK",
    "DN",
    "DQ",
    "FA",
    "GB",
    "HK",
    "IL",
    "LI",
    "MSC",
    "PR",
    "PRP",
    "QB",
    "QC",
    "QD",
    "SEP",
    "TL",
    "TTP",
    "TU",
]
PROVIDER_IDS = ["0B", "1G", "G2", "LU", "SY", "TJ"]
PROCEDURE_QUALIFIERS = ["AD", "ER", "HC", "HP", "IV", "NU", "WK"]
CATEGORY = "claim_status_cat"
STATUS = "claim_status"
ENTITY = "entity_id"


def status(
    usage: Usage, entities: Sequence[str] | None, *, coded: bool = False, qualifier: bool = True
) -> Composite:
    """C043: category, status, entity; ``coded`` checks category and status against
    pyx12's code lists (claim and line levels)."""
    parts = [
        E(
            "1271",
            external=CATEGORY if coded else None,
            name="Health Care Claim Status Category Code",
        ),
        E(
            "1271",
            external=STATUS if coded else None,
            name="Health Care Claim Status Code" if coded else "Status Code",
        ),
        E("98", "S", entities, external=ENTITY if coded and entities is None else None),
    ]
    if qualifier:
        parts.append(E("1270", N))
    return C("C043", usage, parts, name="Health Care Claim Status")


def stc(
    name: str,
    usage: Usage,
    max_use: Repeat,
    first: Composite,
    *,
    date: Usage,
    actions: Sequence[str],
    charges: Usage,
    message: Usage = N,
    later: tuple[Composite, Composite],
) -> Segment:
    """STC: status, effective date, action code, submitted charges, more statuses."""
    return Seg(
        "STC",
        name,
        usage,
        max_use,
        [
            first,
            E("373", date, name="Status Information Effective Date"),
            E("306", "R", actions),
            E("782", charges, name="Total Submitted Charges"),
            E("782", N),
            E("373", N),
            E("591", N),
            E("373", N),
            E("429", N),
            *later,
            E("933", message, name="Free-Form Message Text"),
        ],
    )


def totals(accepted: str, rejected: str) -> list[Segment | Loop]:
    """QTY/AMT: accepted and rejected counts and amounts."""

    def qty(code: str, name: str) -> Segment:
        return Seg(
            "QTY",
            name,
            "S",
            1,
            [E("673", "R", [code]), E("380", name=name), C("C001", N, []), E("61", N)],
            ["E0204", "R0204"],
        )

    def amt(code: str, name: str) -> Segment:
        return Seg("AMT", name, "S", 1, [E("522", "R", [code]), E("782", name=name), E("478", N)])

    return [
        qty(accepted, "Total Accepted Quantity"),
        qty(rejected, "Total Rejected Quantity"),
        amt("YU", "Total Accepted Amount"),
        amt("YY", "Total Rejected Amount"),
    ]


def trn(code: str, name: str, usage: Usage = "R", identifier: str | None = None) -> Segment:
    """TRN with TRN01/TRN02 only."""
    return Seg(
        "TRN",
        name,
        usage,
        1,
        [E("481", "R", [code]), E("127", name=identifier or name), E("509", N), E("127", N)],
    )


def ref(
    code: str, name: str, max_use: int, identifier: str, codes: Sequence[str] | None = None
) -> Segment:
    """REF with REF03/REF04 not used."""
    return Seg(
        "REF",
        name,
        "S",
        max_use,
        [E("128", "R", codes or [code]), E("127", name=identifier), E("352", N), C("C040", N, [])],
    )


def dtp(code: str, name: str, usage: Usage, formats: Sequence[str], date: str) -> Segment:
    """DTP with a D8 or RD8 date."""
    return Seg(
        "DTP",
        name,
        usage,
        1,
        [
            E("374", "R", [code], name="Date Time Qualifier"),
            E("1250", "R", formats),
            E("1251", name=date),
        ],
    )


def hl(
    code: str, name: str, usage: Usage, parent: Usage, children: Sequence[str] | None
) -> Segment:
    """Hierarchical level; ``children`` None where HL04 is not used."""
    return Seg(
        "HL",
        name,
        usage,
        1,
        [
            E("628"),
            E("734", parent),
            E("735", "R", [code]),
            E("736", "R", children) if children else E("736", N),
        ],
    )


def name(
    entity: Sequence[str],
    title: str,
    kinds: Sequence[str],
    qualifiers: Sequence[str],
    who: str,
    *,
    person: bool,
    syntax: bool = True,
) -> Segment:
    """NM1 of the 277CA (NM106 name prefix not used, as in the 5010 guides)."""
    names: list[Element | Composite] = [
        E("1035", name=f"{who} Last or Organization Name" if person else who),
        E("1036", "S" if person else N, name=f"{who} First Name"),
        E("1037", "S" if person else N, name=f"{who} Middle Name"),
        E("1038", N),
        E(
            "1039",
            "S" if person and who != "Information Receiver" else N,
            name=f"{who} Name Suffix",
        ),
    ]
    tail = [E("706", N), E("98", N)] + ([E("1035", N)] if syntax else [])
    return Seg(
        "NM1",
        title,
        "R",
        1,
        [
            E("98", "R", entity),
            E("1065", "R", kinds),
            *names,
            E("66", "R", qualifiers),
            E("67", name=f"{who} Identifier"),
            *tail,
        ],
        NM1_SYNTAX if syntax else [],
    )


def service_line() -> Loop:
    """2220D Service Line Information."""
    coded = (
        status("S", None, coded=True, qualifier=False),
        status("S", None, coded=True, qualifier=False),
    )
    return Loop(
        "2220D",
        "Service Line Information",
        "S",
        UNBOUNDED,
        [
            Seg(
                "SVC",
                "Service Line Information",
                "R",
                1,
                [
                    C(
                        "C003",
                        "R",
                        [
                            E(
                                "235",
                                "R",
                                PROCEDURE_QUALIFIERS,
                                name="Product or Service ID Qualifier",
                            ),
                            E("234", name="Service Identification Code"),
                            E("1339", "S"),
                            E("1339", "S"),
                            E("1339", "S"),
                            E("1339", "S"),
                            E("352", N),
                        ],
                        name="Composite Medical Procedure Identifier",
                    ),
                    E("782", name="Line Item Charge Amount"),
                    E("782", N),
                    E("234", "S", name="Revenue Code"),
                    E("380", N),
                    C("C003", N, []),
                    E("380", "S", name="Original Units of Service Count"),
                ],
            ),
            stc(
                "Service Line Level Status Information",
                "R",
                UNBOUNDED,
                status("R", CLAIM_ENTITIES, coded=True, qualifier=False),
                date="S",
                actions=["U"],
                charges=N,
                message="S",
                later=coded,
            ),
            ref("FJ", "Service Line Item Identification", 1, "Line Item Control Number"),
            ref("XZ", "Pharmacy Prescription Number", 1, "Pharmacy Prescription Number"),
            dtp("472", "Service Line Date", "S", ["D8", "RD8"], "Service Line Date"),
        ],
    )


def claim() -> Loop:
    """2200D Claim Status Tracking Number (one per acknowledged claim)."""
    coded = (
        status("S", None, coded=True, qualifier=False),
        status("S", None, coded=True, qualifier=False),
    )
    clearinghouse = (
        "Claim Identifier Number for Clearinghouses and Other Transmission Intermediaries"
    )
    return Loop(
        "2200D",
        "Claim Status Tracking Number",
        "R",
        UNBOUNDED,
        [
            trn("2", "Claim Status Tracking Number", identifier="Patient Control Number"),
            stc(
                "Claim Level Status Information",
                "R",
                UNBOUNDED,
                status("R", CLAIM_ENTITIES, coded=True),
                date="R",
                actions=["U", "WQ"],
                charges="R",
                message="S",
                later=coded,
            ),
            ref("1K", "Payer Claim Control Number", 3, "Payer Claim Control Number"),
            ref("D9", clearinghouse, 3, clearinghouse),
            ref("BLT", "Institutional Bill Type Identification", 3, "Bill Type Identifier"),
            dtp("472", "Claim Level Service Date", "R", ["RD8", "D8"], "Claim Service Period"),
            service_line(),
        ],
    )


def transaction() -> Loop:
    """The whole interchange."""
    open_status = (status("S", None), status("S", None))
    patient = Loop(
        "2000D",
        "Patient Level",
        "S",
        UNBOUNDED,
        [
            hl("PT", "Patient Level", "R", "R", None),
            Loop(
                "2100D",
                "Patient Name",
                "R",
                1,
                [
                    name(
                        ["QC"],
                        "Patient Name",
                        ["1"],
                        ["II", "MI"],
                        "Patient",
                        person=True,
                        syntax=False,
                    ),
                ],
            ),
            claim(),
        ],
    )
    provider = Loop(
        "2000C",
        "Billing Provider of Service Level",
        "S",
        UNBOUNDED,
        [
            hl("19", "Billing Provider of Service Level", "R", "R", ["0", "1"]),
            Loop(
                "2100C",
                "Billing Provider Name",
                "R",
                UNBOUNDED,
                [
                    name(
                        ["85"],
                        "Billing Provider Name",
                        ["1", "2"],
                        ["FI", "SV", "XX"],
                        "Provider",
                        person=True,
                        syntax=False,
                    ),
                ],
            ),
            Loop(
                "2200C",
                "Provider of Service Information Trace Identifier",
                "S",
                1,
                [
                    trn("1", "Provider of Service Information Trace Identifier"),
                    stc(
                        "Billing Provider Status Information",
                        "S",
                        UNBOUNDED,
                        status("R", PROVIDER_ENTITIES),
                        date=N,
                        actions=["U", "WQ"],
                        charges="R",
                        later=open_status,
                    ),
                    ref(
                        "",
                        "Provider Secondary Identifier",
                        3,
                        "Provider Secondary Identifier",
                        PROVIDER_IDS,
                    ),
                    *totals("QA", "QC"),
                ],
            ),
            patient,
        ],
    )
    receiver = Loop(
        "2000B",
        "Information Receiver Level",
        "R",
        1,
        [
            hl("21", "Information Receiver Level", "R", "R", ["0", "1"]),
            Loop(
                "2100B",
                "Information Receiver Name",
                "R",
                1,
                [
                    name(
                        ["41"],
                        "Information Receiver Name",
                        ["1", "2"],
                        ["46"],
                        "Information Receiver",
                        person=True,
                    ),
                ],
            ),
            Loop(
                "2200B",
                "Information Receiver Trace Identifier",
                "R",
                1,
                [
                    trn(
                        "2",
                        "Information Receiver Trace Identifier",
                        identifier="Claim Transaction Batch Number",
                    ),
                    stc(
                        "Information Receiver Status Information",
                        "R",
                        UNBOUNDED,
                        status("R", RECEIVER_ENTITIES),
                        date="R",
                        actions=["U", "WQ"],
                        charges="R",
                        later=open_status,
                    ),
                    *totals("90", "AA"),
                ],
            ),
            provider,
        ],
    )
    source = Loop(
        "2000A",
        "Information Source Level",
        "R",
        UNBOUNDED,
        [
            hl("20", "Information Source Level", "R", N, ["1"]),
            Loop(
                "2100A",
                "Information Source Name",
                "R",
                1,
                [
                    name(
                        ["PR", "AY"],
                        "Information Source Name",
                        ["2"],
                        ["46", "FI", "PI", "XV"],
                        "Payer Name",
                        person=False,
                    ),
                ],
            ),
            Loop(
                "2200A",
                "Transmission Receipt Control Identifier",
                "R",
                1,
                [
                    trn(
                        "1",
                        "Transmission Receipt Control Identifier",
                        identifier="Information Source Application Trace Identifier",
                    ),
                    dtp(
                        "050",
                        "Information Source Receipt Date",
                        "R",
                        ["D8"],
                        "Information Source Receipt Date",
                    ),
                    dtp(
                        "009",
                        "Information Source Process Date",
                        "R",
                        ["D8"],
                        "Information Source Process Date",
                    ),
                ],
            ),
            receiver,
        ],
    )
    bht = Seg(
        "BHT",
        "Beginning of Hierarchical Transaction",
        "R",
        1,
        [
            E("1005", "R", ["0085"]),
            E("353", "R", ["08"]),
            E("127", name="Originator Application Transaction Identifier"),
            E("373", name="Transaction Set Creation Date"),
            E("337", name="Transaction Set Creation Time"),
            E("640", "R", ["TH"]),
        ],
    )
    return envelope("HN", "277", VERSION, [bht], [source])


@cache
def guide() -> Guide:
    """The 277CA spec."""
    return Guide(
        "277CA",
        "x214_277ca",
        MapInfo(
            "277.5010.X214.xml",
            VERSION,
            "HN",
            "277",
            "277",
            "HIPAA Health Care Claim Acknowledgement X214-277",
            "277CA Health Care Claim Acknowledgment",
        ),
        transaction(),
    )
