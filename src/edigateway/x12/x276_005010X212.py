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

import io
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from edigateway.domain.claim_status import (
    InformationReceiver,
    ServiceProvider,
    StatusInquiry,
    StatusLine,
    StatusPatient,
    StatusPayer,
    StatusSubscriber,
)
from edigateway.errors import (
    InputError,
    UnsupportedX12Error,
    X12Location,
    X12StructureError,
)
from edigateway.x12.envelope import (
    InterchangeParams,
    Segment,
    SegmentWriter,
    isa_segment,
    iter_segments,
    params_from_envelope,
)
from edigateway.x12.formats import (
    QUANTITY_DIGITS,
    parse_amount,
    parse_date,
    parse_decimal,
    x12_amount,
    x12_date,
)
from edigateway.x12.ta1 import EnvelopeReader

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from edigateway.domain.common import PersonName

GUIDE: Final = "005010X212"
T = TypeVar("T")

# --------------------------------------------------------------------------- shared


@dataclass(slots=True)
class Level(Generic[T]):
    """One HL level while writing: its party, the claims directly under it, its children."""

    party: object
    claims: list[T] = field(default_factory=list)
    children: list[Level[T]] = field(default_factory=list)


def hierarchy(items: Iterable[T], parties: Callable[[T], tuple[object, ...]]
              ) -> list[Level[T]]:
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


def write_name(out: SegmentWriter, entity: str, name: PersonName, qualifier: str,
               identifier: str | None) -> None:
    """NM1 for a person (subscriber, patient)."""
    out.segment("NM1", entity, "1", name.last_name, name.first_name, name.middle_name, "",
                name.suffix, qualifier if identifier else "", identifier)


def write_parties(out: SegmentWriter, level: str, party: object) -> None:
    """The 2100A/2100B/2100C NM1 of a payer, receiver or provider level."""
    if isinstance(party, StatusPayer):
        out.loop = "2100A"
        out.segment("NM1", "PR", "2", party.name, "", "", "", "", party.id_qualifier,
                    party.payer_id)
    elif isinstance(party, InformationReceiver):
        out.loop = "2100B"
        out.segment("NM1", "41", party.entity_type, party.name,
                    party.first_name if party.entity_type == "1" else "", "", "", "", "46",
                    party.etin)
    elif isinstance(party, ServiceProvider):
        out.loop = "2100C"
        person = party.person
        if party.organization_name or person is None:
            out.segment("NM1", "1P", "2", party.organization_name, "", "", "", "",
                        party.id_qualifier, party.identifier)
        else:
            out.segment("NM1", "1P", "1", person.last_name, person.first_name,
                        person.middle_name, "", person.suffix, party.id_qualifier,
                        party.identifier)
    else:
        msg = f"no NM1 for {type(party).__name__} in loop {level}"
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
    out.segment("SVC", [line.procedure_qualifier, line.procedure_code, *line.modifiers],
                x12_amount(line.charge), x12_amount(paid) if paid is not None else "",
                line.revenue_code, "", "",
                x12_quantity(line.units) if line.units is not None else "")


def hl_writer(out: SegmentWriter) -> Callable[[str, str, str | None], str]:
    """A function writing the next HL (its ID returned): ``(parent, level, child code)``."""
    count = 0

    def write(parent: str, level: str, child: str | None) -> str:
        nonlocal count
        count += 1
        out.segment("HL", str(count), parent, level, child)
        return str(count)

    return write


# --------------------------------------------------------------------------- writing


def _parties(inquiry: StatusInquiry) -> tuple[object, ...]:
    base = (inquiry.payer, inquiry.receiver, inquiry.provider, inquiry.subscriber)
    return (*base, inquiry.patient) if inquiry.patient is not None else base


