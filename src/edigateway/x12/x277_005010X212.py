"""277 Health Care Claim Status Response (005010X212): a payer's answers to our 276.

The levels are the 276's (payer, information receiver, service provider, subscriber,
dependent); each claim asked about comes back in its own 2200D (or 2200E for a dependent)
with our trace echoed in TRN*2 and one or more STC segments::

    TRN*2*CS-1001~
    STC*F1:65*20261201**150*120*20261128**20261201*CHK10042~   -> ClaimStatusAnswer(
    REF*1K*PAYER-77~REF*EJ*PC1001~DTP*472*D8*20261102~              trace_number="CS-1001",
                                                                  outcome "paid", …)

STC01/STC10/STC11 are category:status[:entity] composites (code sources 507/508); STC02 the
status date; STC04 the claim charge, STC05 paid, STC06 adjudication date, STC08 remittance
(check) date, STC09 check or EFT number. A claim the payer cannot find is answered in its own
loop with ``STC*D0:35`` and no amounts. A request rejected as a whole (unknown provider,
receiver not authorised) is answered at the receiver (2200B) or provider (2200C) level
instead, read as :class:`~edigateway.domain.claim_status.LevelStatus`.

:func:`read_277` returns every answer in file order;
:func:`write_277` (the simulator's) writes answers with the 276 writer's grouping, so
``read_277(write_277(answers, p).encode()).answers == answers``. NCPDP reject codes (STC01-4
``RX``, pharmacy claims) are refused with a located error rather than misread as X12 codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

from pydantic import BaseModel

from edigateway.domain.acknowledgments import StatusCode
from edigateway.domain.claim_status import (
    ClaimStatusAnswer,
    LevelStatus,
    LineStatus,
    StatusReport,
)
from edigateway.domain.common import PersonName
from edigateway.errors import InputError
from edigateway.x12.envelope import (
    Expect,
    InterchangeParams,
    ReadWarning,
    Segment,
    SegmentWriter,
    head_of,
    write_interchange,
)
from edigateway.x12.formats import x12_amount, x12_date
from edigateway.x12.reader import person_name
from edigateway.x12.x276_005010X212 import (
    OUTSIDE,
    HierarchyReader,
    HierarchyWriter,
    Level,
    write_dates,
    write_name,
    write_service,
)

if TYPE_CHECKING:
    from edigateway.x12.envelope import Source

KEY: Final = "277"
_Dict = dict[str, Any]


@dataclass(slots=True)
class Parsed277:
    """Every claim answer of a file, the request-level statuses, and envelope warnings."""

    params: InterchangeParams
    answers: list[ClaimStatusAnswer]
    level_statuses: list[LevelStatus] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_277(source: Source, *, name: str | None = None) -> Parsed277:
    """All answers of a 277 in bytes, a path or segments (see module docstring)."""
    reader = _Reader277.reading(source, name)
    reader.read(source)
    return Parsed277(
        reader.envelope.params(head_of(source)),
        reader.answers,
        reader.statuses,
        reader.envelope.warnings,
    )


class _Reader277(HierarchyReader):
    """The 276 reader's hierarchy plus STC, TRN at the receiver/provider levels, SVC03."""

    key: ClassVar[str] = KEY
    expect = Expect.of(KEY)
    purpose: ClassVar[str] = "08"
    claim_trace_type: ClassVar[str] = "2"

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.answers: list[ClaimStatusAnswer] = []
        self.statuses: list[LevelStatus] = []
        self.level_status: _Dict | None = None

    def _seg_BHT(self, seg: Segment) -> None:
        super()._seg_BHT(seg)
        if seg.element(6) != "DG":
            raise self.fail(seg, 6, f"BHT06 {seg.element(6)!r} is not DG (response)")

    # -- parties: the 277 names subscriber and patient without demographics
    def subscriber(self, seg: Segment) -> object:
        if not seg.element(9):
            raise self.fail(seg, 9, "NM109 (the subscriber's member ID) is missing")
        return {
            "subscriber": self.model(seg, PersonName, person_name(seg)),
            "member_id": seg.element(9),
            "member_id_qualifier": seg.element(8),
        }

    def patient(self, seg: Segment) -> object:
        return self.model(seg, PersonName, person_name(seg))

    def _seg_DMG(self, seg: Segment) -> None:
        raise self.fail(seg, None, "DMG is not a segment of the 277 (005010X212)")

    def _seg_AMT(self, seg: Segment) -> None:
        raise self.fail(
            seg,
            None,
            "AMT is not a segment of the 277 (005010X212); the "
            "claim's charge and payment are in STC04/STC05",
        )

    def _seg_PER(self, seg: Segment) -> None:
        """2100A payer contact: who to call about these answers. Not kept: it does not
        belong to any one claim, and coordinators find it in the payer's profile."""
        if self.level != "20":
            raise self.fail(seg, None, f"PER is expected in loop 2100A, not {self.loop}")

    # -- receiver / provider level statuses
    def close_level(self, seg: Segment) -> None:
        super().close_level(seg)
        if self.level_status is None:
            return
        status, self.level_status = self.level_status, None
        if not status["reported"]:
            raise self.fail(
                status["seg"],
                None,
                f"the {status['level']} level's TRN has no STC (its status)",
                status["loop"],
            )

    def _seg_TRN(self, seg: Segment) -> None:
        if self.level not in ("21", "19"):
            self.start_claim(seg)
            return
        expected = "2" if self.level == "21" else "1"
        if seg.element(1) != expected:
            raise self.fail(
                seg, 1, f"TRN01 {seg.element(1)!r} is not {expected} in loop {self.loop}"
            )
        if self.level_status is not None:
            raise self.fail(seg, None, f"a second TRN in loop {self.loop}")
        if not seg.element(2):
            raise self.fail(seg, 2, "TRN02 (the trace number) is missing")
        self.level_status = {
            "level": "receiver" if self.level == "21" else "provider",
            "trace": seg.element(2),
            "seg": seg,
            "loop": self.loop,
            "reported": False,
        }

    # -- STC
    def _seg_STC(self, seg: Segment) -> None:
        if self.level_status is not None:
            self._level_stc(seg, self.level_status)
            return
        target = self.current(seg)
        report = self._stc(seg, amounts=self.line is None)
        if "statuses" in target:
            target.setdefault("more_reports", []).append(self.model(seg, StatusReport, report))
            return
        target["statuses"] = report.pop("codes")
        target.update(report)

    def _level_stc(self, seg: Segment, status: _Dict) -> None:
        """A receiver/provider level STC: one :class:`LevelStatus` per segment."""
        report = self._stc(seg, amounts=False)
        parties = {k: v for k, v in self.parties.items() if k in ("payer", "receiver", "provider")}
        self.statuses.append(
            self.model(
                seg,
                LevelStatus,
                {
                    **parties,
                    "level": status["level"],
                    "trace_number": status["trace"],
                    "statuses": report["codes"],
                    "status_date": report["status_date"],
                },
            )
        )
        status["reported"] = True

    def _stc(self, seg: Segment, *, amounts: bool) -> _Dict:
        codes: list[StatusCode] = []
        for index in (1, 10, 11):
            parts = seg.components(index)
            if not parts:
                if index == 1:
                    raise self.fail(seg, 1, "STC01 (category:status) is missing")
                continue
            sep = seg.delimiters.component
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise self.fail(
                    seg,
                    index,
                    f"STC{index:02d} {seg.element(index)!r} is not "
                    f"category{sep}status[{sep}entity]",
                )
            if len(parts) > 3 and parts[3]:
                raise self.fail(
                    seg,
                    index,
                    f"STC{index:02d}-4 {parts[3]!r}: NCPDP reject "
                    "codes (pharmacy claims) are not read by edigateway",
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
        if not seg.element(2):
            raise self.fail(seg, 2, "STC02 (the status date) is missing")
        report: _Dict = {"codes": codes, "status_date": self.date(seg, 2)}
        if seg.element(12):
            report["free_text"] = seg.element(12)
        if not amounts:
            for index in (4, 5, 6, 8, 9):
                if seg.element(index):
                    raise self.fail(
                        seg, index, f"STC{index:02d} is not used at this level (loop {self.loop})"
                    )
            return report
        for key, index in (("total_charge", 4), ("paid_amount", 5)):
            value = self.amount(seg, index)
            if value is not None:
                report[key] = value
        for key, index in (("adjudication_date", 6), ("check_date", 8)):
            if seg.element(index):
                report[key] = self.date(seg, index)
        if seg.element(9):
            report["check_number"] = seg.element(9)
        return report

    # -- claims
    def _seg_REF(self, seg: Segment) -> None:
        self.claim_reference(
            seg,
            {
                "1K": "payer_claim_control_number",
                "BLT": "bill_type",
                "EJ": "patient_control_number",
                "XZ": "prescription_number",
                "VV": "voucher_id",
                "D9": "clearinghouse_trace_number",
            },
        )

    def service_line(self, seg: Segment, line: _Dict) -> None:
        line["paid_amount"] = self.amount(seg, 3, required=True)

    def line_model(self) -> type[BaseModel]:
        return LineStatus

    def finish_claim(self, at: Segment, loop: str, claim: _Dict) -> None:
        subscriber = self.parties.get("subscriber") or {}
        parties = {k: v for k, v in self.parties.items() if k != "subscriber"}
        self.answers.append(
            self.model(at, ClaimStatusAnswer, {**parties, **subscriber, **claim}, loop=loop)
        )


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class _SubscriberKey:
    """The 2000D level of an answer: name and member ID."""

    name: PersonName
    member_id: str
    qualifier: str


def _parties(answer: ClaimStatusAnswer) -> tuple[object, ...]:
    subscriber = _SubscriberKey(answer.subscriber, answer.member_id, answer.member_id_qualifier)
    base = (answer.payer, answer.receiver, answer.provider, subscriber)
    return (*base, answer.patient) if answer.patient is not None else base


def write_277(answers: list[ClaimStatusAnswer], params: InterchangeParams) -> str:
    """One interchange, one HN group, one ST/SE holding every answer (module docstring).

    BHT03 is the interchange control number (nine digits), BHT06 ``DG`` (response).
    """
    if not answers:
        raise InputError("a 277 needs at least one claim answer; nothing was written")
    return write_interchange(params, KEY, [answers], _Writer277(params), outside=OUTSIDE)


class _Writer277(HierarchyWriter[ClaimStatusAnswer]):
    purpose: ClassVar[str] = "08"
    response: ClassVar[bool] = True

    def parties(self, item: ClaimStatusAnswer) -> tuple[object, ...]:
        return _parties(item)

    def claim_id(self, item: ClaimStatusAnswer) -> str:
        return _claim_id(item)

    def subscriber(self, out: SegmentWriter, level: Level[ClaimStatusAnswer], parent: str) -> None:
        subscriber = level.party
        assert isinstance(subscriber, _SubscriberKey)  # noqa: S101 - built by _parties
        subscriber_id = self.level(out, level, parent, "22", "1" if level.children else "0")
        write_name(out, "IL", subscriber.name, subscriber.qualifier, subscriber.member_id)
        for answer in level.claims:
            _write_claim(out, answer)
        for dependent in level.children:
            patient = dependent.party
            assert isinstance(patient, PersonName)  # noqa: S101 - built by _parties
            self.level(out, dependent, subscriber_id, "23", None)
            write_name(out, "QC", patient, "", None)
            for answer in dependent.claims:
                _write_claim(out, answer)


def _claim_id(answer: ClaimStatusAnswer) -> str:
    """How a write error names the answer: our claim ID, else its trace."""
    return answer.patient_control_number or answer.trace_number


def _opt_amount(value: Decimal | None) -> str:
    return x12_amount(value) if value is not None else ""


def _opt_date(value: date | None) -> str:
    return x12_date(value) if value is not None else ""


def _code(status: StatusCode) -> list[str]:
    return [status.category_code, status.status_code, status.entity_code or ""]


def _write_stc(
    out: SegmentWriter,
    codes: list[StatusCode],
    status_date: date,
    report: ClaimStatusAnswer | StatusReport | None,
    free_text: str | None,
) -> None:
    """STC; ``report`` carries the claim-level amounts, dates and check (None on lines,
    where the guide does not use STC04–STC09)."""
    first, *more = codes
    extra = [_code(s) for s in more]
    money: list[str] = ["", "", "", "", "", ""]
    if report is not None:
        money = [
            _opt_amount(report.total_charge),
            _opt_amount(report.paid_amount),
            _opt_date(report.adjudication_date),
            "",
            _opt_date(report.check_date),
            report.check_number or "",
        ]
    out.segment(
        "STC",
        _code(first),
        x12_date(status_date),
        "",
        *money,
        extra[0] if extra else "",
        extra[1] if len(extra) > 1 else "",
        free_text,
    )


def _write_claim(out: SegmentWriter, answer: ClaimStatusAnswer) -> None:
    out.claim = _claim_id(answer)
    out.segment("TRN", "2", answer.trace_number)
    _write_stc(out, answer.statuses, answer.status_date, answer, answer.free_text)
    for report in answer.more_reports:
        _write_stc(out, report.codes, report.status_date, report, report.free_text)
    for qualifier, value in (
        ("1K", answer.payer_claim_control_number),
        ("BLT", answer.bill_type),
        ("EJ", answer.patient_control_number),
        ("XZ", answer.prescription_number),
        ("VV", answer.voucher_id),
        ("D9", answer.clearinghouse_trace_number),
    ):
        if value:
            out.segment("REF", qualifier, value)
    write_dates(out, answer.service_start, answer.service_end)
    for line in answer.lines:
        write_service(out, line, line.paid_amount)
        _write_stc(out, line.statuses, line.status_date, None, line.free_text)
        for report in line.more_reports:
            _write_stc(out, report.codes, report.status_date, None, report.free_text)
        if line.line_control_number:
            out.segment("REF", "FJ", line.line_control_number)
        write_dates(out, line.service_start, line.service_end)
