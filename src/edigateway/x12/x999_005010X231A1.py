"""999 Implementation Acknowledgment (005010X231A1): functional acks to domain objects and back.

A 999 answers one functional group we sent (our 837D's GS): ``AK1`` names the group, one
``AK2 … IK5`` loop per transaction set says accepted or rejected and why (``IK3`` segment,
``IK4`` element, ``CTX`` the claim it was in), and ``AK9`` sums it up::

    AK1*HC*17456*005010X224A2~
    AK2*837*0002*005010X224A2~
    IK3*CLM*22*2300*8~              -> AckError(segment_id="CLM", segment_position=22,
    CTX*CLM01:PC123~                            loop_id="2300", segment_error_code="8",
    IK4*5:1*1331*7*X~                           element_position=5, component_position=1,
    IK5*R*5~                                    element_error_code="7", bad_value="X", …)
    AK9*R*1*1*0~                    -> FunctionalAck(status="R", transactions_accepted=0, …)

:func:`read_999` streams segments and returns one :class:`FunctionalAck` per ST…SE (plus any
TA1 in front of the group); every problem is an :class:`~edigateway.errors.X12StructureError`
naming file, segment position, loop and element. GS08 ``005010X231`` (the guide before its
addendum, still sent by some clearinghouses) is read the same way.

:func:`write_999` builds the 999 for groups we received (the clearinghouse simulator uses
it); reading it back gives the same models, and pyx12's 999 map finds it valid.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, get_args

from pydantic import ValidationError

from edigateway.domain.acknowledgments import (
    AckContext,
    AckError,
    FunctionalAck,
    GroupAckCode,
    InterchangeAck,
    TransactionAck,
    TransactionAckCode,
)
from edigateway.errors import X12StructureError
from edigateway.x12.envelope import (
    InterchangeParams,
    Segment,
    SegmentWriter,
    isa_segment,
    iter_segments,
    read_segments,
)
from edigateway.x12.formats import is_digits
from edigateway.x12.ta1 import EnvelopeReader, ReadWarning

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

GUIDE: Final = "005010X231A1"
VERSIONS: Final = frozenset({GUIDE, "005010X231"})
_GROUP_CODES: Final = frozenset(get_args(GroupAckCode))
_SET_CODES: Final = frozenset(get_args(TransactionAckCode))


@dataclass(slots=True)
class Parsed999:
    """Every 999 of a file (one per ST…SE) and any TA1 in the same interchanges."""

    acks: list[FunctionalAck]
    interchange_acks: list[InterchangeAck] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_999(path: Path) -> Parsed999:
    """All 999s of the file at ``path``."""
    return read_999_segments(read_segments(path), str(path))


def read_999_text(text: str, file: str | None = None) -> Parsed999:
    """:func:`read_999` for text in memory."""
    return read_999_segments(iter_segments(io.StringIO(text), file), file)


def read_999_segments(segments: Iterable[Segment], file: str | None = None) -> Parsed999:
    """All 999s among ``segments`` (see module docstring)."""
    reader = _Reader(file)
    acks: list[FunctionalAck] = []
    for seg in segments:
        ack = reader.feed(seg)
        if ack is not None:
            acks.append(ack)
    reader.envelope.finish()
    return Parsed999(acks, reader.envelope.interchange_acks, reader.envelope.warnings)


_Dict = dict[str, Any]


class _Reader:
    """State machine over AK1, the 2000 (AK2/IK5), 2100 (IK3) and 2110 (IK4) loops, AK9."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.envelope = EnvelopeReader(file, ("FA", VERSIONS, "999"))
        self.group: _Dict | None = None
        self.transaction: _Dict | None = None
        self.segment_error: _Dict | None = None
        self.element_errors: list[_Dict] = []
        self.summary_seen = False

    @property
    def loop(self) -> str:
        return self.envelope.loop

    @loop.setter
    def loop(self, value: str) -> None:
        self.envelope.loop = value

    def _fail(self, seg: Segment, element: int | None, message: str) -> X12StructureError:
        return self.envelope.fail(seg, element, message)

    def _position(self, seg: Segment, index: int, text: str, *, required: bool = True
                  ) -> int | None:
        if not text:
            if required:
                raise self._fail(seg, index, f"{seg.id}{index:02d} (a position) is missing")
            return None
        if not is_digits(text, 9) or int(text) < 1:
            raise self._fail(seg, index,
                             f"{text[:20]!r} is not a position (a whole number from 1)")
        return int(text)

    def _count(self, seg: Segment, index: int) -> int:
        text = seg.element(index)
        if not is_digits(text, 9):
            raise self._fail(seg, index, f"{seg.id}{index:02d} {text[:20]!r} is not a count")
        return int(text)

    def _model(self, seg: Segment, build: Any, **values: Any) -> Any:
        try:
            return build(**values)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise self._fail(seg, None, f"{where}: {problem['msg']}") from exc

    # -- the loop
    def feed(self, seg: Segment) -> FunctionalAck | None:
        kind = self.envelope.feed(seg)
        if kind == "ST":
            self.group, self.transaction, self.summary_seen = None, None, False
            return None
        if kind == "SE":
            return self._finish(seg)
        if kind:
            return None
        sid = seg.id
        if sid == "AK1":
            self._ak1(seg)
        elif self.group is None:
            raise self._fail(seg, None, f"{sid} before AK1 (the group acknowledged)")
        elif self.summary_seen:
            raise self._fail(seg, None, f"{sid} after AK9 (AK9 is the last segment before SE)")
        elif sid == "AK2":
            self._close_transaction(seg)
            self.loop = "2000"
            self.transaction = {
                "transaction_set_id": seg.element(1), "control_number": seg.element(2),
                "implementation_guide": seg.element(3) or None, "errors": [], "_seg": seg}
            if not seg.element(1) or not seg.element(2):
                raise self._fail(seg, 1 if not seg.element(1) else 2,
                                 "AK2 needs the transaction set ID and control number")
        elif sid == "IK3":
            self._ik3(seg)
        elif sid == "IK4":
            self._ik4(seg)
        elif sid == "CTX":
            self._ctx(seg)
        elif sid == "IK5":
            self._ik5(seg)
        elif sid == "AK9":
            self._ak9(seg)
        else:
            raise self._fail(seg, None, f"{sid} is not a segment of the 999")
        return None

    def _ak1(self, seg: Segment) -> None:
        if self.group is not None:
            raise self._fail(seg, None, "a second AK1 in one 999 (one group per ST…SE)")
        self.loop = "AK1"
        for index in (1, 2, 3):
            if not seg.element(index):
                raise self._fail(seg, index, f"AK1{index:02d} is required")
        self.group = {"functional_id": seg.element(1),
                      "group_control_number": seg.element(2), "version": seg.element(3),
                      "transactions": [], "_seg": seg}

    def _ik3(self, seg: Segment) -> None:
        if self.transaction is None:
            raise self._fail(seg, None, "IK3 outside a transaction set response (no AK2)")
        self._flush_segment_error()
        self.loop = "2100"
        if not seg.element(1):
            raise self._fail(seg, 1, "IK301 (segment ID) is missing")
        self.segment_error = {
            "segment_id": seg.element(1),
            "segment_position": self._position(seg, 2, seg.element(2)),
            "loop_id": seg.element(3) or None, "segment_error_code": seg.element(4) or None,
            "segment_contexts": [], "_seg": seg}

    def _ik4(self, seg: Segment) -> None:
        if self.segment_error is None:
            raise self._fail(seg, None, "IK4 without its IK3 (the segment in error)")
        self.loop = "2110"
        position = seg.components(1)
        if not seg.element(3):
            raise self._fail(seg, 3, "IK403 (the element error code) is missing")
        self.element_errors.append({
            "element_position": self._position(seg, 1, position[0] if position else ""),
            "component_position": self._position(seg, 1, _at(position, 1), required=False),
            "repetition_position": self._position(seg, 1, _at(position, 2), required=False),
            "element_reference": seg.element(2) or None,
            "element_error_code": seg.element(3), "bad_value": seg.element(4) or None,
            "element_contexts": [], "_seg": seg})

    def _ctx(self, seg: Segment) -> None:
        if self.segment_error is None:
            raise self._fail(seg, None, "CTX outside an IK3/IK4 error")
        name = seg.components(1)
        if not name or not name[0]:
            raise self._fail(seg, 1, "CTX01 (context name) is missing")
        where = seg.components(5)
        context = self._model(
            seg, AckContext, name=name[0], reference=_at(name, 1) or None,
            segment_id=seg.element(2) or None,
            segment_position=self._position(seg, 3, seg.element(3), required=False),
            loop_id=seg.element(4) or None,
            element_position=self._position(seg, 5, _at(where, 0), required=False),
            component_position=self._position(seg, 5, _at(where, 1), required=False),
            repetition_position=self._position(seg, 5, _at(where, 2), required=False),
            element_reference=_at(seg.components(6), 0) or None)
        if self.element_errors:
            self.element_errors[-1]["element_contexts"].append(context)
        else:
            self.segment_error["segment_contexts"].append(context)

    def _ik5(self, seg: Segment) -> None:
        if self.transaction is None:
            raise self._fail(seg, None, "IK5 without its AK2")
        self._flush_segment_error()
        self.loop = "2000"
        if seg.element(1) not in _SET_CODES:
            raise self._fail(seg, 1, f"IK501 {seg.element(1)!r} is not one of "
                             f"{', '.join(sorted(_SET_CODES))}")
        self.transaction["status"] = seg.element(1)
        self.transaction["error_codes"] = [c for c in seg.elements[1:6] if c]
        self._close_transaction(seg)

    def _ak9(self, seg: Segment) -> None:
        self._close_transaction(seg)
        assert self.group is not None  # noqa: S101 - feed checked
        self.loop = "AK9"
        if seg.element(1) not in _GROUP_CODES:
            raise self._fail(seg, 1, f"AK901 {seg.element(1)!r} is not one of "
                             f"{', '.join(sorted(_GROUP_CODES))}")
        self.group.update(status=seg.element(1), transactions_included=self._count(seg, 2),
                          transactions_received=self._count(seg, 3),
                          transactions_accepted=self._count(seg, 4),
                          error_codes=[c for c in seg.elements[4:9] if c])
        self.summary_seen = True

    def _flush_segment_error(self) -> None:
        if self.segment_error is None or self.transaction is None:
            return
        base = dict(self.segment_error)
        seg = base.pop("_seg")
        items = self.element_errors or [{}]
        for item in items:
            values = {k: v for k, v in item.items() if k != "_seg"}
            self.transaction["errors"].append(
                self._model(item.get("_seg", seg), AckError, **base, **values))
        self.segment_error, self.element_errors = None, []

    def _close_transaction(self, seg: Segment) -> None:
        if self.transaction is None or self.group is None:
            return
        if "status" not in self.transaction:
            raise self._fail(seg, None, f"the response to transaction set "
                             f"{self.transaction['control_number']!r} has no IK5 "
                             "(its accepted/rejected code)")
        values = dict(self.transaction)
        values.pop("_seg")
        self.group["transactions"].append(self._model(seg, TransactionAck, **values))
        self.transaction = None

    def _finish(self, seg: Segment) -> FunctionalAck:
        if self.group is None:
            raise self._fail(seg, None, "the 999 has no AK1 (the group acknowledged)")
        if not self.summary_seen:
            raise self._fail(seg, None, "the 999 has no AK9 (the group's verdict)")
        values = dict(self.group)
        values.pop("_seg")
        self.group = None
        return self._model(seg, FunctionalAck, **values)  # type: ignore[no-any-return]