def write_276(inquiries: list[StatusInquiry], params: InterchangeParams) -> str:
    """One interchange, one ST/SE holding every inquiry (see module docstring).

    BHT03 is the interchange control number (nine digits); a 277 answering the whole
    request at the receiver level echoes it in its 2200B TRN02.
    """
    if not inquiries:
        raise InputError("a 276 needs at least one inquiry; nothing was written")
    out = SegmentWriter(params.delimiters, line_breaks=params.line_breaks)
    out.raw(isa_segment(params))
    out.segment("GS", "HR", params.gs_sender_code, params.gs_receiver_code,
                params.created.strftime("%Y%m%d"), params.created.strftime("%H%M"),
                str(params.group_control_number), "X", GUIDE)
    control = f"{params.first_transaction_control_number:04d}"
    start = out.count
    out.segment("ST", "276", control, GUIDE)
    out.loop = "BHT"
    out.segment("BHT", "0010", "13", f"{params.interchange_control_number:09d}",
                params.created.strftime("%Y%m%d"), params.created.strftime("%H%M"))
    hl = hl_writer(out)
    for source in hierarchy(inquiries, _parties):
        out.loop, out.claim = "2000A", first_claim(source).patient_control_number
        source_id = hl("", "20", "1")
        write_parties(out, "2100A", source.party)
        for receiver in source.children:
            out.loop, out.claim = "2000B", first_claim(receiver).patient_control_number
            receiver_id = hl(source_id, "21", "1")
            write_parties(out, "2100B", receiver.party)
            for provider in receiver.children:
                out.loop, out.claim = "2000C", first_claim(provider).patient_control_number
                provider_id = hl(receiver_id, "19", "1")
                write_parties(out, "2100C", provider.party)
                for subscriber in provider.children:
                    _write_subscriber(out, hl, provider_id, subscriber)
    out.claim = None
    out.segment("SE", str(out.count - start + 1), control)
    out.segment("GE", "1", str(params.group_control_number))
    out.segment("IEA", "1", f"{params.interchange_control_number:09d}")
    return out.text()


def _write_subscriber(out: SegmentWriter, hl: Callable[[str, str, str | None], str],
                      parent: str, level: Level[StatusInquiry]) -> None:
    subscriber = level.party
    assert isinstance(subscriber, StatusSubscriber)  # noqa: S101 - built by _parties
    out.loop, out.claim = "2000D", first_claim(level).patient_control_number
    subscriber_id = hl(parent, "22", "1" if level.children else "0")
    if subscriber.date_of_birth is not None:
        out.segment("DMG", "D8", x12_date(subscriber.date_of_birth), subscriber.gender)
    out.loop = "2100D"
    write_name(out, "IL", subscriber.name, subscriber.id_qualifier, subscriber.member_id)
    for inquiry in level.claims:
        _write_claim(out, inquiry, "2200D")
    for dependent in level.children:
        patient = dependent.party
        assert isinstance(patient, StatusPatient)  # noqa: S101 - built by _parties
        out.loop, out.claim = "2000E", first_claim(dependent).patient_control_number
        hl(subscriber_id, "23", None)
        out.segment("DMG", "D8", x12_date(patient.date_of_birth), patient.gender)
        out.loop = "2100E"
        write_name(out, "QC", patient.name, "MI", patient.member_id)
        for inquiry in dependent.claims:
            _write_claim(out, inquiry, "2200E")


def _write_claim(out: SegmentWriter, inquiry: StatusInquiry, loop: str) -> None:
    out.claim = inquiry.patient_control_number
    out.loop = loop
    out.segment("TRN", "1", inquiry.trace_number)
    for qualifier, value in (("1K", inquiry.payer_claim_control_number),
                             ("BLT", inquiry.bill_type), ("LU", inquiry.location_id),
                             ("6P", inquiry.group_number),
                             ("EJ", inquiry.patient_control_number),
                             ("XZ", inquiry.prescription_number),
                             ("D9", inquiry.clearinghouse_trace_number)):
        if value:
            out.segment("REF", qualifier, value)
    out.segment("AMT", "T3", x12_amount(inquiry.total_charge))
    write_dates(out, inquiry.service_start, inquiry.service_end)
    for line in inquiry.lines:
        out.loop = "2210D" if loop == "2200D" else "2210E"
        write_service(out, line, None)
        if line.line_control_number:
            out.segment("REF", "FJ", line.line_control_number)
        write_dates(out, line.service_start, line.service_end)


# --------------------------------------------------------------------------- reading

_Dict = dict[str, Any]
_LEVELS: Final = {"20": ("2000A", None), "21": ("2000B", "20"), "19": ("2000C", "21"),
                  "22": ("2000D", "19"), "23": ("2000E", "22")}
"""HL03 → (loop, the HL03 its HL02 parent must have)."""
_PARTY_OF: Final = {"20": "payer", "21": "receiver", "19": "provider", "22": "subscriber",
                    "23": "patient"}
_WHERE: Final = {"patient_control_number": "REF*EJ", "total_charge": "AMT*T3",
                 "service_start": "DTP*472", "statuses": "STC", "status_date": "STC02",
                 "paid_amount": "SVC03"}
"""Model fields → the segment that carries them, for "missing" messages."""


