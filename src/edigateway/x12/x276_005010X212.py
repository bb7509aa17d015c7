"""276 Health Care Claim Status Request (005010X212): status inquiries to X12 and back.

:func:`write_276` writes one interchange with one ST/SE. The guide's hierarchy is fixed::

    HL*1**20*1~   2000A payer               NM1*PR … PI*payer ID
    HL*2*1*21*1~  2000B information receiver NM1*41 … 46*our ETIN
    HL*3*2*19*1~  2000C service provider     NM1*1P … XX*NPI
    HL*4*3*22*0~  2000D subscriber           DMG, NM1*IL … MI*member ID, then per claim
                                             (2200D, when the patient is the subscriber):
    TRN*1*CS-1001~REF*EJ*PC1001~AMT*T3*150~DTP*472*D8*20261102~
    HL*5*4*23~    2000E patient              DMG (required), NM1*QC, 2200E as above

Consecutive inquiries for the same payer, receiver, provider and subscriber share their
levels (:func:`hierarchy`), so a batch of a practice's open claims stays compact and
writing is deterministic: ``write_276(read_276(write_276(x)).inquiries) == write_276(x)``.
TRN02 is the inquiry's trace number; the 277 echoes it in its own 2200D/2200E TRN.

:func:`read_276` reads it back; :class:`HierarchyReader` (shared with the 277 reader) checks
the HL tree by HL02 parent IDs, so levels may come in any order the guide allows, and every
problem is an :class:`~edigateway.errors.X12StructureError` naming file, segment position,
loop and element.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

from edigateway.domain.claim_status import (
    InformationReceiver,
    ServiceProvider,
    StatusInquiry,
    StatusLine,
    StatusPatient,
    StatusPayer,
    StatusSubscriber,
)
from edigateway.errors import InputError, X12Location, X12StructureError
from edigateway.x12 import spec
from edigateway.x12.envelope import (
    Expect,
    InterchangeParams,
    Segment,
    SegmentWriter,
    head_of,
    write_interchange,
)
from edigateway.x12.formats import x12_amount, x12_date
from edigateway.x12.reader import SegmentReader, person_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date
    from decimal import Decimal

    from pydantic import BaseModel

    from edigateway.domain.common import PersonName
    from edigateway.x12.envelope import Source

KEY: Final = "276"
GUIDE: Final = "005010X212"
OUTSIDE: Final = {"BHT": "BHT"}
"""BHT stands outside the guide's loops; errors there name the segment."""
T = TypeVar("T")

# --------------------------------------------------------------------------- shared


@dataclass(slots=True)
class Level(Generic[T]):
    """One HL level while writing: its party, the claims directly under it, its children."""

    party: object
    claims: list[T] = field(default_factory=list)
    children: list[Level[T]] = field(default_factory=list)


def hierarchy(items: Iterable[T], parties: Callable[[T], tuple[object, ...]]) -> list[Level[T]]:
    """Nest ``items`` by their parties (payer, receiver, provider, subscriber[, patient]).

    Consecutive items with equal parties share a level; an item lands on its last party.
    A subscriber's own claim after one of its dependents' starts a new subscriber level,
    because the 2200D claims must come before the 2000E children: the file keeps the
    items' order, so reading gives them back in the order they were written.
    """
    roots: list[Level[T]] = []
    for item in items:
        path = parties(item)
        siblings = roots
        node: Level[T] | None = None
        for depth, party in enumerate(path):
            last = siblings[-1] if siblings else None
            final = depth == len(path) - 1
            if last is None or last.party != party or (final and last.children):
                last = Level(party)
                siblings.append(last)
            node, siblings = last, last.children
        if node is not None:
            node.claims.append(item)
    return roots


def first_claim(level: Level[T]) -> T:
    """The first claim under ``level`` (named in a write error about the level's data)."""
    while not level.claims:
        level = level.children[0]
    return level.claims[0]


def write_name(
    out: SegmentWriter, entity: str, name: PersonName, qualifier: str, identifier: str | None
) -> None:
    """NM1 for a person (subscriber, patient)."""
    out.segment(
        "NM1",
        entity,
        "1",
        name.last_name,
        name.first_name,
        name.middle_name,
        "",
        name.suffix,
        qualifier if identifier else "",
        identifier,
    )


