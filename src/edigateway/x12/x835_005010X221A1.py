"""835 Health Care Claim Payment/Advice (005010X221A1): remittances to domain objects and back.

Reading streams. :func:`iter_835` turns segments into a sequence of events — a
:class:`RemittanceStart` (the payment: BPR, TRN, payer, payee, with its interchange), one
:class:`~edigateway.domain.remittances.ClaimPayment` per CLP loop, then a
:class:`RemittanceEnd` (the PLB entries and the checked SE) — so a 20,000-claim file is
posted claim by claim and memory stays flat however large the file grows. :func:`read_835`
gathers the events into whole :class:`~edigateway.domain.remittances.Remittance` objects for
small files and for ``edigateway x12 parse``.

Every amount keeps the position of its segment (ISA = 1; a remittance's is its BPR, where
the payment amount is), and every problem is an
:class:`~edigateway.errors.X12StructureError` naming the file, position, loop and element::

    CLP*PC1*1*100*80*20*12*PAYER1~        -> ClaimPayment(patient_control_number="PC1", …)
    SVC*AD:D1110*100*80~CAS*PR*2*20~      -> ServicePayment(adjustments=[PR-2 20.00])

Several ISA/GS/ST per file, CRLF line ends, a byte-order mark, indentation and any
delimiters the ISA declares are handled by :mod:`edigateway.x12.envelope`. Envelope counts
and control numbers (SE01/SE02, GE01/GE02, IEA01/IEA02) are checked: a truncated or spliced
payment file must never be posted.

:func:`write_835` writes remittances as an 835 (the clearinghouse simulator and our test
scenarios use it); reading what it wrote gives the same remittances back.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast, get_args

from pydantic import ValidationError

from edigateway.domain.remittances import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from edigateway.errors import X12Location, X12StructureError
from edigateway.x12.envelope import (
    InterchangeParams,
    Segment,
    SegmentWriter,
    isa_segment,
    iter_segments,
    read_segments,
)
from edigateway.x12.formats import (
    QUANTITY_DIGITS,
    parse_amount,
    parse_date,
    parse_decimal,
    x12_amount,
    x12_date,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from datetime import date
    from pathlib import Path

GUIDE: Final = "005010X221A1"
_CAS_TRIPLETS: Final = 6
_PLB_PAIRS: Final = 6
_GROUPS: Final = frozenset(get_args(AdjustmentGroup))


@dataclass(frozen=True, slots=True)
class Interchange:
    """The envelope a remittance arrived in (ISA/GS), for duplicate detection and audit."""

    control_number: str
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    usage_indicator: str
    group_control_number: str = ""
    gs_sender_code: str = ""
    gs_receiver_code: str = ""


@dataclass(frozen=True, slots=True)
class RemittanceStart:
    """A payment begins: its header (``claims`` and ``provider_adjustments`` empty)."""

    interchange: Interchange
    remittance: Remittance


@dataclass(frozen=True, slots=True)
class RemittanceEnd:
    """A payment ends: its PLB entries, after every claim, and the SE position."""

    transaction_control_number: str
    provider_adjustments: list[ProviderAdjustment]
    source_position: int


Event = RemittanceStart | ClaimPayment | RemittanceEnd


@dataclass(slots=True)
class Parsed835:
    """Every remittance of a file, with the interchanges they came in."""

    interchanges: list[Interchange]
    remittances: list[Remittance]
    skipped: list[X12Location] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_835(path: Path) -> Parsed835:
    """All remittances of the 835 at ``path`` (held in memory; see :func:`iter_835`)."""
    return read_835_segments(read_segments(path), str(path))


def read_835_text(text: str, file: str | None = None) -> Parsed835:
    """:func:`read_835` for text in memory."""
    return read_835_segments(iter_segments(io.StringIO(text), file), file)


def read_835_segments(segments: Iterable[Segment], file: str | None = None) -> Parsed835:
    """Gather :func:`iter_835` events into whole remittances."""
    reader = _Reader(file)
    interchanges: list[Interchange] = []
    remittances: list[Remittance] = []
    current: Remittance | None = None
    claims: list[ClaimPayment] = []
    for event in reader.events(segments):
        if isinstance(event, RemittanceStart):
            if not interchanges or interchanges[-1] is not event.interchange:
                interchanges.append(event.interchange)
            current, claims = event.remittance, []
        elif isinstance(event, ClaimPayment):
            claims.append(event)
        elif current is not None:
            remittances.append(current.model_copy(update={
                "claims": claims, "provider_adjustments": event.provider_adjustments}))
            current = None
    return Parsed835(interchanges, remittances, reader.skipped)


def iter_835(segments: Iterable[Segment], file: str | None = None) -> Iterator[Event]:
    """Stream the events of an 835 (see module docstring)."""
    return _Reader(file).events(segments)


_Dict = dict[str, Any]

_CLAIM_ELEMENTS: Final = {"patient_control_number": 1, "status": 2, "charge": 3, "paid": 4,
                          "patient_responsibility": 5, "filing_indicator": 6,
                          "payer_claim_control_number": 7, "frequency": 9}
"""ClaimPayment fields read from the CLP itself → their element (CLP01 …)."""
_SERVICE_ELEMENTS: Final = {"procedure_qualifier": 1, "procedure_code": 1, "modifiers": 1,
                            "charge": 2, "paid": 3, "units_paid": 5,
                            "submitted_procedure_code": 6}
"""ServicePayment fields read from the SVC itself → their element (SVC01 …)."""
_REMITTANCE_ELEMENTS: Final = {
    "handling_code": ("BPR", 1), "payment_amount": ("BPR", 2), "credit_debit": ("BPR", 3),
    "payment_method": ("BPR", 4), "payment_format": ("BPR", 5), "payer_bank_id": ("BPR", 7),
    "payer_account": ("BPR", 9), "payee_bank_id": ("BPR", 13), "payee_account": ("BPR", 15),
    "payment_date": ("BPR", 16), "trace_number": ("TRN", 2), "payer_trace_id": ("TRN", 3)}
"""Remittance fields → the header segment and element they come from."""
_LOOP_OF: Final = {"BPR": "HEADER", "TRN": "HEADER", "CLP": "2100", "SVC": "2110",
                   "PLB": "PLB"}
"""The loop a segment a model is built from stands in: a claim or line is only built when
the next one starts, by which time the reader is in that one's loop."""


