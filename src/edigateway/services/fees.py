"""Fee schedules per payer (and plan): the allowed — contracted — fee of each procedure and
the practice's own words for it, so an in-network estimate starts from what the payer will
allow (a PPO pays on its fee schedule, not on the office's fee) and the patient's copy
describes each procedure in the practice's words (CDT descriptors are the ADA's and are not
shipped).

A schedule is loaded whole (``edigateway fees load PAYER FILE.csv``, ``PUT
/v1/fee-schedules/{payer_id}``): what was there for that payer and plan is replaced in one
transaction, so an estimate never sees half of an old and half of a new schedule. The CSV
has a header line and the columns ``procedure_code,fee[,description]``::

    procedure_code,fee,description
    D1110,88.00,Adult cleaning
    D2391,168.00,Tooth-colored filling, one surface (back tooth)

A fee that is negative, has fractions of a cent or is implausible (100000.00 or more), a
code that is not a CDT code and a code listed twice are refused with the line and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, ValidationError
from sqlalchemy import delete, func, select

from edigateway.domain.common import DomainModel
from edigateway.domain.eligibility import CdtCode, ProcedureFee
from edigateway.errors import ClaimInputError, FieldProblem
from edigateway.persistence.verification_rows import FeeScheduleRow
from edigateway.services.access import record

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller

MAX_ENTRIES = 2000
"""More lines than CDT has codes: a file this long is not a fee schedule."""
PayerId = Annotated[str, Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9]+$")]
PlanName = Annotated[str, Field(max_length=60)]


class FeeEntry(DomainModel):
    """One procedure of a fee schedule."""

    procedure_code: CdtCode
    fee: ProcedureFee = Field(description="the allowed (contracted) fee")
    description: Annotated[str | None, Field(max_length=120)] = Field(
        default=None, description="the practice's own words for the procedure"
    )


class FeeSchedule(DomainModel):
    """A payer's (or one of its plans') fee schedule as a practice loads it."""

    plan: PlanName = Field(
        default="",
        description="the plan name as the 271 states it "
        "(REF*18 / EB05); empty: every plan of the payer",
    )
    entries: Annotated[list[FeeEntry], Field(min_length=1, max_length=MAX_ENTRIES)]


@dataclass(frozen=True, slots=True)
class FeeScheduleLoaded:
    """What a load did."""

    payer_id: str
    plan: str
    entries: int
    replaced: int


@dataclass(frozen=True, slots=True)
class ScheduledFee:
    """One procedure's allowed fee and description, as an estimate uses them."""

    procedure_code: str
    fee: Decimal
    description: str | None
    plan: str


HEADER = ("procedure_code", "fee", "description")


def parse_csv(text: str, source: str) -> list[FeeEntry]:
    """Entries from a fee-schedule CSV (see module docstring); every problem named by
    line and column, all of them at once."""
    rows = list(csv.reader(io.StringIO(text)))
    problems: list[FieldProblem] = []
    if not rows or [c.strip().lower() for c in rows[0][:2]] != list(HEADER[:2]):
        raise ClaimInputError(
            source,
            [
                FieldProblem(
                    "line 1", "the first line must be the header procedure_code,fee[,description]"
                )
            ],
        )
    entries: list[FeeEntry] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(HEADER):
            problems.append(
                FieldProblem(
                    f"line {number}",
                    f"{len(row)} columns; at most 3 (a description with a comma needs quotes)",
                )
            )
            continue
        cells = dict(zip(HEADER, (c.strip() for c in row), strict=False))
        entry = _entry(cells, number, problems)
        if entry is None:
            continue
        if entry.procedure_code in seen:
            problems.append(
                FieldProblem(
                    f"line {number} column procedure_code",
                    f"{entry.procedure_code} is listed on line "
                    f"{seen[entry.procedure_code]} already",
                )
            )
            continue
        seen[entry.procedure_code] = number
        entries.append(entry)
    if not problems and not entries:
        problems.append(FieldProblem("line 2", "the schedule lists no procedure"))
    if len(entries) > MAX_ENTRIES:
        problems.append(
            FieldProblem(f"line {MAX_ENTRIES + 2}", f"more than {MAX_ENTRIES} procedures")
        )
    if problems:
        raise ClaimInputError(source, problems)
    return entries


def _entry(cells: dict[str, str], number: int, problems: list[FieldProblem]) -> FeeEntry | None:
    fee = cells.get("fee", "")
    try:
        Decimal(fee)
    except InvalidOperation:
        problems.append(
            FieldProblem(f"line {number} column fee", f"{fee!r} is not an amount (e.g. 88.00)")
        )
        return None
    try:
        return FeeEntry(
            procedure_code=cells.get("procedure_code", ""),
            fee=fee,
            description=cells.get("description") or None,
        )
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else "line"
            problems.append(
                FieldProblem(
                    f"line {number} column {column}", error["msg"].removeprefix("Value error, ")
                )
            )
        return None


def load(
    db: Database, caller: Caller, payer_id: str, schedule: FeeSchedule, *, now: datetime
) -> FeeScheduleLoaded:
    """Replace the practice's schedule for ``payer_id`` (and the schedule's plan) with
    ``schedule`` in one transaction (audited)."""
    with db.transaction() as session:
        old = (
            FeeScheduleRow.practice_id == caller.practice_id,
            FeeScheduleRow.payer_id == payer_id,
            FeeScheduleRow.plan == schedule.plan,
        )
        replaced = session.scalar(select(func.count()).where(*old)) or 0
        session.execute(delete(FeeScheduleRow).where(*old))
        session.add_all(
            FeeScheduleRow(
                practice_id=caller.practice_id,
                payer_id=payer_id,
                plan=schedule.plan,
                procedure_code=e.procedure_code,
                fee=e.fee,
                description=e.description,
                updated_at=now,
            )
            for e in schedule.entries
        )
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="change",
            resource="fee_schedule",
            resource_id=payer_id,
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"{len(schedule.entries)} fees, plan {schedule.plan or '(all)'}",
        )
    return FeeScheduleLoaded(payer_id, schedule.plan, len(schedule.entries), replaced)


def scheduled(
    session: Session, practice_id: int, payer_id: str | None, plan: str | None
) -> dict[str, ScheduledFee]:
    """The fees that apply to ``payer_id``'s ``plan``: the plan's own entries over the
    payer-wide ones (plan empty)."""
    if not payer_id:
        return {}
    plans = ["", plan] if plan else [""]
    rows = session.scalars(
        select(FeeScheduleRow).where(
            FeeScheduleRow.practice_id == practice_id,
            FeeScheduleRow.payer_id == payer_id,
            FeeScheduleRow.plan.in_(plans),
        )
    ).all()
    found: dict[str, ScheduledFee] = {}
    for row in sorted(rows, key=lambda r: r.plan != ""):  # payer-wide first, plan's over it
        found[row.procedure_code] = ScheduledFee(
            row.procedure_code, row.fee, row.description, row.plan
        )
    return found


def schedule_of(
    db: Database, caller: Caller, payer_id: str, plan: str | None
) -> list[ScheduledFee]:
    """The practice's fee schedule for a payer (and plan), by procedure code."""
    with db.transaction() as session:
        found = scheduled(session, caller.practice_id, payer_id, plan)
    return [found[code] for code in sorted(found)]