def write_parties(out: SegmentWriter, party: object) -> None:
    """The 2100A/2100B/2100C NM1 of a payer, receiver or provider level."""
    if isinstance(party, StatusPayer):
        out.segment(
            "NM1", "PR", "2", party.name, "", "", "", "", party.id_qualifier, party.payer_id
        )
    elif isinstance(party, InformationReceiver):
        out.segment(
            "NM1",
            "41",
            party.entity_type,
            party.name,
            party.first_name if party.entity_type == "1" else "",
            "",
            "",
            "",
            "46",
            party.etin,
        )
    elif isinstance(party, ServiceProvider):
        person = party.person
        if party.organization_name or person is None:
            out.segment(
                "NM1",
                "1P",
                "2",
                party.organization_name,
                "",
                "",
                "",
                "",
                party.id_qualifier,
                party.identifier,
            )
        else:
            out.segment(
                "NM1",
                "1P",
                "1",
                person.last_name,
                person.first_name,
                person.middle_name,
                "",
                person.suffix,
                party.id_qualifier,
                party.identifier,
            )
    else:
        msg = f"no NM1 for {type(party).__name__} in loop {out.loop}"
        raise TypeError(msg)


def write_dates(out: SegmentWriter, start: date | None, end: date | None) -> None:
    """DTP*472 as D8 (one day) or RD8 (a range)."""
    if start is None:
        return
    if end is None:
        out.segment("DTP", "472", "D8", x12_date(start))
    else:
        out.segment("DTP", "472", "RD8", f"{x12_date(start)}-{x12_date(end)}")


def x12_quantity(value: Decimal) -> str:
    """A quantity (SVC07) without trailing zeros: ``Decimal("1.00")`` → ``1``."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def write_service(out: SegmentWriter, line: StatusLine, paid: Decimal | None) -> None:
    """SVC (SVC03 paid only on the 277)."""
    out.segment(
        "SVC",
        [line.procedure_qualifier, line.procedure_code, *line.modifiers],
        x12_amount(line.charge),
        x12_amount(paid) if paid is not None else "",
        line.revenue_code,
        "",
        "",
        x12_quantity(line.units) if line.units is not None else "",
    )


class HierarchyWriter(ABC, Generic[T]):
    """Writes the BHT and levels of a 276 or 277, one transaction set holding every item.

    Items sharing payer, receiver, provider and subscriber share their levels
    (:func:`hierarchy`); a subclass says how an item names its parties and itself in write
    errors, and writes a 2000D level (:meth:`subscriber`) with its 2000E children.
    """

    purpose: ClassVar[str] = "13"
    response: ClassVar[bool] = False

    def __init__(self, params: InterchangeParams) -> None:
        self.params = params
        self.count = 0

    @abstractmethod
    def parties(self, item: T) -> tuple[object, ...]:
        """Payer, receiver, provider, subscriber[, patient] of ``item``."""

    @abstractmethod
    def claim_id(self, item: T) -> str:
        """How a write error names ``item``."""

    @abstractmethod
    def subscriber(self, out: SegmentWriter, level: Level[T], parent: str) -> None:
        """A 2000D level: its HL, NM1 and claims, then its 2000E children."""

    def __call__(self, out: SegmentWriter, _control: str, items: list[T]) -> None:
        """BHT (BHT03 = the interchange control number, nine digits) and every level."""
        params = self.params
        out.segment(
            "BHT",
            "0010",
            self.purpose,
            f"{params.interchange_control_number:09d}",
            params.created.strftime("%Y%m%d"),
            params.created.strftime("%H%M"),
            "DG" if self.response else None,
        )
        for source in hierarchy(items, self.parties):
            source_id = self.level(out, source, "", "20", "1")
            for receiver in source.children:
                receiver_id = self.level(out, receiver, source_id, "21", "1")
                for provider in receiver.children:
                    provider_id = self.level(out, provider, receiver_id, "19", "1")
                    for level in provider.children:
                        self.subscriber(out, level, provider_id)

    def level(
        self, out: SegmentWriter, level: Level[T], parent: str, code: str, child: str | None
    ) -> str:
        """The next HL (its ID returned), naming its first claim in write errors, and the
        level's NM1 for a payer, receiver or provider."""
        out.claim = self.claim_id(first_claim(level))
        self.count += 1
        out.segment("HL", str(self.count), parent, code, child)
        if code in ("20", "21", "19"):
            write_parties(out, level.party)
        return str(self.count)


