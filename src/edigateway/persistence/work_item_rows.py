"""Work items as rows: what posting and the exchange leave for a coordinator.

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

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
) -> None:
    """Open one work item."""
    session.add(
        WorkItemRow(
            created_at=created_at,
            status="open",
            reason=reason.value,
            message=message,
            codes=codes[:CODES_WIDTH],
            claim_id=claim_id,
            patient_control_number=patient_control_number,
            amount=amount,
            file_id=file_id,
            submission_id=submission_id,
            source_position=source_position,
        )
    )


def insert_work_items(
    session: Session,
    items: Sequence[WorkItem],
    *,
    created_at: datetime,
    claim_ids: Mapping[str, int],
    remittance_id: int | None,
    file_id: int | None,
) -> None:
    """Open the work items a posting plan made; ``claim_ids`` maps their patient control
    numbers to our claims."""
    if items:
        session.execute(
            table_of(WorkItemRow).insert(),
            [
                {
                    "created_at": created_at,
                    "status": "open",
                    "reason": w.reason.value,
                    "message": w.message,
                    "codes": ",".join(w.codes),
                    "amount": w.amount,
                    "patient_control_number": w.patient_control_number,
                    "claim_id": claim_ids.get(w.patient_control_number or ""),
                    "remittance_id": remittance_id,
                    "file_id": file_id,
                    "source_position": w.source_position,
                }
                for w in items
            ],
        )
