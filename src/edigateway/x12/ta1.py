"""TA1 interchange acknowledgments: reading them from any interchange, writing them alone.

A TA1 answers one interchange as a whole: it sits between ISA and IEA, outside any
functional group, and says whether the envelope could be read (``TA104`` A/E/R) and, if not,
why (``TA105``)::

    ISA*00*…*00501*000000101*0*P*:~
    TA1*000000042*261122*1000*R*024~     -> InterchangeAck(interchange_control_number=
    IEA*0*000000101~                         "000000042", ack_code="R", note_code="024", …)

Clearinghouses send it alone or in front of a 999 in the same interchange; the envelope
reader every codec shares (:class:`~edigateway.x12.envelope.EnvelopeReader`) collects TA1
segments wherever they legally stand, so the 999 and 277CA readers return them too. A
mismatched IEA02 is only a warning: the TA1 rules themselves say the ISA13 value is the one
that counts (TA105 ``001``), and refusing a whole acknowledgment for it would hide a
rejection from the coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edigateway.x12.envelope import InterchangeParams, ReadWarning, write_interchange
from edigateway.x12.reader import SegmentReader

if TYPE_CHECKING:
    from edigateway.domain.acknowledgments import InterchangeAck
    from edigateway.x12.envelope import Source


@dataclass(slots=True)
class ParsedTA1:
    """Every TA1 of a file, in order."""

    acks: list[InterchangeAck]
    warnings: list[ReadWarning] = field(default_factory=list)


def read_ta1(source: Source, *, name: str | None = None) -> ParsedTA1:
    """Every TA1 in ``source`` (bytes, a path or segments); functional groups (a 999 after
    the TA1) are checked for their envelope only and otherwise skipped."""
    reader: SegmentReader[None] = SegmentReader.reading(source, name)
    reader.read(source)
    return ParsedTA1(reader.envelope.interchange_acks, reader.envelope.warnings)


def write_ta1(ack: InterchangeAck | list[InterchangeAck], params: InterchangeParams) -> str:
    """A TA1-only interchange (ISA, TA1…, IEA*0): the answer to an interchange whose groups
    we do not acknowledge with a 999 (typically because it was rejected).
    """
    return write_interchange(params, None, acks=ack if isinstance(ack, list) else [ack])