class _Reader:
    """State machine over the 835 loops: header (1000A/B), claim (2100), service (2110)."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.loop = "ISA"
        self.skipped: list[X12Location] = []
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.interchange: Interchange | None = None
        self.gs_count = 0
        self.st_count = 0
        self.transactions_in_group = 0
        self.st: Segment | None = None
        self.header: _Dict = {}
        self.header_segments: dict[str, Segment] = {}
        self.party: _Dict | None = None
        self.started = False
        self.claim: _Dict | None = None
        self.service: _Dict | None = None
        self.plbs: list[ProviderAdjustment] = []

    # -- helpers
    def _fail(self, seg: Segment, element: int | None, message: str) -> X12StructureError:
        return X12StructureError(message, seg.location(self.file, self.loop, element))

    def _amount(self, seg: Segment, index: int, *, required: bool = True) -> Decimal | None:
        text = seg.element(index)
        if not text:
            if required:
                raise self._fail(seg, index, "a required amount is missing")
            return None
        try:
            return parse_amount(text)
        except ValueError as exc:
            raise self._fail(seg, index, str(exc)) from exc

    def _money(self, seg: Segment, index: int) -> Decimal:
        value = self._amount(seg, index)
        assert value is not None  # noqa: S101 - required=True never returns None
        return value

    def _quantity(self, seg: Segment, index: int) -> Decimal | None:
        text = seg.element(index)
        if not text:
            return None
        try:
            return parse_decimal(text, QUANTITY_DIGITS)
        except ValueError as exc:
            raise self._fail(seg, index, str(exc)) from exc

    def _date(self, seg: Segment, index: int) -> date:
        try:
            return parse_date(seg.element(index))
        except ValueError as exc:
            raise self._fail(seg, index, str(exc)) from exc

    def _model(self, seg: Segment, build: Any,
               elements: Mapping[str, int | tuple[Segment, int]], **values: Any) -> Any:
        """``build(**values)``; a value the model refuses is blamed on its own element
        (``elements``: field → element index in ``seg``, or another segment and index),
        else on ``seg``. The maps are constants for claims and lines: nothing is built
        per call on the hot path."""
        try:
            return build(**values)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            found = elements.get(str(problem["loc"][0])) if problem["loc"] else None
            at, index = (seg, found) if isinstance(found, int) else found or (seg, None)
            raise X12StructureError(f"{where}: {problem['msg']}", at.location(
                self.file, _LOOP_OF.get(at.id, self.loop), index)) from exc

    def _skip(self, seg: Segment) -> None:
        self.skipped.append(seg.location(self.file, self.loop))

    # -- the loop
    def events(self, segments: Iterable[Segment]) -> Iterator[Event]:
        last: Segment | None = None
        for seg in segments:
            last = seg
            yield from self._feed(seg)
        if self.st is not None or self.gs is not None or self.isa is not None:
            where = last.location(self.file, self.loop) if last else X12Location(file=self.file)
            missing = "SE" if self.st is not None else "GE" if self.gs is not None else "IEA"
            raise X12StructureError(f"the file ends without its {missing} segment "
                                    "(truncated?)", where)

    def _feed(self, seg: Segment) -> Iterator[Event]:
        sid = seg.id
        if self.st is not None:
            self.st_count += 1
        if sid == "ISA":
            self._isa(seg)
        elif sid == "GS":
            self._gs(seg)
        elif sid == "ST":
            self._st(seg)
        elif sid == "GE":
            self._ge(seg)
        elif sid == "IEA":
            self._iea(seg)
        elif self.st is None:
            raise self._fail(seg, None, f"{sid} outside a transaction set (ST…SE)")
        elif sid == "SE":
            yield from self._se(seg)
        elif sid == "CLP":
            yield from self._begin_claim(seg)
        elif sid == "SVC":
            self._svc(seg)
        elif sid == "CAS":
            self._cas(seg)
        elif sid == "PLB":
            yield from self._close_claim()
            self._plb(seg)
        elif sid == "LX":
            yield from self._close_claim()
            yield from self._start()
            self.loop = "2000"
        elif self.claim is not None:
            self._claim_detail(seg)
        else:
            self._header(seg)

    # -- envelope
    def _isa(self, seg: Segment) -> None:
        if self.isa is not None:
            raise self._fail(seg, None, "ISA before the previous interchange's IEA")
        self.isa, self.gs_count, self.loop = seg, 0, "ISA"
        self.interchange = Interchange(
            control_number=seg.element(13), sender_qualifier=seg.element(5),
            sender_id=seg.element(6).strip(), receiver_qualifier=seg.element(7),
            receiver_id=seg.element(8).strip(), usage_indicator=seg.element(15))

    def _gs(self, seg: Segment) -> None:
        if self.isa is None or self.interchange is None:
            raise self._fail(seg, None, "GS outside an interchange (no ISA)")
        if self.gs is not None:
            raise self._fail(seg, None, "GS before the previous group's GE")
        if seg.element(1) != "HP":
            raise self._fail(seg, 1, f"functional group {seg.element(1)!r} is not HP "
                             "(health care claim payment/advice)")
        if seg.element(8) != GUIDE:
            raise self._fail(seg, 8, f"version {seg.element(8)!r} is not {GUIDE}")
        self.gs, self.loop = seg, "GS"
        self.gs_count += 1
        self.transactions_in_group = 0
        base = self.interchange
        self.interchange = Interchange(
            base.control_number, base.sender_qualifier, base.sender_id,
            base.receiver_qualifier, base.receiver_id, base.usage_indicator,
            group_control_number=seg.element(6), gs_sender_code=seg.element(2),
            gs_receiver_code=seg.element(3))

    def _st(self, seg: Segment) -> None:
        if self.gs is None:
            raise self._fail(seg, None, "ST outside a functional group (no GS)")
        if self.st is not None:
            raise self._fail(seg, None, "ST before the previous transaction's SE")
        if seg.element(1) != "835":
            raise self._fail(seg, 1, f"transaction {seg.element(1)!r} is not an 835")
        self.st, self.st_count, self.loop = seg, 1, "ST"
        self.transactions_in_group += 1
        self.header = {"transaction_control_number": seg.element(2)}
        self.header_segments = {}
        self.party, self.started, self.plbs = None, False, []

    def _se(self, seg: Segment) -> Iterator[Event]:
        assert self.st is not None  # noqa: S101 - _feed checked
        yield from self._close_claim()
        yield from self._start()
        count = seg.element(1)
        if count != str(self.st_count):
            raise self._fail(seg, 1, f"SE01 says {count or 'nothing'} segments but the "
                             f"transaction has {self.st_count} (ST…SE); the file may be "
                             "truncated or edited")
        if seg.element(2) != self.st.element(2):
            raise self._fail(seg, 2, f"SE02 {seg.element(2)!r} does not match ST02 "
                             f"{self.st.element(2)!r}")
        self.loop = "SE"
        yield RemittanceEnd(self.st.element(2), self.plbs, seg.position)
        self.st = None

    def _ge(self, seg: Segment) -> None:
        if self.gs is None or self.st is not None:
            raise self._fail(seg, None, "GE without its GS, or inside a transaction")
        if seg.element(1) != str(self.transactions_in_group):
            raise self._fail(seg, 1, f"GE01 says {seg.element(1)!r} transactions; the group "
                             f"has {self.transactions_in_group}")
        if seg.element(2) != self.gs.element(6):
            raise self._fail(seg, 2, f"GE02 {seg.element(2)!r} does not match GS06 "
                             f"{self.gs.element(6)!r}")
        self.gs, self.loop = None, "GE"

    def _iea(self, seg: Segment) -> None:
        if self.isa is None or self.gs is not None:
            raise self._fail(seg, None, "IEA without its ISA, or inside a group")
        if seg.element(1) != str(self.gs_count):
            raise self._fail(seg, 1, f"IEA01 says {seg.element(1)!r} groups; the interchange "
                             f"has {self.gs_count}")
        if seg.element(2) != self.isa.element(13):
            raise self._fail(seg, 2, f"IEA02 {seg.element(2)!r} does not match ISA13 "
                             f"{self.isa.element(13)!r}")
        self.isa, self.loop = None, "IEA"

    # -- header (Table 1)
    def _header(self, seg: Segment) -> None:
        h, sid, q = self.header, seg.id, seg.element(1)
        if sid == "BPR":
            self.loop = "HEADER"
            self.header_segments["BPR"] = seg
            h.update(handling_code=seg.element(1), payment_amount=self._money(seg, 2),
                     source_position=seg.position,
                     credit_debit=seg.element(3) or "C", payment_method=seg.element(4),
                     payment_format=seg.element(5) or None,
                     payer_bank_id=seg.element(7) or None, payer_account=seg.element(9) or None,
                     payee_bank_id=seg.element(13) or None,
                     payee_account=seg.element(15) or None)
            if seg.element(16):
                h["payment_date"] = self._date(seg, 16)
            if h["credit_debit"] not in ("C", "D"):
                raise self._fail(seg, 3, f"credit/debit flag {h['credit_debit']!r} is not C/D")
        elif sid == "TRN":
            self.header_segments["TRN"] = seg
            h.update(trace_number=seg.element(2), payer_trace_id=seg.element(3) or None)
        elif sid == "DTM" and q == "405":
            h["production_date"] = self._date(seg, 2)
        elif sid == "N1" and q in ("PR", "PE"):
            self.loop = "1000A" if q == "PR" else "1000B"
            self.party = {"name": seg.element(2), "identifier_qualifier": seg.element(3) or None,
                          "identifier": seg.element(4) or None}
            h["payer" if q == "PR" else "payee"] = self.party
            if q == "PR" and seg.element(4):
                h.setdefault("payer_id", seg.element(4))
        elif sid == "N3" and self.party is not None:
            self.party["address"] = {"line1": seg.element(1), "line2": seg.element(2) or None}
        elif sid == "N4" and self.party is not None:
            self.party.setdefault("address", {"line1": ""}).update(
                city=seg.element(1), state=seg.element(2) or None,
                postal_code=seg.element(3) or None, country=seg.element(4) or None)
        elif sid == "PER" and q == "BL" and self.loop == "1000A" and self.party is not None:
            self.party["contact_name"] = seg.element(2) or None
            self.party["contact_phone"] = next(
                (seg.element(i + 1) for i in (3, 5, 7) if seg.element(i) == "TE"), None)
        elif sid == "REF" and q == "2U" and self.loop == "1000A":
            h["payer_id"] = seg.element(2)
        elif sid == "REF" and q == "TJ" and self.loop == "1000B":
            h["payee_tin"] = seg.element(2)
        elif sid in ("PER", "REF", "DTM", "CUR", "RDM", "TS3", "TS2"):
            pass  # other contacts, references and provider summaries: not needed to post
        else:
            self._skip(seg)

    def _start(self) -> Iterator[Event]:
        if self.started:
            return
        self.started = True
        seg = self.st
        assert seg is not None  # noqa: S101 - only called inside ST…SE
        for key, what in (("payment_amount", "BPR"), ("trace_number", "TRN"),
                          ("payer", "N1*PR"), ("payee", "N1*PE")):
            if key not in self.header:
                raise self._fail(seg, None, f"the 835 has no {what} segment before its "
                                 "first claim; it cannot be posted")
        assert self.interchange is not None  # noqa: S101 - ST checked GS and ISA
        elements = {field: (self.header_segments[sid], index)
                    for field, (sid, index) in _REMITTANCE_ELEMENTS.items()
                    if sid in self.header_segments}
        remittance = self._model(seg, Remittance, elements, **self.header)
        yield RemittanceStart(self.interchange, remittance)

    # -- claim loops 2100 and service loops 2110
    def _begin_claim(self, seg: Segment) -> Iterator[Event]:
        yield from self._close_claim()
        yield from self._start()
        self.loop = "2100"
        self.claim = {
            "patient_control_number": seg.element(1), "status": seg.element(2),
            "charge": self._money(seg, 3), "paid": self._money(seg, 4),
            "patient_responsibility": self._amount(seg, 5, required=False),
            "filing_indicator": seg.element(6) or None,
            "payer_claim_control_number": seg.element(7) or None,
            "frequency": seg.element(9) or None, "adjustments": [], "remark_codes": [],
            "services": [], "source_position": seg.position, "_segment": seg,
        }
        if not seg.element(1):
            raise self._fail(seg, 1, "CLP01 (patient control number) is empty")
        self.service = None

    def _close_service(self) -> None:
        if self.service is not None and self.claim is not None:
            seg = self.service.pop("_segment")
            self.claim["services"].append(self._model(
                seg, ServicePayment, _SERVICE_ELEMENTS, **self.service))
        self.service = None

    def _close_claim(self) -> Iterator[ClaimPayment]:
        self._close_service()
        if self.claim is None:
            return
        claim, self.claim = self.claim, None
        seg = claim.pop("_segment")
        yield self._model(seg, ClaimPayment, _CLAIM_ELEMENTS, **claim)

    def _svc(self, seg: Segment) -> None:
        if self.claim is None:
            raise self._fail(seg, None, "SVC outside a claim (no CLP before it)")
        self._close_service()
        self.loop = "2110"
        procedure = seg.components(1)
        if len(procedure) < 2 or not procedure[1]:
            sep = seg.delimiters.component
            raise self._fail(seg, 1, f"SVC01 {seg.element(1)!r} is not qualifier{sep}procedure "
                             f"(e.g. AD{sep}D1110); the ISA declares {sep!r} as the component "
                             "separator")
        submitted = seg.components(6)
        self.service = {
            "procedure_qualifier": procedure[0], "procedure_code": procedure[1],
            "modifiers": [m for m in procedure[2:6] if m],
            "charge": self._money(seg, 2), "paid": self._money(seg, 3),
            "units_paid": self._quantity(seg, 5),
            "submitted_procedure_code": submitted[1] if len(submitted) > 1 else None,
            "adjustments": [], "remark_codes": [], "source_position": seg.position,
            "_segment": seg,
        }

    def _cas(self, seg: Segment) -> None:
        target = self.service if self.service is not None else self.claim
        if target is None:
            raise self._fail(seg, None, "CAS outside a claim or service line")
        code = seg.element(1)
        if code not in _GROUPS:
            raise self._fail(seg, 1, f"adjustment group {code!r} is not CO, CR, OA, PI or PR")
        group = cast("AdjustmentGroup", code)
        last = min(len(seg.elements), 1 + 3 * _CAS_TRIPLETS)
        for reason_at in range(2, last + 1, 3):
            reason = seg.element(reason_at)
            if not reason:
                if seg.element(reason_at + 1):
                    raise self._fail(seg, reason_at, "an adjustment amount without a reason")
                continue
            if len(reason) > 5:
                raise self._fail(seg, reason_at, f"{reason!r} is not a reason code")
            # checked above, so built without re-validation (a 20,000-claim file has 140k)
            target["adjustments"].append(Adjustment.model_construct(
                group=group, reason=reason, amount=self._money(seg, reason_at + 1),
                quantity=self._quantity(seg, reason_at + 2), source_position=seg.position))

    def _claim_detail(self, seg: Segment) -> None:
        claim, service, sid, q = self.claim, self.service, seg.id, seg.element(1)
        assert claim is not None  # noqa: S101 - _feed checked
        if service is not None:
            if sid == "DTM" and q in ("472", "150"):
                service["service_date"] = self._date(seg, 2)
            elif sid == "REF" and q == "6R":
                service["line_control_number"] = seg.element(2)
            elif sid == "AMT" and q == "B6":
                service["allowed_amount"] = self._money(seg, 2)
            elif sid == "LQ" and q == "HE":
                service["remark_codes"].append(seg.element(2))
            elif sid not in ("DTM", "REF", "AMT", "QTY", "LQ"):
                self._skip(seg)
            return
        if sid == "NM1" and q == "QC":
            claim.update(patient_last_name=seg.element(3) or None,
                         patient_first_name=seg.element(4) or None,
                         member_id=seg.element(9) or None)
        elif sid == "NM1" and q == "IL":
            claim["member_id"] = seg.element(9) or claim.get("member_id")
        elif sid == "NM1" and q == "74":
            claim.update(corrected_last_name=seg.element(3) or None,
                         corrected_first_name=seg.element(4) or None,
                         corrected_member_id=seg.element(9) or None)
        elif sid == "NM1" and q == "82" and seg.element(8) == "XX":
            claim["rendering_npi"] = seg.element(9)
        elif sid == "MOA":
            claim["remark_codes"].extend(c for c in seg.elements[2:7] if c)
        elif sid == "MIA":
            claim["remark_codes"].extend(
                c for i in (5, 20, 21, 22, 23) if (c := seg.element(i)))
        elif sid == "DTM" and q in ("232", "233", "050"):
            key = {"232": "service_start", "233": "service_end", "050": "received_date"}[q]
            claim[key] = self._date(seg, 2)
        elif sid == "AMT" and q == "I":
            claim["interest"] = self._money(seg, 2)
        elif sid == "AMT" and q == "AU":
            claim["coverage_amount"] = self._money(seg, 2)
        elif sid not in ("NM1", "DTM", "REF", "AMT", "QTY", "PER"):
            self._skip(seg)

    def _plb(self, seg: Segment) -> None:
        self.loop = "PLB"
        provider = seg.element(1)
        fiscal = self._date(seg, 2) if seg.element(2) else None
        for n in range(_PLB_PAIRS):
            at = 3 + 2 * n
            reason = seg.components(at)
            if not reason:
                continue
            self.plbs.append(self._model(
                seg, ProviderAdjustment, {"provider_id": 1, "fiscal_period_end": 2,
                                          "reason": at, "reference": at, "amount": at + 1},
                provider_id=provider, fiscal_period_end=fiscal,
                reason=reason[0], reference=reason[1] if len(reason) > 1 and reason[1] else None,
                amount=self._money(seg, at + 1), source_position=seg.position))


# --------------------------------------------------------------------------- writing


def write_835(remittances: list[Remittance], params: InterchangeParams) -> str:
    """One interchange, one HP group, one ST/SE per remittance (see module docstring)."""
    out = SegmentWriter(params.delimiters, line_breaks=params.line_breaks)
    out.raw(isa_segment(params))
    out.segment("GS", "HP", params.gs_sender_code, params.gs_receiver_code,
                params.created.strftime("%Y%m%d"), params.created.strftime("%H%M"),
                str(params.group_control_number), "X", GUIDE)
    for offset, remittance in enumerate(remittances):
        control = f"{params.first_transaction_control_number + offset:04d}"
        start = out.count
        out.segment("ST", "835", control)
        _write_remittance(out, remittance)
        out.segment("SE", str(out.count - start + 1), control)
    out.segment("GE", str(len(remittances)), str(params.group_control_number))
    out.segment("IEA", "1", f"{params.interchange_control_number:09d}")
    return out.text()


def _opt_amount(value: Decimal | None) -> str:
    return x12_amount(value) if value is not None else ""


def _opt_date(value: date | None) -> str:
    return x12_date(value) if value is not None else ""


def _write_remittance(out: SegmentWriter, r: Remittance) -> None:
    out.loop = "HEADER"
    bank = bool(r.payer_bank_id or r.payee_bank_id)
    out.segment("BPR", r.handling_code, x12_amount(r.payment_amount), r.credit_debit,
                r.payment_method, r.payment_format, "01" if bank else "", r.payer_bank_id,
                "DA" if r.payer_account else "", r.payer_account, "", "",
                "01" if bank else "", r.payee_bank_id, "DA" if r.payee_account else "",
                r.payee_account, _opt_date(r.payment_date))
    out.segment("TRN", "1", r.trace_number, r.payer_trace_id)
    if r.production_date:
        out.segment("DTM", "405", x12_date(r.production_date))
    out.loop = "1000A"
    _party(out, "PR", r.payer)
    if r.payer_id and r.payer_id != r.payer.identifier:
        out.segment("REF", "2U", r.payer_id)
    if r.payer.contact_phone:
        out.segment("PER", "BL", r.payer.contact_name, "TE", r.payer.contact_phone)
    out.loop = "1000B"
    _party(out, "PE", r.payee)
    if r.payee_tin:
        out.segment("REF", "TJ", r.payee_tin)
    if r.claims:
        out.loop = "2000"
        out.segment("LX", "1")
    for claim in r.claims:
        _write_claim(out, claim)
    out.loop = "PLB"
    for plb in r.provider_adjustments:
        out.segment("PLB", plb.provider_id, _opt_date(plb.fiscal_period_end),
                    [plb.reason, plb.reference or ""], x12_amount(plb.amount))


def _party(out: SegmentWriter, code: str, party: Party) -> None:
    out.segment("N1", code, party.name, party.identifier_qualifier, party.identifier)
    if party.address is not None:
        a = party.address
        out.segment("N3", a.line1, a.line2)
        out.segment("N4", a.city, a.state, a.postal_code, a.country)


def _write_cas(out: SegmentWriter, adjustments: list[Adjustment]) -> None:
    by_group: dict[str, list[Adjustment]] = {}
    for adj in adjustments:
        by_group.setdefault(adj.group, []).append(adj)
    for group, items in by_group.items():
        for start in range(0, len(items), _CAS_TRIPLETS):
            values: list[str] = []
            for adj in items[start:start + _CAS_TRIPLETS]:
                values += [adj.reason, x12_amount(adj.amount),
                           format(adj.quantity, "f") if adj.quantity is not None else ""]
            out.segment("CAS", group, *values)


def _write_claim(out: SegmentWriter, c: ClaimPayment) -> None:
    out.loop, out.claim = "2100", c.patient_control_number
    out.segment("CLP", c.patient_control_number, c.status, x12_amount(c.charge),
                x12_amount(c.paid), _opt_amount(c.patient_responsibility), c.filing_indicator,
                c.payer_claim_control_number, "11" if c.frequency else "", c.frequency)
    _write_cas(out, c.adjustments)
    if c.patient_last_name or c.member_id:
        out.segment("NM1", "QC", "1", c.patient_last_name, c.patient_first_name, "", "", "",
                    "MI" if c.member_id else "", c.member_id)
    if c.corrected_last_name or c.corrected_member_id:
        out.segment("NM1", "74", "1", c.corrected_last_name, c.corrected_first_name, "", "",
                    "", "C" if c.corrected_member_id else "", c.corrected_member_id)
    if c.rendering_npi:
        out.segment("NM1", "82", "1", "", "", "", "", "", "XX", c.rendering_npi)
    if c.remark_codes:
        out.segment("MOA", "", "", *c.remark_codes[:5])
    for qualifier, value in (("232", c.service_start), ("233", c.service_end),
                             ("050", c.received_date)):
        if value:
            out.segment("DTM", qualifier, x12_date(value))
    if c.coverage_amount is not None:
        out.segment("AMT", "AU", x12_amount(c.coverage_amount))
    if c.interest is not None:
        out.segment("AMT", "I", x12_amount(c.interest))
    for s in c.services:
        out.loop = "2110"
        submitted = ([s.procedure_qualifier, s.submitted_procedure_code]
                     if s.submitted_procedure_code else "")
        out.segment("SVC", [s.procedure_qualifier, s.procedure_code, *s.modifiers],
                    x12_amount(s.charge), x12_amount(s.paid), "",
                    format(s.units_paid, "f") if s.units_paid is not None else "", submitted)
        if s.service_date:
            out.segment("DTM", "472", x12_date(s.service_date))
        _write_cas(out, s.adjustments)
        if s.line_control_number:
            out.segment("REF", "6R", s.line_control_number)
        if s.allowed_amount is not None:
            out.segment("AMT", "B6", x12_amount(s.allowed_amount))
        for remark in s.remark_codes:
            out.segment("LQ", "HE", remark)
    out.claim = None
