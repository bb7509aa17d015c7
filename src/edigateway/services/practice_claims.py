"""Claims as one practice sees them: the use cases behind the API's claim routes and the
dashboard's claim pages.

Every function takes the caller's ``practice_id`` and only ever finds that practice's
rows, so another practice's claim ID is simply "not found" — never a different error that
would tell a caller the claim exists. Reads and changes of claims (PHI) are audited in the
same transaction as the work. Results are typed (:class:`ClaimSummary`, :class:`ClaimDetail`
…): the API's response models are read from their attributes, the pages from the same
objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, TypedDict

from sqlalchemy import bindparam, func, select

from edigateway.domain.claims import Claim, ClaimBatch
from edigateway.domain.edits import ensure_clean
from edigateway.domain.eligibility import PlannedProcedure, TreatmentPlan
from edigateway.errors import (
    ClaimInputError,
    CleanClaimError,
    ConflictError,
    FieldProblem,
    InputError,
    NotFoundError,
)
from edigateway.persistence.tables import (
    ClaimRow,
    ClaimStateRow,
    Payer,
    Practice,
    SubmissionClaimRow,
    SubmissionRow,
)
from edigateway.services.access import record
from edigateway.services.claim_store import ClaimStore, KnownPractice, open_document
from edigateway.services.ledger import claim_money

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date, datetime
    from decimal import Decimal

    from sqlalchemy.orm import Session

    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.domain.claim_lifecycle import Ledger
    from edigateway.errors import EditFailure
    from edigateway.persistence.database import Database
    from edigateway.services.access import AuditAction
    from edigateway.services.control_numbers import ControlNumberSource
    from edigateway.services.followup import FilingWarning
    from edigateway.services.ledger import LinePosting
    from edigateway.settings import Settings
    from edigateway.x12.snip import Finding
    from edigateway.x12.validation import Validator


@dataclass(frozen=True, slots=True)
class Caller:
    """Who acts, for scoping and the audit trail."""

    practice_id: int
    actor: str
    remote_addr: str | None = None
    npi: str | None = None
    """The practice's NPI when the caller's credential already gave it (an API key does):
    a create then checks the claim's billing NPI without reading the practice row."""


@dataclass(frozen=True, slots=True)
class ClaimSummary:
    """The searchable columns of a claim (no names, member IDs or dates of birth)."""

    id: int
    patient_control_number: str
    kind: str
    frequency: str
    state: str
    state_changed_at: datetime
    total_charge: Decimal
    first_service_date: date | None
    submitted_on: date | None
    payer_id: str | None
    payer_claim_control_number: str | None
    superseded_by_id: int | None


@dataclass(frozen=True, slots=True)
class ClaimCreated(ClaimSummary):
    """A claim stored now (``stored``), or found identical to one stored (``unchanged``)."""

    status: Literal["stored", "unchanged"]


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One state change of a claim and its cause (``from_``: none for the first)."""

    from_: str | None
    to: str
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Transmission:
    """A file sent, with its acknowledgment status (no payload); on a claim's own
    transmissions, ``transaction_control_number`` is the ST02 its claim went in."""

    id: int
    kind: str
    clearinghouse: str
    file_name: str
    remote_name: str | None
    interchange_control_number: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    ack_status: str | None
    ack_at: datetime | None
    last_error: str | None
    transaction_control_number: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimDetail(ClaimSummary):
    """A claim as submitted, with its history, the files it was sent in and its money
    (ledger and the postings that make it)."""

    claim: Claim
    history: tuple[HistoryStep, ...]
    transmissions: tuple[Transmission, ...]
    ledger: Ledger
    postings: tuple[LinePosting, ...]


@dataclass(frozen=True, slots=True)
class Submitted:
    """Claims queued in one 837D (the outbox row, ``pending`` until the sender uploads it)."""

    submission_id: int
    file_name: str
    interchange_control_number: str
    claim_ids: tuple[int, ...]
    status: Literal["pending"] = "pending"
    warnings: tuple[FilingWarning, ...] = ()
    """Claims near or past their payer's timely-filing limit (queued all the same)."""


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """A claim's clean-claim edits and the validation of the 837D it would become;
    ``x12_valid`` is ``None`` when an edit failed (no 837D is built then)."""

    clean: bool
    edit_failures: tuple[EditFailure, ...]
    x12_valid: bool | None
    x12_errors: tuple[Finding, ...]


