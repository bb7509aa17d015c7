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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, get_args

from edigateway.domain.acknowledgments import (
    AckContext,
    AckError,
    FunctionalAck,
    GroupAckCode,
    InterchangeAck,
    TransactionAck,
    TransactionAckCode,
)
from edigateway.x12.envelope import (
    Expect,
    InterchangeParams,
    ReadWarning,
    Segment,
    SegmentWriter,
    write_interchange,
)
from edigateway.x12.reader import SegmentReader

if TYPE_CHECKING:
    from edigateway.x12.envelope import Source

KEY: Final = "999"
GUIDE: Final = "005010X231A1"
_GROUP_CODES: Final = frozenset(get_args(GroupAckCode))
_SET_CODES: Final = frozenset(get_args(TransactionAckCode))
_OUTSIDE: Final = {"AK1": "AK1", "AK9": "AK9"}
"""AK1 and AK9 stand outside the guide's loops; errors there name the segment."""


@dataclass(slots=True)
class Parsed999:
    """Every 999 of a file (one per ST…SE) and any TA1 in the same interchanges."""

    acks: list[FunctionalAck]
    interchange_acks: list[InterchangeAck] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_999(source: Source, *, name: str | None = None) -> Parsed999:
    """All 999s of ``source`` (bytes, a path or segments; see module docstring)."""
    reader = _Reader.reading(source, name)
    acks = reader.read(source)
    return Parsed999(acks, reader.envelope.interchange_acks, reader.envelope.warnings)


_Dict = dict[str, Any]


class _Reader(SegmentReader[FunctionalAck]):
    """AK1, the 2000 (AK2/IK5), 2100 (IK3) and 2110 (IK4) loops, AK9."""

    key = KEY
    expect = Expect.of(KEY, also=["005010X231"])
    outside = _OUTSIDE

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.group: _Dict | None = None
        self.transaction: _Dict | None = None
        self.segment_error: _Dict | None = None
        self.element_errors: list[_Dict] = []
        self.summary_seen = False

    def _position(
        self, seg: Segment, index: int, text: str, *, required: bool = True
    ) -> int | None:
        return self.number(
            seg, index, text=text, required=required, minimum=1, digits=9, what="a position"
        )

    def _count(self, seg: Segment, index: int) -> int:
        count = self.number(seg, index, required=True, digits=9, what="a count")
        assert count is not None  # noqa: S101 - required=True never returns None
        return count

    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind == "ST":
            self.group, self.transaction, self.summary_seen = None, None, False
        elif kind == "SE":
            self._finish(seg)

    def check(self, seg: Segment) -> None:
        if seg.id == "AK1":
            return
        if self.group is None:
            raise self.fail(seg, None, f"{seg.id} before AK1 (the group acknowledged)")
        if self.summary_seen:
            raise self.fail(seg, None, f"{seg.id} after AK9 (AK9 is the last segment before SE)")

    def other(self, seg: Segment) -> None:
        raise self.fail(seg, None, f"{seg.id} is not a segment of the 999")

    def _seg_AK1(self, seg: Segment) -> None:
        if self.group is not None:
            raise self.fail(seg, None, "a second AK1 in one 999 (one group per ST…SE)")
        for index in (1, 2, 3):
            if not seg.element(index):
                raise self.fail(seg, index, f"AK1{index:02d} is required")
        self.group = {
            "functional_id": seg.element(1),
            "group_control_number": seg.element(2),
            "version": seg.element(3),
            "transactions": [],
        }

    def _seg_AK2(self, seg: Segment) -> None:
        self._close_transaction(seg)
        self.transaction = {
            "transaction_set_id": seg.element(1),
            "control_number": seg.element(2),
            "implementation_guide": seg.element(3) or None,
            "errors": [],
        }
        if not seg.element(1) or not seg.element(2):
            raise self.fail(
                seg,
                1 if not seg.element(1) else 2,
                "AK2 needs the transaction set ID and control number",
            )

    def _seg_IK3(self, seg: Segment) -> None:
        if self.transaction is None:
            raise self.fail(seg, None, "IK3 outside a transaction set response (no AK2)")
        self._flush_segment_error()
        if not seg.element(1):
            raise self.fail(seg, 1, "IK301 (segment ID) is missing")
        self.segment_error = {
            "segment_id": seg.element(1),
            "segment_position": self._position(seg, 2, seg.element(2)),
            "loop_id": seg.element(3) or None,
            "segment_error_code": seg.element(4) or None,
            "segment_contexts": [],
            "_seg": seg,
        }

    def _seg_IK4(self, seg: Segment) -> None:
        if self.segment_error is None:
            raise self.fail(seg, None, "IK4 without its IK3 (the segment in error)")
        position = seg.components(1)
        if not seg.element(3):
            raise self.fail(seg, 3, "IK403 (the element error code) is missing")
        self.element_errors.append(
            {
                "element_position": self._position(seg, 1, position[0] if position else ""),
                "component_position": self._position(seg, 1, _at(position, 1), required=False),
                "repetition_position": self._position(seg, 1, _at(position, 2), required=False),
                "element_reference": seg.element(2) or None,
                "element_error_code": seg.element(3),
                "bad_value": seg.element(4) or None,
                "element_contexts": [],
                "_seg": seg,
            }
        )

    def _seg_CTX(self, seg: Segment) -> None:
        if self.segment_error is None:
            raise self.fail(seg, None, "CTX outside an IK3/IK4 error")
        name = seg.components(1)
        if not name or not name[0]:
            raise self.fail(seg, 1, "CTX01 (context name) is missing")
        where = seg.components(5)
        context = self.model(
            seg,
            AckContext,
            {
                "name": name[0],
                "reference": _at(name, 1) or None,
                "segment_id": seg.element(2) or None,
                "segment_position": self._position(seg, 3, seg.element(3), required=False),
                "loop_id": seg.element(4) or None,
                "element_position": self._position(seg, 5, _at(where, 0), required=False),
                "component_position": self._position(seg, 5, _at(where, 1), required=False),
                "repetition_position": self._position(seg, 5, _at(where, 2), required=False),
                "element_reference": _at(seg.components(6), 0) or None,
            },
        )
        if self.element_errors:
            self.element_errors[-1]["element_contexts"].append(context)
        else:
            self.segment_error["segment_contexts"].append(context)

    def _seg_IK5(self, seg: Segment) -> None:
        if self.transaction is None:
            raise self.fail(seg, None, "IK5 without its AK2")
        self._flush_segment_error()
        self.code(seg, 1, _SET_CODES, f"one of {', '.join(sorted(_SET_CODES))}")
        self.transaction["status"] = seg.element(1)
        self.transaction["error_codes"] = [c for c in seg.elements[1:6] if c]
        self._close_transaction(seg)

    def _seg_AK9(self, seg: Segment) -> None:
        self._close_transaction(seg)
        assert self.group is not None  # noqa: S101 - check() made sure
        self.code(seg, 1, _GROUP_CODES, f"one of {', '.join(sorted(_GROUP_CODES))}")
        self.group.update(
            status=seg.element(1),
            transactions_included=self._count(seg, 2),
            transactions_received=self._count(seg, 3),
            transactions_accepted=self._count(seg, 4),
            error_codes=[c for c in seg.elements[4:9] if c],
        )
        self.summary_seen = True

    def _flush_segment_error(self) -> None:
        if self.segment_error is None or self.transaction is None:
            return
        base = dict(self.segment_error)
        seg = base.pop("_seg")
        for item in self.element_errors or [{}]:
            values = {k: v for k, v in item.items() if k != "_seg"}
            self.transaction["errors"].append(
                self.model(item.get("_seg", seg), AckError, {**base, **values})
            )
        self.segment_error, self.element_errors = None, []

    def _close_transaction(self, seg: Segment) -> None:
        if self.transaction is None or self.group is None:
            return
        if "status" not in self.transaction:
            raise self.fail(
                seg,
                None,
                f"the response to transaction set "
                f"{self.transaction['control_number']!r} has no IK5 "
                "(its accepted/rejected code)",
            )
        self.group["transactions"].append(self.model(seg, TransactionAck, self.transaction))
        self.transaction = None

    def _finish(self, seg: Segment) -> None:
        if self.group is None:
            raise self.fail(seg, None, "the 999 has no AK1 (the group acknowledged)")
        if not self.summary_seen:
            raise self.fail(seg, None, "the 999 has no AK9 (the group's verdict)")
        group, self.group = self.group, None
        self.emit(self.model(seg, FunctionalAck, group))


