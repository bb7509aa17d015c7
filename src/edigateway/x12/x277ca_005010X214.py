"""277CA Health Care Claim Acknowledgment (005010X214): claim statuses to domain objects and back.

The 277CA is the payer's (or clearinghouse's) first word on each claim: taken into
adjudication, or rejected before it, and why. Its HL hierarchy is fixed::

    HL*1**20*1~   2000A information source   NM1*PR (payer) or AY (clearinghouse), TRN*1, DTP
    HL*2*1*21*1~  2000B information receiver NM1*41 (us, the submitter), TRN*2 = our 837
                                             batch (BHT03), STC/QTY/AMT batch totals
    HL*3*2*19*1~  2000C billing provider     NM1*85 … XX (NPI), TRN*1
    HL*4*3*PT~    2000D patient              NM1*QC, then per claim (2200D):
                                             TRN*2 = our patient control number (CLM01),
                                             STC, REF*1K payer claim number, DTP*472

A claim reads as::

    TRN*2*PC123~STC*A7:562:85*20261122*U*150~    -> ClaimAck(patient_control_number="PC123",
                                                    category_code="A7", status="rejected", …)

:func:`read_277ca` streams segments into :class:`~edigateway.domain.acknowledgments.ClaimAckFile`
objects, one per information source in each ST…SE, each claim carrying its billing provider
and patient. Provider-level (2200C) traces, statuses and totals are summaries of the claims
below them: they are not kept when reading, and the writer computes them from the claims
(``STC*A1:19:PR``, ``QTY*QA``/``QC``, ``AMT*YU``/``YY``). Every problem is an
:class:`~edigateway.errors.X12StructureError` naming file, segment position, loop and element.

:func:`write_277ca` writes the acknowledgment for claims we received (the clearinghouse
simulator uses it): consecutive claims of one billing provider share a 2000C, each claim has
its own 2000D. Reading what it wrote gives the same models back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from edigateway.domain.acknowledgments import (
    AckParty,
    ClaimAck,
    ClaimAckFile,
    InterchangeAck,
    LineAck,
    StatusCode,
    StatusReport,
)
from edigateway.x12.envelope import (
    Expect,
    InterchangeParams,
    ReadWarning,
    Segment,
    SegmentWriter,
    write_interchange,
)
from edigateway.x12.formats import is_digits, x12_amount, x12_date
from edigateway.x12.reader import SegmentReader

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.x12.envelope import Source

KEY: Final = "277CA"
GUIDE: Final = "005010X214"
_LEVELS: Final = ("20", "21", "19", "PT")
_AFTER: Final = {
    "21": frozenset({"20"}),
    "19": frozenset({"21", "19", "PT"}),
    "PT": frozenset({"19", "PT"}),
}
"""The levels each HL level may follow: a receiver its source, a provider the receiver or
the previous provider's last patient, a patient its provider or the previous patient."""
_OUTSIDE: Final = {"BHT": "BHT"}


@dataclass(slots=True)
class Parsed277CA:
    """Every 277CA of a file and any TA1 in the same interchanges."""

    files: list[ClaimAckFile]
    interchange_acks: list[InterchangeAck] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_277ca(source: Source, *, name: str | None = None) -> Parsed277CA:
    """All 277CAs of ``source`` (bytes, a path or segments; see module docstring)."""
    reader = _Reader.reading(source, name)
    files = [f for f in reader.read(source) if isinstance(f, ClaimAckFile)]
    return Parsed277CA(files, reader.envelope.interchange_acks, reader.envelope.warnings)


@dataclass
class Streamed277CA:
    """A 277CA being read claim by claim, so that memory holds one claim however many the
    file acknowledges (``x12 parse --json`` writes each as it comes): :attr:`events` yields
    each acknowledged batch's header — a :class:`ClaimAckFile` whose ``claims`` is empty —
    and then its claims, one :class:`ClaimAck` at a time; once they are exhausted,
    :meth:`parsed` gives the TA1s and warnings (no files)."""

    events: Iterator[ClaimAckFile | ClaimAck]
    _reader: _Reader

    def parsed(self) -> Parsed277CA:
        """The interchange acknowledgments and warnings (see class docstring)."""
        envelope = self._reader.envelope
        return Parsed277CA([], envelope.interchange_acks, envelope.warnings)