def _at(items: list[str], index: int) -> str:
    return items[index] if index < len(items) else ""


# --------------------------------------------------------------------------- writing


def write_999(acks: list[FunctionalAck], params: InterchangeParams) -> str:
    """One interchange, one FA group, one ST…SE per acknowledged group (see module docs)."""
    out = SegmentWriter(params.delimiters, line_breaks=params.line_breaks)
    out.raw(isa_segment(params))
    out.segment("GS", "FA", params.gs_sender_code, params.gs_receiver_code,
                params.created.strftime("%Y%m%d"), params.created.strftime("%H%M"),
                str(params.group_control_number), "X", GUIDE)
    for offset, ack in enumerate(acks):
        control = f"{params.first_transaction_control_number + offset:04d}"
        start = out.count
        out.segment("ST", "999", control, GUIDE)
        _write_ack(out, ack)
        out.segment("SE", str(out.count - start + 1), control)
    out.segment("GE", str(len(acks)), str(params.group_control_number))
    out.segment("IEA", "1", f"{params.interchange_control_number:09d}")
    return out.text()


def _opt(value: int | None) -> str:
    return str(value) if value is not None else ""


def _write_ack(out: SegmentWriter, ack: FunctionalAck) -> None:
    out.loop = "AK1"
    out.segment("AK1", ack.functional_id, ack.group_control_number, ack.version)
    for transaction in ack.transactions:
        out.loop = "2000"
        out.segment("AK2", transaction.transaction_set_id, transaction.control_number,
                    transaction.implementation_guide)
        previous: AckError | None = None
        for error in transaction.errors:
            if not _same_segment(previous, error):
                out.loop = "2100"
                out.segment("IK3", error.segment_id, str(error.segment_position),
                            error.loop_id, error.segment_error_code)
                for context in error.segment_contexts:
                    _write_ctx(out, context)
            if error.element_position is not None:
                out.loop = "2110"
                out.segment("IK4", [str(error.element_position),
                                    _opt(error.component_position),
                                    _opt(error.repetition_position)],
                            error.element_reference, error.element_error_code,
                            error.bad_value)
                for context in error.element_contexts:
                    _write_ctx(out, context)
            previous = error
        out.loop = "2000"
        out.segment("IK5", transaction.status, *transaction.error_codes)
    out.loop = "AK9"
    out.segment("AK9", ack.status, str(ack.transactions_included),
                str(ack.transactions_received), str(ack.transactions_accepted),
                *ack.error_codes)


def _same_segment(previous: AckError | None, error: AckError) -> bool:
    """Whether ``error`` is a further IK4 under ``previous``'s IK3."""
    if previous is None or previous.element_position is None or error.element_position is None:
        return False
    return (previous.segment_id, previous.segment_position, previous.loop_id,
            previous.segment_error_code, previous.segment_contexts) == (
        error.segment_id, error.segment_position, error.loop_id, error.segment_error_code,
        error.segment_contexts)


def _write_ctx(out: SegmentWriter, context: AckContext) -> None:
    out.segment("CTX", [context.name, context.reference or ""], context.segment_id,
                _opt(context.segment_position), context.loop_id,
                [_opt(context.element_position), _opt(context.component_position),
                 _opt(context.repetition_position)],
                [context.element_reference or ""])
