"""Fixing a claim before the payer has it: edit or cancel a claim until it is sent, and
resend a rejected one as a corrected new original.

* **Edit** (:func:`edit`): a ``ready`` claim (stored, not queued) takes the corrected claim
  whole — the same document as on create, so the PM system and the dashboard send what
  they already build; the clean-claim edits run again and the stored document, its lines
  and searchable columns are rewritten in place (same ID, same number). A history note
  names who changed it. Once queued the 837D is written, so the claim is no longer edited.
* **Cancel** (:func:`cancel`): a ``ready`` claim, or one the clearinghouse or payer
  rejected and that will not be resent, becomes ``cancelled`` (out of A/R; its open
  rejection work items close). A claim queued or sent is refused: the payer may have it,
  so it is voided instead.
* **Resubmit** (:func:`resubmit`): a claim rejected by the 999 or the 277CA never reached
  adjudication, so coordinators resend it corrected under the same patient control
  number, as it was sent (an original as a new original, frequency 1). The corrected
  claim is stored as a new claim that supersedes the rejected one (``resubmitted``: out
  of A/R, the two histories name each other), takes the rejected claim's attachments
  (they go again with the new claim) and is queued in an 837D — all in one transaction.
  The rejected claim's row is locked first, so of two concurrent resubmissions exactly
  one succeeds; the other gets 409.

Every change is audited in its transaction, and scoped to the caller's practice: another
practice's claim ID is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from edigateway.domain.claim_lifecycle import REJECTED, Cause, CauseKind, ClaimState, allowed
from edigateway.domain.claims import ClaimBatch
from edigateway.domain.edits import ensure_clean
from edigateway.domain.postings import WorkReason
from edigateway.errors import (
    ClaimInputError,
    ConflictError,
    FieldProblem,
    InputError,
    NotFoundError,
)
from edigateway.persistence.claim_rows import Move, note, transition
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import (
    ClaimAttachmentRow,
    ClaimLineRow,
    ClaimRow,
    Payer,
    Practice,
    WorkItemRow,
    table_of,
)
from edigateway.services.access import practice_by, record
from edigateway.services.claim_store import (
    ClaimStore,
    document_binding,
    open_document,
    other_payer_roles,
    primary_paid_on,
    service_dates,
)
from edigateway.services.practice_claims import ClaimSummary, summary

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.domain.claims import Claim
    from edigateway.persistence.database import Database
    from edigateway.services.access import AuditAction
    from edigateway.services.control_numbers import ControlNumberSource
    from edigateway.services.followup import FilingWarning
    from edigateway.services.practice_claims import Caller
    from edigateway.settings import Settings

REJECTION_ITEMS = (WorkReason.CLEARINGHOUSE_REJECTED.value, WorkReason.PAYER_REJECTED.value)
"""The work items a rejection opens; resending or cancelling the claim resolves them."""


MAX_REASON = 200
"""The longest cancellation reason kept in a claim's history."""


@dataclass(frozen=True, slots=True)
class Resubmitted:
    """A rejected claim resent: the new claim (queued) and the 837D it is queued in."""

    claim: ClaimSummary
    resubmission_of: int
    submission_id: int
    file_name: str
    interchange_control_number: str
    work_items_closed: tuple[int, ...]
    warnings: tuple[FilingWarning, ...]
    """The new claim's timely-filing warning, if its deadline is near or past (the outbox's,
    :attr:`~edigateway.services.submissions.Queued.warnings`): a rejection never reached the
    payer, so the limit counts as for the first sending (from the date of service, or a
    secondary claim's window from the primary's payment,
    :func:`~edigateway.reconcile.followup.filing_deadline`); it is queued all the same."""


def cause_kind(actor: str) -> CauseKind:
    """What kind of cause an actor is: a PM system's API key, or a person (a dashboard
    user, someone at the command line)."""
    return "key" if actor.startswith("key:") and not actor.endswith(":ui") else "user"


