"""The one rule set: every check of ours, its ID and its WEDI SNIP type, and the code sets.

Clearinghouses sort what they find into the WEDI SNIP types, so a practice can tell "the
file is broken" from "the claim is wrong": 1 syntax integrity, 2 implementation guide
requirements, 3 balancing, 4 situational (inter-segment) rules, 5 external code sets,
6 product/service-specific and 7 trading-partner-specific rules. We implement 1–5.

The same rule function checks a claim model before an 837D is built (the clean-claim edits,
:mod:`edigateway.domain.edits`) and the same fact in a received 837D
(:mod:`edigateway.x12.snip` reads it back into claims and checks its segments), so
``x12 validate`` flags what ``x12 build`` refuses, under the same ID. Rules ``E…`` are
clean-claim edits (claims; build, import and validation); rules ``V…`` are checked on a
file's segments only — at build time the claim schema already refuses the same values
(a surface ``X``, a ZIP of 4 digits) before any edit runs.

====  ====  ==============================================================================
ID    SNIP  rule
====  ====  ==============================================================================
E001  5     NPI check digit (Luhn over 80840 + NPI)
E002  2     patient control number ≤ 20 characters (the guide: receivers keep only 20)
E003  4     patient control numbers unique within a batch / file
E010  3     CLM02 = Σ SV302 (line fees add up to the claim total)
E012  5     CDT code format: D + 4 digits, D0100–D9999
E013  1     text only in the X12 character set (printable ASCII)
E014  5     diagnosis codes: at most 4, ICD-10-CM / ICD-9-CM format
E015  4     a line's diagnosis pointers name diagnoses of the claim (at most 4, no repeats)
E016  5     CDT code in the practice's licensed ADA list (once one is loaded)
E017  5     CDT code in effect on the date of service (not deleted, already effective)
E020  5     tooth designation: 1–32, A–T, supernumerary 51–82 and AS–TS
E021  5     a surface only once per tooth
E022  4     restorations name a tooth and its surfaces
E023  4     single-tooth procedures name the tooth
E030  4     quadrant procedures name a quadrant
E031  4     arch procedures name the arch
E040  4     a replacement prosthesis gives the prior placement date, before the service
E041  4     prosthesis indicator only on prosthetic procedures
E050  4     no dates in the future
E051  4     no service before the patient was born
E052  4     a service date on every line or on the claim
E053  4     a predetermination has no service dates
E060  4     replacement/void claims give the payer's claim number, originals don't
E070  4     orthodontic months remaining ≤ total months
E071  4     comprehensive orthodontics gives the total months
E080  4     other payers' positions differ from each other and from this claim's
E081  4     a secondary/tertiary claim carries the earlier payer's adjudication
E082  4     line adjudications name a payer listed in the claim's other payers
E083  3     an other payer's paid amount = Σ its line payments − claim-level adjustments
E084  3     each other payer's line balances: charge − paid − adjustments = 0
E085  4     attachments sent separately carry a control number
E086  4     the patient is the subscriber: the subscriber's address, birth date and gender
E090  2     a claim longer than one 837D claim can be split
E092  5     state code: a US state, DC, territory or military post code (a Canadian
            province when N404 is CA)
V101  5     TOO01 is JP (the ADA's universal/national tooth designation)
V102  5     tooth surfaces: M O D B F L I, at most 5
V103  5     oral cavity designation: 00 01 02 09 10 20 30 40 L R
V104  5     provider taxonomy code format: 10 characters, ending in X
V105  5     ZIP code: 5 or 9 digits (US addresses)
V106  5     CARC in the published list and in effect on the file's date
V107  5     RARC in the published list and in effect on the file's date
V110  4     SV306 = 1 is not reported (X12 RFI 1866: a missing SV306 means 1)
V111  4     NM1 entity type vs name parts: an organization (NM102 = 2) has no first or
            middle name and no suffix
V112  4     DTP date vs its format qualifier (D8 = CCYYMMDD, RD8 = a range, start ≤ end)
V120  3     835 service line: SVC02 − Σ CAS = SVC03
V121  3     835 claim: CLP03 − Σ CAS = CLP04 (interest may be added)
V122  3     835 payment: Σ CLP04 − Σ PLB = BPR02
V129  3     the 835 could not be read, so it could not be balanced
V130  2     a claim value the claim model refuses (the 837D could not be read into claims,
            so the clean-claim edits did not run)
====  ====  ==============================================================================

Nothing here imports X12, SQL or HTTP: the functions take plain values.

>>> tooth_problem("99")
'tooth 99 is not a valid tooth number (use 1–32, A–T, or 51–82 / AS–TS for supernumerary teeth)'
>>> npi_is_valid("1234567893"), state_problem("XX") is not None
(True, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date


class SnipType(IntEnum):
    """The WEDI SNIP validation types we implement (6 and 7 are partner business)."""

    SYNTAX = 1
    IMPLEMENTATION_GUIDE = 2
    BALANCING = 3
    SITUATIONAL = 4
    CODE_SET = 5


@dataclass(frozen=True, slots=True)
class Rule:
    """One of our rules: its stable ID, its SNIP type and what it checks."""

    id: str
    snip_type: SnipType
    summary: str


def _rules(*rows: tuple[str, int, str]) -> dict[str, Rule]:
    return {rid: Rule(rid, SnipType(snip), summary) for rid, snip, summary in rows}


RULES: dict[str, Rule] = _rules(
    ("E001", 5, "NPI check digit"),
    ("E002", 2, "patient control number at most 20 characters"),
    ("E003", 4, "patient control numbers unique"),
    ("E010", 3, "claim total equals the sum of line fees"),
    ("E012", 5, "CDT code format"),
    ("E013", 1, "text in the X12 character set"),
    ("E014", 5, "diagnosis code format"),
    ("E015", 4, "diagnosis pointers name the claim's diagnoses"),
    ("E016", 5, "CDT code in the loaded ADA list"),
    ("E017", 5, "CDT code in effect on the date of service"),
    ("E020", 5, "tooth designation"),
    ("E021", 5, "a surface only once per tooth"),
    ("E022", 4, "restorations name tooth and surfaces"),
    ("E023", 4, "single-tooth procedures name the tooth"),
    ("E030", 4, "quadrant procedures name a quadrant"),
    ("E031", 4, "arch procedures name the arch"),
    ("E040", 4, "replacement prosthesis gives the prior placement date"),
    ("E041", 4, "prosthesis indicator only on prosthetic procedures"),
    ("E050", 4, "no dates in the future"),
    ("E051", 4, "no service before birth"),
    ("E052", 4, "a service date on every line"),
    ("E053", 4, "a predetermination has no service dates"),
    ("E060", 4, "payer claim number on replacements and voids only"),
    ("E070", 4, "orthodontic months remaining at most the total"),
    ("E071", 4, "comprehensive orthodontics gives the total months"),
    ("E080", 4, "distinct payer positions"),
    ("E081", 4, "secondary claims carry the earlier payer's adjudication"),
    ("E082", 4, "line adjudications name a listed other payer"),
    ("E083", 3, "other payer's paid amount equals its line payments"),
    ("E084", 3, "other payer's line balances"),
    ("E085", 4, "attachments sent separately carry a control number"),
    ("E086", 4, "subscriber who is the patient: address, birth date, gender"),
    ("E090", 2, "a long claim can be split"),
    ("E092", 5, "state code"),
    ("V101", 5, "TOO01 is JP"),
    ("V102", 5, "tooth surface codes"),
    ("V103", 5, "oral cavity designation code"),
    ("V104", 5, "provider taxonomy code format"),
    ("V105", 5, "ZIP code format"),
    ("V106", 5, "claim adjustment reason code (CARC)"),
    ("V107", 5, "remittance advice remark code (RARC)"),
    ("V110", 4, "SV306 = 1 is not reported"),
    ("V111", 4, "NM1 entity type and name parts"),
    ("V112", 4, "DTP date and format qualifier"),
    ("V120", 3, "835 service line balances"),
    ("V121", 3, "835 claim balances"),
    ("V122", 3, "835 payment balances"),
    ("V129", 3, "835 readable for balancing"),
    ("V130", 2, "claim values the claim model accepts"),
)
"""Every rule ID of ours (the table in the module docstring), by ID."""


def snip_type_of(rule_id: str) -> SnipType:
    """The SNIP type of one of our rules; an ID we do not know is a requirement (2)."""
    rule = RULES.get(rule_id)
    return rule.snip_type if rule else SnipType.IMPLEMENTATION_GUIDE


# --------------------------------------------------------------------------- code sets

PERMANENT_TEETH = frozenset(str(n) for n in range(1, 33))
PRIMARY_TEETH = frozenset(chr(c) for c in range(ord("A"), ord("T") + 1))
SUPERNUMERARY_TEETH = frozenset({str(n) for n in range(51, 83)} | {f"{t}S" for t in PRIMARY_TEETH})
VALID_TEETH = PERMANENT_TEETH | PRIMARY_TEETH | SUPERNUMERARY_TEETH
"""ADA universal/national tooth designations (code source 135, TOO01 = JP)."""

SURFACES = frozenset("MODBFLI")
"""Tooth surfaces: mesial, occlusal, distal, buccal, facial, lingual, incisal."""
MAX_SURFACES = 5

ORAL_CAVITY_AREAS = frozenset({"00", "01", "02", "09", "10", "20", "30", "40", "L", "R"})
"""Oral cavity designation codes (SV304, code source 135)."""

US_STATES = frozenset(
    {
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "DC",
        "AS",
        "GU",
        "MP",
        "PR",
        "VI",
        "UM",
        "FM",
        "MH",
        "PW",
        "AA",
        "AE",
        "AP",
    }
)
"""USPS codes: the states, DC, the territories and freely associated states, and the
military post codes (AA, AE, AP)."""

CANADIAN_PROVINCES = frozenset(
    {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}
)

_CDT = re.compile(r"^D\d{4}$")
_TAXONOMY = re.compile(r"^[0-9A-Z]{9}X$")
_ZIP = re.compile(r"^(\d{5}|\d{9})$")


def npi_is_valid(npi: str) -> bool:
    """Luhn check of an NPI with the 80840 health-industry prefix.

    >>> npi_is_valid("1234567893"), npi_is_valid("1234567890")
    (True, False)
    """
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total % 10 == 0


def npi_problem(npi: str) -> str | None:
    """E001: why ``npi`` is not a valid NPI, or ``None``."""
    if npi_is_valid(npi):
        return None
    return (
        f"NPI {npi} is not a valid NPI (its check digit is wrong); check it against the "
        "NPPES registry"
    )


def tooth_problem(tooth: str) -> str | None:
    """E020: why ``tooth`` is not an ADA tooth designation, or ``None``."""
    if tooth in VALID_TEETH:
        return None
    return (
        f"tooth {tooth} is not a valid tooth number (use 1–32, A–T, or 51–82 / AS–TS for "
        "supernumerary teeth)"
    )


def surface_problems(tooth: str, surfaces: Sequence[str]) -> list[tuple[str, str]]:
    """V102 (unknown code, more than five) and E021 (a surface twice) for one tooth."""
    found: list[tuple[str, str]] = []
    unknown = [s for s in surfaces if s not in SURFACES]
    if unknown:
        found.append(
            (
                "V102",
                (
                    f"tooth {tooth}: {', '.join(unknown)} is not a tooth surface "
                    "(M, O, D, B, F, L or I)"
                ),
            )
        )
    if len(surfaces) > MAX_SURFACES:
        found.append(
            (
                "V102",
                (
                    f"tooth {tooth} lists {len(surfaces)} surfaces; at most "
                    f"{MAX_SURFACES} can be reported"
                ),
            )
        )
    if len(set(surfaces)) != len(surfaces):
        found.append(("E021", f"tooth {tooth} lists a surface twice ({''.join(surfaces)})"))
    return found


def area_problem(area: str) -> str | None:
    """V103: why ``area`` is not an oral cavity designation, or ``None``."""
    if area in ORAL_CAVITY_AREAS:
        return None
    return (
        f"{area} is not an oral cavity designation (00 whole mouth, 01/02 arches, 09 other, "
        "10/20/30/40 quadrants, L/R sides)"
    )


def taxonomy_problem(code: str) -> str | None:
    """V104: why ``code`` is not shaped like a provider taxonomy code, or ``None``."""
    if _TAXONOMY.match(code):
        return None
    return (
        f"{code} is not a provider taxonomy code (10 characters ending in X, e.g. "
        "1223G0001X for a general dentist)"
    )


def state_problem(state: str, country: str = "") -> str | None:
    """E092: why ``state`` is not a state code for an address in ``country``, or ``None``.

    An empty country or ``US`` means the United States (the guides' N404 convention);
    ``CA`` takes the Canadian provinces; other countries are not checked.
    """
    if country in ("", "US"):
        if state in US_STATES:
            return None
        return (
            f"{state} is not a US state code (two letters as the USPS uses them, e.g. IL, DC, PR)"
        )
    if country == "CA" and state not in CANADIAN_PROVINCES:
        return f"{state} is not a Canadian province or territory code"
    return None


def zip_problem(postal_code: str, country: str = "") -> str | None:
    """V105: why ``postal_code`` is not a US ZIP code, or ``None`` (other countries pass)."""
    if country not in ("", "US") or _ZIP.match(postal_code):
        return None
    return f"ZIP code {postal_code} is not 5 or 9 digits"


def cdt_format_problem(code: str) -> str | None:
    """E012: why ``code`` is not shaped like a CDT code, or ``None``."""
    if _CDT.match(code) and code >= "D0100":
        return None
    return f"{code} is not a CDT procedure code (D0100–D9999)"


@dataclass(frozen=True, slots=True)
class DatedCode:
    """A code of a published list with the dates it is in effect (either may be unknown)."""

    code: str
    effective: date | None = None
    deleted: date | None = None


@dataclass(frozen=True, slots=True)
class CdtList:
    """A practice's licensed CDT code list (loaded with ``edigateway codes load cdt``).

    The ADA owns CDT: we never ship the list, only check against the one a practice loads.
    """

    codes: dict[str, DatedCode]
    source: str = ""

    def problem(self, code: str, on: date | None) -> tuple[str, str] | None:
        """E016 (unknown) or E017 (not in effect ``on`` the date of service), or ``None``."""
        known = self.codes.get(code)
        if known is None:
            return (
                "E016",
                (f"{code} is not in the CDT code list loaded from {self.source or 'the ADA file'}"),
            )
        if on is not None and known.deleted is not None and known.deleted <= on:
            return (
                "E017",
                (
                    f"{code} was deleted from CDT on {known.deleted.isoformat()}, "
                    f"before the date of service {on.isoformat()}"
                ),
            )
        if on is not None and known.effective is not None and known.effective > on:
            return (
                "E017",
                (
                    f"{code} takes effect on {known.effective.isoformat()}, after the "
                    f"date of service {on.isoformat()}"
                ),
            )
        return None


@dataclass(frozen=True, slots=True)
class AdjustmentCodes:
    """CARC and RARC lists with their start and stop dates, where we have them.

    The lists under ``mappings/codes/`` say what they cover (``VERSION.md``): the CARC list
    is complete with dates; the RARC list holds active codes through N812 and almost no
    dates, so an unknown RARC may also be a newer or a deactivated one (the message says so).
    """

    carc: dict[str, DatedCode] = field(default_factory=dict)
    rarc: dict[str, DatedCode] = field(default_factory=dict)

    def carc_problem(self, code: str, on: date | None) -> str | None:
        """V106: an unknown CARC, or one not in effect ``on`` the file's date."""
        return _dated_problem("adjustment reason code (CARC)", self.carc.get(code), code, on, "")

    def rarc_problem(self, code: str, on: date | None) -> str | None:
        """V107: an unknown RARC, or one not in effect ``on`` the file's date."""
        return _dated_problem(
            "remark code (RARC)",
            self.rarc.get(code),
            code,
            on,
            " (our list holds the active M, MA and N codes through N812: a "
            "newer or a deactivated code is not in it)",
        )


def _dated_problem(
    kind: str, known: DatedCode | None, code: str, on: date | None, unknown_note: str
) -> str | None:
    if known is None:
        return f"{code} is not a published {kind}{unknown_note}"
    if on is not None and known.deleted is not None and known.deleted <= on:
        return (
            f"{kind} {code} was deactivated on {known.deleted.isoformat()}, before this "
            f"file's date {on.isoformat()}"
        )
    if on is not None and known.effective is not None and known.effective > on:
        return (
            f"{kind} {code} takes effect on {known.effective.isoformat()}, after this "
            f"file's date {on.isoformat()}"
        )
    return None
