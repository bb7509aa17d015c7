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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, get_args

from edigateway.domain.remittances import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from edigateway.errors import X12Location
from edigateway.x12.envelope import (
    Expect,
    InterchangeParams,
    Segment,
    SegmentWriter,
    write_interchange,
)
from edigateway.x12.formats import x12_amount, x12_date
from edigateway.x12.reader import SegmentReader

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date
    from decimal import Decimal

    from edigateway.x12.envelope import Source

KEY: Final = "835"
GUIDE: Final = "005010X221A1"
_CAS_TRIPLETS: Final = 6
_PLB_PAIRS: Final = 6
_GROUPS: Final = frozenset(get_args(AdjustmentGroup))
_OUTSIDE: Final = {"PLB": "PLB"}
"""PLB stands in no loop (table 3); quarantine problems have always named it ``PLB``."""


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


def iter_835(source: Source, *, name: str | None = None) -> Iterator[Event]:
    """Stream the events of an 835 in bytes, a path or segments (see module docstring):
    memory holds one claim, however large the file (segments the reader does not model are
    passed over without being listed: :func:`read_835` lists them)."""
    return _Reader.reading(source, name, list_skipped=False).stream(source)


def read_835(source: Source, *, name: str | None = None) -> Parsed835:
    """Every remittance of an 835, gathered from :func:`iter_835` (held in memory)."""
    reader = _Reader.reading(source, name)
    interchanges: list[Interchange] = []
    remittances: list[Remittance] = []
    current: Remittance | None = None
    claims: list[ClaimPayment] = []
    for event in reader.stream(source):
        if isinstance(event, RemittanceStart):
            if not interchanges or interchanges[-1] is not event.interchange:
                interchanges.append(event.interchange)
            current, claims = event.remittance, []
        elif isinstance(event, ClaimPayment):
            claims.append(event)
        elif current is not None:
            remittances.append(
                current.model_copy(
                    update={"claims": claims, "provider_adjustments": event.provider_adjustments}
                )
            )
            current = None
    return Parsed835(interchanges, remittances, reader.skipped)


_Dict = dict[str, Any]

_CLAIM_ELEMENTS: Final = {
    "patient_control_number": 1,
    "status": 2,
    "charge": 3,
    "paid": 4,
    "patient_responsibility": 5,
    "filing_indicator": 6,
    "payer_claim_control_number": 7,
    "frequency": 9,
}
"""ClaimPayment fields read from the CLP itself → their element (CLP01 …)."""
_SERVICE_ELEMENTS: Final = {
    "procedure_qualifier": 1,
    "procedure_code": 1,
    "modifiers": 1,
    "charge": 2,
    "paid": 3,
    "units_paid": 5,
    "submitted_procedure_code": 6,
}
"""ServicePayment fields read from the SVC itself → their element (SVC01 …)."""
_REMITTANCE_ELEMENTS: Final = {
    "handling_code": ("BPR", 1),
    "payment_amount": ("BPR", 2),
    "credit_debit": ("BPR", 3),
    "payment_method": ("BPR", 4),
    "payment_format": ("BPR", 5),
    "payer_bank_id": ("BPR", 7),
    "payer_account": ("BPR", 9),
    "payee_bank_id": ("BPR", 13),
    "payee_account": ("BPR", 15),
    "payment_date": ("BPR", 16),
    "trace_number": ("TRN", 2),
    "payer_trace_id": ("TRN", 3),
}
"""Remittance fields → the header segment and element they come from."""
_HEADER_SUMMARIES: Final = frozenset({"CUR", "RDM", "TS3", "TS2"})
"""Header segments read past without a word (currency, remittance delivery, provider
summaries); elsewhere, and any segment without a method, they are listed as skipped.
Other qualifiers of the segments read (DTM, REF, AMT, PER …) are passed over."""