def stream_277ca(source: Source, *, name: str | None = None) -> Streamed277CA:
    """Read a 277CA claim by claim (see :class:`Streamed277CA`); the same checks and
    errors as :func:`read_277ca`, a batch's header checked before its first claim."""
    reader = _Reader.reading(source, name)
    reader.streaming = True
    return Streamed277CA(reader.stream(source), reader)


_Dict = dict[str, Any]


class _Reader(SegmentReader[ClaimAckFile | ClaimAck]):
    """BHT and the 2000A/B/C/D levels with their 2100/2200/2220 loops; ``streaming``: hand
    on each batch's header before its first claim and each claim as it ends (see
    :class:`Streamed277CA`), instead of whole batches."""

    streaming = False

    key = KEY
    expect = Expect.of(KEY)
    outside = _OUTSIDE

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.header: _Dict | None = None
        self.current: _Dict | None = None
        self.level = ""
        self.provider: _Dict = {}
        self.patient: _Dict = {}
        self.claim: _Dict | None = None
        self.line: _Dict | None = None

    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind == "ST":
            self.header, self.current, self.level = None, None, ""
        elif kind == "SE":
            self._close_source(seg)

    def check(self, seg: Segment) -> None:
        if seg.id == "BHT":
            return
        if self.header is None:
            raise self.fail(seg, None, f"{seg.id} before BHT (the 277CA's header)")
        if seg.id != "HL" and self.current is None:
            raise self.fail(seg, None, f"{seg.id} before the first HL (information source)")

    def other(self, seg: Segment) -> None:
        raise self.fail(seg, None, f"{seg.id} is not a segment of the 277CA")

    def _seg_BHT(self, seg: Segment) -> None:
        if self.header is not None:
            raise self.fail(seg, None, "a second BHT in one transaction")
        if seg.element(1) != "0085":
            raise self.fail(
                seg,
                1,
                f"BHT01 {seg.element(1)!r} is not 0085 (the 277CA's "
                "hierarchy: source, receiver, provider, patient)",
            )
        clock = seg.element(5)
        if not (len(clock) in (4, 6, 7, 8) and is_digits(clock)):
            raise self.fail(seg, 5, f"BHT05 {clock!r} is not an HHMM[SS] time")
        day = self.date(seg, 4)
        try:
            created = datetime(  # noqa: DTZ001 - BHT04/05 carry no offset
                day.year,
                day.month,
                day.day,
                int(clock[:2]),
                int(clock[2:4]),
                int(clock[4:6] or 0),
            )
        except ValueError as exc:
            raise self.fail(seg, 5, f"BHT05 {clock!r} is not a time ({exc})") from exc
        self.header = {"reference": seg.element(3), "created": created}

    def _seg_HL(self, seg: Segment) -> None:
        code = seg.element(3)
        if code not in _LEVELS:
            raise self.fail(seg, 3, f"HL03 {code!r} is not 20, 21, 19 or PT (the 277CA's levels)")
        if code in _AFTER and self.level not in _AFTER[code]:
            raise self.fail(
                seg, 3, f"HL level {code} cannot follow level {self.level or 'nothing'}"
            )
        self._close_claim(seg)
        if code == "20":
            self._close_source(seg)
            self.current = {**(self.header or {}), "claims": [], "receiver_reports": []}
        elif code == "19":
            self.provider = {}
        elif code == "PT":
            self.patient = {}
        self.level = code

    def _seg_NM1(self, seg: Segment) -> None:
        assert self.current is not None  # noqa: S101 - check() made sure
        who, q = seg.element(1), seg.element(8)
        if self.level == "20":
            if who not in ("PR", "AY"):
                raise self.fail(seg, 1, f"NM101 {who!r} is not PR (payer) or AY (clearinghouse)")
            self.current["source_entity"] = who
            self.current["information_source"] = self._party(seg)
        elif self.level == "21":
            if who != "41":
                raise self.fail(seg, 1, f"NM101 {who!r} is not 41 (the information receiver)")
            self.current["receiver"] = self._party(seg)
        elif self.level == "19":
            if who != "85":
                raise self.fail(seg, 1, f"NM101 {who!r} is not 85 (the billing provider)")
            self.provider = {
                "billing_provider_name": seg.element(3),
                "billing_provider_first_name": seg.element(4) or None,
                "billing_provider_id_qualifier": q,
                "billing_provider_id": seg.element(9),
            }
        elif self.level == "PT":
            if who != "QC":
                raise self.fail(seg, 1, f"NM101 {who!r} is not QC (the patient)")
            self.patient = {
                "patient_last_name": seg.element(3),
                "patient_first_name": seg.element(4) or None,
                "patient_middle_name": seg.element(5) or None,
                "patient_id_qualifier": q,
                "patient_id": seg.element(9),
            }

    def _party(self, seg: Segment) -> AckParty:
        return self.model(
            seg,
            AckParty,
            {
                "name": seg.element(3),
                "first_name": seg.element(4) or None,
                "entity_type": seg.element(2),
                "id_qualifier": seg.element(8),
                "identifier": seg.element(9),
            },
        )

    def _seg_TRN(self, seg: Segment) -> None:
        assert self.current is not None  # noqa: S101 - check() made sure
        if not seg.element(2):
            raise self.fail(seg, 2, "TRN02 (the trace number) is missing")
        if self.level == "20":
            self.current["source_trace"] = seg.element(2)
        elif self.level == "21":
            self.current["receiver_trace"] = seg.element(2)
        elif self.level == "PT":
            self._close_claim(seg)
            if seg.element(1) != "2":
                raise self.fail(
                    seg,
                    1,
                    f"TRN01 {seg.element(1)!r} is not 2 (referenced "
                    "transaction trace: the claim we sent)",
                )
            self.claim = {
                "patient_control_number": seg.element(2),
                "lines": [],
                "more_reports": [],
                "_seg": seg,
                **self.provider,
                **self.patient,
            }
        # the provider's trace (2200C) is a summary of the claims below: not kept

    def _status(self, seg: Segment) -> _Dict:
        """STC01/10/11, STC02–04 and STC12 as the fields of a report."""
        codes: list[StatusCode] = []
        for index in (1, 10, 11):
            parts = seg.components(index)
            if not parts:
                if index == 1:
                    raise self.fail(seg, 1, "STC01 (category:status) is missing")
                continue
            if len(parts) < 2 or not parts[0] or not parts[1]:
                sep = seg.delimiters.component
                raise self.fail(
                    seg,
                    index,
                    f"STC{index:02d} {seg.element(index)!r} is not "
                    f"category{sep}status[{sep}entity]",
                )
            codes.append(
                self.model(
                    seg,
                    StatusCode,
                    {
                        "category_code": parts[0],
                        "status_code": parts[1],
                        "entity_code": parts[2] if len(parts) > 2 and parts[2] else None,
                    },
                )
            )
        action = seg.element(3)
        if action not in ("", "WQ", "U"):
            raise self.fail(seg, 3, f"STC03 {action!r} is not WQ (accept) or U (reject)")
        return {
            "codes": codes,
            "status_date": self.date(seg, 2) if seg.element(2) else None,
            "action_code": action or None,
            "amount": self.amount(seg, 4),
            "free_text": seg.element(12) or None,
        }

    def _seg_STC(self, seg: Segment) -> None:
        assert self.current is not None  # noqa: S101 - check() made sure
        values = self._status(seg)
        target = self.line if self.line is not None else self.claim
        if target is not None:
            if "category_code" in target:
                target["more_reports"].append(self.model(seg, StatusReport, values))
                return
            first, *more = values.pop("codes")
            target.update(
                category_code=first.category_code,
                status_code=first.status_code,
                entity_code=first.entity_code,
                additional_statuses=more,
                **values,
            )
        elif self.level == "21":
            self.current["receiver_reports"].append(self.model(seg, StatusReport, values))
        elif self.level != "19":
            raise self.fail(seg, None, "STC outside the receiver, provider, claim or line levels")

    def _seg_SVC(self, seg: Segment) -> None:
        if self.claim is None:
            raise self.fail(seg, None, "SVC outside a claim (no TRN*2 before it)")
        self._close_line(seg)
        procedure = seg.components(1)
        if len(procedure) < 2 or not procedure[1]:
            sep = seg.delimiters.component
            raise self.fail(
                seg,
                1,
                f"SVC01 {seg.element(1)!r} is not qualifier{sep}procedure (e.g. AD{sep}D1110)",
            )
        charge = self.amount(seg, 2)
        if charge is None:
            raise self.fail(seg, 2, "SVC02 (line charge) is missing")
        self.line = {
            "procedure_qualifier": procedure[0],
            "procedure_code": procedure[1],
            "modifiers": [m for m in procedure[2:6] if m],
            "charge": charge,
            "units": self.number(seg, 7, what="a whole number of units"),
            "more_reports": [],
            "_seg": seg,
        }

    def _seg_DTP(self, seg: Segment) -> None:
        assert self.current is not None  # noqa: S101 - check() made sure
        q, form, value = seg.element(1), seg.element(2), seg.element(3)
        if self.level == "20" and q in ("050", "009"):
            self.current["received_date" if q == "050" else "processed_date"] = self.date(seg, 3)
            return
        target = self.line if self.line is not None else self.claim
        if q != "472" or target is None:
            raise self.fail(seg, 1, f"DTP*{q} is not expected in loop {self.loop}")
        if form == "D8":
            target["service_start"] = self.date(seg, 3)
        elif form == "RD8":
            start, _, end = value.partition("-")
            target["service_start"] = self.date(seg, 3, start)
            target["service_end"] = self.date(seg, 3, end)
        else:
            raise self.fail(seg, 2, f"DTP02 {form!r} is not D8 or RD8")

    def _seg_REF(self, seg: Segment) -> None:
        q = seg.element(1)
        if self.line is not None:
            if q == "FJ":
                self.line["line_control_number"] = seg.element(2)
            return  # pharmacy prescription numbers (XZ) do not occur on dental claims
        if self.claim is not None:
            key = {
                "1K": "payer_claim_control_number",
                "D9": "clearinghouse_trace_number",
                "BLT": "bill_type",
            }.get(q)
            if key is None:
                raise self.fail(
                    seg, 1, f"REF*{q} is not a claim reference of the 277CA (1K, D9, BLT)"
                )
            self.claim[key] = seg.element(2)
        elif self.level != "19":
            raise self.fail(seg, None, f"REF outside a provider, claim or line (loop {self.loop})")

    def _seg_QTY(self, seg: Segment) -> None:
        self._total(seg)

    def _seg_AMT(self, seg: Segment) -> None:
        self._total(seg)

    def _total(self, seg: Segment) -> None:
        assert self.current is not None  # noqa: S101 - check() made sure
        if self.level == "19":
            return  # provider-level totals: sums of the claims below
        q = seg.element(1)
        key = {
            ("QTY", "90"): "accepted_count",
            ("QTY", "AA"): "rejected_count",
            ("AMT", "YU"): "accepted_amount",
            ("AMT", "YY"): "rejected_amount",
        }.get((seg.id, q))
        if self.level != "21" or key is None:
            raise self.fail(seg, 1, f"{seg.id}*{q} is not expected in loop {self.loop}")
        if seg.id == "QTY":
            self.current[key] = self.number(seg, 2, required=True)
        else:
            self.current[key] = self.amount(seg, 2)

    def _close_line(self, seg: Segment) -> None:
        if self.line is None or self.claim is None:
            return
        line, self.line = self.line, None
        at = line.pop("_seg")
        if "category_code" not in line:
            raise self.fail(at, None, "the service line has no STC (its status)")
        self.claim["lines"].append(self.model(at, LineAck, line))

    def _close_claim(self, seg: Segment) -> None:
        self._close_line(seg)
        if self.claim is None or self.current is None:
            return
        claim, self.claim = self.claim, None
        at = claim.pop("_seg")
        if "category_code" not in claim:
            raise self.fail(
                at, None, f"claim {claim['patient_control_number']!r} has no STC (its status)"
            )
        if not self.streaming:
            self.current["claims"].append(self.model(at, ClaimAck, claim))
            return
        if not self.current.pop("_started", False):
            self.emit(self._file(at, self.current))
        self.current["_started"] = True
        self.emit(self.model(at, ClaimAck, claim))

    def _close_source(self, seg: Segment) -> None:
        self._close_claim(seg)
        if self.current is None:
            return
        current, self.current = self.current, None
        if not current.pop("_started", False):
            self.emit(self._file(seg, current))

    def _file(self, seg: Segment, current: _Dict) -> ClaimAckFile:
        """The batch read so far (its claims, or none when they are handed on one by one)."""
        for key, what in (
            ("information_source", "NM1*PR"),
            ("source_trace", "TRN*1"),
            ("receiver", "NM1*41"),
            ("receiver_trace", "TRN*2"),
        ):
            if key not in current:
                raise self.fail(
                    seg, None, f"the 277CA has no {what} for its information source or receiver"
                )
        return self.model(seg, ClaimAckFile, current)


