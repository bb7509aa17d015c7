"""The 277 Health Care Claim Status Response (005010X212): the spec of our pyx12 map.

pyx12 4.0.0 ships ``277.5010.X212.xml`` but it cannot validate a correct file: its GS
segment expects ``RA``/``005010X218`` (copied from the 820 map), the 2000C/2000D/2000E
levels sit in sibling wrapper loops instead of under their parents, and SE is outside the
transaction loop, so every 277 is "invalid" at the first HL. This spec replaces it (the
overlay in ``x12/validation.py`` lets our file of the same name win). Element usages and
the claim-level STC layout follow pyx12's file, which transcribes the guide:

* 2200B/2200C (receiver / provider level): TRN, STC with STC01, STC02 and STC10/STC11 only;
* 2200D/2200E (claim level): TRN*2 (the 276's trace echoed), STC with STC04 charge, STC05
  paid, STC06 adjudication date, STC08 remittance (check) date, STC09 check number;
  STC03 and STC12 are not used; REF 1K/BLT/EJ/XZ/VV/D9; DTP*472;
* 2220D/2220E (lines): SVC with SVC03 paid required, STC, REF*FJ, DTP*472.

Entity codes in STC01-3 are left open (pyx12 lists ~250 for the claim level and only 1P
for the provider level, which rejects the guide's own example ``STC*E0:24:85``).
"""

from __future__ import annotations

from functools import cache

from edigateway.x12.spec.common import C, E, N, Seg, envelope
from edigateway.x12.spec.model import Guide, Loop, MapInfo, Usage
from edigateway.x12.spec.x212_276 import (
    CLEARINGHOUSE_CLAIM_NUMBER,
    claim_refs,
    hl,
    name,
    payer_name,
    provider_name,
    receiver_name,
    ref,
    service_date,
    service_line,
    subscriber_name,
)

VERSION = "005010X212"
CLAIM_REFS = [
    ("1K", "Payer Claim Control Number"),
    ("BLT", "Institutional Bill Type Identification"),
    ("EJ", "Patient Control Number"),
    ("XZ", "Pharmacy Prescription Number"),
    ("VV", "Voucher Identifier"),
    ("D9", CLEARINGHOUSE_CLAIM_NUMBER),
]


def status_code(usage: Usage) -> C:
    """C043 Health Care Claim Status: category, status, entity, code list qualifier (RX)."""
    return C(
        "C043",
        usage,
        [
            E("1271", name="Health Care Claim Status Category Code"),
            E("1271", name="Status Code"),
            E("98", "S"),
            E("1270", "S", ["RX"]),
        ],
        name="Health Care Claim Status",
    )


def stc(title: str, *, claim: bool) -> Seg:
    """STC; the money, dates and check number only at the claim level."""
    money = "S" if claim else N
    return Seg(
        "STC",
        title,
        "R",
        ">1",
        [
            status_code("R"),
            E("373", "R", name="Status Information Effective Date"),
            E("306", N),
            E("782", money, name="Total Claim Charge Amount"),
            E("782", money, name="Claim Payment Amount"),
            E("373", money, name="Adjudication Finalized Date"),
            E("591", N),
            E("373", money, name="Remittance Date"),
            E("429", money, name="Remittance Trace Number"),
            status_code("S"),
            status_code("S"),
            E("933", N),
        ],
    )


def trn(title: str, code: str) -> Seg:
    """TRN with only TRN01/TRN02 used."""
    return Seg("TRN", title, "R", 1, [E("481", "R", [code]), E("127"), E("509", N), E("127", N)])


def tracking_loop(loop_id: str, line_loop: str, usage: Usage) -> Loop:
    """2200D/2200E Claim Status Tracking Number with its 2220 service lines."""
    return Loop(
        loop_id,
        "Claim Status Tracking Number",
        usage,
        ">1",
        [
            trn("Claim Status Tracking Number", "2"),
            stc("Claim Level Status Information", claim=True),
            *claim_refs(CLAIM_REFS),
            service_date("Claim Service Date", "S"),
            Loop(
                line_loop,
                "Service Line Information",
                "S",
                ">1",
                [
                    service_line(paid="R"),
                    stc("Service Line Status Information", claim=False),
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
            E("353", "R", ["08"]),
            E("127"),
            E("373"),
            E("337"),
            E("640", "R", ["DG"]),
        ],
    )
    payer_contact = Seg(
        "PER",
        "Payer Contact Information",
        "S",
        1,
        [
            E("366", "R", ["IC"]),
            E("93", "S"),
            E("365", "R", ["ED", "EM", "FX", "TE"]),
            E("364"),
            E("365", "S", ["ED", "EM", "EX", "FX", "TE"]),
            E("364", "S"),
            E("365", "S", ["ED", "EM", "EX", "FX", "TE"]),
            E("364", "S"),
            E("443", N),
        ],
        ["P0304", "P0506", "P0708"],
    )
    dependent = Loop(
        "2000E",
        "Dependent Level",
        "S",
        ">1",
        [
            hl("23", "Dependent Level", "R", None),
            Loop(
                "2100E",
                "Dependent Name",
                "R",
                1,
                [
                    name(["QC"], "Dependent Name", kinds=["1"], id_usage=N),
                ],
            ),
            tracking_loop("2200E", "2220E", "R"),
        ],
    )
    subscriber = Loop(
        "2000D",
        "Subscriber Level",
        "S",
        ">1",
        [
            hl("22", "Subscriber Level", "R", ["0", "1"]),
            Loop("2100D", "Subscriber Name", "R", 1, [subscriber_name()]),
            tracking_loop("2200D", "2220D", "S"),
            dependent,
        ],
    )
    provider = Loop(
        "2000C",
        "Service Provider Level",
        "S",
        ">1",
        [
            hl("19", "Service Provider Level", "R", ["0", "1"]),
            Loop("2100C", "Provider Name", "R", 2, [provider_name()]),
            Loop(
                "2200C",
                "Provider of Service Trace Identifier",
                "S",
                1,
                [
                    trn("Provider of Service Trace Identifier", "1"),
                    stc("Provider Status Information", claim=False),
                ],
            ),
            subscriber,
        ],
    )
    receiver = Loop(
        "2000B",
        "Information Receiver Level",
        "R",
        ">1",
        [
            hl("21", "Information Receiver Level", "R", ["0", "1"]),
            Loop("2100B", "Information Receiver Name", "R", 1, [receiver_name()]),
            Loop(
                "2200B",
                "Information Receiver Trace Identifier",
                "S",
                1,
                [
                    trn("Information Receiver Trace Identifier", "2"),
                    stc("Information Receiver Status Information", claim=False),
                ],
            ),
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
            Loop("2100A", "Payer Name", "R", 1, [payer_name(), payer_contact]),
            receiver,
        ],
    )
    return envelope("HN", "277", VERSION, [bht], [source])


@cache
def guide() -> Guide:
    """The 277 spec."""
    return Guide(
        "277",
        "x212_277",
        MapInfo(
            "277.5010.X212.xml",
            VERSION,
            "HN",
            "277",
            "277",
            "HIPAA Health Care Claim Status Response X212-277",
            "277 Health Care Claim Status Response",
        ),
        transaction(),
    )
