"""Upcoming visits and the verification queue: a coordinator verifies insurance before the
patient comes, so the practice-management system posts its booked visits (``POST
/v1/visits``, or ``edigateway visits import FILE.csv``) and the gateway lists — and can
check in bulk — the patients whose verification is missing or too old for their visit.

"Too old" is measured from the visit: a verification made more than ``days`` days before the
visit's date (or one the payer answered "member not found") does not count. A visit is
matched to verifications through keyed hashes of the member ID and the patient's name, as
the checks are stored (:mod:`edigateway.services.verifications`); the visit itself (names,
member ID, birth dates) is sealed like any PHI.

The CSV has a header line with these columns (``patient_*`` and ``relationship`` empty when
the subscriber is the patient; ``procedures`` CDT codes separated by spaces)::

    external_id,visit_date,payer_id,payer_name,member_id,subscriber_last_name,
    subscriber_first_name,subscriber_date_of_birth,patient_last_name,patient_first_name,
    patient_date_of_birth,relationship,procedures
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import func, select

from edigateway.domain.eligibility import (
    EligibilityInquiry,
    InquiryPerson,
    InquiryProvider,
    UpcomingVisit,
)
from edigateway.errors import (
    ClaimInputError,
    FieldProblem,
    InputError,
    MemberNotFoundError,
    NotFoundError,
    TransportError,
)
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import Practice
from edigateway.persistence.verification_rows import VerificationRow, VisitRow
from edigateway.security.phi import Binding
from edigateway.services import verifications
from edigateway.services.access import record

if TYPE_CHECKING:
    from datetime import date, datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller
    from edigateway.services.verifications import RealtimeClient

COLUMNS = (
    "external_id",
    "visit_date",
    "payer_id",
    "payer_name",
    "member_id",
    "subscriber_last_name",
    "subscriber_first_name",
    "subscriber_date_of_birth",
    "patient_last_name",
    "patient_first_name",
    "patient_date_of_birth",
    "relationship",
    "procedures",
)
REQUIRED = frozenset(
    {"external_id", "visit_date", "payer_id", "payer_name", "member_id", "subscriber_last_name"}
)
MAX_VISITS = 5000
"""More visits than a practice books in a month: one import holds at most this many."""


@dataclass(frozen=True, slots=True)
class VisitSaved:
    """A visit stored (``created``) or updated (same ``external_id``)."""

    id: int
    external_id: str
    visit_date: date
    status: str


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A patient to verify before a visit, and why."""

    visit_id: int
    external_id: str
    visit_date: date
    patient_name: str
    member_id: str
    payer_id: str
    procedures: tuple[str, ...]
    reason: str
    last_verification_id: int | None
    last_verified_at: datetime | None
    last_status: str | None


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What a bulk check did for one visit: the verification kept, or the failure."""

    visit_id: int
    external_id: str
    verification_id: int | None
    status: str
    message: str


def _binding(practice_id: int, row_id: int) -> Binding:
    return Binding("visits", "document", practice_id, str(row_id))


def _indexes(session: Session, visit: UpcomingVisit) -> tuple[str, str]:
    cipher = cipher_of(session)
    patient = (visit.patient or visit.subscriber).name
    return (
        cipher.blind_index(visit.subscriber.member_id or "", purpose="member-id"),
        cipher.blind_index(verifications.person_key(patient), purpose="patient-name"),
    )


def save(
    db: Database, caller: Caller, visits: list[UpcomingVisit], *, now: datetime
) -> list[VisitSaved]:
    """Store or update visits (by the PM system's ``external_id``) in one transaction."""
    if not visits:
        raise InputError("visits: give at least one visit")
    if len(visits) > MAX_VISITS:
        raise InputError(f"visits: at most {MAX_VISITS} in one request")
    with db.transaction() as session:
        cipher = cipher_of(session)
        saved = []
        for visit in visits:
            row = session.scalars(
                select(VisitRow).where(
                    VisitRow.practice_id == caller.practice_id,
                    VisitRow.external_id == visit.external_id,
                )
            ).first()
            status = "updated" if row is not None else "created"
            if row is None:
                row = VisitRow(
                    practice_id=caller.practice_id,
                    external_id=visit.external_id,
                    created_at=now,
                    status="scheduled",
                    document="",
                )
                session.add(row)
            member_index, patient_index = _indexes(session, visit)
            row.visit_date, row.payer_id = visit.visit_date, visit.payer.payer_id
            row.member_index, row.patient_index, row.updated_at = (member_index, patient_index, now)
            session.flush()
            row.document = cipher.seal(
                visit.model_dump_json(), _binding(caller.practice_id, row.id)
            )
            saved.append(VisitSaved(row.id, visit.external_id, visit.visit_date, status))
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="create",
            resource="visit",
            resource_id=None,
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"{len(saved)} visits",
        )
        return saved


