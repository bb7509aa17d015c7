"""Remittance rows: 835 files, payments, claim and line payments, adjustments, postings and
the provider ledger — written in bulk and read back for posting.

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction)
that map domain objects to rows and fetch what posting needs; no rule about what a payment
means lives here (that is :mod:`edigateway.reconcile`). Bulk inserts go through Core
``executemany`` with ``RETURNING`` in parameter order (:func:`table_of`), several times
faster than the ORM's per-row bookkeeping on a 20,000-claim file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import func, select, update

from edigateway.persistence.tables import (
    ClaimRow,
    PostingRow,
    ProviderAdjustmentRow,
    RemittanceAdjustmentRow,
    RemittanceClaimRow,
    RemittanceFileRow,
    RemittanceLineRow,
    RemittanceRow,
    table_of,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.postings import Posting
    from edigateway.domain.remittances import (
        Adjustment,
        ClaimPayment,
        ProviderAdjustment,
        Remittance,
    )

NAME_WIDTH = 255
"""``remittance_files.name``: longer names (deep paths) are cut, the file is still posted."""


# --------------------------------------------------------------------------- files


def find_file(session: Session, sha256: str) -> RemittanceFileRow | None:
    """The 835 file already received with these bytes, if any."""
    return session.scalars(
        select(RemittanceFileRow).where(RemittanceFileRow.sha256 == sha256)
    ).first()


def insert_file(
    session: Session,
    *,
    name: str,
    sha256: str,
    size: int,
    received_at: datetime,
    status: str,
    problem: str | None = None,
    problem_position: int | None = None,
) -> int:
    """Record an 835 file (posted, or set aside with its problem); its ID."""
    row = RemittanceFileRow(
        name=name[:NAME_WIDTH],
        sha256=sha256,
        size=size,
        received_at=received_at,
        status=status,
        problem=problem,
        problem_position=problem_position,
    )
    session.add(row)
    session.flush()
    return row.id


# --------------------------------------------------------------------------- payments


def payment_on_file(
    session: Session,
    *,
    trace_number: str,
    payer_trace_id: str,
    sender_id: str,
    interchange_control_number: str,
    transaction_control_number: str,
    other_than_file: int,
) -> bool:
    """Whether a payment with this TRN02/TRN03, or this sender + ISA13 + ST02 in another
    file, was posted already."""
    by_trace = (
        select(func.count())
        .select_from(RemittanceRow)
        .where(
            RemittanceRow.trace_number == trace_number,
            RemittanceRow.payer_trace_id == payer_trace_id,
        )
    )
    by_envelope = (
        select(func.count())
        .select_from(RemittanceRow)
        .where(
            RemittanceRow.sender_id == sender_id,
            RemittanceRow.interchange_control_number == interchange_control_number,
            RemittanceRow.transaction_control_number == transaction_control_number,
            RemittanceRow.file_id != other_than_file,
        )
    )
    return bool(session.scalar(by_trace)) or bool(session.scalar(by_envelope))


def insert_remittance(
    session: Session,
    *,
    file_id: int,
    sender_id: str,
    interchange_control_number: str,
    remittance: Remittance,
) -> int:
    """Record one payment (835 transaction) of a file; its ID."""
    r = remittance
    row = RemittanceRow(
        file_id=file_id,
        sender_id=sender_id,
        interchange_control_number=interchange_control_number,
        transaction_control_number=r.transaction_control_number,
        trace_number=r.trace_number,
        payer_trace_id=r.payer_trace_id or "",
        payer_id=r.payer_id,
        payer_name=r.payer.name[:60],
        payee_name=r.payee.name[:60],
        payee_id=r.payee.identifier,
        handling_code=r.handling_code,
        payment_amount=r.payment_amount,
        credit_debit=r.credit_debit,
        payment_method=r.payment_method,
        payment_date=r.payment_date,
        source_position=r.source_position,
    )
    session.add(row)
    session.flush()
    return row.id


def insert_claim_payments(
    session: Session, remittance_id: int, payments: Sequence[tuple[ClaimPayment, int | None]]
) -> list[int]:
    """One row per CLP loop (with our claim's ID when it matched); their IDs, in order."""
    rows = [
        {
            "remittance_id": remittance_id,
            "claim_id": claim_id,
            "patient_control_number": p.patient_control_number,
            "status": p.status,
            "charge": p.charge,
            "paid": p.paid,
            "patient_responsibility": p.patient_responsibility,
            "payer_claim_control_number": p.payer_claim_control_number,
            "source_position": p.source_position,
        }
        for p, claim_id in payments
    ]
    table = table_of(RemittanceClaimRow)
    result = session.execute(
        table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [row[0] for row in result]


def insert_service_payments(
    session: Session, payments: Sequence[tuple[ClaimPayment, Sequence[int | None], int]]
) -> None:
    """The SVC loops and every CAS triplet (claim and line level) of claim payments, each
    given as (payment, our line number per SVC, its ``remittance_claims`` ID)."""
    line_rows: list[dict[str, Any]] = []
    owners: list[tuple[int, int]] = []  # (index in payments, index of the SVC)
    adjustments: list[dict[str, Any]] = []
    for index, (payment, line_numbers, rc_id) in enumerate(payments):
        adjustments += [_adjustment_row(rc_id, None, a) for a in payment.adjustments]
        for s_index, (service, line_number) in enumerate(
            zip(payment.services, line_numbers, strict=True)
        ):
            line_rows.append(
                {
                    "remittance_claim_id": rc_id,
                    "claim_line_number": line_number,
                    "procedure_code": service.procedure_code,
                    "charge": service.charge,
                    "paid": service.paid,
                    "line_control_number": service.line_control_number,
                    "service_date": service.service_date,
                    "remark_codes": ",".join(service.remark_codes),
                    "source_position": service.source_position,
                }
            )
            owners.append((index, s_index))
    if line_rows:
        table = table_of(RemittanceLineRow)
        result = session.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), line_rows
        )
        for (index, s_index), (line_id,) in zip(owners, result, strict=True):
            payment, _lines, rc_id = payments[index]
            adjustments += [
                _adjustment_row(rc_id, line_id, a) for a in payment.services[s_index].adjustments
            ]
    if adjustments:
        session.execute(table_of(RemittanceAdjustmentRow).insert(), adjustments)