class _Reader(SegmentReader[Event]):
    """The 835's header (BPR, TRN, 1000A/B), claims (2100), service lines (2110) and PLB.

    A segment's method sees where the reader stands: in the header, in a claim (``claim``
    open) or in one of its service lines (``service`` open). Claims and lines are dicts
    until the next one (or the SE) closes them into models, so a value the model refuses
    is blamed on its own segment and element.
    """

    key = KEY
    expect = Expect.of(KEY, sniffed=True, iea02_error=True)
    outside = _OUTSIDE

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.interchange: Interchange | None = None
        self.header: _Dict = {}
        self.header_segments: dict[str, tuple[Segment, str]] = {}
        self.party: _Dict | None = None
        self.header_done = False
        self.claim: _Dict | None = None
        self.service: _Dict | None = None
        self.plbs: list[ProviderAdjustment] = []

    # -- envelope
    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind == "ISA":
            self.interchange = Interchange(
                control_number=seg.element(13),
                sender_qualifier=seg.element(5),
                sender_id=seg.element(6).strip(),
                receiver_qualifier=seg.element(7),
                receiver_id=seg.element(8).strip(),
                usage_indicator=seg.element(15),
            )
        elif kind == "GS" and self.interchange is not None:
            base = self.interchange
            self.interchange = Interchange(
                base.control_number,
                base.sender_qualifier,
                base.sender_id,
                base.receiver_qualifier,
                base.receiver_id,
                base.usage_indicator,
                group_control_number=seg.element(6),
                gs_sender_code=seg.element(2),
                gs_receiver_code=seg.element(3),
            )
        elif kind == "ST":
            self.header = {"transaction_control_number": seg.element(2)}
            self.header_segments = {}
            self.party, self.header_done, self.plbs = None, False, []
        elif kind == "SE":
            self.emit(RemittanceEnd(seg.element(2), self.plbs, seg.position))

    def closing(self, seg: Segment) -> None:
        if self.envelope.st is not None:
            self._close_claim()
            self._start()

    def other(self, seg: Segment) -> None:
        if self.claim is not None or seg.id not in _HEADER_SUMMARIES:
            self.skip(seg)

    # -- header (table 1)
    def _in_claim(self, seg: Segment) -> bool:
        """A header segment met inside a claim: listed as skipped there (claims and lines
        hold no such segment)."""
        if self.claim is None:
            return False
        self.skip(seg)
        return True

    def _seg_BPR(self, seg: Segment) -> None:
        if self._in_claim(seg):
            return
        self.header_segments["BPR"] = (seg, self.loop)
        h = self.header
        h.update(
            handling_code=seg.element(1),
            payment_amount=self.money(seg, 2),
            source_position=seg.position,
            credit_debit=seg.element(3) or "C",
            payment_method=seg.element(4),
            payment_format=seg.element(5) or None,
            payer_bank_id=seg.element(7) or None,
            payer_account=seg.element(9) or None,
            payee_bank_id=seg.element(13) or None,
            payee_account=seg.element(15) or None,
        )
        if seg.element(16):
            h["payment_date"] = self.date(seg, 16)
        if h["credit_debit"] not in ("C", "D"):
            raise self.fail(seg, 3, f"credit/debit flag {h['credit_debit']!r} is not C/D")

    def _seg_TRN(self, seg: Segment) -> None:
        if self._in_claim(seg):
            return
        self.header_segments["TRN"] = (seg, self.loop)
        self.header.update(trace_number=seg.element(2), payer_trace_id=seg.element(3) or None)

    def _seg_N1(self, seg: Segment) -> None:
        q = seg.element(1)
        if self._in_claim(seg):
            return
        if q not in ("PR", "PE"):
            self.skip(seg)
            return
        self.party = {
            "name": seg.element(2),
            "identifier_qualifier": seg.element(3) or None,
            "identifier": seg.element(4) or None,
        }
        self.header["payer" if q == "PR" else "payee"] = self.party
        if q == "PR" and seg.element(4):
            self.header.setdefault("payer_id", seg.element(4))

    def _seg_N3(self, seg: Segment) -> None:
        if self._in_claim(seg):
            return
        if self.party is None:
            self.skip(seg)
            return
        self.party["address"] = {"line1": seg.element(1), "line2": seg.element(2) or None}

    def _seg_N4(self, seg: Segment) -> None:
        if self._in_claim(seg):
            return
        if self.party is None:
            self.skip(seg)
            return
        self.party.setdefault("address", {"line1": ""}).update(
            city=seg.element(1),
            state=seg.element(2) or None,
            postal_code=seg.element(3) or None,
            country=seg.element(4) or None,
        )

    def _seg_PER(self, seg: Segment) -> None:
        if self.service is not None:
            self.skip(seg)
        elif (
            self.claim is None
            and seg.element(1) == "BL"
            and self.loop == "1000A"
            and self.party is not None
        ):
            self.party["contact_name"] = seg.element(2) or None
            self.party["contact_phone"] = next(
                (seg.element(i + 1) for i in (3, 5, 7) if seg.element(i) == "TE"), None
            )

    def _seg_REF(self, seg: Segment) -> None:
        q = seg.element(1)
        if self.service is not None:
            if q == "6R":
                self.service["line_control_number"] = seg.element(2)
        elif self.claim is None:
            if q == "2U" and self.loop == "1000A":
                self.header["payer_id"] = seg.element(2)
            elif q == "TJ" and self.loop == "1000B":
                self.header["payee_tin"] = seg.element(2)

    def _seg_DTM(self, seg: Segment) -> None:
        q = seg.element(1)
        if self.service is not None:
            if q in ("472", "150"):
                self.service["service_date"] = self.date(seg, 2)
        elif self.claim is not None:
            key = {"232": "service_start", "233": "service_end", "050": "received_date"}.get(q)
            if key is not None:
                self.claim[key] = self.date(seg, 2)
        elif q == "405":
            self.header["production_date"] = self.date(seg, 2)

    def _start(self) -> None:
        if self.header_done:
            return
        self.header_done = True
        seg = self.envelope.st
        assert seg is not None  # noqa: S101 - only called inside ST…SE
        for key, what in (
            ("payment_amount", "BPR"),
            ("trace_number", "TRN"),
            ("payer", "N1*PR"),
            ("payee", "N1*PE"),
        ):
            if key not in self.header:
                raise self.fail(
                    seg,
                    None,
                    f"the 835 has no {what} segment before its first claim; it cannot be posted",
                )
        assert self.interchange is not None  # noqa: S101 - ST checked GS and ISA
        elements = {
            field: (*self.header_segments[sid], index)
            for field, (sid, index) in _REMITTANCE_ELEMENTS.items()
            if sid in self.header_segments
        }
        self.emit(
            RemittanceStart(
                self.interchange,
                self.model(
                    seg,
                    Remittance,
                    self.header,
                    elements={k: (at, index, loop) for k, (at, loop, index) in elements.items()},
                ),
            )
        )

    # -- table 2: LX, claims (2100) and service lines (2110)
    def _seg_LX(self, seg: Segment) -> None:
        self._close_claim()
        self._start()

    def _seg_CLP(self, seg: Segment) -> None:
        self._close_claim()
        self._start()
        self.claim = {
            "patient_control_number": seg.element(1),
            "status": seg.element(2),
            "charge": self.money(seg, 3),
            "paid": self.money(seg, 4),
            "patient_responsibility": self.amount(seg, 5),
            "filing_indicator": seg.element(6) or None,
            "payer_claim_control_number": seg.element(7) or None,
            "frequency": seg.element(9) or None,
            "adjustments": [],
            "remark_codes": [],
            "services": [],
            "source_position": seg.position,
            "_at": (seg, self.loop),
        }
        if not seg.element(1):
            raise self.fail(seg, 1, "CLP01 (patient control number) is empty")
        self.service = None

    def _close_service(self) -> None:
        if self.service is not None and self.claim is not None:
            seg, loop = self.service.pop("_at")
            self.claim["services"].append(
                self.model(seg, ServicePayment, self.service, elements=_SERVICE_ELEMENTS, loop=loop)
            )
        self.service = None

    def _close_claim(self) -> None:
        self._close_service()
        if self.claim is None:
            return
        claim, self.claim = self.claim, None
        seg, loop = claim.pop("_at")
        self.emit(self.model(seg, ClaimPayment, claim, elements=_CLAIM_ELEMENTS, loop=loop))

    def _seg_SVC(self, seg: Segment) -> None:
        if self.claim is None:
            raise self.fail(seg, None, "SVC outside a claim (no CLP before it)")
        self._close_service()
        procedure = seg.components(1)
        if len(procedure) < 2 or not procedure[1]:
            sep = seg.delimiters.component
            raise self.fail(
                seg,
                1,
                f"SVC01 {seg.element(1)!r} is not qualifier{sep}procedure "
                f"(e.g. AD{sep}D1110); the ISA declares {sep!r} as the component "
                "separator",
            )
        submitted = seg.components(6)
        self.service = {
            "procedure_qualifier": procedure[0],
            "procedure_code": procedure[1],
            "modifiers": [m for m in procedure[2:6] if m],
            "charge": self.money(seg, 2),
            "paid": self.money(seg, 3),
            "units_paid": self.quantity(seg, 5),
            "submitted_procedure_code": submitted[1] if len(submitted) > 1 else None,
            "adjustments": [],
            "remark_codes": [],
            "source_position": seg.position,
            "_at": (seg, self.loop),
        }

    def _seg_CAS(self, seg: Segment) -> None:
        target = self.service if self.service is not None else self.claim
        if target is None:
            raise self.fail(seg, None, "CAS outside a claim or service line")
        elements = seg.elements
        code = seg.element(1)
        if code not in _GROUPS:
            raise self.fail(seg, 1, f"adjustment group {code!r} is not CO, CR, OA, PI or PR")
        last = min(len(elements), 1 + 3 * _CAS_TRIPLETS)
        for reason_at in range(2, last + 1, 3):
            reason = elements[reason_at - 1]
            if not reason:
                if seg.element(reason_at + 1):
                    raise self.fail(seg, reason_at, "an adjustment amount without a reason")
                continue
            if len(reason) > 5 or not reason.strip():
                raise self.fail(seg, reason_at, f"{reason!r} is not a reason code")
            # checked here, so the Adjustment is left to the service's (or claim's) model
            # to build: pydantic validates the nested list without a Python call per
            # triplet (a 20,000-claim file has 140,000 of them)
            target["adjustments"].append(
                {
                    "group": code,
                    "reason": reason,
                    "amount": self.money(seg, reason_at + 1),
                    "quantity": self.quantity(seg, reason_at + 2),
                    "source_position": seg.position,
                }
            )

    def _seg_AMT(self, seg: Segment) -> None:
        q = seg.element(1)
        if self.service is not None:
            if q == "B6":
                self.service["allowed_amount"] = self.money(seg, 2)
        elif self.claim is not None:
            if q in ("I", "AU"):
                self.claim["interest" if q == "I" else "coverage_amount"] = self.money(seg, 2)
        else:
            self.skip(seg)

    def _seg_LQ(self, seg: Segment) -> None:
        if self.service is not None:
            if seg.element(1) == "HE":
                self.service["remark_codes"].append(seg.element(2))
        else:
            self.skip(seg)

    def _seg_NM1(self, seg: Segment) -> None:
        claim, q = self.claim, seg.element(1)
        if claim is None or self.service is not None:
            self.skip(seg)
        elif q == "QC":
            claim.update(
                patient_last_name=seg.element(3) or None,
                patient_first_name=seg.element(4) or None,
                member_id=seg.element(9) or None,
            )
        elif q == "IL":
            claim["member_id"] = seg.element(9) or claim.get("member_id")
        elif q == "74":
            claim.update(
                corrected_last_name=seg.element(3) or None,
                corrected_first_name=seg.element(4) or None,
                corrected_member_id=seg.element(9) or None,
            )
        elif q == "82" and seg.element(8) == "XX":
            claim["rendering_npi"] = seg.element(9)

    def _seg_MOA(self, seg: Segment) -> None:
        if self.claim is None or self.service is not None:
            self.skip(seg)
        else:
            self.claim["remark_codes"].extend(c for c in seg.elements[2:7] if c)

    def _seg_MIA(self, seg: Segment) -> None:
        if self.claim is None or self.service is not None:
            self.skip(seg)
        else:
            self.claim["remark_codes"].extend(
                c for i in (5, 20, 21, 22, 23) if (c := seg.element(i))
            )

    def _seg_QTY(self, seg: Segment) -> None:
        if self.claim is None:
            self.skip(seg)

    # -- table 3
    def _seg_PLB(self, seg: Segment) -> None:
        self._close_claim()
        provider = seg.element(1)
        fiscal = self.date(seg, 2) if seg.element(2) else None
        for n in range(_PLB_PAIRS):
            at = 3 + 2 * n
            reason = seg.components(at)
            if not reason:
                continue
            self.plbs.append(
                self.model(
                    seg,
                    ProviderAdjustment,
                    {
                        "provider_id": provider,
                        "fiscal_period_end": fiscal,
                        "reason": reason[0],
                        "reference": reason[1] if len(reason) > 1 and reason[1] else None,
                        "amount": self.money(seg, at + 1),
                        "source_position": seg.position,
                    },
                    elements={
                        "provider_id": 1,
                        "fiscal_period_end": 2,
                        "reason": at,
                        "reference": at,
                        "amount": at + 1,
                    },
                )
            )


