"""The dashboard's claims list: a page of the practice's claims with the patient's name,
searched by patient name, claim number, payer and state.

Names are PHI and stored only inside each claim's encrypted document (no index holds them
in clear, and a keyed hash cannot match part of a name), so a name is found by opening the
documents: the newest :data:`NAME_SCAN_LIMIT` claims that pass the other filters are read.
A practice with more claims than that narrows by state or payer to reach older ones; the
page says when the scan stopped short. Without a search term only the page's own claims
are opened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import ClaimRow, Payer
from edigateway.services.access import record
from edigateway.services.claim_store import document_binding
from edigateway.services.practice_claims import ClaimSummary, summary

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.services.practice_claims import Caller

NAME_SCAN_LIMIT = 5000
"""How many of the newest matching claims a name search opens at most."""


@dataclass(frozen=True, slots=True)
class ListedClaim:
    """A claim of the list with whom it is for."""

    claim: ClaimSummary
    patient_name: str
    """``LAST, FIRST`` of the patient (the subscriber when the patient is the subscriber)."""


@dataclass(frozen=True, slots=True)
class ClaimList:
    """One page of the list."""

    items: list[ListedClaim]
    total: int
    scanned_all: bool
    """False when a search stopped after :data:`NAME_SCAN_LIMIT` claims."""


def _name(session: Session, row: ClaimRow) -> str:
    """The patient's name from the claim's document."""
    text = cipher_of(session).open(
        row.document,
        document_binding(row.practice_id, row.patient_control_number, row.document_sha256),
    )
    document: dict[str, Any] = json.loads(text)
    person = document.get("patient") or document["subscriber"]
    name = person["name"]
    first = name.get("first_name")
    return f"{name['last_name']}, {first}" if first else str(name["last_name"])


def _matches(term: str, row: ClaimRow, name: str) -> bool:
    """Whether every word of ``term`` is in the claim number or the name (any order, any
    case: "ann nguyen" finds "NGUYEN, ANNA")."""
    haystack = f"{row.patient_control_number} {name}".upper()
    return all(word in haystack for word in term.upper().split())


def list_claims(
    db: Database,
    caller: Caller,
    *,
    search: str | None,
    state: str | None,
    payer_id: str | None,
    limit: int,
    offset: int,
    now: datetime,
) -> ClaimList:
    """A page of the caller's practice's claims, newest first, with patient names; the
    read is audited (the names shown are PHI)."""
    query: Select[ClaimRow, str] = (
        select(ClaimRow, Payer.payer_id)
        .join(Payer, Payer.id == ClaimRow.payer_id)
        .where(ClaimRow.practice_id == caller.practice_id)
    )
    if state:
        query = query.where(ClaimRow.state == state)
    if payer_id:
        query = query.where(Payer.payer_id == payer_id)
    query = query.order_by(ClaimRow.id.desc())
    term = (search or "").strip()
    with db.transaction() as session:
        if term:
            rows = list(session.execute(query.limit(NAME_SCAN_LIMIT + 1)))
            scanned_all = len(rows) <= NAME_SCAN_LIMIT
            found = [
                ListedClaim(summary(row, payer), name)
                for row, payer in rows[:NAME_SCAN_LIMIT]
                if _matches(term, row, name := _name(session, row))
            ]
            items, total = found[offset : offset + limit], len(found)
        else:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            page = session.execute(query.offset(offset).limit(limit))
            items = [ListedClaim(summary(row, payer), _name(session, row)) for row, payer in page]
            scanned_all = True
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="read",
            resource="claim_list",
            resource_id=None,
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"{len(items)} claims with patient names" + (" (searched)" if term else ""),
        )
        return ClaimList(items, total, scanned_all)


def payers(db: Database, caller: Caller) -> list[str]:
    """The payer IDs the practice has claims with, for the list's payer filter."""
    with db.transaction() as session:
        return list(
            session.scalars(
                select(Payer.payer_id)
                .join(ClaimRow, ClaimRow.payer_id == Payer.id)
                .where(ClaimRow.practice_id == caller.practice_id)
                .distinct()
                .order_by(Payer.payer_id)
            )
        )