def _adjustment_row(rc_id: int, line_id: int | None, adjustment: Adjustment) -> dict[str, Any]:
    return {
        "remittance_claim_id": rc_id,
        "remittance_line_id": line_id,
        "group_code": adjustment.group,
        "reason": adjustment.reason,
        "amount": adjustment.amount,
        "quantity": format(adjustment.quantity, "f") if adjustment.quantity is not None else None,
        "source_position": adjustment.source_position,
    }


def insert_postings(
    session: Session, remittance_id: int, postings: Iterable[Posting], claim_ids: Mapping[str, int]
) -> None:
    """The ledger postings of a payment; ``claim_ids`` maps patient control numbers to our
    claims (a posting of a claim not in it, or of the provider, has no claim)."""
    rows = [
        {
            "remittance_id": remittance_id,
            "claim_id": claim_ids.get(p.patient_control_number or ""),
            "line_number": p.line_number,
            "kind": p.kind.value,
            "amount": p.amount,
            "group_code": p.group,
            "reason_code": p.reason_code,
            "remark_codes": ",".join(p.remark_codes),
            "reference": p.reference,
            "source_position": p.source_position,
        }
        for p in postings
    ]
    if rows:
        session.execute(table_of(PostingRow).insert(), rows)


def insert_provider_adjustments(
    session: Session,
    remittance_id: int,
    adjustments: Iterable[ProviderAdjustment],
    claim_of_reference: Mapping[str, int],
) -> None:
    """The PLB entries of a payment (the provider ledger), each linked to the claim its
    reference names in ``claim_of_reference``, if any."""
    rows = [
        {
            "remittance_id": remittance_id,
            "provider_id": p.provider_id,
            "fiscal_period_end": p.fiscal_period_end,
            "reason": p.reason,
            "reference": p.reference,
            "amount": p.amount,
            "claim_id": claim_of_reference.get(p.reference) if p.reference else None,
            "source_position": p.source_position,
        }
        for p in adjustments
    ]
    if rows:
        session.execute(table_of(ProviderAdjustmentRow).insert(), rows)