def parse_csv(text: str, source: str) -> list[UpcomingVisit]:
    """Visits from a CSV (see module docstring); every problem named by line and column."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = sorted(REQUIRED - set(header))
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        raise ClaimInputError(
            source,
            [
                FieldProblem(
                    "line 1",
                    (f"missing column(s) {', '.join(missing)}" if missing else "")
                    + ("; " if missing and unknown else "")
                    + (f"unknown column(s) {', '.join(unknown)}" if unknown else ""),
                )
            ],
        )
    visits: list[UpcomingVisit] = []
    problems: list[FieldProblem] = []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        empty = [
            FieldProblem(f"line {number} column {column}", "is empty")
            for column in COLUMNS
            if column in REQUIRED and not row.get(column)
        ]
        try:
            visits.append(UpcomingVisit.model_validate(_visit_document(row)))
        except ValidationError as exc:
            said = {p.path for p in empty}
            empty += [
                problem
                for error in exc.errors()
                if (
                    problem := FieldProblem(
                        f"line {number} column {_column(error['loc'])}",
                        error["msg"].removeprefix("Value error, "),
                    )
                ).path
                not in said
            ]
        problems += empty
    if not problems and not visits:
        problems.append(FieldProblem("line 2", "the file lists no visit"))
    if len(visits) > MAX_VISITS:
        problems.append(
            FieldProblem(f"line {MAX_VISITS + 2}", f"more than {MAX_VISITS} visits in one file")
        )
    if problems:
        raise ClaimInputError(source, problems)
    return visits


def _person(row: dict[str, str], prefix: str) -> dict[str, Any] | None:
    if not row.get(f"{prefix}_last_name"):
        return None
    return {
        "last_name": row[f"{prefix}_last_name"],
        "first_name": row.get(f"{prefix}_first_name") or None,
    }


def _visit_document(row: dict[str, str]) -> dict[str, Any]:
    patient = _person(row, "patient")
    return {
        "external_id": row.get("external_id", ""),
        "visit_date": row.get("visit_date", ""),
        "payer": {"payer_id": row.get("payer_id", ""), "name": row.get("payer_name", "")},
        "subscriber": {
            "name": _person(row, "subscriber"),
            "member_id": row.get("member_id") or None,
            "date_of_birth": row.get("subscriber_date_of_birth") or None,
        },
        "patient": None
        if patient is None
        else {
            "name": patient,
            "date_of_birth": row.get("patient_date_of_birth") or None,
            "relationship": row.get("relationship") or None,
        },
        "procedures": row.get("procedures", "").replace(";", " ").split(),
    }


_CSV_COLUMN = {
    ("payer", "payer_id"): "payer_id",
    ("payer", "name"): "payer_name",
    ("subscriber", "member_id"): "member_id",
    ("subscriber", "date_of_birth"): "subscriber_date_of_birth",
    ("patient", "date_of_birth"): "patient_date_of_birth",
    ("patient", "relationship"): "relationship",
}


def _column(loc: tuple[int | str, ...]) -> str:
    """The CSV column a validation error is about."""
    parts = tuple(str(p) for p in loc)
    if not parts:
        return "(row)"
    pair = (parts[0], parts[1] if len(parts) > 1 else "")
    if pair in _CSV_COLUMN:
        return _CSV_COLUMN[pair]
    if parts[0] in ("subscriber", "patient") and len(parts) >= 3 and parts[1] == "name":
        return f"{parts[0]}_{parts[2]}"
    if parts[0] in ("subscriber", "patient"):
        return f"{parts[0]}_last_name"
    return parts[0]


def _open(session: Session, row: VisitRow) -> UpcomingVisit:
    return UpcomingVisit.model_validate_json(
        cipher_of(session).open(row.document, _binding(row.practice_id, row.id))
    )


def _name(visit: UpcomingVisit) -> str:
    name = (visit.patient or visit.subscriber).name
    return " ".join(p for p in (name.first_name, name.last_name) if p) if name else ""


def queue(
    db: Database, caller: Caller, *, days: int, within: int, today: date, now: datetime
) -> list[QueueItem]:
    """The scheduled visits from ``today`` to ``within`` days ahead whose patient has no
    verification made at most ``days`` days before the visit (or only one the payer
    answered "member not found"), soonest visit first."""
    if not 0 <= days <= 365 or not 0 <= within <= 180:
        raise InputError("days must be 0–365 and within 0–180")
    with db.transaction() as session:
        rows = session.scalars(
            select(VisitRow)
            .where(
                VisitRow.practice_id == caller.practice_id,
                VisitRow.status == "scheduled",
                VisitRow.visit_date >= today,
                VisitRow.visit_date <= today + timedelta(days=within),
            )
            .order_by(VisitRow.visit_date, VisitRow.id)
        ).all()
        items = [item for row in rows if (item := _queued(session, row, days)) is not None]
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="read",
            resource="visit_queue",
            resource_id=None,
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"{len(items)} to verify",
        )
        return items


def _queued(session: Session, row: VisitRow, days: int) -> QueueItem | None:
    latest = verifications.latest_by_person(
        session, row.practice_id, row.member_index, row.patient_index
    )
    if latest is None:
        reason = "never verified"
    elif latest.status == "not_found":
        reason = f"the payer did not find the member on {latest.created_at.date()}"
    elif latest.status == "rejected":
        reason = f"the payer could not answer on {latest.created_at.date()}"
    elif (row.visit_date - latest.created_at.date()).days > days:
        reason = f"last verified {latest.created_at.date()}, more than {days} days before the visit"
    else:
        return None
    visit = _open(session, row)
    return QueueItem(
        visit_id=row.id,
        external_id=row.external_id,
        visit_date=row.visit_date,
        patient_name=_name(visit),
        member_id=visit.subscriber.member_id or "",
        payer_id=row.payer_id,
        procedures=tuple(visit.procedures),
        reason=reason,
        last_verification_id=latest.id if latest else None,
        last_verified_at=latest.created_at if latest else None,
        last_status=latest.status if latest else None,
    )


def inquiry_for(session: Session, row: VisitRow, trace_number: str) -> EligibilityInquiry:
    """The 270 question a visit asks: the practice as provider, the visit's payer and
    people, dental care (35), on the visit's date."""
    visit = _open(session, row)
    practice = session.get(Practice, row.practice_id)
    if practice is None:
        raise NotFoundError(f"no practice {row.practice_id}")
    dependent = (
        None if visit.patient is None else InquiryPerson.model_validate(visit.patient.model_dump())
    )
    return EligibilityInquiry(
        trace_number=trace_number,
        payer=visit.payer,
        provider=InquiryProvider(organization_name=practice.name, npi=practice.npi),
        subscriber=visit.subscriber,
        dependent=dependent,
        service_date=visit.visit_date,
    )


