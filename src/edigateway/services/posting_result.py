"""What posting one 835 file did: the result every entry path gets back.

``edigateway era post`` prints it (as text, or as the JSON document of the CLI's contract:
:func:`edigateway.cli.era.posting_document`); the poller turns it into the received file's
status (:mod:`.routing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from edigateway.errors import X12Location

ZERO = Decimal("0.00")

PostingStatus = Literal["posted", "duplicate", "quarantined", "unsupported"]
"""``posted``; ``duplicate`` (these bytes, or every payment in them, posted before);
``quarantined`` (malformed or not balancing); ``unsupported`` (not a 5010 835 we read)."""


@dataclass
class WorkSummary:
    """A work item as reported to the caller."""

    claim: str | None
    reason: str
    codes: list[str]
    message: str


@dataclass
class PostingResult:
    """What posting one file did: its status, totals and the work it made."""

    file: str
    status: PostingStatus
    readable: bool = True
    """False when the file is not a 5010 835 we read (``unsupported``, or not X12 at all):
    the command line's exit code 2, as ``x12 validate``/``x12 parse`` give for it."""
    payment_amount: Decimal = ZERO
    claims_matched: int = 0
    claims_unmatched: int = 0
    posted_total: Decimal = ZERO
    adjustments_total: Decimal = ZERO
    patient_responsibility_total: Decimal = ZERO
    plb_total: Decimal = ZERO
    interest_total: Decimal = ZERO
    payments: int = 0
    payments_skipped: int = 0
    work_items: list[WorkSummary] = field(default_factory=list)
    secondary_claims: list[str] = field(default_factory=list)
    message: str | None = None
    problem: X12Location | None = None
    file_id: int | None = None