# --------------------------------------------------------------------------- writing


def write_277ca(files: list[ClaimAckFile], params: InterchangeParams) -> str:
    """One interchange, one HN group, one ST…SE per :class:`ClaimAckFile`."""
    return write_interchange(params, KEY, files, _write_file, outside=_OUTSIDE)


def _opt_date(value: date | None) -> str:
    return x12_date(value) if value is not None else ""


def _opt_amount(value: Decimal | None) -> str:
    return x12_amount(value) if value is not None else ""


def _code(status: StatusCode) -> list[str]:
    return [status.category_code, status.status_code, status.entity_code or ""]


def _write_stc(
    out: SegmentWriter,
    codes: list[StatusCode],
    status_date: date | None,
    action: str | None,
    amount: Decimal | None,
    free_text: str | None,
) -> None:
    first, *more = codes
    extra = [_code(s) for s in more]
    out.segment(
        "STC",
        _code(first),
        _opt_date(status_date),
        action,
        _opt_amount(amount),
        "",
        "",
        "",
        "",
        "",
        extra[0] if extra else "",
        extra[1] if len(extra) > 1 else "",
        free_text,
    )


def _write_report(out: SegmentWriter, report: StatusReport) -> None:
    _write_stc(
        out, report.codes, report.status_date, report.action_code, report.amount, report.free_text
    )