# --------------------------------------------------------------------------- writing


def write_835(remittances: list[Remittance], params: InterchangeParams) -> str:
    """One interchange, one HP group, one ST/SE per remittance (see module docstring)."""
    return write_interchange(params, KEY, remittances, _write_remittance, outside=_OUTSIDE)


def _opt_amount(value: Decimal | None) -> str:
    return x12_amount(value) if value is not None else ""


def _opt_date(value: date | None) -> str:
    return x12_date(value) if value is not None else ""


def _write_remittance(out: SegmentWriter, _control: str, r: Remittance) -> None:
    bank = bool(r.payer_bank_id or r.payee_bank_id)
    out.segment(
        "BPR",
        r.handling_code,
        x12_amount(r.payment_amount),
        r.credit_debit,
        r.payment_method,
        r.payment_format,
        "01" if bank else "",
        r.payer_bank_id,
        "DA" if r.payer_account else "",
        r.payer_account,
        "",
        "",
        "01" if bank else "",
        r.payee_bank_id,
        "DA" if r.payee_account else "",
        r.payee_account,
        _opt_date(r.payment_date),
    )
    out.segment("TRN", "1", r.trace_number, r.payer_trace_id)
    if r.production_date:
        out.segment("DTM", "405", x12_date(r.production_date))
    _party(out, "PR", r.payer)
    if r.payer_id and r.payer_id != r.payer.identifier:
        out.segment("REF", "2U", r.payer_id)
    if r.payer.contact_phone:
        out.segment("PER", "BL", r.payer.contact_name, "TE", r.payer.contact_phone)
    _party(out, "PE", r.payee)
    if r.payee_tin:
        out.segment("REF", "TJ", r.payee_tin)
    if r.claims:
        out.segment("LX", "1")
    for claim in r.claims:
        _write_claim(out, claim)
    for plb in r.provider_adjustments:
        out.segment(
            "PLB",
            plb.provider_id,
            _opt_date(plb.fiscal_period_end),
            [plb.reason, plb.reference or ""],
            x12_amount(plb.amount),
        )


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
            for adj in items[start : start + _CAS_TRIPLETS]:
                values += [
                    adj.reason,
                    x12_amount(adj.amount),
                    format(adj.quantity, "f") if adj.quantity is not None else "",
                ]
            out.segment("CAS", group, *values)