def verify_queue(
    db: Database,
    caller: Caller,
    *,
    days: int,
    within: int,
    today: date,
    realtime: RealtimeClient,
    limit: int = 50,
) -> list[BulkOutcome]:
    """Check every patient of the queue now (at most ``limit``), one real-time call each;
    a failure (payer did not answer, member not found) is that visit's outcome and the
    others go on."""
    pending = queue(db, caller, days=days, within=within, today=today, now=realtime.clock())
    outcomes = []
    for item in pending[:limit]:
        with db.transaction() as session:
            row = session.get(VisitRow, item.visit_id)
            if row is None or row.practice_id != caller.practice_id:
                continue
            inquiry = inquiry_for(session, row, f"V{row.id}-{_next_check(session, row)}")
        try:
            done = verifications.check(
                db, caller, inquiry, realtime=realtime, channel="queue", visit_id=item.visit_id
            )
            outcomes.append(
                BulkOutcome(
                    item.visit_id,
                    item.external_id,
                    done.verification.id,
                    done.verification.status,
                    "verified",
                )
            )
        except MemberNotFoundError as exc:
            outcomes.append(
                BulkOutcome(
                    item.visit_id, item.external_id, exc.verification_ids[0], "not_found", str(exc)
                )
            )
        except TransportError as exc:
            outcomes.append(BulkOutcome(item.visit_id, item.external_id, None, "failed", str(exc)))
    return outcomes


def _next_check(session: Session, row: VisitRow) -> int:
    """A number that makes each check of a visit's trace number its own (TRN02)."""
    done = session.scalar(select(func.count()).where(VerificationRow.visit_id == row.id))
    return (done or 0) + 1