def _write_dates(out: SegmentWriter, start: date | None, end: date | None) -> None:
    if start is None:
        return
    if end is None:
        out.segment("DTP", "472", "D8", x12_date(start))
    else:
        out.segment("DTP", "472", "RD8", f"{x12_date(start)}-{x12_date(end)}")


def _write_file(out: SegmentWriter, _control: str, f: ClaimAckFile) -> None:
    created = f.created
    out.segment(
        "BHT",
        "0085",
        "08",
        f.reference,
        x12_date(created.date()),
        created.strftime("%H%M%S" if created.second else "%H%M"),
        "TH",
    )
    out.segment("HL", "1", "", "20", "1")
    source = f.information_source
    out.segment(
        "NM1",
        f.source_entity,
        source.entity_type,
        source.name,
        source.first_name,
        "",
        "",
        "",
        source.id_qualifier,
        source.identifier,
    )
    out.segment("TRN", "1", f.source_trace)
    if f.received_date:
        out.segment("DTP", "050", "D8", x12_date(f.received_date))
    if f.processed_date:
        out.segment("DTP", "009", "D8", x12_date(f.processed_date))
    out.segment("HL", "2", "1", "21", "1" if f.claims else "0")
    receiver = f.receiver
    out.segment(
        "NM1",
        "41",
        receiver.entity_type,
        receiver.name,
        receiver.first_name,
        "",
        "",
        "",
        receiver.id_qualifier,
        receiver.identifier,
    )
    out.segment("TRN", "2", f.receiver_trace)
    for report in f.receiver_reports:
        _write_report(out, report)
    for qualifier, count in (("90", f.accepted_count), ("AA", f.rejected_count)):
        if count is not None:
            out.segment("QTY", qualifier, str(count))
    for qualifier, amount in (("YU", f.accepted_amount), ("YY", f.rejected_amount)):
        if amount is not None:
            out.segment("AMT", qualifier, x12_amount(amount))
    groups: list[list[ClaimAck]] = []
    for claim in f.claims:
        if groups and _provider(groups[-1][0]) == _provider(claim):
            groups[-1].append(claim)
        else:
            groups.append([claim])
    hl = 2
    for claims in groups:
        hl += 1
        provider_hl = hl
        _write_provider(out, f, claims, provider_hl)
        for claim in claims:
            hl += 1
            out.claim = claim.patient_control_number
            out.segment("HL", str(hl), str(provider_hl), "PT")
            _write_claim(out, claim)
            out.claim = None