def edit(
    db: Database,
    caller: Caller,
    claim_id: int,
    corrected: Claim,
    *,
    now: datetime,
    payer_ids: list[str] | None = None,
) -> ClaimSummary:
    """Replace a ready claim's content with ``corrected`` (see module docstring)."""
    _check_input(corrected, payer_ids, now)
    with db.transaction() as session:
        row = _locked(session, caller, claim_id)
        if row.state != ClaimState.READY:
            raise ConflictError(_not_editable(row))
        _same_identity(session, caller, row, corrected)
        store = ClaimStore(session, now, session.get_one(Practice, caller.practice_id))
        (claim,) = store.linked([corrected])
        text = claim.model_dump_json(exclude_defaults=True)
        cipher = cipher_of(session)
        digest = cipher.blind_index(text, purpose="claim-document")
        changed = digest != row.document_sha256
        if changed:
            row.document = cipher.seal(
                text, document_binding(row.practice_id, row.patient_control_number, digest)
            )
            row.document_sha256 = digest
            row.payer_id = store.payer_id(claim)
            row.kind = claim.kind
            row.total_charge = claim.total_charge
            row.first_service_date = min(service_dates(claim), default=None)
            row.member_index = cipher.blind_index(claim.subscriber.member_id, purpose="member-id")
            row.other_payer_roles = other_payer_roles(claim)
            row.primary_paid_on = primary_paid_on(claim)
            session.execute(delete(ClaimLineRow).where(ClaimLineRow.claim_id == row.id))
            session.execute(
                table_of(ClaimLineRow).insert(),
                [
                    {
                        "claim_id": row.id,
                        "line_number": number,
                        "procedure_code": line.procedure_code,
                        "charge": line.charge,
                        "service_date": line.service_date or claim.service_date,
                        "line_control_number": line.line_control_number,
                        "teeth": ",".join(t.tooth for t in line.teeth) or None,
                    }
                    for number, line in enumerate(claim.lines, start=1)
                ],
            )
            note(
                session,
                row,
                Cause(cause_kind(caller.actor), "edited before sending", actor=caller.actor),
                now,
            )
        _audit(session, caller, "change", row.id, now, "edited" if changed else "unchanged")
        session.flush()
        return summary(row, claim.payer.payer_id)


def cancel(
    db: Database, caller: Caller, claim_id: int, *, now: datetime, reason: str | None = None
) -> ClaimSummary:
    """Cancel a claim never to be sent: ready, or rejected and not resent."""
    if reason is not None and len(reason) > MAX_REASON:
        raise InputError(f"reason: at most {MAX_REASON} characters")
    with db.transaction() as session:
        row = _locked(session, caller, claim_id)
        kind = cause_kind(caller.actor)
        if not allowed(row.state, ClaimState.CANCELLED, kind) or row.superseded_by_id:
            raise ConflictError(
                f"claim {claim_id} is {row.state}: only a claim not yet queued (ready) or "
                "rejected by the clearinghouse or payer can be cancelled; void one the "
                "payer has"
            )
        text = "cancelled" + (f": {reason}" if reason else "")
        transition(
            session,
            [Move(row, ClaimState.CANCELLED, Cause(kind, text, actor=caller.actor))],
            now=now,
        )
        _close_rejections(session, row.id, now, "the claim was cancelled")
        _audit(session, caller, "change", row.id, now, "cancelled")
        session.flush()
        return summary(row, _payer_code(session, row))


def resubmit(
    db: Database,
    caller: Caller,
    claim_id: int,
    corrected: Claim,
    *,
    settings: Settings,
    clearinghouse: ClearinghouseProfile,
    numbers: ControlNumberSource,
    now: datetime,
    payer_ids: list[str] | None = None,
) -> Resubmitted:
    """Resend a rejected claim corrected, as a new original queued now (module docstring)."""
    from edigateway.services.submissions import record_outbox

    _check_input(corrected, payer_ids, now)
    with db.transaction() as session:
        row = _locked(session, caller, claim_id)
        if row.superseded_by_id is not None:
            raise ConflictError(
                f"claim {claim_id} was already superseded by claim "
                f"{row.superseded_by_id}; change that one"
            )
        if row.state not in REJECTED:
            raise ConflictError(
                f"claim {claim_id} is {row.state}: only a claim the clearinghouse (999) or "
                "payer (277CA) rejected is resubmitted; edit a ready claim, or replace one "
                "the payer accepted"
            )
        _same_identity(session, caller, row, corrected)
        was = row.state
        store = ClaimStore(session, now, session.get_one(Practice, caller.practice_id))
        stored = store.store([corrected], state="ready")[0]
        new = session.get_one(ClaimRow, stored.id)
        if row.state != ClaimState.RESUBMITTED or new.id == row.id:
            raise ConflictError(f"claim {claim_id} could not be superseded (it is {row.state})")
        session.execute(
            update(ClaimAttachmentRow)
            .where(ClaimAttachmentRow.claim_id == row.id)
            .values(claim_id=new.id, transmission=None, submission_id=None, sent_at=None)
        )
        note(
            session,
            new,
            Cause(
                cause_kind(caller.actor),
                f"corrected after claim {row.id} was {was}",
                actor=caller.actor,
            ),
            now,
        )
        queued = record_outbox(
            session,
            ClaimBatch(claims=[open_document(session, new)]),
            [new.id],
            settings=settings,
            clearinghouse=clearinghouse,
            numbers=numbers,
            now=now,
        )
        closed = _close_rejections(
            session, row.id, now, f"resubmitted as claim {new.id} in {queued.file_name}"
        )
        _audit(
            session,
            caller,
            "transmit",
            new.id,
            now,
            f"resubmission of claim {row.id} queued as {queued.file_name}",
        )
        session.flush()
        return Resubmitted(
            summary(new, corrected.payer.payer_id),
            row.id,
            queued.submission_id,
            queued.file_name,
            queued.interchange_control_number,
            tuple(closed),
            queued.warnings,
        )