# --------------------------------------------------------------------------- writing


def write_276(inquiries: list[StatusInquiry], params: InterchangeParams) -> str:
    """One interchange, one ST/SE holding every inquiry (see module docstring).

    BHT03 is the interchange control number (nine digits); a 277 answering the whole
    request at the receiver level echoes it in its 2200B TRN02.
    """
    if not inquiries:
        raise InputError("a 276 needs at least one inquiry; nothing was written")
    return write_interchange(params, KEY, [inquiries], _Writer276(params), outside=OUTSIDE)


class _Writer276(HierarchyWriter[StatusInquiry]):
    def parties(self, item: StatusInquiry) -> tuple[object, ...]:
        base = (item.payer, item.receiver, item.provider, item.subscriber)
        return (*base, item.patient) if item.patient is not None else base

    def claim_id(self, item: StatusInquiry) -> str:
        return item.patient_control_number

    def subscriber(self, out: SegmentWriter, level: Level[StatusInquiry], parent: str) -> None:
        subscriber = level.party
        assert isinstance(subscriber, StatusSubscriber)  # noqa: S101 - built by parties()
        subscriber_id = self.level(out, level, parent, "22", "1" if level.children else "0")
        if subscriber.date_of_birth is not None:
            out.segment("DMG", "D8", x12_date(subscriber.date_of_birth), subscriber.gender)
        write_name(out, "IL", subscriber.name, subscriber.id_qualifier, subscriber.member_id)
        for inquiry in level.claims:
            _write_claim(out, inquiry)
        for dependent in level.children:
            patient = dependent.party
            assert isinstance(patient, StatusPatient)  # noqa: S101 - built by parties()
            self.level(out, dependent, subscriber_id, "23", None)
            out.segment("DMG", "D8", x12_date(patient.date_of_birth), patient.gender)
            if patient.member_id:
                raise X12StructureError(
                    f"claim {out.claim}: the patient's member ID {patient.member_id!r} cannot "
                    "be sent: a 276 gives a dependent no identifier (2100E NM108/NM109 are "
                    "not used; X12 RFI 1907); a patient with their own member ID is the "
                    "subscriber",
                    X12Location(
                        segment_index=out.count + 1, segment_id="NM1", loop="2100E", element="NM109"
                    ),
                )
            write_name(out, "QC", patient.name, "", None)
            for inquiry in dependent.claims:
                _write_claim(out, inquiry)


def _write_claim(out: SegmentWriter, inquiry: StatusInquiry) -> None:
    out.claim = inquiry.patient_control_number
    out.segment("TRN", "1", inquiry.trace_number)
    for qualifier, value in (
        ("1K", inquiry.payer_claim_control_number),
        ("BLT", inquiry.bill_type),
        ("LU", inquiry.location_id),
        ("6P", inquiry.group_number),
        ("EJ", inquiry.patient_control_number),
        ("XZ", inquiry.prescription_number),
        ("D9", inquiry.clearinghouse_trace_number),
    ):
        if value:
            out.segment("REF", qualifier, value)
    out.segment("AMT", "T3", x12_amount(inquiry.total_charge))
    write_dates(out, inquiry.service_start, inquiry.service_end)
    for line in inquiry.lines:
        write_service(out, line, None)
        if line.line_control_number:
            out.segment("REF", "FJ", line.line_control_number)
        write_dates(out, line.service_start, line.service_end)


# --------------------------------------------------------------------------- reading

_Dict = dict[str, Any]
_PARTY_OF: Final = {
    "20": "payer",
    "21": "receiver",
    "19": "provider",
    "22": "subscriber",
    "23": "patient",
}
_WHERE: Final = {
    "patient_control_number": "REF*EJ",
    "total_charge": "AMT*T3",
    "service_start": "DTP*472",
    "statuses": "STC",
    "status_date": "STC02",
    "paid_amount": "SVC03",
}
"""Model fields → the segment that carries them, for "missing" messages."""


