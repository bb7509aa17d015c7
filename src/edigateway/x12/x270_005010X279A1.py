"""270 Eligibility, Coverage or Benefit Inquiry (005010X279A1): inquiries to X12 and back.

:func:`write_270` writes one interchange; each inquiry gets its own information source
(2000A payer), information receiver (2000B provider) and subscriber (2000C) levels, and a
2000D dependent level when the patient is not the subscriber. The trace number (TRN02) is
put on the patient's level, which is where the payer echoes it in the 271::

    HL*3*2*22*0~TRN*1*ELG-1001*9145678901~NM1*IL*1*OKONKWO*SAMUEL****MI*PDP300412~
    DMG*D8*19620704*M~DTP*291*D8*20261123~EQ*35~

:func:`read_270` reads it back (byte-identical on re-writing, for our files).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, get_args

from edigateway.domain.code_lists import SERVICE_TYPES
from edigateway.domain.eligibility import (
    EligibilityInquiry,
    InquiryPerson,
    ProviderIdQualifier,
)
from edigateway.x12.envelope import (
    Expect,
    InterchangeParams,
    Segment,
    SegmentWriter,
    head_of,
    write_interchange,
)
from edigateway.x12.formats import is_digits, x12_date
from edigateway.x12.reader import SegmentReader, person_name

if TYPE_CHECKING:
    from edigateway.x12.envelope import Source

KEY: Final = "270"
GUIDE: Final = "005010X279A1"


def originator_id(inquiry: EligibilityInquiry) -> str:
    """TRN03: "9" and the first nine characters of the asking provider's NPI (or other
    identifier, padded with zeros): a 10-character ID."""
    return ("9" + inquiry.provider.id_value[:9]).ljust(10, "0")


def write_270(inquiries: list[EligibilityInquiry], params: InterchangeParams) -> str:
    """One interchange, one ST/SE holding every inquiry (see module docstring)."""
    return write_interchange(
        params, KEY, [inquiries], lambda out, _, items: _write_inquiries(out, items, params)
    )


def _write_inquiries(
    out: SegmentWriter, inquiries: list[EligibilityInquiry], params: InterchangeParams
) -> None:
    out.segment(
        "BHT",
        "0022",
        "13",
        f"{params.interchange_control_number:09d}",
        params.created.strftime("%Y%m%d"),
        params.created.strftime("%H%M"),
    )
    hl = 0
    for inquiry in inquiries:
        out.claim = inquiry.trace_number
        hl += 1
        source = hl
        out.segment("HL", str(source), "", "20", "1")
        out.segment(
            "NM1", "PR", "2", inquiry.payer.name, "", "", "", "", "PI", inquiry.payer.payer_id
        )
        hl += 1
        receiver = hl
        out.segment("HL", str(receiver), str(source), "21", "1")
        provider = inquiry.provider
        if provider.organization_name:
            out.segment(
                "NM1",
                "1P",
                "2",
                provider.organization_name,
                "",
                "",
                "",
                "",
                provider.id_qualifier,
                provider.id_value,
            )
        elif provider.person is not None:
            out.segment(
                "NM1",
                "1P",
                "1",
                provider.person.last_name,
                provider.person.first_name,
                provider.person.middle_name,
                "",
                provider.person.suffix,
                provider.id_qualifier,
                provider.id_value,
            )
        hl += 1
        subscriber = hl
        dependent = inquiry.dependent
        out.segment("HL", str(subscriber), str(receiver), "22", "1" if dependent else "0")
        if dependent is None:
            out.segment("TRN", "1", inquiry.trace_number, originator_id(inquiry))
        _person(out, "IL", inquiry.subscriber, "MI")
        if dependent is None:
            _benefits(out, inquiry)
            continue
        hl += 1
        out.segment("HL", str(hl), str(subscriber), "23", "0")
        out.segment("TRN", "1", inquiry.trace_number, originator_id(inquiry))
        _person(out, "03", dependent, "")
        if dependent.relationship:
            out.segment("INS", "N", dependent.relationship)
        _benefits(out, inquiry)


def _person(out: SegmentWriter, entity: str, person: InquiryPerson, qualifier: str) -> None:
    parts: list[str | None] = [None, None, None, None]
    if person.name is not None:
        name = person.name
        parts = [name.last_name, name.first_name, name.middle_name, name.suffix]
    member = person.member_id if qualifier else None
    out.segment("NM1", entity, "1", *parts[:3], "", parts[3], qualifier if member else "", member)
    if person.date_of_birth:
        out.segment("DMG", "D8", x12_date(person.date_of_birth), person.gender)


def _benefits(out: SegmentWriter, inquiry: EligibilityInquiry) -> None:
    if inquiry.service_date:
        out.segment("DTP", "291", "D8", x12_date(inquiry.service_date))
    for service_type in inquiry.service_types:
        out.segment("EQ", service_type)


@dataclass(slots=True)
class Parsed270:
    """The inquiries of a 270 and its envelope."""

    params: InterchangeParams
    inquiries: list[EligibilityInquiry]


def read_270(source: Source, *, name: str | None = None) -> Parsed270:
    """Read a 270 from bytes, a path or segments (see module docstring); errors name
    segment, loop and element."""
    reader = _Reader.reading(source, name)
    inquiries = reader.read(source)
    return Parsed270(reader.envelope.params(head_of(source)), inquiries)


_Dict = dict[str, Any]
_PROVIDER_IDS: Final = frozenset(get_args(ProviderIdQualifier))


class _Reader(SegmentReader[EligibilityInquiry]):
    """Payer (2100A) and provider (2100B) kept for the inquiries below them; one inquiry
    per subscriber level (2000C), its dependent (2000D) included."""

    key = KEY
    expect = Expect.of(KEY, verify=False, sniffed=True)

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.current: _Dict | None = None
        self.person: _Dict | None = None
        self.payer: _Dict = {}
        self.provider: _Dict = {}
        self.level_loop: str | None = None
        """The loop of the last HL: where an inquiry that does not read is located."""

    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind == "SE":
            self._finish(seg)

    def other(self, seg: Segment) -> None:
        """Segments an inquiry does not need (PRV, REF, N3/N4 …) are passed over."""

    def _finish(self, seg: Segment) -> None:
        if self.current is not None:
            self.emit(
                self.model(
                    seg,
                    EligibilityInquiry,
                    self.current,
                    loop=self.level_loop,
                    prefix="the inquiry does not read: ",
                )
            )
        self.current = None

    def _seg_HL(self, seg: Segment) -> None:
        level = seg.element(3)
        if level in ("20", "22"):
            self._finish(seg)
        if self.started:
            self.level_loop = self.loop
        if level == "22":
            self.current = {"payer": self.payer, "provider": self.provider, "service_types": []}
        elif level == "23" and self.current is not None:
            self.current["dependent"] = {}

    def _seg_NM1(self, seg: Segment) -> None:
        if self.loop == "2100A":
            self.payer = {"name": seg.element(3), "payer_id": seg.element(9)}
        elif self.loop == "2100B":
            self.provider = self._provider_id(seg)
            if seg.element(2) == "2":
                self.provider["organization_name"] = seg.element(3)
            else:
                self.provider["person"] = person_name(seg)
        elif self.current is not None and seg.element(1) in ("IL", "03"):
            self.person = {"name": person_name(seg)} if seg.element(3) else {}
            if seg.element(9):
                self.person["member_id"] = seg.element(9)
            self.current["subscriber" if seg.element(1) == "IL" else "dependent"] = self.person

    def _provider_id(self, seg: Segment) -> _Dict:
        """2100B NM108/NM109: the NPI (XX) or another identifier the guide allows."""
        qualifier = self.code(
            seg,
            8,
            _PROVIDER_IDS,
            f"a provider identification the guide allows ({', '.join(sorted(_PROVIDER_IDS))})",
        )
        value = seg.element(9)
        if qualifier == "XX":
            if not is_digits(value, 10) or len(value) != 10:
                raise self.fail(seg, 9, f"NM109 {value!r} is not an NPI (10 digits)")
            return {"npi": value}
        return {"id_qualifier": qualifier, "identifier": value}

    def _seg_TRN(self, seg: Segment) -> None:
        if self.current is not None:
            self.current["trace_number"] = seg.element(2)

    def _seg_DMG(self, seg: Segment) -> None:
        if self.person is not None:
            self.person["date_of_birth"] = self.date(seg, 2)
            if seg.element(3):
                self.person["gender"] = seg.element(3)

    def _seg_INS(self, seg: Segment) -> None:
        if self.person is not None:
            self.person["relationship"] = seg.element(2)

    def _seg_DTP(self, seg: Segment) -> None:
        if self.current is not None and seg.element(1) == "291":
            self.current["service_date"] = self.date(seg, 3)

    def _seg_EQ(self, seg: Segment) -> None:
        if self.current is None:
            return
        codes = seg.repeats(1)
        unknown = [c for c in codes if c not in SERVICE_TYPES]
        if unknown:
            raise self.fail(
                seg, 1, f"EQ01 {unknown[0]!r} is not an X12 service type code (element 1365)"
            )
        self.current["service_types"].extend(codes)