def _at(items: list[str], index: int) -> str:
    return items[index] if index < len(items) else ""


# --------------------------------------------------------------------------- writing


def write_999(acks: list[FunctionalAck], params: InterchangeParams) -> str:
    """One interchange, one FA group, one ST…SE per acknowledged group (see module docs)."""
    return write_interchange(params, KEY, acks, _write_ack, outside=_OUTSIDE)


def _opt(value: int | None) -> str:
    return str(value) if value is not None else ""


def _write_ack(out: SegmentWriter, _control: str, ack: FunctionalAck) -> None:
    out.segment("AK1", ack.functional_id, ack.group_control_number, ack.version)
    for transaction in ack.transactions:
        out.segment(
            "AK2",
            transaction.transaction_set_id,
            transaction.control_number,
            transaction.implementation_guide,
        )
        previous: AckError | None = None
        for error in transaction.errors:
            if not _same_segment(previous, error):
                out.segment(
                    "IK3",
                    error.segment_id,
                    str(error.segment_position),
                    error.loop_id,
                    error.segment_error_code,
                )
                for context in error.segment_contexts:
                    _write_ctx(out, context)
            if error.element_position is not None:
                out.segment(
                    "IK4",
                    [
                        str(error.element_position),
                        _opt(error.component_position),
                        _opt(error.repetition_position),
                    ],
                    error.element_reference,
                    error.element_error_code,
                    error.bad_value,
                )
                for context in error.element_contexts:
                    _write_ctx(out, context)
            previous = error
        out.segment("IK5", transaction.status, *transaction.error_codes)
    out.segment(
        "AK9",
        ack.status,
        str(ack.transactions_included),
        str(ack.transactions_received),
        str(ack.transactions_accepted),
        *ack.error_codes,
    )


def _same_segment(previous: AckError | None, error: AckError) -> bool:
    """Whether ``error`` is a further IK4 under ``previous``'s IK3."""
    if previous is None or previous.element_position is None or error.element_position is None:
        return False
    return (
        previous.segment_id,
        previous.segment_position,
        previous.loop_id,
        previous.segment_error_code,
        previous.segment_contexts,
    ) == (
        error.segment_id,
        error.segment_position,
        error.loop_id,
        error.segment_error_code,
        error.segment_contexts,
    )


def _write_ctx(out: SegmentWriter, context: AckContext) -> None:
    out.segment(
        "CTX",
        [context.name, context.reference or ""],
        context.segment_id,
        _opt(context.segment_position),
        context.loop_id,
        [
            _opt(context.element_position),
            _opt(context.component_position),
            _opt(context.repetition_position),
        ],
        [context.element_reference or ""],
    )
