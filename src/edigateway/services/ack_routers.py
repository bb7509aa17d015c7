"""Applying acknowledgments: TA1, 999 and 277CA, each tied to what we sent.

A router reads one stored file and, in the caller's transaction (:func:`.routing.route`),
matches each answer to our submission or claim and moves the claims forward
(:class:`~.claim_mover.Mover`), opening a work item for every rejection and for answers
we cannot match:

* TA1: ISA08 (us) + TA101 = our ISA13; a rejection moves the file's claims to
  ``ch_rejected``. A repeated copy refused as a duplicate (note 025) is harmless once the
  first copy was acknowledged;
* 999: ISA08 (us) + AK102 = our GS06, AK202 = our ST02; A/E → ``ch_accepted``, R (and M, W,
  X) → ``ch_rejected`` with the located errors;
* 277CA: TRN02 = our CLM01; accepted → ``payer_accepted`` (REF*1K kept), rejected →
  ``payer_rejected``.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from contextlib import closing
from typing import TYPE_CHECKING, Final, TypeVar

from edigateway.domain.claim_stages import CLAIM_STAGES, stage
from edigateway.domain.claims_split import part_parent
from edigateway.domain.postings import WorkReason
from edigateway.persistence.claim_rows import current_claims
from edigateway.persistence.submission_rows import claims_of, latest_sent_as, transaction_numbers
from edigateway.services.claim_mover import Mover
from edigateway.services.received import InboundResult, InboundStatus
from edigateway.x12.envelope import read_segments
from edigateway.x12.ta1 import read_ta1
from edigateway.x12.x277ca_005010X214 import read_277ca
from edigateway.x12.x999_005010X231A1 import read_999

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.acknowledgments import (
        ClaimAck,
        FunctionalAck,
        InterchangeAck,
        TransactionAck,
    )
    from edigateway.persistence.tables import ClaimRow, SubmissionRow

T = TypeVar("T")

_REJECTING_999: Final = frozenset({"R", "M", "W", "X"})
_ACK_STATUS_999: Final = {"A": "accepted", "E": "accepted", "P": "partial"}
_DUPLICATE_INTERCHANGE: Final = "025"


class _Router(ABC):
    kind: str = ""

    def __init__(self, session: Session, now: datetime, name: str) -> None:
        self.session, self.now, self.name = session, now, name
        self.mover = Mover(session, now)
        self.receiver = ""

    @abstractmethod
    def apply(self, data: bytes) -> InboundResult:
        """Apply the file's acknowledgments; the caller owns the transaction."""

    def _read(self, data: bytes, reader: Callable[..., T]) -> T:
        """The file read by ``reader``; ``receiver`` is its (first) ISA08, us."""
        with closing(read_segments(data, self.name)) as segments:
            isa = next(segments)
            self.receiver = isa.element(8).strip()
            return reader(itertools.chain([isa], segments), name=self.name)

    def _claims(self, submission: SubmissionRow) -> list[ClaimRow]:
        return claims_of(self.session, submission.id)

    def result(self, status: InboundStatus, message: str) -> InboundResult:
        return InboundResult(None, self.name, self.kind, status, message, dict(self.mover.moved))


def _number(control: str) -> str:
    """Control numbers compare as numbers: ST02 '0001' is AK202 '1'."""
    stripped = control.strip().lstrip("0")
    return stripped or "0"


class _Ta1Router(_Router):
    kind = "TA1"

    def apply(self, data: bytes) -> InboundResult:
        parsed = self._read(data, read_ta1)
        notes: list[str] = []
        unmatched = 0
        for ack in parsed.acks:
            submission = latest_sent_as(
                self.session,
                self.receiver,
                interchange_control_number=ack.interchange_control_number,
            )
            if submission is None:
                unmatched += 1
                notes.append(
                    f"TA1 for interchange {ack.interchange_control_number}: not one "
                    f"we sent as {self.receiver}"
                )
                continue
            notes.append(self._apply_one(ack, submission))
        if unmatched:
            self.mover.work(WorkReason.CLEARINGHOUSE_REJECTED, f"{self.name}: " + "; ".join(notes))
        return self.result(
            "unmatched" if unmatched == len(parsed.acks) and unmatched else "processed",
            "; ".join(notes),
        )

    def _apply_one(self, ack: InterchangeAck, submission: SubmissionRow) -> str:
        what = f"interchange {ack.interchange_control_number} ({submission.file_name})"
        if ack.accepted:
            return f"{what}: envelope accepted"
        if ack.note_code == _DUPLICATE_INTERCHANGE and submission.ack_status is not None:
            return (
                f"{what}: a repeated copy was refused as a duplicate; the first copy was "
                f"already acknowledged ({submission.ack_status}), nothing to do"
            )
        submission.ack_status, submission.ack_at = "rejected", self.now
        reason = f"{self.name}: TA1 {ack.ack_code} {ack.note_code} {ack.note_description}"
        for claim in self._claims(submission):
            self.mover.move(claim, "ch_rejected", reason)
        self.mover.work(
            WorkReason.CLEARINGHOUSE_REJECTED,
            f"{what} was rejected by the clearinghouse before reading it: TA1 note "
            f"{ack.note_code} — {ack.note_description}; fix the envelope and resend "
            "(a new ISA13 is needed)",
            submission_id=submission.id,
            codes=f"TA1:{ack.note_code}",
        )
        return f"{what}: rejected ({ack.note_code})"


