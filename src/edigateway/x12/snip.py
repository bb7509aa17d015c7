"""Our own validation rules over an X12 file, each finding located and typed (WEDI SNIP).

pyx12 checks syntax and the implementation guide's grammar (SNIP types 1 and 2). This
module adds what a map cannot say, from the one rule set in
:mod:`edigateway.domain.rules`:

* **type 3, balancing** — an 837D's claims go through the clean-claim edits (CLM02 =
  Σ SV302 is E010; other payers' amounts E083/E084); an 835 is balanced by the posting
  engine's own checks (:func:`edigateway.reconcile.balance.check_remittance`: V120 line,
  V121 claim, V122 payment). Segment counts (SE01, GE01, IEA01) are pyx12's findings,
  typed 3 by the validator.
* **type 4, situational rules** — the clean-claim edits (tooth and surfaces where the CDT
  code needs them, quadrants, arches, prosthesis dates, ortho months, COB …), SV306 = 1
  reported although RFI 1866 prohibits it (V110), NM1 entity type vs name parts (V111),
  DTP dates vs their format qualifier (V112).
* **type 5, external code sets** — tooth designations (E020, V101), surfaces (V102,
  E021), oral cavity areas (V103), NPI check digits (E001), taxonomy format (V104), state
  codes (E092), ZIP format (V105), CDT format (E012) and, with the practice's licensed list,
  unknown (E016) and deleted (E017) CDT codes, CARC (V106) and RARC (V107) with their dates.

**One rule set.** A received 837D is read into claims with the 837D reader and checked
with the very edits ``x12 build`` runs (:func:`edigateway.domain.edits.check_claim`); each
failure's field path (``lines.0.teeth.1.tooth``) is located at the segment and element the
value came from by :class:`ClaimLocator`, a position map built here from the segments
(the reader keeps no positions). Code sets are also checked on the segments themselves, so
a value the claim model refuses (a surface ``X``) is still found, under the same rule;
when the reader refuses a claim, the edits cannot run, and the verdict says so.

**Bounded memory.** :class:`OurRules` reads the segments once, as they stream: each 837D
claim is edited as soon as the reader has it and then dropped with its position map; an
835 is balanced claim by claim from the reader's events, the payment from running totals.
Each kind of finding is a :class:`FindingList` (the first ``cap`` kept, the rest
counted), and a claim longer than :data:`MAX_CLAIM_SEGMENTS` stops the claim rules. The
codecs' streaming readers (:func:`~edigateway.x12.x837d_005010X224A2.iter_837d`,
:func:`~edigateway.x12.x835_005010X221A1.iter_835`) are driven one segment at a time; they
list no segments they do not model, so nothing grows with the file.

Example::

    rules = OurRules("claims.837", transaction="837D", codes=AdjustmentCodes(), cdt=None,
                     today=date(2026, 11, 22), level=5, cap=1000)
    rules.run(read_segments(Path("claims.837")), complete=True)
    rules.segments.kept + rules.claims.kept + rules.duplicates.kept
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import ValidationError

from edigateway.domain.edits import check_claim, duplicate_control_numbers
from edigateway.domain.remittances import ClaimPayment
from edigateway.domain.rules import (
    AdjustmentCodes,
    DatedCode,
    area_problem,
    cdt_format_problem,
    npi_problem,
    snip_type_of,
    state_problem,
    surface_problems,
    taxonomy_problem,
    tooth_problem,
    zip_problem,
)
from edigateway.errors import ConfigurationError, EdigatewayError, X12Error
from edigateway.reconcile import balance
from edigateway.x12.envelope import Expect
from edigateway.x12.formats import parse_date
from edigateway.x12.reader import SegmentReader
from edigateway.x12.x835_005010X221A1 import RemittanceStart, iter_835
from edigateway.x12.x837d_005010X224A2 import iter_837d

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

    from edigateway.domain.claims import Claim
    from edigateway.domain.remittances import Remittance
    from edigateway.domain.rules import CdtList
    from edigateway.reconcile.balance import Imbalance
    from edigateway.x12.envelope import Segment


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a file, located like every error of ours, with its SNIP type."""

    segment_index: int | None
    segment_id: str | None
    loop: str | None
    element: str | None
    code: str
    message: str
    snip_type: int = 1

    def to_json(self) -> dict[str, object]:
        """The CLI's ``--json`` shape."""
        return {
            "segment_index": self.segment_index,
            "segment_id": self.segment_id,
            "loop": self.loop,
            "element": self.element,
            "code": self.code,
            "message": self.message,
            "snip_type": self.snip_type,
        }


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a value sits: segment position, ID, loop and element (``TOO03-02``)."""

    segment_index: int
    segment_id: str
    loop: str | None
    element: str | None = None


def rule_finding(rule: str, spot: Spot | None, message: str) -> Finding:
    """A finding of one of our rules, typed by the rule set."""
    if spot is None:
        return Finding(None, None, None, None, rule, message, int(snip_type_of(rule)))
    return Finding(
        spot.segment_index,
        spot.segment_id,
        spot.loop,
        spot.element,
        rule,
        message,
        int(snip_type_of(rule)),
    )


def _spot(
    seg: Segment, loop: str | None, element: int | None = None, component: int | None = None
) -> Spot:
    name = None
    if element is not None:
        name = f"{seg.id}{element:02d}" + (f"-{component:02d}" if component else "")
    return Spot(seg.position, seg.id, loop, name)


# --------------------------------------------------------------------------- code lists


def load_adjustment_codes(mappings_dir: Path) -> AdjustmentCodes:
    """CARC and RARC with their dates from ``mappings/codes/carc.csv`` and ``rarc.csv``."""
    folder = mappings_dir / "codes"
    return AdjustmentCodes(
        carc=_dated_codes(folder / "carc.csv"), rarc=_dated_codes(folder / "rarc.csv")
    )


def _dated_codes(path: Path) -> dict[str, DatedCode]:
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the code list ({exc})") from exc
    codes: dict[str, DatedCode] = {}
    for number, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        try:
            start, stop = (
                date.fromisoformat(v) if v else None
                for v in (
                    (row.get("start_date") or "").strip(),
                    (row.get("stop_date") or "").strip(),
                )
            )
        except ValueError as exc:
            raise ConfigurationError(f"{path}: line {number}: {exc}") from exc
        if code:
            codes[code] = DatedCode(code, start, stop)
    return codes


# --------------------------------------------------------------------------- segment rules

_CAS_REASONS = (2, 5, 8, 11, 14, 17)
_MOA_REMARKS = (3, 4, 5, 6, 7)
_MIA_REMARKS = (5, 20, 21, 22, 23)
_D8 = re.compile(r"^\d{8}$")
_RD8 = re.compile(r"^(\d{8})-(\d{8})$")


def segment_rules(
    seg: Segment, codes: AdjustmentCodes, cdt: CdtList | None, on: date | None
) -> Iterator[Finding]:
    """Code sets (type 5) and our situational rules (type 4) checked on one segment;
    ``on`` is the file's own date so far (:func:`document_date`)."""
    checker = _SEGMENT_RULES.get(seg.id)
    if checker is not None:
        yield from checker(seg, codes, cdt, on)