# --------------------------------------------------------------------------- history


class LineOnFile(NamedTuple):
    """A service line of ours that a posted payment (CLP) adjudicated."""

    claim_id: int
    line_number: int
    payment_status: str
    payment_reversed: bool


def lines_on_file(session: Session, claim_ids: Collection[int]) -> list[LineOnFile]:
    """Every matched service payment posted for these claims, with its CLP's status and
    whether that CLP was reversed since."""
    rows = session.execute(
        select(
            RemittanceClaimRow.claim_id,
            RemittanceLineRow.claim_line_number,
            RemittanceClaimRow.status,
            RemittanceClaimRow.reversed_by_id.is_not(None),
        )
        .join(RemittanceClaimRow, RemittanceClaimRow.id == RemittanceLineRow.remittance_claim_id)
        .where(
            RemittanceClaimRow.claim_id.in_(claim_ids),
            RemittanceLineRow.claim_line_number.is_not(None),
        )
    )
    return [
        LineOnFile(claim_id, line_number, status, bool(reversed_))
        for claim_id, line_number, status, reversed_ in rows
        if claim_id is not None and line_number is not None
    ]


class PaymentOnFile(NamedTuple):
    """A posted claim payment (CLP) of ours, with its reversal links."""

    id: int
    claim_id: int
    status: str
    reversed_by_id: int | None
    corrected_by_id: int | None


def payments_on_file(session: Session, claim_ids: Collection[int]) -> list[PaymentOnFile]:
    """Every posted claim payment of these claims, oldest first."""
    rows = session.execute(
        select(
            RemittanceClaimRow.id,
            RemittanceClaimRow.claim_id,
            RemittanceClaimRow.status,
            RemittanceClaimRow.reversed_by_id,
            RemittanceClaimRow.corrected_by_id,
        )
        .where(RemittanceClaimRow.claim_id.in_(claim_ids))
        .order_by(RemittanceClaimRow.id)
    )
    return [
        PaymentOnFile(id_, claim_id, status, reversed_by, corrected_by)
        for id_, claim_id, status, reversed_by, corrected_by in rows
        if claim_id is not None
    ]


def link_payments(
    session: Session, *, reversed_by: Mapping[int, int], corrected_by: Mapping[int, int]
) -> None:
    """Set ``reversed_by_id`` (payment → the reversal taking it back) and
    ``corrected_by_id`` (reversal → the payment correcting it)."""
    if reversed_by:
        session.execute(
            update(RemittanceClaimRow),
            [
                {"id": original, "reversed_by_id": reversal}
                for original, reversal in reversed_by.items()
            ],
        )
    if corrected_by:
        session.execute(
            update(RemittanceClaimRow),
            [
                {"id": reversal, "corrected_by_id": correction}
                for reversal, correction in corrected_by.items()
            ],
        )


class ClaimNamed(NamedTuple):
    """A claim a PLB reference may name: by our patient control number or the payer's
    claim number."""

    patient_control_number: str
    claim_id: int
    payer_claim_control_number: str | None


def claims_named(
    session: Session, references: Collection[str]
) -> tuple[list[ClaimNamed], list[ClaimNamed]]:
    """Claims whose number or payer claim number is one of ``references``: current claims
    (not superseded), and claims an earlier payment gave that payer claim number."""
    current = session.execute(
        select(
            ClaimRow.patient_control_number, ClaimRow.id, ClaimRow.payer_claim_control_number
        ).where(
            ClaimRow.superseded_by_id.is_(None),
            (ClaimRow.patient_control_number.in_(references))
            | (ClaimRow.payer_claim_control_number.in_(references)),
        )
    )
    earlier = session.execute(
        select(
            ClaimRow.patient_control_number,
            ClaimRow.id,
            RemittanceClaimRow.payer_claim_control_number,
        )
        .join(ClaimRow, ClaimRow.id == RemittanceClaimRow.claim_id)
        .where(RemittanceClaimRow.payer_claim_control_number.in_(references))
    )
    return ([ClaimNamed(*row) for row in current], [ClaimNamed(*row) for row in earlier])
