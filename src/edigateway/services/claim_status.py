"""Ask payers about claims with no answer after N days (276 → 277, real time).

A claim waiting for its payer (``submitted``, ``ch_accepted``, ``payer_accepted``) whose
last change is older than ``after_days`` — and that was not asked about within that time —
gets a 276 with what the payer needs to find it (payer, provider NPI, subscriber, our
claim number, the payer's number once known, charge, dates). The 277's answer is written
into the claim's history; answers a person must act on become work items:

===========================  ===================================================
outcome                      work item
===========================  ===================================================
paid / denied / finalized    the payer decided but no 835 came: ask for the ERA
not_found / rejected         the payer does not have the claim: resend it
information_requested        send the payer what it asks for
request_error / unknown      the inquiry itself failed: a person looks
acknowledged / pending       none: wait
===========================  ===================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.domain.claim_lifecycle import Cause
from edigateway.domain.claim_status import (
    InformationReceiver,
    ServiceProvider,
    StatusInquiry,
    StatusPatient,
    StatusPayer,
    StatusSubscriber,
)
from edigateway.domain.claims import MAX_LINES_PER_CLAIM
from edigateway.domain.claims_split import split_claim
from edigateway.domain.postings import WorkReason
from edigateway.errors import ConflictError, NotFoundError, UnreadableAnswerError, X12Error
from edigateway.persistence.claim_rows import note
from edigateway.persistence.tables import ClaimRow, ClaimStateRow
from edigateway.persistence.work_item_rows import add_work_item
from edigateway.services.access import record
from edigateway.services.claim_store import open_document
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x276_005010X212 import write_276
from edigateway.x12.x277_005010X212 import read_277

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.domain.claim_status import ClaimStatusAnswer
    from edigateway.domain.claims import Claim
    from edigateway.persistence.database import Database
    from edigateway.services.control_numbers import ControlNumberSource
    from edigateway.settings import Settings
    from edigateway.transports.https import CoreHttpClient

WAITING = ("submitted", "ch_accepted", "payer_accepted")
NOT_ASKABLE = frozenset({"ready", "queued", "replaced", "voided", "resubmitted", "cancelled"})
"""States of claims a payer cannot be asked about: not sent yet, or superseded."""
ASKED = "277 "
_ACT: dict[str, str] = {
    "paid": "the payer reports it paid; no 835 has been posted: ask the clearinghouse for the ERA",
    "denied": "the payer reports it denied; no 835 has been posted: ask for the ERA, then "
    "appeal or bill the patient",
    "finalized": "the payer finalized it; no 835 has been posted: ask for the ERA",
    "not_found": "the payer has no such claim: check the data and resend it",
    "rejected": "the payer rejected it: correct and resend",
    "information_requested": "the payer asks for more information: send it",
    "request_error": "the status inquiry itself was refused: check the payer and provider IDs",
    "unknown": "the payer answered a status we do not know: a person looks",
}


@dataclass(frozen=True, slots=True)
class StatusResult:
    """One claim asked about and what the payer said."""

    claim_id: int
    patient_control_number: str
    outcome: str
    message: str


@dataclass(frozen=True, slots=True)
class ClaimStatusChecked:
    """One claim asked about on request: the outcome, when, and the payer's whole answer
    (none when the payer answered the request itself, e.g. an unknown provider)."""

    claim_id: int
    patient_control_number: str
    outcome: str
    message: str
    asked_at: datetime
    answer: ClaimStatusAnswer | None


def inquiry_for(
    claim: Claim,
    row: ClaimRow,
    settings: Settings,
    trace: str,
    *,
    payer_claim_control_number: str | None = None,
) -> StatusInquiry:
    """The 276 question for a stored claim (or one part of it, with the part's payer
    claim number when known)."""
    dates = [line.service_date or claim.service_date for line in claim.lines]
    known = [d for d in dates if d is not None] or [row.submitted_on or row.state_changed_at.date()]
    provider = claim.billing_provider
    patient = claim.patient
    subscriber = claim.subscriber
    return StatusInquiry(
        trace_number=trace,
        payer=StatusPayer(payer_id=claim.payer.payer_id, name=claim.payer.name),
        receiver=InformationReceiver(name=settings.submitter_name, etin=settings.submitter_id),
        provider=ServiceProvider(
            organization_name=provider.organization_name,
            person=provider.person,
            identifier=provider.npi,
        ),
        subscriber=StatusSubscriber(
            name=subscriber.name,
            member_id=subscriber.member_id,
            date_of_birth=subscriber.date_of_birth,
            gender=subscriber.gender,
        ),
        patient=StatusPatient(
            name=patient.name, date_of_birth=patient.date_of_birth, gender=patient.gender
        )
        if patient
        else None,
        patient_control_number=claim.patient_control_number,
        payer_claim_control_number=payer_claim_control_number,
        total_charge=claim.total_charge,
        service_start=min(known),
        service_end=max(known) if max(known) != min(known) else None,
    )


def inquire_stale(
    db: Database,
    *,
    client: CoreHttpClient,
    profile: ClearinghouseProfile,
    settings: Settings,
    control_numbers: ControlNumberSource,
    clock: Callable[[], datetime],
    after_days: int,
) -> list[StatusResult]:
    """Ask about every claim waiting longer than ``after_days`` (see module docstring)."""
    now = clock()
    cutoff = now - timedelta(days=after_days)
    with db.transaction() as session:
        recently_asked = select(ClaimStateRow.claim_id).where(
            ClaimStateRow.reason.startswith(ASKED), ClaimStateRow.changed_at > cutoff
        )
        rows = list(
            session.scalars(
                select(ClaimRow)
                .where(
                    ClaimRow.state.in_(WAITING),
                    ClaimRow.state_changed_at <= cutoff,
                    ClaimRow.superseded_by_id.is_(None),
                    ClaimRow.id.not_in(recently_asked),
                )
                .order_by(ClaimRow.id)
            )
        )
        claims = [(row, open_document(session, row)) for row in rows]
    results = []
    for row, claim in claims:
        outcome, message, _ = _ask(
            row,
            claim,
            client=client,
            profile=profile,
            settings=settings,
            control_numbers=control_numbers,
            now=now,
        )
        _record(db, row.id, row.patient_control_number, outcome, message, now)
        results.append(StatusResult(row.id, row.patient_control_number, outcome, message))
    return results


def inquire_claim(
    db: Database,
    claim_id: int,
    *,
    practice_id: int,
    client: CoreHttpClient,
    profile: ClearinghouseProfile,
    settings: Settings,
    control_numbers: ControlNumberSource,
    clock: Callable[[], datetime],
    actor: str,
    remote_addr: str | None = None,
) -> ClaimStatusChecked:
    """Ask the payer about one of the practice's claims now (276 → 277, real time, within
    the profile's deadline), whatever its age: the answer goes into the claim's history and
    opens a work item as :func:`inquire_stale`'s do. Another practice's claim is not found;
    a claim not sent yet (``ready``, ``queued``) or superseded (``replaced``, ``voided``:
    ask about its replacement) is a :class:`ConflictError`; a 277 that cannot be read is
    the clearinghouse's failure (:class:`UnreadableAnswerError`). The inquiry is audited as
    a transmission before it is sent (it carries the patient to the payer)."""
    now = clock()
    with db.transaction() as session:
        row = session.scalars(
            select(ClaimRow).where(ClaimRow.id == claim_id, ClaimRow.practice_id == practice_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no claim {claim_id}")
        if row.state in NOT_ASKABLE:
            raise ConflictError(
                f"claim {claim_id} is {row.state}: only a claim sent to the payer and not "
                "superseded can be asked about"
                + (" (ask about its replacement)" if row.superseded_by_id else "")
            )
        claim = open_document(session, row)
        record(
            session,
            actor=actor,
            practice_id=practice_id,
            action="transmit",
            resource="claim_status",
            resource_id=str(claim_id),
            at=now,
            remote_addr=remote_addr,
        )
    try:
        outcome, message, answer = _ask(
            row,
            claim,
            client=client,
            profile=profile,
            settings=settings,
            control_numbers=control_numbers,
            now=now,
        )
    except X12Error as exc:  # their 277 breaks its guide: the exchange failed, not the caller
        raise UnreadableAnswerError(
            f"the clearinghouse's 277 could not be read: {exc}", exc.location
        ) from exc
    _record(db, row.id, row.patient_control_number, outcome, message, now)
    return ClaimStatusChecked(row.id, row.patient_control_number, outcome, message, now, answer)


@dataclass(frozen=True, slots=True)
class _Asked:
    """What the payer said about a claim, or about one part of a split claim (``part``:
    the part's number ``<pcn>-<n>`` the payer knows it by)."""

    part: str | None
    outcome: str
    message: str
    answer: ClaimStatusAnswer | None


def inquiries_for(
    claim: Claim, row: ClaimRow, settings: Settings, trace: str
) -> list[tuple[str | None, StatusInquiry]]:
    """The 276 questions for a stored claim: one, or for a claim the 837D writer split
    into parts (more than 50 lines) one per part under the part's number, charge and dates
    (trace ``<trace>-<n>``) — the payer received the parts, never the parent. A part's
    payer claim number is sent only when it is the one the parent keeps (given by that
    part's 277CA or 835); the others are found by their number, charge and dates."""
    parts = split_claim(claim, MAX_LINES_PER_CLAIM)
    if len(parts) == 1:
        return [
            (
                None,
                inquiry_for(
                    claim,
                    row,
                    settings,
                    trace,
                    payer_claim_control_number=row.payer_claim_control_number,
                ),
            )
        ]
    return [
        (
            part.patient_control_number,
            inquiry_for(
                part,
                row,
                settings,
                f"{trace}-{number}",
                payer_claim_control_number=row.payer_claim_control_number if number == 1 else None,
            ),
        )
        for number, part in enumerate(parts, start=1)
    ]


def _ask(
    row: ClaimRow,
    claim: Claim,
    *,
    client: CoreHttpClient,
    profile: ClearinghouseProfile,
    settings: Settings,
    control_numbers: ControlNumberSource,
    now: datetime,
) -> tuple[str, str, ClaimStatusAnswer | None]:
    """One 276 about ``claim`` (each of its parts, when it was split) and what its 277
    says: the outcome, in words, and the payer's answer (none when the payer answered the
    request, not the claim). A split claim's parts' answers all belong to the claim
    (:func:`_combined`)."""
    numbers = control_numbers.allocate(settings.isa_sender_id)
    params = InterchangeParams.outbound(settings, profile.interchange, numbers, now)
    trace = f"CS{numbers.interchange:09d}"
    questions = inquiries_for(claim, row, settings, trace)
    x277 = client.claim_status(
        write_276([inquiry for _part, inquiry in questions], params),
        sender_id=settings.isa_sender_id,
        receiver_id=profile.interchange.receiver_id,
    )
    parsed = read_277(x277.encode("utf-8", "surrogateescape"), name=f"277 from {profile.name}")
    by_trace = {a.trace_number: a for a in parsed.answers}
    request_problem = "; ".join(s.message for s in parsed.level_statuses) or "no answer"
    asked = []
    for part, inquiry in questions:
        answer = by_trace.get(inquiry.trace_number)
        asked.append(
            _Asked(part, "request_error", request_problem, None)
            if answer is None
            else _Asked(part, answer.outcome, answer.message, answer)
        )
    return _combined(asked)


def _combined(asked: list[_Asked]) -> tuple[str, str, ClaimStatusAnswer | None]:
    """One outcome for the claim from its answers: a claim's own answer; for a split
    claim, the first part's answer that needs a person (else the first part's), with every
    part's answer in the message, so the parent's history and work item say what the
    payer said of each part."""
    if len(asked) == 1:
        return asked[0].outcome, asked[0].message, asked[0].answer
    chosen = next((a for a in asked if a.outcome in _ACT), asked[0])
    message = "; ".join(f"part {a.part}: {a.outcome}: {a.message}" for a in asked)
    return chosen.outcome, message, chosen.answer


def _record(
    db: Database, claim_id: int, pcn: str, outcome: str, message: str, now: datetime
) -> None:
    with db.transaction() as session:
        row = session.get(ClaimRow, claim_id)
        if row is None:
            return
        note(session, row, Cause("file", f"{ASKED}{outcome}: {message}"), now)
        action = _ACT.get(outcome)
        if action is not None:  # one open item per claim: asking again updates it
            add_work_item(
                session,
                created_at=now,
                reason=WorkReason.NO_PAYER_ANSWER,
                message=f"claim {pcn}: claim status inquiry — {message}; {action}",
                codes=outcome,
                claim_id=claim_id,
                patient_control_number=pcn,
                amount=row.total_charge,
            )