def document_date(seg: Segment) -> date | None:
    """The file's own date for code-list effective dates: BHT04 (837) or BPR16 (835);
    ``None`` for any other segment or a date that does not read."""
    if seg.id not in ("BHT", "BPR"):
        return None
    value = seg.element(4 if seg.id == "BHT" else 16)
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


def _nm1(
    seg: Segment, _codes: AdjustmentCodes, _cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    if seg.element(8) == "XX" and seg.element(9):
        problem = npi_problem(seg.element(9))
        if problem:
            yield rule_finding("E001", _spot(seg, None, 9), problem)
    extra = [i for i in (4, 5, 7) if seg.element(i)]
    if seg.element(2) == "2" and extra:
        yield rule_finding(
            "V111",
            _spot(seg, None, extra[0]),
            (
                f"NM1*{seg.element(1)} names an organization (NM102 = 2) but carries a "
                "person's "
                + ", ".join(f"NM1{i:02d}" for i in extra)
                + " (first or middle name, suffix): use NM102 = 1 for a person or drop them"
            ),
        )


def _n1(
    seg: Segment, _codes: AdjustmentCodes, _cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    if seg.element(3) == "XX" and seg.element(4):
        problem = npi_problem(seg.element(4))
        if problem:
            yield rule_finding("E001", _spot(seg, None, 4), problem)


def _n4(
    seg: Segment, _codes: AdjustmentCodes, _cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    country = seg.element(4)
    if seg.element(2):
        problem = state_problem(seg.element(2), country)
        if problem:
            yield rule_finding("E092", _spot(seg, None, 2), problem)
    if seg.element(3):
        problem = zip_problem(seg.element(3), country)
        if problem:
            yield rule_finding("V105", _spot(seg, None, 3), problem)


def _prv(
    seg: Segment, _codes: AdjustmentCodes, _cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    if seg.element(2) == "PXC" and seg.element(3):
        problem = taxonomy_problem(seg.element(3))
        if problem:
            yield rule_finding("V104", _spot(seg, None, 3), problem)


def _too(
    seg: Segment, _codes: AdjustmentCodes, _cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    if seg.element(1) != "JP":
        yield rule_finding(
            "V101",
            _spot(seg, None, 1),
            (
                f"TOO01 is {seg.element(1)!r}: teeth are designated by the ADA's universal/"
                "national system, JP"
            ),
        )
    tooth = seg.element(2)
    if tooth:
        problem = tooth_problem(tooth)
        if problem:
            yield rule_finding("E020", _spot(seg, None, 2), problem)
    surfaces = seg.components(3)
    for rule, message in surface_problems(tooth, surfaces):
        yield rule_finding(rule, _spot(seg, None, 3), message)


def _dn2(
    seg: Segment, _codes: AdjustmentCodes, _cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    if seg.element(1) and {seg.element(5), seg.element(6)} <= {"", "JP"}:
        problem = tooth_problem(seg.element(1))
        if problem:
            yield rule_finding("E020", _spot(seg, None, 1), problem)


def _procedure(seg: Segment, element: int, cdt: CdtList | None) -> Iterator[Finding]:
    procedure = seg.components(element)
    if len(procedure) < 2 or procedure[0] != "AD":
        return
    code = procedure[1]
    problem = cdt_format_problem(code)
    if problem:
        yield rule_finding("E012", _spot(seg, None, element, 2), problem)
    elif cdt is not None and code not in cdt.codes:
        listed = cdt.problem(code, None)
        if listed:
            yield rule_finding(listed[0], _spot(seg, None, element, 2), listed[1])


def _sv3(
    seg: Segment, _codes: AdjustmentCodes, cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    yield from _procedure(seg, 1, cdt)
    for number, area in enumerate(seg.components(4), start=1):
        problem = area_problem(area) if area else None
        if problem:
            yield rule_finding("V103", _spot(seg, None, 4, number), problem)
    if seg.element(6) == "1":
        yield rule_finding(
            "V110",
            _spot(seg, None, 6),
            (
                "SV306 = 1 must not be reported: a missing SV306 means one procedure, and X12's "
                "interpretation (RFI 1866) prohibits sending the value 1"
            ),
        )


def _svd(
    seg: Segment, _codes: AdjustmentCodes, cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    yield from _procedure(seg, 3, cdt)


def _cas(
    seg: Segment, codes: AdjustmentCodes, _cdt: CdtList | None, on: date | None
) -> Iterator[Finding]:
    for index in _CAS_REASONS:
        reason = seg.element(index)
        problem = codes.carc_problem(reason, on) if reason else None
        if problem:
            yield rule_finding("V106", _spot(seg, None, index), problem)


def _remarks(
    seg: Segment, codes: AdjustmentCodes, on: date | None, positions: tuple[int, ...]
) -> Iterator[Finding]:
    for index in positions:
        remark = seg.element(index)
        problem = codes.rarc_problem(remark, on) if remark else None
        if problem:
            yield rule_finding("V107", _spot(seg, None, index), problem)


def _lq(
    seg: Segment, codes: AdjustmentCodes, _cdt: CdtList | None, on: date | None
) -> Iterator[Finding]:
    if seg.element(1) == "HE":
        yield from _remarks(seg, codes, on, (2,))


def _moa(
    seg: Segment, codes: AdjustmentCodes, _cdt: CdtList | None, on: date | None
) -> Iterator[Finding]:
    yield from _remarks(seg, codes, on, _MOA_REMARKS)


def _mia(
    seg: Segment, codes: AdjustmentCodes, _cdt: CdtList | None, on: date | None
) -> Iterator[Finding]:
    yield from _remarks(seg, codes, on, _MIA_REMARKS)


def _dtp(
    seg: Segment, _codes: AdjustmentCodes, _cdt: CdtList | None, _on: date | None
) -> Iterator[Finding]:
    form, value = seg.element(2), seg.element(3)
    problem = None
    if form == "D8":
        if not _D8.match(value) or _bad_date(value):
            problem = f"DTP*{seg.element(1)} says D8 (one date, CCYYMMDD) but holds {value!r}"
    elif form == "RD8":
        match = _RD8.match(value)
        if match is None or _bad_date(match[1]) or _bad_date(match[2]):
            problem = (
                f"DTP*{seg.element(1)} says RD8 (a range, CCYYMMDD-CCYYMMDD) but holds {value!r}"
            )
        elif match[1] > match[2]:
            problem = f"DTP*{seg.element(1)} range {value} ends before it starts"
    if problem:
        yield rule_finding("V112", _spot(seg, None, 3), problem)


def _bad_date(value: str) -> bool:
    try:
        parse_date(value)
    except ValueError:
        return True
    return False


_SEGMENT_RULES = {
    "NM1": _nm1,
    "N1": _n1,
    "N4": _n4,
    "PRV": _prv,
    "TOO": _too,
    "DN2": _dn2,
    "SV3": _sv3,
    "SVD": _svd,
    "CAS": _cas,
    "LQ": _lq,
    "MOA": _moa,
    "MIA": _mia,
    "DTP": _dtp,
}
"""Segment ID → its rules (each yields the findings for one segment)."""


# --------------------------------------------------------------------------- 837D claims


@dataclass
class _ClaimPlaces:
    """Where one claim's values came from: field path → spot, plus its HL contexts."""

    places: dict[str, Spot]
    contexts: tuple[dict[str, Spot], ...]

    def find(self, path: str) -> Spot:
        """The spot of ``path`` or of its nearest located parent (the CLM at worst)."""
        parts = path.split(".") if path else []
        while True:
            key = ".".join(parts)
            for table in (self.places, *self.contexts):
                if key in table:
                    return table[key]
            if not parts:
                return self.places[""]
            parts.pop()


@dataclass
class ClaimLocator:
    """A position map of an 837D: each claim's field paths → segment and element.

    Built from the segments in one pass that follows the 837D's loops the way the reader
    does; claim ``i`` is the ``i``-th CLM of the file (the order the reader returns them).
    """

    claims: dict[int, _ClaimPlaces] = field(default_factory=dict)
    clm_positions: dict[int, int] = field(default_factory=dict)

    @classmethod
    def build(cls, segments: Iterable[Segment]) -> ClaimLocator:
        """Walk the segments once."""
        walk = _Walk()
        for seg in segments:
            walk.feed(seg)
        return cls(walk.claims, walk.clm_positions)

    def locate(self, claim_index: int, path: str) -> Spot | None:
        """Where claim ``claim_index``'s field ``path`` sits (``None``: no such claim)."""
        places = self.claims.get(claim_index)
        return places.find(path) if places is not None else None

    def forget(self, claim_index: int) -> _ClaimPlaces | None:
        """Drop claim ``claim_index`` (checked: its places are no longer needed) and return
        its places."""
        places = self.claims.pop(claim_index, None)
        if places is not None:
            self.clm_positions.pop(places.places[""].segment_index, None)
        return places


class _Walk(SegmentReader[None]):
    """The pass behind :class:`ClaimLocator`: the segments, in the loops the 837D's spec
    puts them in (the tracker the 837D reader follows, so a value is located in the loop
    the reader read it from), each method noting where the claim fields it carries sit."""

    key = "837D"
    expect = Expect.of("837D", verify=False, sniffed=True)

    def __init__(self, file: str | None = None) -> None:
        super().__init__(file)
        self.list_skipped = False
        self.provider: dict[str, Spot] = {}
        self.subscriber: dict[str, Spot] = {}
        self.patient: dict[str, Spot] = {}
        self.claim: dict[str, Spot] | None = None
        self.claims: dict[int, _ClaimPlaces] = {}
        self.count = 0
        self.clm_positions: dict[int, int] = {}
        self.address: tuple[dict[str, Spot], str] | None = None
        self.line = self.tooth = self.payer_index = self.adjudication = -1
        self.attachments = self.missing = 0
        self.diagnoses: set[int] = set()

    def put(
        self,
        table: dict[str, Spot],
        path: str,
        seg: Segment,
        element: int | None = None,
        component: int | None = None,
    ) -> None:
        table[path] = _spot(seg, self.loop, element, component)

    def seed(
        self,
        table: dict[str, Spot],
        path: str,
        seg: Segment,
        element: int | None = None,
        component: int | None = None,
    ) -> None:
        """Where a value that may be missing belongs, until the segment carrying it is seen."""
        table.setdefault(path, _spot(seg, self.loop, element, component))

    def other(self, seg: Segment) -> None:
        """A segment that carries no claim field the edits name: nothing to note."""

    # -- levels
    def _seg_HL(self, seg: Segment) -> None:
        self.claim, self.address = None, None
        level = seg.element(3)
        if level == "20":
            self.provider = {}
        elif level == "22":
            self.subscriber, self.patient = {}, {}
        elif level == "23":
            self.patient = {}

    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind == "SE":
            self.claim, self.address = None, None

    def _seg_SBR(self, seg: Segment) -> None:
        if self.claim is None:
            for path, element in (
                ("payer_responsibility", 1),
                ("subscriber.group_number", 3),
                ("subscriber.group_name", 4),
                ("filing_indicator", 9),
            ):
                self.put(self.subscriber, path, seg, element)
            return
        self.payer_index += 1
        prefix = f"other_payers.{self.payer_index}"
        self.put(self.claim, prefix, seg)
        self.claim.setdefault("other_payers", self.claim[prefix])
        for name, element in (
            ("responsibility", 1),
            ("relationship", 2),
            ("group_number", 3),
            ("group_name", 4),
            ("filing_indicator", 9),
        ):
            self.put(self.claim, f"{prefix}.{name}", seg, element)
        self.seed(self.claim, f"{prefix}.paid_amount", seg)
        self.seed(self.claim, f"{prefix}.adjudication_date", seg)

    def _seg_PRV(self, seg: Segment) -> None:
        if self.loop == "2000A":
            self.put(self.provider, "billing_provider.taxonomy", seg, 3)
        elif self.claim is not None and self.loop == "2310B":
            self.put(self.claim, "rendering_provider.taxonomy", seg, 3)
        elif self.claim is not None and self.loop == "2420A":
            self.put(self.claim, f"lines.{self.line}.rendering_provider.taxonomy", seg, 3)

    def _seg_NM1(self, seg: Segment) -> None:
        entity = seg.element(1)
        table: dict[str, Spot] | None = None
        prefix = ""
        claim = self.claim
        if entity == "85":
            table, prefix = self.provider, "billing_provider"
            self.put(table, f"{prefix}.organization_name", seg, 3)
            self.put(table, f"{prefix}.person", seg, 3)
        elif entity == "87":
            table, prefix = self.provider, "billing_provider.pay_to_address"
        elif entity == "IL" and claim is None:
            table, prefix = self.subscriber, "subscriber"
            self.put(table, "subscriber.member_id", seg, 9)
        elif entity == "PR" and claim is None:
            table, prefix = self.subscriber, "payer"
            self.put(table, "payer.payer_id", seg, 9)
        elif entity == "QC":
            table, prefix = self.patient, "patient"
        elif claim is not None and entity == "82":
            in_line = self.line >= 0
            table = claim
            prefix = f"lines.{self.line}.rendering_provider" if in_line else "rendering_provider"
        elif claim is not None and entity == "77":
            table, prefix = claim, "service_facility"
        elif claim is not None and entity == "IL" and self.payer_index >= 0:
            self.put(claim, f"other_payers.{self.payer_index}.subscriber_name", seg, 3)
            self.put(claim, f"other_payers.{self.payer_index}.subscriber_member_id", seg, 9)
        elif claim is not None and entity == "PR" and self.payer_index >= 0:
            table, prefix = claim, f"other_payers.{self.payer_index}.payer"
            self.put(table, f"{prefix}.payer_id", seg, 9)
        self.address = None
        if table is None:
            return
        self.put(table, prefix, seg)
        if entity != "87":
            self.put(table, f"{prefix}.name", seg, 3)
            self.put(table, f"{prefix}.npi", seg, 9)
        address = prefix if entity == "87" else f"{prefix}.address"
        self.address = (table, address)

    def _seg_N3(self, seg: Segment) -> None:
        if self.address is not None:
            table, prefix = self.address
            self.put(table, prefix, seg)
            self.put(table, f"{prefix}.line1", seg, 1)
            self.put(table, f"{prefix}.line2", seg, 2)

    def _seg_N4(self, seg: Segment) -> None:
        if self.address is not None:
            table, prefix = self.address
            self.seed(table, prefix, seg)
            for name, element in (("city", 1), ("state", 2), ("postal_code", 3)):
                self.put(table, f"{prefix}.{name}", seg, element)

    def _seg_REF(self, seg: Segment) -> None:
        qualifier = seg.element(1)
        if self.loop == "2010AA" and qualifier in ("EI", "SY"):
            self.put(self.provider, "billing_provider.tax_id", seg, 2)
        elif self.claim is not None and self.loop == "2300" and qualifier in _CLAIM_REFS:
            self.put(self.claim, _CLAIM_REFS[qualifier], seg, 2)
        elif self.claim is not None and self.loop == "2400" and qualifier in _LINE_REFS:
            self.put(self.claim, f"lines.{self.line}.{_LINE_REFS[qualifier]}", seg, 2)

    def _seg_PER(self, seg: Segment) -> None:
        if self.loop == "2010AA":
            self.put(self.provider, "billing_provider.contact", seg)

    def _seg_DMG(self, seg: Segment) -> None:
        table, prefix = {
            "2010BA": (self.subscriber, "subscriber"),
            "2010CA": (self.patient, "patient"),
        }.get(self.loop, ({}, ""))
        if prefix:
            self.put(table, f"{prefix}.date_of_birth", seg, 2)
            self.put(table, f"{prefix}.gender", seg, 3)

    def _seg_PAT(self, seg: Segment) -> None:
        self.put(self.patient, "patient.relationship", seg, 1)

    def _seg_CLM(self, seg: Segment) -> None:
        self.address = None
        self.line = self.tooth = self.payer_index = self.adjudication = -1
        self.attachments = self.missing = 0
        self.diagnoses = set()
        claim: dict[str, Spot] = {}
        self.claim = claim
        self.clm_positions[seg.position] = self.count
        self.claims[self.count] = _ClaimPlaces(
            claim, (self.patient, self.subscriber, self.provider)
        )
        self.count += 1
        self.put(claim, "", seg)
        for path, element, component in (
            ("patient_control_number", 1, None),
            ("total_charge", 2, None),
            ("place_of_service", 5, 1),
            ("frequency", 5, 3),
            ("payer_claim_control_number", 5, 3),
            ("provider_signature_on_file", 6, None),
            ("assignment_participation", 7, None),
            ("benefits_assignment", 8, None),
            ("release_of_information", 9, None),
            ("accident", 11, None),
            ("kind", 19, None),
            ("delay_reason", 20, None),
        ):
            self.put(claim, path, seg, element, component)

    def _seg_DTP(self, seg: Segment) -> None:
        claim, qualifier = self.claim, seg.element(1)
        if claim is None:
            return
        path = None
        if self.loop == "2300":
            path = {
                "472": "service_date",
                "439": "accident.accident_date",
                "452": "orthodontics.appliance_placement_date",
            }.get(qualifier)
        elif self.loop == "2330B" and qualifier == "573":
            path = f"other_payers.{self.payer_index}.adjudication_date"
        elif self.loop == "2400":
            path = {
                "472": f"lines.{self.line}.service_date",
                "441": f"lines.{self.line}.prior_placement_date",
            }.get(qualifier)
        elif self.loop == "2430" and qualifier == "573":
            path = f"lines.{self.line}.adjudications.{self.adjudication}.adjudication_date"
        if path is not None:
            self.put(claim, path, seg, 3)

    def _seg_DN1(self, seg: Segment) -> None:
        if self.claim is not None:
            self.put(self.claim, "orthodontics", seg)
            for name, element in (
                ("total_months", 1),
                ("months_remaining", 2),
                ("treatment_indicator", 3),
            ):
                self.put(self.claim, f"orthodontics.{name}", seg, element)

    def _seg_DN2(self, seg: Segment) -> None:
        if self.claim is not None:
            prefix = f"missing_teeth.{self.missing}"
            self.missing += 1
            self.put(self.claim, prefix, seg)
            self.put(self.claim, f"{prefix}.tooth", seg, 1)
            self.put(self.claim, f"{prefix}.status", seg, 2)

    def _seg_PWK(self, seg: Segment) -> None:
        if self.claim is not None and self.line < 0:
            prefix = f"attachments.{self.attachments}"
            self.attachments += 1
            self.put(self.claim, prefix, seg)
            for name, element in (("report_type", 1), ("transmission", 2), ("control_number", 6)):
                self.put(self.claim, f"{prefix}.{name}", seg, element)

    def _seg_AMT(self, seg: Segment) -> None:
        qualifier = seg.element(1)
        if self.claim is None:
            return
        if self.loop == "2300" and qualifier == "F5":
            self.put(self.claim, "patient_amount_paid", seg, 2)
        elif self.loop == "2320" and qualifier in ("D", "EAF"):
            name = "paid_amount" if qualifier == "D" else "remaining_patient_liability"
            self.put(self.claim, f"other_payers.{self.payer_index}.{name}", seg, 2)

    def _seg_NTE(self, seg: Segment) -> None:
        if self.claim is not None and self.loop == "2300":
            self.put(self.claim, "note", seg, 2)

    def _seg_HI(self, seg: Segment) -> None:
        if self.claim is not None and self.loop == "2300":
            self.seed(self.claim, "diagnoses", seg)
            offset = len(self.diagnoses)
            for number in range(1, 13):
                if seg.element(number):
                    self.diagnoses.add(offset + number - 1)
                    prefix = f"diagnoses.{offset + number - 1}"
                    self.put(self.claim, prefix, seg, number)
                    self.put(self.claim, f"{prefix}.code", seg, number, 2)

    def _seg_CAS(self, seg: Segment) -> None:
        if self.claim is None:
            return
        if self.loop == "2320":
            self.seed(self.claim, f"other_payers.{self.payer_index}.claim_adjustments", seg)
        elif self.loop == "2430":
            self.seed(
                self.claim, f"lines.{self.line}.adjudications.{self.adjudication}.adjustments", seg
            )

    def _seg_OI(self, seg: Segment) -> None:
        if self.claim is not None and self.payer_index >= 0:
            prefix = f"other_payers.{self.payer_index}"
            self.put(self.claim, f"{prefix}.benefits_assignment", seg, 3)
            self.put(self.claim, f"{prefix}.release_of_information", seg, 6)

    def _seg_LX(self, seg: Segment) -> None:
        if self.claim is None:
            return
        self.address = None
        self.line += 1
        self.tooth = self.adjudication = -1
        self.seed(self.claim, "lines", seg)
        self.put(self.claim, f"lines.{self.line}", seg)

    def _seg_SV3(self, seg: Segment) -> None:
        if self.claim is None:
            return
        prefix = f"lines.{self.line}"
        self.put(self.claim, prefix, seg)
        for name, element, component in (
            ("procedure_code", 1, 2),
            ("modifiers", 1, 3),
            ("description", 1, 7),
            ("charge", 2, None),
            ("place_of_service", 3, None),
            ("oral_cavity_areas", 4, None),
            ("prosthesis", 5, None),
            ("prior_placement_date", 5, None),
            ("quantity", 6, None),
            ("diagnosis_pointers", 11, None),
            ("teeth", None, None),
        ):
            self.put(self.claim, f"{prefix}.{name}", seg, element, component)
        for number in range(1, len(seg.components(4)) + 1):
            self.put(self.claim, f"{prefix}.oral_cavity_areas.{number - 1}", seg, 4, number)

    def _seg_TOO(self, seg: Segment) -> None:
        if self.claim is None or self.line < 0:
            return
        self.tooth += 1
        prefix = f"lines.{self.line}.teeth.{self.tooth}"
        if self.tooth == 0:
            self.put(self.claim, f"lines.{self.line}.teeth", seg)
        self.put(self.claim, prefix, seg)
        self.put(self.claim, f"{prefix}.tooth", seg, 2)
        self.put(self.claim, f"{prefix}.surfaces", seg, 3)
        for number in range(1, len(seg.components(3)) + 1):
            self.put(self.claim, f"{prefix}.surfaces.{number - 1}", seg, 3, number)

    def _seg_SVD(self, seg: Segment) -> None:
        if self.claim is None or self.line < 0:
            return
        self.adjudication += 1
        prefix = f"lines.{self.line}.adjudications.{self.adjudication}"
        self.put(self.claim, prefix, seg)
        for name, element, component in (
            ("payer_id", 1, None),
            ("paid", 2, None),
            ("procedure_code", 3, 2),
            ("quantity", 5, None),
        ):
            self.put(self.claim, f"{prefix}.{name}", seg, element, component)


_CLAIM_REFS = {
    "G3": "predetermination_number",
    "F8": "payer_claim_control_number",
    "9F": "referral_number",
    "G1": "prior_authorization",
    "D9": "clearinghouse_trace_number",
}
_LINE_REFS = {
    "G3": "predetermination_number",
    "G1": "prior_authorization",
    "6R": "line_control_number",
}


# --------------------------------------------------------------------------- bounded lists

MAX_KEYS = 100_000
"""Most positions and finding keys one list remembers (for saying a fact once and for
V130): past it, findings are still counted but may be said twice."""
MAX_CLAIM_SEGMENTS = 20_000
"""Most segments in one claim (CLM or CLP loop) our claim rules read. The guides bound
every loop's repeats far below this (50 service lines in an 837D, 999 in an 835), so pyx12
reports any longer claim; past it, the clean-claim edits or the balancing stop (said in a
note) rather than hold a claim of unbounded size."""


class FindingList:
    """One kind of finding for one file, in bounded memory.

    Findings of SNIP type ≤ ``level`` are kept in order up to ``cap``; the rest are only
    counted (``more``). ``seen`` counts every finding, of any type; ``positions`` holds the
    segment positions of every finding but V130 (up to :data:`MAX_KEYS`), for the rule
    that drops a refused claim's V130 where another finding names its segment.
    """

    def __init__(self, level: int, cap: int) -> None:
        self.level = level
        self.cap = cap
        self.kept: list[Finding] = []
        self.more = 0
        self.seen = 0
        self.positions: set[int] = set()

    def add(self, finding: Finding) -> None:
        """Count ``finding`` and keep it when its type is in level and the list has room."""
        self.seen += 1
        index = finding.segment_index
        if index is not None and finding.code != "V130" and len(self.positions) < MAX_KEYS:
            self.positions.add(index)
        if finding.snip_type > self.level:
            return
        if len(self.kept) < self.cap:
            self.kept.append(finding)
        else:
            self.more += 1

    @property
    def count(self) -> int:
        """Findings of SNIP type ≤ level, kept or not."""
        return len(self.kept) + self.more

    def clear(self) -> None:
        """Forget everything (findings superseded by a refusal)."""
        self.kept, self.more, self.seen = [], 0, 0
        self.positions.clear()


class _Said:
    """One finding per rule and place: keys of findings already said, bounded."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, int | None, str | None]] = set()

    def first(self, finding: Finding, *others: _Said) -> bool:
        """Whether ``finding`` is new here and in ``others`` (and remember it)."""
        key = (finding.code, finding.segment_index, finding.element)
        if key in self.keys or any(key in other.keys for other in others):
            return False
        if len(self.keys) < MAX_KEYS:
            self.keys.add(key)
        return True


# --------------------------------------------------------------------------- the rule run


class OurRules:
    """Our rules over one file's segments, read once and in bounded memory.

    ``segments`` gets the segment rules' findings (code sets, situational rules); ``claims``
    the clean-claim edits of an 837D's claims (each claim checked and dropped as soon as it
    is read, with the position map of that claim alone) or the balancing of an 835's
    claims and payments (:mod:`edigateway.reconcile.balance` on the reader's events);
    ``duplicates`` an 837D's reused patient control numbers (after the edits, as the
    batch edits report them). A fact two rules find at the same place is said once; a
    reader refusal replaces the claim findings, as the edits cannot run (``notes``).

    Example::

        rules = OurRules("f.837", transaction="837D", codes=codes, cdt=None, today=today,
                         level=5, cap=1000)
        rules.run(read_segments(path), complete=True)
        rules.segments.kept, rules.claims.kept, rules.notes
    """

    def __init__(
        self,
        name: str,
        *,
        transaction: str | None,
        codes: AdjustmentCodes,
        cdt: CdtList | None,
        today: date,
        level: int,
        cap: int,
    ) -> None:
        self.name = name
        self.transaction = transaction
        self.codes = codes
        self.cdt = cdt
        self.today = today
        self.segments = FindingList(level, cap)
        self.claims = FindingList(level, cap)
        self.duplicates = FindingList(level, cap)
        self.notes: list[str] = []
        self._said = _Said()
        self._said_claims = _Said()
        self._on: date | None = None
        self._claim_size = 0
        self._whole = True
        self._ended = False
        self._st: int | None = None
        self._bpr: int | None = None

    def run(self, segments: Iterable[Segment], *, complete: bool) -> None:
        """Check ``segments``; ``complete`` is false when they stop short of the file's end
        (a limit was reached), so the claim or payment in progress is left unchecked."""
        self._whole = complete
        tapped = self._tap(segments)
        if self.transaction == "837D":
            self._check_claims(self._claim_segments(tapped, "the clean-claim edits"))
        elif self.transaction == "835":
            self._balance(self._claim_segments(tapped, "the balancing"))
        for _ in tapped:  # the rest, for the segment rules
            pass

    def _tap(self, segments: Iterable[Segment]) -> Iterator[Segment]:
        """The segments, with the segment rules applied to each on the way."""
        for seg in segments:
            sid = seg.id
            self._on = document_date(seg) or self._on
            for finding in segment_rules(seg, self.codes, self.cdt, self._on):
                if self._said.first(finding):
                    self.segments.add(finding)
            if sid in ("CLM", "CLP", "HL", "ST"):
                self._claim_size = 0
            self._claim_size += 1
            if sid == "ST":
                self._st, self._bpr = seg.position, None
            elif sid == "BPR" and self._bpr is None:
                self._bpr = seg.position
            yield seg

    def _claim_segments(self, segments: Iterator[Segment], what: str) -> Iterator[Segment]:
        """The segments for the claim rules, up to a claim longer than
        :data:`MAX_CLAIM_SEGMENTS` (noted; the rules stop there)."""
        for seg in segments:
            if self._claim_size > MAX_CLAIM_SEGMENTS:
                self.notes.append(
                    f"{what} stopped at segment {seg.position}: the claim there has more "
                    f"than {MAX_CLAIM_SEGMENTS:,} segments (no implementation guide allows "
                    "that many)"
                )
                self._whole = False
                break
            yield seg
        self._ended = True

    def _add_claim_finding(self, finding: Finding, target: FindingList) -> None:
        if self._said_claims.first(finding, self._said):
            target.add(finding)

    # -- 837D: the clean-claim edits, claim by claim
    def _check_claims(self, segments: Iterator[Segment]) -> None:
        walk = _Walk(self.name)
        locator = ClaimLocator(walk.claims, walk.clm_positions)
        numbers: set[str] = set()

        def walked() -> Iterator[Segment]:
            for seg in segments:
                walk.feed(seg)
                yield seg

        try:
            for index, claim in enumerate(iter_837d(walked(), name=self.name)):
                self._check_claim(claim, locator.forget(index), numbers)
        except X12Error as exc:
            if self._ended and not self._whole:
                return  # cut short by a limit: the claim in progress is not edited
            self.claims.clear()
            self.duplicates.clear()
            self._said_claims = _Said()
            for finding in _refusal(exc, locator):
                self._add_claim_finding(finding, self.claims)
            self.notes.append(
                f"the clean-claim edits did not run, because the claims could not be read: {exc}"
            )

    def _check_claim(self, claim: Claim, places: _ClaimPlaces | None, numbers: set[str]) -> None:
        """Edit one claim the reader finished, located with its own position map."""
        for failure in check_claim(claim, today=self.today, cdt=self.cdt):
            spot = places.find(failure.path) if places is not None else None
            self._add_claim_finding(
                rule_finding(failure.edit_id, spot, f"claim {failure.claim}: {failure.message}"),
                self.claims,
            )
        if claim.patient_control_number in numbers:
            # the batch edit's own failure: a claim paired with itself is a duplicate
            failure = duplicate_control_numbers([claim, claim])[0]
            spot = places.find("patient_control_number") if places is not None else None
            self._add_claim_finding(
                rule_finding(failure.edit_id, spot, f"claim {failure.claim}: {failure.message}"),
                self.duplicates,
            )
        elif len(numbers) < MAX_KEYS:
            numbers.add(claim.patient_control_number)

    # -- 835: the posting engine's balancing, claim by claim
    def _balance(self, segments: Iterator[Segment]) -> None:
        remittance: Remittance | None = None
        paid = Decimal("0.00")
        try:
            for event in iter_835(segments, name=self.name):
                if isinstance(event, RemittanceStart):
                    remittance, paid = event.remittance, Decimal("0.00")
                elif isinstance(event, ClaimPayment):
                    paid += event.paid
                    for imbalance in balance.check_claim(event):
                        self._add_claim_finding(_imbalance(imbalance, None), self.claims)
                elif remittance is not None:
                    for imbalance in balance.check_payment(
                        remittance, paid, event.provider_adjustments
                    ):
                        self._add_claim_finding(_imbalance(imbalance, self._bpr), self.claims)
                    remittance = None
        except EdigatewayError as exc:
            if self._ended and not self._whole:
                return  # cut short by a limit: the payment in progress is not balanced
            self.claims.clear()
            self._said_claims = _Said()
            self._add_claim_finding(
                rule_finding(
                    "V129",
                    None,
                    f"the 835 could not be read, so its amounts were not balanced: {exc}",
                ),
                self.claims,
            )


_LEVELS = {
    "service": ("V120", "SVC", 3, "2110"),
    "claim": ("V121", "CLP", 4, "2100"),
    "payment": ("V122", "BPR", 2, "HEADER"),
}


def _imbalance(imbalance: Imbalance, bpr: int | None) -> Finding:
    """An imbalance located at the segment whose amount does not add up (SVC03, CLP04,
    BPR02): the reader's positions are those of the SVC, CLP and BPR the amounts came
    from, and a payment is blamed on its transaction's first BPR (``bpr``)."""
    rule, seg_id, element, loop = _LEVELS[imbalance.level]
    position = imbalance.source_position
    if imbalance.level == "payment" and position is not None and bpr is not None:
        position = bpr
    spot = Spot(position, seg_id, loop, f"{seg_id}{element:02d}") if position is not None else None
    return rule_finding(rule, spot, imbalance.message)


def _refusal(exc: X12Error, locator: ClaimLocator) -> list[Finding]:
    """A reader refusal as findings: each claim field the model refused, located, or the
    reader's own located message."""
    cause = exc.__cause__
    index = locator.clm_positions.get(exc.location.segment_index or -1)
    if isinstance(cause, ValidationError) and index is not None:
        found = []
        for error in cause.errors():
            path = ".".join(str(part) for part in error["loc"])
            found.append(
                rule_finding(
                    "V130",
                    locator.locate(index, path),
                    (
                        f"{path}: {error['msg']} (the claim cannot be read, so the clean-claim "
                        "edits did not run on this file)"
                    ),
                )
            )
        return found
    loc = exc.location
    return [
        Finding(
            loc.segment_index,
            loc.segment_id,
            loc.loop,
            loc.element,
            "V130",
            f"{exc.message} (the claims cannot be read, so the clean-claim edits "
            "did not run on this file)",
            int(snip_type_of("V130")),
        )
    ]