def _provider(claim: ClaimAck) -> tuple[str, str | None, str, str]:
    return (
        claim.billing_provider_name,
        claim.billing_provider_first_name,
        claim.billing_provider_id_qualifier,
        claim.billing_provider_id,
    )


def _write_provider(out: SegmentWriter, f: ClaimAckFile, claims: list[ClaimAck], hl: int) -> None:
    """2000C/2100C/2200C for consecutive claims of one billing provider; the provider-level
    status and totals are computed from those claims (the guide requires the STC)."""
    first = claims[0]
    out.segment("HL", str(hl), "2", "19", "1")
    out.segment(
        "NM1",
        "85",
        "1" if first.billing_provider_first_name else "2",
        first.billing_provider_name,
        first.billing_provider_first_name,
        "",
        "",
        "",
        first.billing_provider_id_qualifier,
        first.billing_provider_id,
    )
    out.segment("TRN", "1", "0")
    accepted = [c for c in claims if c.status != "rejected"]
    rejected = [c for c in claims if c.status == "rejected"]
    total = sum((c.amount for c in claims if c.amount is not None), Decimal("0.00"))
    out.segment(
        "STC", ["A1", "19", f.source_entity], "", "WQ" if accepted else "U", x12_amount(total)
    )
    for qualifier, group in (("QA", accepted), ("QC", rejected)):
        if group:
            out.segment("QTY", qualifier, str(len(group)))
    for qualifier, group in (("YU", accepted), ("YY", rejected)):
        if group:
            amount = sum((c.amount for c in group if c.amount is not None), Decimal("0.00"))
            out.segment("AMT", qualifier, x12_amount(amount))