class _Router999(_Router):
    kind = "999"

    def apply(self, data: bytes) -> InboundResult:
        parsed = self._read(data, read_999)
        notes: list[str] = []
        matched = 0
        for group in parsed.acks:
            submission = latest_sent_as(
                self.session,
                self.receiver,
                group_control_number=_number(group.group_control_number),
            )
            if submission is None:
                notes.append(
                    f"999 for group {group.group_control_number}: not one we sent "
                    f"as {self.receiver}"
                )
                self.mover.work(
                    WorkReason.CLEARINGHOUSE_REJECTED,
                    f"{self.name}: "
                    f"acknowledges group {group.group_control_number}, which "
                    "we have no record of sending",
                )
                continue
            matched += 1
            notes.append(self._apply_group(group, submission))
        status: InboundStatus = "processed" if matched or not parsed.acks else "unmatched"
        return self.result(status, "; ".join(notes))

    def _apply_group(self, group: FunctionalAck, submission: SubmissionRow) -> str:
        submission.ack_status = _ACK_STATUS_999.get(group.status, "rejected")
        submission.ack_at = self.now
        told = {_number(t.control_number): t for t in group.transactions}
        claims = self._claims(submission)
        numbers = {
            claim_id: _number(st02)
            for claim_id, st02 in transaction_numbers(self.session, submission.id).items()
        }
        for claim in claims:
            transaction = told.get(numbers.get(claim.id, ""))
            code = transaction.status if transaction is not None else group.status
            if code in _REJECTING_999:
                self._reject(claim, submission, transaction, group)
            else:
                self.mover.move(
                    claim, "ch_accepted", f"{self.name}: 999 {code} for {submission.file_name}"
                )
        return (
            f"group {group.group_control_number} ({submission.file_name}): "
            f"{group.status}, {group.transactions_accepted} of "
            f"{group.transactions_included} transaction set(s) accepted"
        )

    def _reject(
        self,
        claim: ClaimRow,
        submission: SubmissionRow,
        transaction: TransactionAck | None,
        group: FunctionalAck,
    ) -> None:
        if transaction is not None:
            details = [e.message for e in transaction.errors] + transaction.error_descriptions
            codes = ",".join(str(c) for c in transaction.error_codes)
        else:
            details, codes = group.error_descriptions, ",".join(str(c) for c in group.error_codes)
        where = (
            f"transaction set {transaction.control_number}"
            if transaction is not None
            else f"group {group.group_control_number}"
        )
        text = "; ".join(details) or "no reason given"
        if self.mover.move(claim, "ch_rejected", f"{self.name}: 999 rejected {where}: {text}"):
            self.mover.work(
                WorkReason.CLEARINGHOUSE_REJECTED,
                f"claim {claim.patient_control_number} in {submission.file_name} was rejected "
                f"by the clearinghouse's 999 ({where}): {text}; correct and resubmit",
                claim=claim,
                submission_id=submission.id,
                codes=codes,
            )


class _Router277CA(_Router):
    kind = "277CA"

    def apply(self, data: bytes) -> InboundResult:
        parsed = self._read(data, read_277ca)
        unmatched: list[str] = []
        for ack_file in parsed.files:
            for ack in ack_file.claims:
                claim = self._claim_for(ack.patient_control_number)
                if claim is None:
                    unmatched.append(ack.patient_control_number)
                    continue
                self._apply_claim(ack, claim)
        if unmatched:
            self.mover.work(
                WorkReason.UNMATCHED_CLAIM,
                f"{self.name}: 277CA statuses for claims we did not send or "
                f"already closed: {', '.join(unmatched)}",
            )
        total = sum(len(f.claims) for f in parsed.files)
        status: InboundStatus = (
            "unmatched" if unmatched and len(unmatched) == total else "processed"
        )
        moved = ", ".join(f"{n} {state}" for state, n in sorted(self.mover.moved.items()))
        return self.result(
            status,
            f"{total} claim status(es); {moved or 'no state change'}"
            + (f"; unmatched: {', '.join(unmatched)}" if unmatched else ""),
        )

    def _claim_for(self, pcn: str) -> ClaimRow | None:
        """The latest claim with this CLM01 still waiting for a payer's answer; for a part
        of a claim the 837D writer split (``<pcn>-<n>``, when no claim has that number)
        its parent: a part accepted moves the parent on, a part rejected rejects it."""
        found = current_claims(self.session, pcn)
        parent = part_parent(pcn)
        if not found and parent is not None:
            found = current_claims(self.session, parent[0])
        waiting = [c for c in found if stage(c.state) <= CLAIM_STAGES["payer_accepted"]]
        return waiting[0] if waiting else None

    def _apply_claim(self, ack: ClaimAck, claim: ClaimRow) -> None:
        reason = f"{self.name}: 277CA {ack.category_code}:{ack.status_code} {ack.message}"
        if ack.status == "accepted":
            if ack.payer_claim_control_number and (
                ack.patient_control_number == claim.patient_control_number
                or not claim.payer_claim_control_number
            ):
                claim.payer_claim_control_number = ack.payer_claim_control_number
            self.mover.move(claim, "payer_accepted", reason)
        elif ack.status == "rejected":
            codes = [f"{ack.category_code}:{ack.status_code}"] + [
                f"{s.category_code}:{s.status_code}" for s in ack.additional_statuses
            ]
            if self.mover.move(claim, "payer_rejected", reason):
                self.mover.work(
                    WorkReason.PAYER_REJECTED,
                    f"claim {ack.patient_control_number} was rejected at the payer's front "
                    f"door: {ack.message}; correct and resubmit as a new claim",
                    claim=claim,
                    codes=",".join(codes),
                )


ROUTERS: Final[dict[str, type[_Router]]] = {
    "TA1": _Ta1Router,
    "999": _Router999,
    "277CA": _Router277CA,
}
"""Kind of a stored acknowledgment → the router that applies it."""