def _write_claim(out: SegmentWriter, c: ClaimPayment) -> None:
    out.claim = c.patient_control_number
    out.segment(
        "CLP",
        c.patient_control_number,
        c.status,
        x12_amount(c.charge),
        x12_amount(c.paid),
        _opt_amount(c.patient_responsibility),
        c.filing_indicator,
        c.payer_claim_control_number,
        "11" if c.frequency else "",
        c.frequency,
    )
    _write_cas(out, c.adjustments)
    if c.patient_last_name or c.member_id:
        out.segment(
            "NM1",
            "QC",
            "1",
            c.patient_last_name,
            c.patient_first_name,
            "",
            "",
            "",
            "MI" if c.member_id else "",
            c.member_id,
        )
    if c.corrected_last_name or c.corrected_member_id:
        out.segment(
            "NM1",
            "74",
            "1",
            c.corrected_last_name,
            c.corrected_first_name,
            "",
            "",
            "",
            "C" if c.corrected_member_id else "",
            c.corrected_member_id,
        )
    if c.rendering_npi:
        out.segment("NM1", "82", "1", "", "", "", "", "", "XX", c.rendering_npi)
    if c.remark_codes:
        out.segment("MOA", "", "", *c.remark_codes[:5])
    for qualifier, value in (
        ("232", c.service_start),
        ("233", c.service_end),
        ("050", c.received_date),
    ):
        if value:
            out.segment("DTM", qualifier, x12_date(value))
    if c.coverage_amount is not None:
        out.segment("AMT", "AU", x12_amount(c.coverage_amount))
    if c.interest is not None:
        out.segment("AMT", "I", x12_amount(c.interest))
    for s in c.services:
        submitted = (
            [s.procedure_qualifier, s.submitted_procedure_code]
            if s.submitted_procedure_code
            else ""
        )
        out.segment(
            "SVC",
            [s.procedure_qualifier, s.procedure_code, *s.modifiers],
            x12_amount(s.charge),
            x12_amount(s.paid),
            "",
            format(s.units_paid, "f") if s.units_paid is not None else "",
            submitted,
        )
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
