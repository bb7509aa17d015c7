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

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, get_args

from pydantic import ValidationError

from edigateway.domain.code_lists import SERVICE_TYPES
from edigateway.domain.eligibility import (
    EligibilityInquiry,
    InquiryPerson,
    ProviderIdQualifier,
)
from edigateway.errors import X12Location, X12StructureError
from edigateway.x12.envelope import (
    InterchangeParams,
    Segment,
    SegmentWriter,
    isa_segment,
    iter_segments,
    params_from_envelope,
)
from edigateway.x12.formats import is_digits, parse_date, x12_date

if TYPE_CHECKING:
    from collections.abc import Iterable

GUIDE: Final = "005010X279A1"


def originator_id(inquiry: EligibilityInquiry) -> str:
    """TRN03: "9" and the first nine characters of the asking provider's NPI (or other
    identifier, padded with zeros): a 10-character ID."""
    return ("9" + inquiry.provider.id_value[:9]).ljust(10, "0")


def write_270(inquiries: list[EligibilityInquiry], params: InterchangeParams) -> str:
    """One interchange, one ST/SE holding every inquiry (see module docstring)."""
    out = SegmentWriter(params.delimiters, line_breaks=params.line_breaks)
    out.raw(isa_segment(params))
    out.segment("GS", "HS", params.gs_sender_code, params.gs_receiver_code,
                params.created.strftime("%Y%m%d"), params.created.strftime("%H%M"),
                str(params.group_control_number), "X", GUIDE)
    control = f"{params.first_transaction_control_number:04d}"
    start = out.count
    out.segment("ST", "270", control, GUIDE)
    out.segment("BHT", "0022", "13", f"{params.interchange_control_number:09d}",
                params.created.strftime("%Y%m%d"), params.created.strftime("%H%M"))
    hl = 0
    for inquiry in inquiries:
        out.claim = inquiry.trace_number
        hl += 1
        source = hl
        out.loop = "2000A"
        out.segment("HL", str(source), "", "20", "1")
        out.segment("NM1", "PR", "2", inquiry.payer.name, "", "", "", "", "PI",
                    inquiry.payer.payer_id)
        hl += 1
        receiver = hl
        out.loop = "2000B"
        out.segment("HL", str(receiver), str(source), "21", "1")
        provider = inquiry.provider
        if provider.organization_name:
            out.segment("NM1", "1P", "2", provider.organization_name, "", "", "", "",
                        provider.id_qualifier, provider.id_value)
        elif provider.person is not None:
            out.segment("NM1", "1P", "1", provider.person.last_name,
                        provider.person.first_name, provider.person.middle_name, "",
                        provider.person.suffix, provider.id_qualifier, provider.id_value)
        hl += 1
        subscriber = hl
        dependent = inquiry.dependent
        out.loop = "2000C"
        out.segment("HL", str(subscriber), str(receiver), "22", "1" if dependent else "0")
        if dependent is None:
            out.segment("TRN", "1", inquiry.trace_number, originator_id(inquiry))
        _person(out, "IL", inquiry.subscriber, "MI")
        if dependent is None:
            _benefits(out, inquiry)
            continue
        hl += 1
        out.loop = "2000D"
        out.segment("HL", str(hl), str(subscriber), "23", "0")
        out.segment("TRN", "1", inquiry.trace_number, originator_id(inquiry))
        _person(out, "03", dependent, "")
        if dependent.relationship:
            out.segment("INS", "N", dependent.relationship)
        _benefits(out, inquiry)
    out.claim = None
    out.segment("SE", str(out.count - start + 1), control)
    out.segment("GE", "1", str(params.group_control_number))
    out.segment("IEA", "1", f"{params.interchange_control_number:09d}")
    return out.text()


def _person(out: SegmentWriter, entity: str, person: InquiryPerson, qualifier: str) -> None:
    parts: list[str | None] = [None, None, None, None]
    if person.name is not None:
        name = person.name
        parts = [name.last_name, name.first_name, name.middle_name, name.suffix]
    member = person.member_id if qualifier else None
    out.segment("NM1", entity, "1", *parts[:3], "", parts[3], qualifier if member else "",
                member)
    if person.date_of_birth:
        out.segment("DMG", "D8", x12_date(person.date_of_birth), person.gender)


def _benefits(out: SegmentWriter, inquiry: EligibilityInquiry) -> None:
    if inquiry.service_date:
        out.segment("DTP", "291", "D8", x12_date(inquiry.service_date))
    out.loop = "2110D" if inquiry.dependent else "2110C"
    for service_type in inquiry.service_types:
        out.segment("EQ", service_type)


@dataclass(slots=True)
class Parsed270:
    """The inquiries of a 270 and its envelope."""

    params: InterchangeParams
    inquiries: list[EligibilityInquiry]


