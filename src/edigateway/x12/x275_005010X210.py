"""275 Additional Information to Support a Health Care Claim or Encounter (005010X210):
attachments to X12 and back.

One transaction set per attachment (see :mod:`edigateway.x12.spec.x210_275` for the
loops)::

    BGN*02*A1234567893-000001*20260301*0930~
    NM1*PR*2*DELTA DENTAL*****PI*DDPIL~          NM1*41*2*SMILE CARE*****46*SMILE01~
    NM1*1P*2*SMILE CARE*****XX*1234567893~       NM1*QC*1*DOE*JANE****MI*M123~
    REF*EJ*PCN1001~  DTP*472*D8*20260228~
    LX*1~  TRN*1*A1234567893-000001~
    DTP*368*D8*20260301~  CAT*AE*TX~  EFI*05~  BIN*48213*<the file's bytes>~

BIN02 is the file exactly as uploaded: the writer puts its bytes in as they are (they may
equal any delimiter), the segment reader takes exactly BIN01 bytes
(:class:`~edigateway.x12.envelope.SegmentWriter.binary`). Every problem reading is an
:class:`~edigateway.errors.X12StructureError` naming file, segment position, loop and
element.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final

from edigateway.domain.attachments import AttachmentSubmission
from edigateway.x12.envelope import (
    Expect,
    InterchangeParams,
    Segment,
    SegmentWriter,
    binary_data,
    write_interchange,
)
from edigateway.x12.formats import x12_date
from edigateway.x12.reader import SegmentReader, person_name

if TYPE_CHECKING:
    from edigateway.x12.envelope import Source

KEY: Final = "275"
GUIDE: Final = "005010X210"
_PARTIES: Final = {"PR": "1000A", "41": "1000B", "1P": "1000C", "QC": "1000D"}
_OUTSIDE: Final = {"BGN": "BGN"}


def write_275(attachments: list[AttachmentSubmission], params: InterchangeParams) -> str:
    """One interchange with a 275 transaction set per attachment. The text holds each
    file's bytes as surrogate escapes: ``.encode("utf-8", "surrogateescape")`` gives the
    file to send."""
    return write_interchange(params, KEY, attachments, _body)


def encode_275(text: str) -> bytes:
    """The bytes of a 275 :func:`write_275` wrote (binary data included)."""
    return text.encode("utf-8", "surrogateescape")


def _body(out: SegmentWriter, _control: str, item: AttachmentSubmission) -> None:
    out.claim = item.patient_control_number
    out.segment("BGN", "02", item.reference, x12_date(item.created))
    out.segment("NM1", "PR", "2", item.payer_name, "", "", "", "", "PI", item.payer_id)
    out.segment("NM1", "41", "2", item.submitter_name, "", "", "", "", "46", item.submitter_id)
    out.segment("NM1", "1P", "2", item.provider_name, "", "", "", "", "XX", item.provider_npi)
    name = item.patient
    out.segment(
        "NM1",
        "QC",
        "1",
        name.last_name,
        name.first_name,
        name.middle_name,
        "",
        name.suffix,
        "MI",
        item.member_id,
    )
    out.segment("REF", "EJ", item.patient_control_number)
    if item.service_date is not None:
        out.segment("DTP", "472", "D8", x12_date(item.service_date))
    out.segment("LX", "1")
    out.segment("TRN", "1", item.control_number)
    out.segment("DTP", "368", "D8", x12_date(item.created))
    out.segment("CAT", "AE", "TX")
    out.segment("EFI", "05")
    out.binary("BIN", item.data)


def read_275(source: Source, *, name: str | None = None) -> list[AttachmentSubmission]:
    """Every attachment of ``source`` (bytes, a path or segments), one per transaction."""
    return _Reader.reading(source, name).read(source)


_Dict = dict[str, Any]


class _Reader(SegmentReader[AttachmentSubmission]):
    """BGN, the four 1000 parties, and per transaction one LX/TRN/DTP/CAT/EFI/BIN."""

    key = KEY
    expect = Expect.of(KEY)
    outside = _OUTSIDE

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.item: _Dict = {}
        self.start: Segment | None = None

    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind == "ST":
            self.item, self.start = {}, seg

    def closing(self, seg: Segment) -> None:
        if self.start is None:
            return
        if "data" not in self.item:
            raise self.fail(
                seg, None, "the 275 ends without its BIN (the attachment's bytes)", "2110A"
            )
        self.emit(
            self.model(
                seg,
                AttachmentSubmission,
                self.item,
                carriers={
                    "reference": "BGN",
                    "control_number": "TRN",
                    "payer_id": "NM1*PR",
                    "submitter_id": "NM1*41",
                    "provider_npi": "NM1*1P",
                    "patient": "NM1*QC",
                    "member_id": "NM1*QC",
                    "patient_control_number": "REF*EJ",
                    "created": "BGN",
                },
                loop="SE",
            )
        )
        self.start = None

    def other(self, seg: Segment) -> None:
        raise self.fail(seg, None, f"{seg.id} is not a segment of the 275 we read")

    def _seg_BGN(self, seg: Segment) -> None:
        if seg.element(1) not in ("02", "11"):
            raise self.fail(
                seg,
                1,
                f"BGN01 {seg.element(1)!r} is not 02 (unsolicited) or 11 (a response to a request)",
            )
        self.item["reference"] = seg.element(2)
        self.item["created"] = self.date(seg, 3)

    def _seg_NM1(self, seg: Segment) -> None:
        who = seg.element(1)
        if _PARTIES.get(who) != self.loop:
            raise self.fail(
                seg,
                1,
                f"NM101 {who!r} is not the party of loop {self.loop} "
                "(PR payer, 41 submitter, 1P provider, QC patient)",
            )
        if who == "PR":
            self.item.update(payer_name=seg.element(3), payer_id=seg.element(9))
        elif who == "41":
            self.item.update(submitter_name=seg.element(3), submitter_id=seg.element(9))
        elif who == "1P":
            self.item.update(provider_name=seg.element(3), provider_npi=seg.element(9))
        else:
            self.item.update(patient=person_name(seg), member_id=seg.element(9))

    def _seg_REF(self, seg: Segment) -> None:
        if seg.element(1) == "EJ":
            self.item["patient_control_number"] = seg.element(2)
        elif seg.element(1) != "EA":
            raise self.fail(
                seg,
                1,
                f"REF01 {seg.element(1)!r} is not EJ (patient control "
                "number) or EA (medical record number)",
            )

    def _seg_DTP(self, seg: Segment) -> None:
        qualifier = seg.element(1)
        if qualifier == "472" and seg.element(2) == "D8":
            self.item["service_date"] = self.date(seg, 3)
        elif qualifier == "472" and seg.element(2) == "RD8":
            first = seg.element(3).partition("-")[0]
            self.item["service_date"] = self.date(seg, 3, first)
        elif qualifier == "368":
            submitted: date = self.date(seg, 3)
            self.item.setdefault("created", submitted)
        else:
            raise self.fail(
                seg, 1, f"DTP01 {qualifier!r} is not 472 (service date) or 368 (submission date)"
            )

    def _seg_LX(self, seg: Segment) -> None:
        if "control_number" in self.item:
            raise self.fail(
                seg,
                None,
                "a second attachment (LX) in one 275: edigateway "
                "sends and reads one attachment per transaction set",
            )

    def _seg_TRN(self, seg: Segment) -> None:
        self.item["control_number"] = seg.element(2)

    def _seg_CAT(self, seg: Segment) -> None:
        if seg.element(1) != "AE":
            raise self.fail(seg, 1, f"CAT01 {seg.element(1)!r} is not AE (attachment)")

    def _seg_EFI(self, seg: Segment) -> None:
        if seg.element(1) != "05":
            raise self.fail(seg, 1, f"EFI01 {seg.element(1)!r} is not 05")

    def _seg_BIN(self, seg: Segment) -> None:
        self.item["data"] = binary_data(seg)