def _audit(
    session: Session,
    caller: Caller,
    action: AuditAction,
    resource: str,
    resource_id: str | None,
    now: datetime,
    detail: str = "",
) -> None:
    record(
        session,
        actor=caller.actor,
        practice_id=caller.practice_id,
        action=action,
        resource=resource,
        resource_id=resource_id,
        at=now,
        remote_addr=caller.remote_addr,
        detail=detail,
    )


def _own(session: Session, caller: Caller, claim_id: int) -> ClaimRow:
    row = session.scalars(
        select(ClaimRow).where(ClaimRow.id == claim_id, ClaimRow.practice_id == caller.practice_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no claim {claim_id}")
    return row


class _Columns(TypedDict):
    """A claim row's :class:`ClaimSummary` fields, to build a summary or one of its
    extensions (:class:`ClaimCreated`, :class:`ClaimDetail`) from."""

    id: int
    patient_control_number: str
    kind: str
    frequency: str
    state: str
    state_changed_at: datetime
    total_charge: Decimal
    first_service_date: date | None
    submitted_on: date | None
    payer_id: str | None
    payer_claim_control_number: str | None
    superseded_by_id: int | None


def _columns(row: ClaimRow, payer_id: str | None) -> _Columns:
    return {
        "id": row.id,
        "patient_control_number": row.patient_control_number,
        "kind": row.kind,
        "frequency": row.frequency,
        "state": row.state,
        "state_changed_at": row.state_changed_at,
        "total_charge": row.total_charge,
        "first_service_date": row.first_service_date,
        "submitted_on": row.submitted_on,
        "payer_id": payer_id,
        "payer_claim_control_number": row.payer_claim_control_number,
        "superseded_by_id": row.superseded_by_id,
    }


def summary(row: ClaimRow, payer_id: str | None = None) -> ClaimSummary:
    """The searchable columns of a claim (no names, member IDs or dates of birth)."""
    return ClaimSummary(**_columns(row, payer_id))


def create(
    db: Database, caller: Caller, claim: Claim, *, now: datetime, payer_ids: list[str] | None = None
) -> ClaimCreated:
    """Store one claim (state ``ready``) after the clean-claim edits; it must be billed
    by the caller's practice (its NPI) and, given the clearinghouse's ``payer_ids``, go to
    a payer on that list."""
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
    with db.transaction() as session:
        npi = caller.npi
        if npi is None:
            practice = session.get(Practice, caller.practice_id)
            npi = practice.npi if practice else None
        if npi is None or npi != claim.billing_provider.npi:
            raise ClaimInputError(
                "claim",
                [
                    FieldProblem(
                        "billing_provider.npi",
                        f"{claim.billing_provider.npi} is not this "
                        f"practice's NPI{f' ({npi})' if npi else ''}",
                    )
                ],
            )
        known = KnownPractice(caller.practice_id, npi)
        store = ClaimStore(session, now, known)
        stored = store.store([claim], state="ready")[0]
        _audit(
            session,
            caller,
            "create" if stored.status == "stored" else "read",
            "claim",
            str(stored.id),
            now,
            stored.status,
        )
        return ClaimCreated(
            **store.written[stored.id], payer_id=claim.payer.payer_id, status=stored.status
        )


def get(db: Database, caller: Caller, claim_id: int, *, now: datetime) -> ClaimDetail:
    """One claim: columns, the document as submitted, history and transmissions."""
    with db.transaction() as session:
        found = session.execute(
            _CLAIM_AND_PAYER, {"claim": claim_id, "practice": caller.practice_id}
        ).first()
        if found is None:
            raise NotFoundError(f"no claim {claim_id}")
        row, payer_id = found
        document = open_document(session, row)
        _audit(session, caller, "read", "claim", str(claim_id), now)
        money = claim_money(session, row)
        return ClaimDetail(
            **_columns(row, payer_id),
            claim=document,
            history=_history(session, claim_id),
            transmissions=_transmissions(session, claim_id),
            ledger=money.ledger,
            postings=money.postings,
        )


def history(
    db: Database, caller: Caller, claim_id: int, *, now: datetime
) -> tuple[HistoryStep, ...]:
    """Every state the claim went through, with its cause."""
    with db.transaction() as session:
        _own(session, caller, claim_id)
        _audit(session, caller, "read", "claim_history", str(claim_id), now)
        return _history(session, claim_id)


_CLAIM_AND_PAYER: Final = (
    select(ClaimRow, Payer.payer_id)
    .outerjoin(Payer, Payer.id == ClaimRow.payer_id)
    .where(ClaimRow.id == bindparam("claim"), ClaimRow.practice_id == bindparam("practice"))
)
_HISTORY: Final = (
    select(
        ClaimStateRow.previous_state,
        ClaimStateRow.state,
        ClaimStateRow.changed_at,
        ClaimStateRow.reason,
    )
    .where(ClaimStateRow.claim_id == bindparam("claim"))
    .order_by(ClaimStateRow.id)
)
_TRANSMISSIONS: Final = (
    select(
        SubmissionRow.id,
        SubmissionRow.kind,
        SubmissionRow.clearinghouse,
        SubmissionRow.file_name,
        SubmissionRow.remote_name,
        SubmissionRow.interchange_control_number,
        SubmissionRow.status,
        SubmissionRow.created_at,
        SubmissionRow.sent_at,
        SubmissionRow.ack_status,
        SubmissionRow.ack_at,
        SubmissionRow.last_error,
        SubmissionClaimRow.transaction_control_number,
    )
    .join(SubmissionClaimRow, SubmissionClaimRow.submission_id == SubmissionRow.id)
    .where(SubmissionClaimRow.claim_id == bindparam("claim"))
    .order_by(SubmissionRow.id)
)
"""A claim with its payer, its history and the files it went in, as a read shows them:
built once (every read runs them; building a statement cost more than running it) and,
but for the claim, read as columns (a submission row also holds its file)."""


def _history(session: Session, claim_id: int) -> tuple[HistoryStep, ...]:
    return tuple(
        HistoryStep(h.previous_state, h.state, h.changed_at, h.reason)
        for h in session.execute(_HISTORY, {"claim": claim_id})
    )


def _transmissions(session: Session, claim_id: int) -> tuple[Transmission, ...]:
    return tuple(
        transmission(row, row.transaction_control_number)  # type: ignore[arg-type] # a Row of its columns
        for row in session.execute(_TRANSMISSIONS, {"claim": claim_id})
    )


def transmission(row: SubmissionRow, transaction_control_number: str | None = None) -> Transmission:
    """A file sent, with its acknowledgment status (no payload)."""
    return Transmission(
        id=row.id,
        kind=row.kind,
        clearinghouse=row.clearinghouse,
        file_name=row.file_name,
        remote_name=row.remote_name,
        interchange_control_number=row.interchange_control_number,
        status=row.status,
        created_at=row.created_at,
        sent_at=row.sent_at,
        ack_status=row.ack_status,
        ack_at=row.ack_at,
        last_error=row.last_error,
        transaction_control_number=transaction_control_number,
    )


def list_claims(
    db: Database,
    caller: Caller,
    *,
    state: str | None,
    payer_id: str | None,
    patient_control_number: str | None,
    limit: int,
    offset: int,
    now: datetime,
    member_id: str | None = None,
    updated_since: datetime | None = None,
) -> tuple[list[ClaimSummary], int]:
    """A page of the practice's claims (newest first) and how many match in all.

    ``member_id`` is matched through its keyed hash (no member ID is stored in clear);
    ``updated_since`` keeps claims whose state changed at or after it (every change a PM
    sees — acknowledgment, payment, supersession — moves the state)."""
    query = (
        select(ClaimRow, Payer.payer_id)
        .join(Payer, Payer.id == ClaimRow.payer_id)
        .where(ClaimRow.practice_id == caller.practice_id)
    )
    if state:
        query = query.where(ClaimRow.state == state)
    if payer_id:
        query = query.where(Payer.payer_id == payer_id)
    if patient_control_number:
        query = query.where(ClaimRow.patient_control_number == patient_control_number)
    if member_id:
        query = query.where(
            ClaimRow.member_index == db.phi.blind_index(member_id, purpose="member-id")
        )
    if updated_since is not None:
        query = query.where(ClaimRow.state_changed_at >= updated_since)
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(query.order_by(ClaimRow.id.desc()).offset(offset).limit(limit))
        items = [summary(row, payer) for row, payer in rows]
        _audit(session, caller, "read", "claim_list", None, now, f"{len(items)} claims")
        return items, total


def submit(
    db: Database,
    caller: Caller,
    claim_ids: list[int],
    *,
    settings: Settings,
    clearinghouse: ClearinghouseProfile,
    numbers: ControlNumberSource,
    now: datetime,
) -> Submitted:
    """Queue ready claims in one 837D (the outbox; the sender uploads it)."""
    from edigateway.services.submissions import queue_stored

    if not claim_ids:
        raise InputError("claim_ids: give at least one claim")
    queued = queue_stored(
        db,
        claim_ids,
        practice_id=caller.practice_id,
        settings=settings,
        clearinghouse=clearinghouse,
        numbers=numbers,
        now=now,
    )
    with db.transaction() as session:
        _audit(
            session,
            caller,
            "transmit",
            "submission",
            str(queued.submission_id),
            now,
            f"{len(claim_ids)} claims queued as {queued.file_name}",
        )
    return Submitted(
        queued.submission_id,
        queued.file_name,
        queued.interchange_control_number,
        queued.claim_ids,
        warnings=queued.warnings,
    )


def replace(
    db: Database,
    caller: Caller,
    claim_id: int,
    corrected: Claim | None,
    *,
    frequency: str,
    now: datetime,
    payer_ids: list[str] | None = None,
) -> ClaimCreated:
    """A replacement (7, with ``corrected``) or void (8) of a claim the payer has: a new
    claim row referring to the payer's claim number; the earlier one is superseded."""
    with db.transaction() as session:
        row = _own(session, caller, claim_id)
        original = open_document(session, row)
        if row.superseded_by_id is not None:
            raise ConflictError(
                f"claim {claim_id} was already superseded by claim "
                f"{row.superseded_by_id}; change that one"
            )
        payer_number = (
            corrected.payer_claim_control_number if corrected else None
        ) or row.payer_claim_control_number
        if not payer_number:
            raise InputError(
                f"claim {claim_id} has no payer claim number yet (no 277CA or 835 gave one); "
                "give payer_claim_control_number, or wait for the payer"
            )
        base = corrected or original
        if base.patient_control_number != row.patient_control_number:
            raise InputError(
                "patient_control_number: a replacement keeps the claim's number "
                f"{row.patient_control_number}"
            )
    new = base.model_copy(
        update={"frequency": frequency, "payer_claim_control_number": payer_number}
    )
    return create(db, caller, new, now=now, payer_ids=payer_ids)


def check(
    claim: Claim,
    *,
    settings: Settings,
    draft_numbers: ControlNumberSource,
    validator: Validator,
    clock: Callable[[], datetime],
) -> ClaimCheck:
    """Run the clean-claim edits on ``claim`` and validate the 837D it would become;
    nothing is stored, and ``draft_numbers`` (never the real counter) number the file."""
    from edigateway.services.claims import build_837d

    try:
        text = build_837d(
            ClaimBatch(claims=[claim]),
            settings=settings,
            control_numbers=draft_numbers,
            clock=clock,
        )
    except CleanClaimError as exc:
        return ClaimCheck(
            clean=False, edit_failures=tuple(exc.failures), x12_valid=None, x12_errors=()
        )
    verdict = validator.validate_text(text, "claim.837", today=clock().date())
    return ClaimCheck(
        clean=True, edit_failures=(), x12_valid=verdict.valid, x12_errors=verdict.errors
    )


def plan_of(claim: Claim) -> TreatmentPlan:
    """A claim's procedures as a treatment plan, to estimate them."""
    return TreatmentPlan(
        procedures=[
            PlannedProcedure(
                procedure_code=line.procedure_code,
                fee=line.charge,
                tooth=line.teeth[0].tooth if line.teeth else None,
            )
            for line in claim.lines
        ]
    )