class HierarchyReader(ABC):
    """Reads BHT and the 2000A–2000E levels of a 276 or 277 (the 277 reader extends it).

    Parties (payer, receiver, provider, subscriber, patient) are kept per HL ID, so a claim
    gets the parties of its HL's ancestors whatever order the levels come in; a claim
    (2200D/E) is a dict until its next TRN, HL or SE closes it into a model.
    """

    transaction: ClassVar[str] = "276"
    functional_id: ClassVar[str] = "HR"
    purpose: ClassVar[str] = "13"
    line_loop: ClassVar[str] = "2210"
    claim_trace_type: ClassVar[str] = "1"

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.envelope = EnvelopeReader(file, (self.functional_id, frozenset({GUIDE}),
                                              self.transaction))
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.first_st = ""
        self.header = False
        self.level = ""
        self.levels: dict[str, tuple[str, _Dict]] = {}
        self.parties: _Dict = {}
        self.demographics: _Dict = {}
        self.claim: _Dict | None = None
        self.line: _Dict | None = None

    @property
    def loop(self) -> str:
        return self.envelope.loop

    @loop.setter
    def loop(self, value: str) -> None:
        self.envelope.loop = value

    # -- helpers
    def fail(self, seg: Segment, element: int | None, message: str,
             loop: str | None = None) -> X12StructureError:
        """An error located at ``seg`` in ``loop`` (default: the current loop)."""
        return X12StructureError(message, seg.location(self.file, loop or self.loop, element))

    def date(self, seg: Segment, index: int, text: str | None = None) -> date:
        """A D8 date of element ``index`` (or ``text`` taken from it)."""
        try:
            return parse_date(seg.element(index) if text is None else text)
        except ValueError as exc:
            raise self.fail(seg, index, str(exc)) from exc

    def amount(self, seg: Segment, index: int, *, required: bool = False) -> Decimal | None:
        """Money in element ``index``; ``None`` when empty and not required."""
        text = seg.element(index)
        if not text:
            if required:
                raise self.fail(seg, index, f"{seg.id}{index:02d} (an amount) is missing")
            return None
        try:
            return parse_amount(text)
        except ValueError as exc:
            raise self.fail(seg, index, str(exc)) from exc

    def model(self, seg: Segment, build: type[BaseModel], values: _Dict,
              loop: str | None = None) -> Any:
        """``build(**values)``; a validation error names the field and the segment that
        carries it (``total_charge (AMT*T3): Field required``)."""
        try:
            return build.model_validate(values)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            carrier = _WHERE.get(str(problem["loc"][0])) if problem["loc"] else None
            if carrier and problem["type"] == "missing":
                where += f" ({carrier})"
            message = str(problem["msg"]).removeprefix("Value error, ")
            raise self.fail(seg, None, f"{where}: {message}" if where else message,
                            loop) from exc

    def person(self, seg: Segment) -> _Dict:
        """NM103–NM107 as a :class:`PersonName` dict."""
        name = {"last_name": seg.element(3), "first_name": seg.element(4) or None,
                "middle_name": seg.element(5) or None, "suffix": seg.element(7) or None}
        return {k: v for k, v in name.items() if v is not None}

    # -- the loop
    def feed(self, seg: Segment) -> None:
        """Read one segment."""
        if seg.id == "ISA" and seg.element(12) != "00501":
            raise UnsupportedX12Error(
                f"interchange version {seg.element(12)!r} is not supported: edigateway reads "
                f"the 5010 {self.transaction} ({GUIDE}, ISA12 00501)",
                seg.location(self.file, "ISA", 12))
        kind = self.envelope.feed(seg)
        if kind == "ISA" and self.isa is None:
            self.isa = seg
        elif kind == "GS" and self.gs is None:
            self.gs = seg
        elif kind == "ST":
            self.first_st = self.first_st or seg.element(2)
            self.header, self.level, self.levels = False, "", {}
        elif kind == "SE":
            self.close_level(seg)
        if kind:
            return
        sid = seg.id
        if sid == "BHT":
            self._bht(seg)
            return
        if not self.header:
            raise self.fail(seg, None, f"{sid} before BHT (the {self.transaction}'s header)")
        if sid == "HL":
            self._hl(seg)
            return
        if not self.level:
            raise self.fail(seg, None, f"{sid} before the first HL (the payer level)")
        handler = getattr(self, f"_seg_{sid}", None)
        if handler is None:
            raise self.fail(seg, None, f"{sid} is not a segment of the {self.transaction} "
                            f"({GUIDE}) in loop {self.loop}")
        handler(seg)

    def finish(self) -> None:
        """Refuse a truncated file."""
        self.envelope.finish()

    def params(self, text: str | None) -> InterchangeParams:
        """The envelope's :class:`InterchangeParams` (first interchange)."""
        if self.isa is None or self.gs is None:
            raise X12StructureError("no ISA/GS envelope found", X12Location(file=self.file))
        return params_from_envelope(self.isa, self.gs, self.first_st, self.file, text)

    def _bht(self, seg: Segment) -> None:
        self.loop = "BHT"
        if self.header:
            raise self.fail(seg, None, "a second BHT in one transaction")
        if seg.element(1) != "0010":
            raise self.fail(seg, 1, f"BHT01 {seg.element(1)!r} is not 0010 (the claim status "
                            "hierarchy: payer, receiver, provider, subscriber, dependent)")
        if seg.element(2) != self.purpose:
            raise self.fail(seg, 2, f"BHT02 {seg.element(2)!r} is not {self.purpose}")
        self.date(seg, 4)
        self.header = True

    def _hl(self, seg: Segment) -> None:
        self.close_level(seg)
        number, parent, code = seg.element(1), seg.element(2), seg.element(3)
        if code not in _LEVELS:
            raise self.fail(seg, 3, f"HL03 {code!r} is not 20, 21, 19, 22 or 23 (the "
                            f"{self.transaction}'s levels)")
        loop, parent_code = _LEVELS[code]
        self.loop = loop
        if not number or number in self.levels:
            raise self.fail(seg, 1, f"HL01 {number!r} is empty or used twice")
        if parent_code is None:
            parties: _Dict = {}
        elif parent not in self.levels or self.levels[parent][0] != parent_code:
            raise self.fail(seg, 2, f"HL02 {parent!r} is not the ID of an HL*{parent_code} "
                            f"level, which a level {code} must sit under")
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
        self.loop = "2100" + _LEVELS[self.level][0][-1]
        if who != expected:
            raise self.fail(seg, 1, f"NM101 {who!r} is not {expected} in loop {self.loop}")
        if self.parties.get(_PARTY_OF[self.level]) is not None:
            raise self.fail(seg, None, f"a second NM1 in loop {self.loop}")
        qualifier, identifier = seg.element(8), seg.element(9)
        party: object
        if self.level == "20":
            party = self.model(seg, StatusPayer, {"payer_id": identifier,
                                                  "name": seg.element(3),
                                                  "id_qualifier": qualifier})
        elif self.level == "21":
            if qualifier != "46":
                raise self.fail(seg, 8, f"NM108 {qualifier!r} is not 46 (electronic "
                                "transmitter ID)")
            party = self.model(seg, InformationReceiver, {
                "name": seg.element(3), "first_name": seg.element(4) or None,
                "entity_type": seg.element(2), "etin": identifier})
        elif self.level == "19":
            values: _Dict = {"id_qualifier": qualifier, "identifier": identifier}
            if seg.element(2) == "1":
                values["person"] = self.person(seg)
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
        return self.model(seg, StatusSubscriber, {
            "name": self.person(seg), "member_id": seg.element(9),
            "id_qualifier": seg.element(8), **self.demographics})

    def patient(self, seg: Segment) -> object:
        """2100E: the 276's patient; the 2000E DMG must come before it."""
        if not self.demographics:
            raise self.fail(seg, None, "the patient has no DMG (birth date and gender) "
                            "before NM1*QC; the guide requires it in 2000E")
        values = {"name": self.person(seg), **self.demographics}
        if seg.element(9):
            values["member_id"] = seg.element(9)
        return self.model(seg, StatusPatient, values)

    def _seg_DMG(self, seg: Segment) -> None:
        if self.level not in ("22", "23") or self.parties.get(_PARTY_OF[self.level]):
            raise self.fail(seg, None, f"DMG is expected after HL*22/HL*23 and before the "
                            f"NM1, not in loop {self.loop}")
        if seg.element(1) != "D8":
            raise self.fail(seg, 1, f"DMG01 {seg.element(1)!r} is not D8")
        self.demographics = {"date_of_birth": self.date(seg, 2),
                             "gender": seg.element(3) or None}

    # -- claims
    def start_claim(self, seg: Segment) -> _Dict:
        """TRN at the subscriber or patient level: a new claim with its parties."""
        self.close_claim(seg)
        if self.level not in ("22", "23"):
            raise self.fail(seg, None, f"TRN in loop {self.loop} (claims sit under HL*22 or "
                            "HL*23)")
        who = _PARTY_OF[self.level]
        if self.parties.get(who) is None:
            raise self.fail(seg, None, f"TRN before the {who}'s NM1")
        self.loop = "2200" + _LEVELS[self.level][0][-1]
        if seg.element(1) != self.claim_trace_type:
            raise self.fail(seg, 1, f"TRN01 {seg.element(1)!r} is not "
                            f"{self.claim_trace_type} in loop {self.loop}")
        if not seg.element(2):
            raise self.fail(seg, 2, "TRN02 (the trace number) is missing")
        self.claim = {"trace_number": seg.element(2), "lines": [], "_seg": seg,
                      "_loop": self.loop}
        return self.claim

    def _seg_TRN(self, seg: Segment) -> None:
        self.start_claim(seg)

    def current(self, seg: Segment) -> _Dict:
        """The open line, else the open claim; a located error when there is none."""
        target = self.line if self.line is not None else self.claim
        if target is None:
            raise self.fail(seg, None, f"{seg.id} outside a claim (no TRN before it) in loop "
                            f"{self.loop}")
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
            raise self.fail(seg, 1, f"REF*{q} is not a claim reference of the "
                            f"{self.transaction} ({', '.join(fields)})")
        if key in target:
            raise self.fail(seg, 1, f"a second REF*{q} in loop {self.loop}")
        if not seg.element(2):
            raise self.fail(seg, 2, f"REF*{q} has no REF02")
        target[key] = seg.element(2)

    def _seg_REF(self, seg: Segment) -> None:
        self.claim_reference(seg, {"1K": "payer_claim_control_number", "BLT": "bill_type",
                                   "LU": "location_id", "6P": "group_number",
                                   "EJ": "patient_control_number",
                                   "XZ": "prescription_number",
                                   "D9": "clearinghouse_trace_number"})

    def _seg_AMT(self, seg: Segment) -> None:
        if self.claim is None or self.line is not None or seg.element(1) != "T3":
            raise self.fail(seg, 1, f"AMT*{seg.element(1)} is not expected in loop "
                            f"{self.loop} (AMT*T3 belongs to the claim, before its lines)")
        self.claim["total_charge"] = self.amount(seg, 2, required=True)

    def _seg_DTP(self, seg: Segment) -> None:
        target = self.current(seg)
        q, form, value = seg.element(1), seg.element(2), seg.element(3)
        if q != "472":
            raise self.fail(seg, 1, f"DTP*{q} is not expected in loop {self.loop} (only "
                            "DTP*472, the service date)")
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
        self.loop = self.line_loop + _LEVELS[self.level][0][-1]
        procedure = seg.components(1)
        if len(procedure) < 2 or not procedure[1]:
            sep = seg.delimiters.component
            raise self.fail(seg, 1, f"SVC01 {seg.element(1)!r} is not qualifier{sep}procedure "
                            f"(e.g. AD{sep}D2740)")
        line: _Dict = {"procedure_qualifier": procedure[0], "procedure_code": procedure[1],
                       "modifiers": [m for m in procedure[2:6] if m],
                       "charge": self.amount(seg, 2, required=True), "_seg": seg,
                       "_loop": self.loop}
        if seg.element(4):
            line["revenue_code"] = seg.element(4)
        if seg.element(7):
            try:
                line["units"] = parse_decimal(seg.element(7), QUANTITY_DIGITS)
            except ValueError as exc:
                raise self.fail(seg, 7, f"SVC07: {exc}") from exc
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
        self.claim["lines"].append(self.model(at, self.line_model(), line, loop))

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
        self.inquiries.append(self.model(at, StatusInquiry, {**self.parties, **claim}, loop))


@dataclass(slots=True)
class Parsed276:
    """The inquiries of a 276 and its envelope."""

    params: InterchangeParams
    inquiries: list[StatusInquiry]


def read_276(text: str, file: str | None = None) -> Parsed276:
    """Read a 276 (see module docstring); errors name segment, loop and element."""
    return read_276_segments(iter_segments(io.StringIO(text), file), file, text)


def read_276_segments(segments: Iterable[Segment], file: str | None = None,
                      text: str | None = None) -> Parsed276:
    """:func:`read_276` over segments."""
    reader = _Reader276(file)
    for seg in segments:
        reader.feed(seg)
    reader.finish()
    return Parsed276(reader.params(text), reader.inquiries)