def read_270(text: str, file: str | None = None) -> Parsed270:
    """Read a 270 (see module docstring); errors name segment, loop and element."""
    return read_270_segments(iter_segments(io.StringIO(text), file), file, text)


def read_270_segments(segments: Iterable[Segment], file: str | None = None,
                      text: str | None = None) -> Parsed270:
    """:func:`read_270` over segments."""
    isa = gs = None
    first_st = ""
    loop = "ISA"
    current: dict[str, Any] | None = None
    person: dict[str, Any] | None = None
    inquiries: list[EligibilityInquiry] = []
    payer: dict[str, Any] = {}
    provider: dict[str, Any] = {}

    def finish(seg: Segment) -> None:
        nonlocal current
        if current is None:
            return
        try:
            inquiries.append(EligibilityInquiry.model_validate(current))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise X12StructureError(f"the inquiry does not read: {where}: {problem['msg']}",
                                    seg.location(file, loop)) from exc
        current = None

    for seg in segments:
        sid, q = seg.id, seg.element(1)
        if sid == "ISA":
            isa = seg
        elif sid == "GS":
            gs = seg
            if seg.element(8) != GUIDE:
                raise X12StructureError(f"version {seg.element(8)!r} is not {GUIDE}",
                                        seg.location(file, "GS", 8))
        elif sid == "ST":
            first_st = first_st or seg.element(2)
        elif sid == "HL":
            level = seg.element(3)
            if level in ("20", "22"):
                finish(seg)
            loop = {"20": "2000A", "21": "2000B", "22": "2000C", "23": "2000D"}.get(level, loop)
            if level == "22":
                current = {"payer": payer, "provider": provider, "service_types": []}
            elif level == "23" and current is not None:
                current["dependent"] = {}
        elif sid == "NM1" and loop == "2000A":
            payer = {"name": seg.element(3), "payer_id": seg.element(9)}
        elif sid == "NM1" and loop == "2000B":
            provider = _provider_id(seg, file, loop)
            if seg.element(2) == "2":
                provider["organization_name"] = seg.element(3)
            else:
                provider["person"] = _name(seg)
        elif current is not None and sid == "NM1" and q in ("IL", "03"):
            person = {"name": _name(seg)} if seg.element(3) else {}
            if seg.element(9):
                person["member_id"] = seg.element(9)
            current["subscriber" if q == "IL" else "dependent"] = person
        elif current is not None and sid == "TRN":
            current["trace_number"] = seg.element(2)
        elif person is not None and sid == "DMG":
            person["date_of_birth"] = _date(seg, 2, file, loop)
            if seg.element(3):
                person["gender"] = seg.element(3)
        elif person is not None and sid == "INS":
            person["relationship"] = seg.element(2)
        elif current is not None and sid == "DTP" and q == "291":
            current["service_date"] = _date(seg, 3, file, loop)
        elif current is not None and sid == "EQ":
            codes = seg.repeats(1)
            unknown = [c for c in codes if c not in SERVICE_TYPES]
            if unknown:
                raise X12StructureError(
                    f"EQ01 {unknown[0]!r} is not an X12 service type code (element 1365)",
                    seg.location(file, "2110D" if loop == "2000D" else "2110C", 1))
            current["service_types"].extend(codes)
        elif sid == "SE":
            finish(seg)
    if isa is None or gs is None:
        raise X12StructureError("no ISA/GS envelope found", X12Location(file=file))
    return Parsed270(params_from_envelope(isa, gs, first_st, file, text), inquiries)


_PROVIDER_IDS: Final = frozenset(get_args(ProviderIdQualifier))


def _provider_id(seg: Segment, file: str | None, loop: str) -> dict[str, Any]:
    """2100B NM108/NM109: the NPI (XX) or another identifier the guide allows."""
    qualifier, value = seg.element(8), seg.element(9)
    if qualifier not in _PROVIDER_IDS:
        raise X12StructureError(
            f"NM108 {qualifier!r} is not a provider identification the guide allows "
            f"({', '.join(sorted(_PROVIDER_IDS))})", seg.location(file, "2100B", 8))
    if qualifier == "XX":
        if not is_digits(value, 10) or len(value) != 10:
            raise X12StructureError(f"NM109 {value!r} is not an NPI (10 digits)",
                                    seg.location(file, "2100B", 9))
        return {"npi": value}
    return {"id_qualifier": qualifier, "identifier": value}


def _name(seg: Segment) -> dict[str, Any]:
    name = {"last_name": seg.element(3), "first_name": seg.element(4) or None,
            "middle_name": seg.element(5) or None, "suffix": seg.element(7) or None}
    return {k: v for k, v in name.items() if v is not None}


def _date(seg: Segment, index: int, file: str | None, loop: str) -> Any:
    try:
        return parse_date(seg.element(index))
    except ValueError as exc:
        raise X12StructureError(str(exc), seg.location(file, loop, index)) from exc