class HierarchyReader(SegmentReader[None]):
    """Reads BHT and the 2000A–2000E levels of a 276 or 277 (the 277 reader extends it).

    Parties (payer, receiver, provider, subscriber, patient) are kept per HL ID, so a claim
    gets the parties of its HL's ancestors whatever order the levels come in; a claim
    (2200D/E) is a dict until its next TRN, HL or SE closes it into a model. The levels'
    loops and parents come from the guide's spec.
    """

    key: ClassVar[str] = KEY
    expect = Expect.of(KEY)
    outside = OUTSIDE
    carriers = _WHERE
    purpose: ClassVar[str] = "13"
    claim_trace_type: ClassVar[str] = "1"

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.levels_of = spec.guide(self.key).levels()
        self.header = False
        self.level = ""
        self.levels: dict[str, tuple[str, _Dict]] = {}
        self.parties: _Dict = {}
        self.demographics: _Dict = {}
        self.claim: _Dict | None = None
        self.line: _Dict | None = None

    # -- the loop
    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind == "ST":
            self.header, self.level, self.levels = False, "", {}
        elif kind == "SE":
            self.close_level(seg)

    def check(self, seg: Segment) -> None:
        if seg.id == "BHT":
            return
        if not self.header:
            raise self.fail(seg, None, f"{seg.id} before BHT (the {self.key}'s header)")
        if seg.id != "HL" and not self.level:
            raise self.fail(seg, None, f"{seg.id} before the first HL (the payer level)")

    def other(self, seg: Segment) -> None:
        raise self.fail(
            seg, None, f"{seg.id} is not a segment of the {self.key} ({GUIDE}) in loop {self.loop}"
        )

    def _seg_BHT(self, seg: Segment) -> None:
        if self.header:
            raise self.fail(seg, None, "a second BHT in one transaction")
        if seg.element(1) != "0010":
            raise self.fail(
                seg,
                1,
                f"BHT01 {seg.element(1)!r} is not 0010 (the claim status "
                "hierarchy: payer, receiver, provider, subscriber, dependent)",
            )
        if seg.element(2) != self.purpose:
            raise self.fail(seg, 2, f"BHT02 {seg.element(2)!r} is not {self.purpose}")
        self.date(seg, 4)
        self.header = True

    def _seg_HL(self, seg: Segment) -> None:
        self.close_level(seg)
        number, parent, code = seg.element(1), seg.element(2), seg.element(3)
        if code not in self.levels_of:
            raise self.fail(
                seg, 3, f"HL03 {code!r} is not 20, 21, 19, 22 or 23 (the {self.key}'s levels)"
            )
        parent_code = self.levels_of[code][1]
        if not number or number in self.levels:
            raise self.fail(seg, 1, f"HL01 {number!r} is empty or used twice")
        if parent_code is None:
            parties: _Dict = {}
        elif parent not in self.levels or self.levels[parent][0] != parent_code:
            raise self.fail(
                seg,
                2,
                f"HL02 {parent!r} is not the ID of an HL*{parent_code} "
                f"level, which a level {code} must sit under",
            )
        else:
            parties = dict(self.levels[parent][1])
        self.level, self.parties, self.demographics = code, parties, {}
        self.levels[number] = (code, parties)

    def close_level(self, seg: Segment) -> None:
        """Close the open claim (subclasses also close level statuses)."""
        self.close_claim(seg)

    # -- parties
    def _seg_NM1(self, seg: Segment) -> None:
        who = seg.element(1)
        expected = {"20": "PR", "21": "41", "19": "1P", "22": "IL", "23": "QC"}[self.level]
        if who != expected:
            raise self.fail(seg, 1, f"NM101 {who!r} is not {expected} in loop {self.loop}")
        if self.parties.get(_PARTY_OF[self.level]) is not None:
            raise self.fail(seg, None, f"a second NM1 in loop {self.loop}")
        qualifier, identifier = seg.element(8), seg.element(9)
        party: object
        if self.level == "20":
            party = self.model(
                seg,
                StatusPayer,
                {"payer_id": identifier, "name": seg.element(3), "id_qualifier": qualifier},
            )
        elif self.level == "21":
            if qualifier != "46":
                raise self.fail(
                    seg, 8, f"NM108 {qualifier!r} is not 46 (electronic transmitter ID)"
                )
            party = self.model(
                seg,
                InformationReceiver,
                {
                    "name": seg.element(3),
                    "first_name": seg.element(4) or None,
                    "entity_type": seg.element(2),
                    "etin": identifier,
                },
            )
        elif self.level == "19":
            values: _Dict = {"id_qualifier": qualifier, "identifier": identifier}
            if seg.element(2) == "1":
                values["person"] = person_name(seg)
            else:
                values["organization_name"] = seg.element(3)
            party = self.model(seg, ServiceProvider, values)
        elif self.level == "22":
            party = self.subscriber(seg)
        else:
            party = self.patient(seg)
        self.parties[_PARTY_OF[self.level]] = party

    def subscriber(self, seg: Segment) -> object:
        """2100D: the 276's subscriber with the 2000D DMG read before it."""
        return self.model(
            seg,
            StatusSubscriber,
            {
                "name": person_name(seg),
                "member_id": seg.element(9),
                "id_qualifier": seg.element(8),
                **self.demographics,
            },
        )

    def patient(self, seg: Segment) -> object:
        """2100E: the 276's patient; the 2000E DMG must come before it."""
        if not self.demographics:
            raise self.fail(
                seg,
                None,
                "the patient has no DMG (birth date and gender) "
                "before NM1*QC; the guide requires it in 2000E",
            )
        values = {"name": person_name(seg), **self.demographics}
        if seg.element(9):
            values["member_id"] = seg.element(9)
        return self.model(seg, StatusPatient, values)

    def _seg_DMG(self, seg: Segment) -> None:
        if self.level not in ("22", "23") or self.parties.get(_PARTY_OF[self.level]):
            raise self.fail(
                seg,
                None,
                f"DMG is expected after HL*22/HL*23 and before the NM1, not in loop {self.loop}",
            )
        if seg.element(1) != "D8":
            raise self.fail(seg, 1, f"DMG01 {seg.element(1)!r} is not D8")
        self.demographics = {"date_of_birth": self.date(seg, 2), "gender": seg.element(3) or None}

    # -- claims
    def start_claim(self, seg: Segment) -> _Dict:
        """TRN at the subscriber or patient level: a new claim with its parties."""
        self.close_claim(seg)
        if self.level not in ("22", "23"):
            raise self.fail(seg, None, f"TRN in loop {self.loop} (claims sit under HL*22 or HL*23)")
        who = _PARTY_OF[self.level]
        if self.parties.get(who) is None:
            raise self.fail(seg, None, f"TRN before the {who}'s NM1")
        if seg.element(1) != self.claim_trace_type:
            raise self.fail(
                seg,
                1,
                f"TRN01 {seg.element(1)!r} is not {self.claim_trace_type} in loop {self.loop}",
            )
        if not seg.element(2):
            raise self.fail(seg, 2, "TRN02 (the trace number) is missing")
        self.claim = {"trace_number": seg.element(2), "lines": [], "_seg": seg, "_loop": self.loop}
        return self.claim

    def _seg_TRN(self, seg: Segment) -> None:
        self.start_claim(seg)

    def current(self, seg: Segment) -> _Dict:
        """The open line, else the open claim; a located error when there is none."""
        target = self.line if self.line is not None else self.claim
        if target is None:
            raise self.fail(
                seg, None, f"{seg.id} outside a claim (no TRN before it) in loop {self.loop}"
            )
        return target

    def claim_reference(self, seg: Segment, fields: dict[str, str]) -> None:
        """A claim REF (``fields``: qualifier → model field) or a line's REF*FJ."""
        q = seg.element(1)
        target = self.current(seg)
        if self.line is not None:
            if q != "FJ":
                raise self.fail(seg, 1, f"REF*{q} is not a line reference (FJ)")
            key = "line_control_number"
        elif q in fields:
            key = fields[q]
        else:
            raise self.fail(
                seg, 1, f"REF*{q} is not a claim reference of the {self.key} ({', '.join(fields)})"
            )
        if key in target:
            raise self.fail(seg, 1, f"a second REF*{q} in loop {self.loop}")
        if not seg.element(2):
            raise self.fail(seg, 2, f"REF*{q} has no REF02")
        target[key] = seg.element(2)

    def _seg_REF(self, seg: Segment) -> None:
        self.claim_reference(
            seg,
            {
                "1K": "payer_claim_control_number",
                "BLT": "bill_type",
                "LU": "location_id",
                "6P": "group_number",
                "EJ": "patient_control_number",
                "XZ": "prescription_number",
                "D9": "clearinghouse_trace_number",
            },
        )

    def _seg_AMT(self, seg: Segment) -> None:
        if self.claim is None or self.line is not None or seg.element(1) != "T3":
            raise self.fail(
                seg,
                1,
                f"AMT*{seg.element(1)} is not expected in loop "
                f"{self.loop} (AMT*T3 belongs to the claim, before its lines)",
            )
        self.claim["total_charge"] = self.money(seg, 2)

    def _seg_DTP(self, seg: Segment) -> None:
        target = self.current(seg)
        q, form, value = seg.element(1), seg.element(2), seg.element(3)
        if q != "472":
            raise self.fail(
                seg,
                1,
                f"DTP*{q} is not expected in loop {self.loop} (only DTP*472, the service date)",
            )
        if "service_start" in target:
            raise self.fail(seg, None, f"a second DTP*472 in loop {self.loop}")
        if form == "D8":
            target["service_start"] = self.date(seg, 3)
        elif form == "RD8":
            start, dash, end = value.partition("-")
            if not dash:
                raise self.fail(seg, 3, f"DTP03 {value!r} is not a CCYYMMDD-CCYYMMDD range")
            target["service_start"] = self.date(seg, 3, start)
            target["service_end"] = self.date(seg, 3, end)
        else:
            raise self.fail(seg, 2, f"DTP02 {form!r} is not D8 or RD8")

    def _seg_SVC(self, seg: Segment) -> None:
        if self.claim is None:
            raise self.fail(seg, None, "SVC outside a claim (no TRN before it)")
        self.close_line()
        procedure = seg.components(1)
        if len(procedure) < 2 or not procedure[1]:
            sep = seg.delimiters.component
            raise self.fail(
                seg,
                1,
                f"SVC01 {seg.element(1)!r} is not qualifier{sep}procedure (e.g. AD{sep}D2740)",
            )
        line: _Dict = {
            "procedure_qualifier": procedure[0],
            "procedure_code": procedure[1],
            "modifiers": [m for m in procedure[2:6] if m],
            "charge": self.money(seg, 2),
            "_seg": seg,
            "_loop": self.loop,
        }
        if seg.element(4):
            line["revenue_code"] = seg.element(4)
        units = self.quantity(seg, 7)
        if units is not None:
            line["units"] = units
        self.service_line(seg, line)
        self.line = line

    def service_line(self, seg: Segment, line: _Dict) -> None:
        """What the 276 SVC does not carry but the 277 does (SVC03); nothing here."""
        if seg.element(3):
            raise self.fail(seg, 3, "SVC03 (paid amount) is not used on a 276")

    def close_line(self) -> None:
        """Turn the open line into its model."""
        if self.line is None or self.claim is None:
            return
        line, self.line = self.line, None
        at, loop = line.pop("_seg"), line.pop("_loop")
        self.claim["lines"].append(self.model(at, self.line_model(), line, loop=loop))

    def line_model(self) -> type[BaseModel]:
        """The service line model (the 277's adds paid amount and statuses)."""
        return StatusLine

    def close_claim(self, seg: Segment) -> None:
        """Turn the open claim into its model, with the parties of its level."""
        self.close_line()
        if self.claim is None:
            return
        claim, self.claim = self.claim, None
        at, loop = claim.pop("_seg"), claim.pop("_loop")
        self.finish_claim(at, loop, claim)

    @abstractmethod
    def finish_claim(self, at: Segment, loop: str, claim: _Dict) -> None:
        """Build and keep one claim (an inquiry on the 276, an answer on the 277)."""


class _Reader276(HierarchyReader):
    """The 276 reader: claims become :class:`StatusInquiry`."""

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.inquiries: list[StatusInquiry] = []

    def finish_claim(self, at: Segment, loop: str, claim: _Dict) -> None:
        self.inquiries.append(self.model(at, StatusInquiry, {**self.parties, **claim}, loop=loop))


@dataclass(slots=True)
class Parsed276:
    """The inquiries of a 276 and its envelope."""

    params: InterchangeParams
    inquiries: list[StatusInquiry]


def read_276(source: Source, *, name: str | None = None) -> Parsed276:
    """Read a 276 from bytes, a path or segments (see module docstring); errors name
    segment, loop and element."""
    reader = _Reader276.reading(source, name)
    reader.read(source)
    return Parsed276(reader.envelope.params(head_of(source)), reader.inquiries)