def practice_for(db: Database, npi: str | None) -> int:
    """The practice a command-line user means: the one with NPI ``npi``, or the only
    practice there is."""
    with db.transaction() as session:
        if npi is not None:
            return practice_by(session, npi).id
        ids = list(session.scalars(select(Practice.id).order_by(Practice.id).limit(2)))
    if len(ids) != 1:
        raise InputError(
            "no practice yet (store a claim first)"
            if not ids
            else "several practices: say which with --practice NPI"
        )
    return ids[0]


def _check_input(claim: Claim, payer_ids: list[str] | None, now: datetime) -> None:
    if payer_ids is not None and claim.payer.payer_id not in payer_ids:
        raise ClaimInputError(
            "claim",
            [
                FieldProblem(
                    "payer.payer_id",
                    f"{claim.payer.payer_id} is not on the clearinghouse's payer list",
                )
            ],
        )
    ensure_clean(ClaimBatch(claims=[claim]), today=now.date())


def _locked(session: Session, caller: Caller, claim_id: int) -> ClaimRow:
    """The caller's claim, its row locked until the transaction ends (PostgreSQL; SQLite
    has one writer at a time)."""
    row = session.scalars(
        select(ClaimRow)
        .where(ClaimRow.id == claim_id, ClaimRow.practice_id == caller.practice_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFoundError(f"no claim {claim_id}")
    return row


def _same_identity(session: Session, caller: Caller, row: ClaimRow, claim: Claim) -> None:
    """The corrected claim is still this practice's claim under this number."""
    problems: list[FieldProblem] = []
    if claim.patient_control_number != row.patient_control_number:
        problems.append(
            FieldProblem(
                "patient_control_number",
                f"the claim's number is {row.patient_control_number}; a corrected claim keeps it",
            )
        )
    if claim.frequency != row.frequency:
        problems.append(
            FieldProblem(
                "frequency",
                f"the claim is frequency {row.frequency}; a corrected claim keeps "
                "it (a rejected original is resent as an original: the payer never took it)",
            )
        )
    practice = session.get_one(Practice, caller.practice_id)
    if claim.billing_provider.npi != practice.npi:
        problems.append(
            FieldProblem(
                "billing_provider.npi",
                f"{claim.billing_provider.npi} is not this practice's NPI ({practice.npi})",
            )
        )
    if problems:
        raise ClaimInputError("claim", problems)


def _not_editable(row: ClaimRow) -> str:
    if row.state in REJECTED:
        return (
            f"claim {row.id} is {row.state}: resend it corrected with "
            f"POST /v1/claims/{row.id}/resubmit (`edigateway claims resubmit`)"
        )
    return (
        f"claim {row.id} is {row.state}: only a ready claim (not yet queued) is edited; "
        "send a replacement for one the payer has"
    )


def _close_rejections(session: Session, claim_id: int, now: datetime, why: str) -> list[int]:
    return list(
        session.scalars(
            update(WorkItemRow)
            .where(
                WorkItemRow.claim_id == claim_id,
                WorkItemRow.status == "open",
                WorkItemRow.reason.in_(REJECTION_ITEMS),
            )
            .values(status="resolved", resolved_at=now, resolution_note=why)
            .returning(WorkItemRow.id)
        )
    )


def _payer_code(session: Session, row: ClaimRow) -> str | None:
    return session.scalar(select(Payer.payer_id).where(Payer.id == row.payer_id))


def _audit(
    session: Session, caller: Caller, action: AuditAction, claim_id: int, now: datetime, detail: str
) -> None:
    record(
        session,
        actor=caller.actor,
        practice_id=caller.practice_id,
        action=action,
        resource="claim",
        resource_id=str(claim_id),
        at=now,
        remote_addr=caller.remote_addr,
        detail=detail,
    )