def _write_claim(out: SegmentWriter, c: ClaimAck) -> None:
    out.segment(
        "NM1",
        "QC",
        "1",
        c.patient_last_name,
        c.patient_first_name,
        c.patient_middle_name,
        "",
        "",
        c.patient_id_qualifier,
        c.patient_id,
    )
    out.segment("TRN", "2", c.patient_control_number)
    _write_stc(
        out,
        [
            StatusCode(
                category_code=c.category_code, status_code=c.status_code, entity_code=c.entity_code
            ),
            *c.additional_statuses,
        ],
        c.status_date,
        c.action_code,
        c.amount,
        c.free_text,
    )
    for report in c.more_reports:
        _write_report(out, report)
    for qualifier, value in (
        ("1K", c.payer_claim_control_number),
        ("D9", c.clearinghouse_trace_number),
        ("BLT", c.bill_type),
    ):
        if value:
            out.segment("REF", qualifier, value)
    _write_dates(out, c.service_start, c.service_end)
    for line in c.lines:
        out.segment(
            "SVC",
            [line.procedure_qualifier, line.procedure_code, *line.modifiers],
            x12_amount(line.charge),
            "",
            "",
            "",
            "",
            str(line.units) if line.units is not None else "",
        )
        _write_stc(
            out,
            [
                StatusCode(
                    category_code=line.category_code,
                    status_code=line.status_code,
                    entity_code=line.entity_code,
                ),
                *line.additional_statuses,
            ],
            line.status_date,
            line.action_code,
            line.amount,
            line.free_text,
        )
        for report in line.more_reports:
            _write_report(out, report)
        if line.line_control_number:
            out.segment("REF", "FJ", line.line_control_number)
        _write_dates(out, line.service_start, line.service_end)
