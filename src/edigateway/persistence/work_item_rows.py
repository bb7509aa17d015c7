"""Work items as rows: what posting and the exchange leave for a coordinator.

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction).
A claim has at most one open item per reason: opening another (the next ``claims status``
run, a second denied line in the same payment) updates the open one — its message,
codes and amount — instead of piling up copies a coordinator must close one by one.
Items about a held claim payment are the exception: one per payment, since each is
approved or dismissed on its own.

Every item opened writes its ``work_item.opened`` event in the same transaction (the
outbox of the events feed and webhooks); an update of an item already open writes none —
the PM system was told when it opened.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_, update

from edigateway.persistence.event_rows import work_items_changed
from edigateway.persistence.tables import WorkItemRow, table_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.postings import WorkItem, WorkReason

CODES_WIDTH = 200
"""``work_items.codes``."""


def add_work_item(
    session: Session,
    *,
    created_at: datetime,
    reason: WorkReason,
    message: str,
    codes: str = "",
    claim_id: int | None = None,
    patient_control_number: str | None = None,
    amount: Decimal | None = None,
    file_id: int | None = None,
    submission_id: int | None = None,
    source_position: int | None = None,
    remittance_id: int | None = None,
    remittance_claim_id: int | None = None,
) -> None:
    """Open one work item (or update the claim's open item for the same reason)."""
    _open(
        session,
        [
            {
                "created_at": created_at,
                "status": "open",
                "reason": reason.value,
                "message": message,
                "codes": codes[:CODES_WIDTH],
                "claim_id": claim_id,
                "patient_control_number": patient_control_number,
                "amount": amount,
                "file_id": file_id,
                "submission_id": submission_id,
                "source_position": source_position,
                "remittance_id": remittance_id,
                "remittance_claim_id": remittance_claim_id,
            }
        ],
    )


def insert_work_items(
    session: Session,
    items: Sequence[WorkItem],
    *,
    created_at: datetime,
    claim_ids: Mapping[str, int],
    remittance_id: int | None,
    file_id: int | None,
    remittance_claim_ids: Mapping[int, int] | None = None,
    item_claim_ids: Sequence[int | None] | None = None,
) -> None:
    """Open the work items a posting plan made; ``claim_ids`` maps their patient control
    numbers to our claims (or ``item_claim_ids`` gives each item's claim: a reversal's
    number may name a replacement while it is about the original),
    ``remittance_claim_ids`` an item's index to the held claim payment it is about."""
    held = remittance_claim_ids or {}
    _open(
        session,
        [
            {
                "created_at": created_at,
                "status": "open",
                "reason": w.reason.value,
                "message": w.message,
                "codes": ",".join(w.codes)[:CODES_WIDTH],
                "amount": w.amount,
                "patient_control_number": w.patient_control_number,
                "claim_id": item_claim_ids[index]
                if item_claim_ids is not None
                else claim_ids.get(w.patient_control_number or ""),
                "remittance_id": remittance_id,
                "file_id": file_id,
                "submission_id": None,
                "source_position": w.source_position,
                "remittance_claim_id": held.get(index),
            }
            for index, w in enumerate(items)
        ],
    )


def _open(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, merging those about the same claim and reason into one, and into
    the claim's item already open for that reason (one query for the lot)."""
    if not rows:
        return
    merged: dict[tuple[int, str], dict[str, Any]] = {}
    ordered: list[dict[str, Any]] = []
    for row in rows:
        if row["claim_id"] is None or row["remittance_claim_id"] is not None:
            ordered.append(row)
            continue
        key = (row["claim_id"], row["reason"])
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = row
            ordered.append(row)
            continue
        if row["message"] not in earlier["message"]:
            earlier["message"] = f"{earlier['message']}; {row['message']}"
        codes = [c for c in earlier["codes"].split(",") if c]
        codes += [c for c in row["codes"].split(",") if c and c not in codes]
        earlier["codes"] = ",".join(codes)[:CODES_WIDTH]
        if row["amount"] is not None:
            earlier["amount"] = (earlier["amount"] or Decimal("0.00")) + row["amount"]
    updated: set[int] = set()
    if merged:
        open_ids = {
            (claim_id, reason): item_id
            for item_id, claim_id, reason in session.execute(
                select(WorkItemRow.id, WorkItemRow.claim_id, WorkItemRow.reason).where(
                    WorkItemRow.status == "open",
                    WorkItemRow.remittance_claim_id.is_(None),
                    tuple_(WorkItemRow.claim_id, WorkItemRow.reason).in_(list(merged)),
                )
            )
            if claim_id is not None
        }
        updates = [
            {
                "id": open_ids[key],
                "message": row["message"],
                "codes": row["codes"],
                "amount": row["amount"],
                "source_position": row["source_position"],
            }
            for key, row in merged.items()
            if key in open_ids
        ]
        updated = {id(row) for key, row in merged.items() if key in open_ids}
        if updates:
            session.execute(update(WorkItemRow), updates)
    fresh = [row for row in ordered if id(row) not in updated]
    if fresh:
        opened = session.scalars(
            table_of(WorkItemRow).insert().returning(WorkItemRow.id), fresh
        ).all()
        items = session.scalars(
            select(WorkItemRow).where(WorkItemRow.id.in_(opened)).order_by(WorkItemRow.id)
        ).all()
        work_items_changed(session, items, at=fresh[0]["created_at"])
