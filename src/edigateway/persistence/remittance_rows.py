"""Remittance rows: 835 files, payments, claim and line payments, adjustments, postings and
the provider ledger — written in bulk and read back for posting.

Plain functions of a :class:`~sqlalchemy.orm.Session` (the caller owns the transaction)
that map domain objects to rows and fetch what posting needs; no rule about what a payment
means lives here (that is :mod:`edigateway.reconcile`). Bulk inserts go through Core
``executemany`` with ``RETURNING`` in parameter order (:func:`table_of`), several times
faster than the ORM's per-row bookkeeping on a 20,000-claim file.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Table, func, select, true, update
from sqlalchemy.orm import defer

from edigateway.persistence.bulk import insert_rows
from edigateway.persistence.tables import (
    ClaimLineRow,
    ClaimRow,
    Payer,
    PostingRow,
    Practice,
    PredeterminationEstimateRow,
    ProviderAdjustmentRow,
    RemittanceAdjustmentRow,
    RemittanceClaimRow,
    RemittanceFileRow,
    RemittanceLineRow,
    RemittanceRow,
    table_of,
)
from edigateway.reconcile.guards import ClaimFacts, MoneyView, StandingPayment
from edigateway.reconcile.secondary import SECONDARY_SUFFIX

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence
    from datetime import date, datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.postings import Posting
    from edigateway.domain.remittances import (
        Adjustment,
        ClaimPayment,
        ProviderAdjustment,
        Remittance,
        ServicePayment,
    )
    from edigateway.reconcile.plan import EstimateLine

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


CLAIM_PAYMENT_COLUMNS = (
    "remittance_id",
    "claim_id",
    "patient_control_number",
    "status",
    "charge",
    "paid",
    "patient_responsibility",
    "payer_claim_control_number",
    "source_position",
)
LINE_PAYMENT_COLUMNS = (
    "remittance_claim_id",
    "claim_line_number",
    "procedure_code",
    "charge",
    "paid",
    "line_control_number",
    "service_date",
    "remark_codes",
    "source_position",
)
ADJUSTMENT_COLUMNS = (
    "remittance_claim_id",
    "remittance_line_id",
    "group_code",
    "reason",
    "amount",
    "quantity",
    "source_position",
)


def insert_claim_payments(
    session: Session, remittance_id: int, payments: Sequence[tuple[ClaimPayment, int | None]]
) -> list[int]:
    """One row per CLP loop (with our claim's ID when it matched); their IDs, in order."""
    rows = [
        (
            remittance_id,
            claim_id,
            p.patient_control_number,
            p.status,
            p.charge,
            p.paid,
            p.patient_responsibility,
            p.payer_claim_control_number,
            p.source_position,
        )
        for p, claim_id in payments
    ]
    return insert_returning_ids(session, table_of(RemittanceClaimRow), CLAIM_PAYMENT_COLUMNS, rows)


def insert_service_payments(
    session: Session, payments: Sequence[tuple[ClaimPayment, Sequence[int | None], int]]
) -> None:
    """The SVC loops and every CAS triplet (claim and line level) of claim payments, each
    given as (payment, our line number per SVC, its ``remittance_claims`` ID)."""
    line_rows: list[tuple[Any, ...]] = []
    services: list[tuple[int, ServicePayment]] = []
    adjustments: list[tuple[Any, ...]] = []
    for payment, line_numbers, rc_id in payments:
        adjustments += [_adjustment_row(rc_id, None, a) for a in payment.adjustments]
        for service, line_number in zip(payment.services, line_numbers, strict=True):
            line_rows.append(
                (
                    rc_id,
                    line_number,
                    service.procedure_code,
                    service.charge,
                    service.paid,
                    service.line_control_number,
                    service.service_date,
                    ",".join(service.remark_codes),
                    service.source_position,
                )
            )
            services.append((rc_id, service))
    if line_rows:
        line_ids = insert_returning_ids(
            session, table_of(RemittanceLineRow), LINE_PAYMENT_COLUMNS, line_rows
        )
        for (rc_id, service), line_id in zip(services, line_ids, strict=True):
            adjustments += [_adjustment_row(rc_id, line_id, a) for a in service.adjustments]
    insert_rows(session, table_of(RemittanceAdjustmentRow), ADJUSTMENT_COLUMNS, adjustments)


def insert_returning_ids(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert rows (values in the order of ``columns``) in one executemany; their IDs, in
    order.

    PostgreSQL returns them from batched ``INSERT … RETURNING`` (SQLAlchemy orders them by
    a sentinel). SQLite has no such sentinel, and SQLAlchemy falls back to one statement
    per row to keep the order: 90,000 statements for a 20,000-claim file. There the IDs
    are given instead, after the highest in the table: SQLite lets one transaction write at
    a time, and one whose snapshot is older than another's commit cannot write at all, so
    no other writer can take them (posting has written its file row first anyway).
    """
    if not rows:
        return []
    if session.get_bind().dialect.name != "sqlite":
        result = session.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True),
            [dict(zip(columns, row, strict=True)) for row in rows],
        )
        return [row[0] for row in result]
    first = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    insert_rows(
        session,
        table,
        ("id", *columns),
        [(id_, *row) for row, id_ in zip(rows, ids, strict=True)],
    )
    return ids


def _adjustment_row(rc_id: int, line_id: int | None, adjustment: Adjustment) -> tuple[Any, ...]:
    return (
        rc_id,
        line_id,
        adjustment.group,
        adjustment.reason,
        adjustment.amount,
        format(adjustment.quantity, "f") if adjustment.quantity is not None else None,
        adjustment.source_position,
    )


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


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class ToothOnLine:
    """A tooth one of our lines treats."""

    tooth: str


@dataclass(frozen=True, slots=True)
class LineOnClaim:
    """One of our service lines as ``claim_lines`` keeps it (its date is the claim's when
    the line gave none)."""

    procedure_code: str
    charge: Decimal
    service_date: date | None
    line_control_number: str | None
    teeth: tuple[ToothOnLine, ...]


@dataclass(frozen=True, slots=True)
class OtherPlan:
    """Another plan of the claim, by its responsibility (SBR01)."""

    responsibility: str


@dataclass(frozen=True, slots=True)
class ClaimProjection:
    """What an 835 is matched and planned against, read from columns: lines, other plans'
    responsibilities, kind — no names, member IDs or anything else of the document
    (:class:`~edigateway.reconcile.plan.ClaimToMatch`)."""

    lines: tuple[LineOnClaim, ...]
    other_payers: tuple[OtherPlan, ...]
    kind: str
    service_date: date | None = None
    """Always ``None``: each line carries its own date already."""

    @property
    def is_predetermination(self) -> bool:
        """A predetermination of benefits (nothing billed yet)."""
        return self.kind == "predetermination"


def current_claim_rows(
    session: Session, pcns: Collection[str], practice_npi: str | None = None
) -> list[ClaimRow]:
    """Our current (not superseded) claims with these numbers — of the practice with
    ``practice_npi`` when we know it, else of any practice — without their documents."""
    if not pcns:
        return []
    query = (
        select(ClaimRow)
        .options(defer(ClaimRow.document))
        .where(
            ClaimRow.patient_control_number.in_(list(pcns)),
            ClaimRow.superseded_by_id.is_(None),
        )
        .order_by(ClaimRow.id)
    )
    if practice_npi:
        practice = session.scalars(select(Practice.id).where(Practice.npi == practice_npi)).first()
        if practice is not None:
            query = query.where(ClaimRow.practice_id == practice)
    return list(session.scalars(query))


def claim_rows_by_id(session: Session, ids: Collection[int]) -> list[ClaimRow]:
    """Claims by ID (superseded ones too), without their documents."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(ClaimRow).options(defer(ClaimRow.document)).where(ClaimRow.id.in_(list(ids)))
        )
    )


def projections(session: Session, claims: Collection[ClaimRow]) -> dict[int, ClaimProjection]:
    """The matching projection of each claim whose ``other_payer_roles`` is known, from one
    query of their lines (the others are not in the result: open their documents)."""
    known = {c.id: c for c in claims if c.other_payer_roles is not None}
    if not known:
        return {}
    lines: dict[int, list[LineOnClaim]] = {claim_id: [] for claim_id in known}
    for claim_id, procedure, charge, when, number, teeth in session.execute(
        select(
            ClaimLineRow.claim_id,
            ClaimLineRow.procedure_code,
            ClaimLineRow.charge,
            ClaimLineRow.service_date,
            ClaimLineRow.line_control_number,
            ClaimLineRow.teeth,
        )
        .where(ClaimLineRow.claim_id.in_(list(known)))
        .order_by(ClaimLineRow.claim_id, ClaimLineRow.line_number)
    ):
        lines[claim_id].append(
            LineOnClaim(
                procedure,
                charge,
                when,
                number,
                tuple(ToothOnLine(t) for t in teeth.split(",")) if teeth else (),
            )
        )
    return {
        claim_id: ClaimProjection(
            tuple(lines[claim_id]),
            tuple(OtherPlan(r) for r in row.other_payer_roles or ""),
            row.kind,
        )
        for claim_id, row in known.items()
    }


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


# --------------------------------------------------------------------------- guards


def money_on_file(
    session: Session, claim_ids: Collection[int], *, before: int | None = None
) -> MoneyView:
    """What is posted for these claims (held payments count as standing, not as money):
    the view the guards read (:mod:`edigateway.reconcile.guards`); ``before``: only claim
    payments with a lower ID (those of the batch being judged come in order)."""
    view = MoneyView()
    if not claim_ids:
        return view
    for claim_id, line, kind, amount in session.execute(
        select(
            PostingRow.claim_id,
            PostingRow.line_number,
            PostingRow.kind,
            func.sum(PostingRow.amount),
        )
        .where(PostingRow.claim_id.in_(claim_ids), PostingRow.held.is_(False))
        .group_by(PostingRow.claim_id, PostingRow.line_number, PostingRow.kind)
    ):
        if claim_id is None:
            continue
        money = view.of(claim_id)
        cents = _cents(amount)
        if kind in ("paid", "reversal"):
            money.paid_by_line[line] += cents
        elif kind in ("deductible", "coinsurance", "copay", "patient_other"):
            money.patient += cents
        elif kind in ("write_off", "patient_transfer"):
            money.by_hand += cents
        elif kind == "contractual":
            money.contractual += cents
    standing = list(
        session.execute(
            select(
                RemittanceClaimRow.id,
                RemittanceClaimRow.claim_id,
                RemittanceClaimRow.payer_claim_control_number,
                RemittanceClaimRow.charge,
                RemittanceClaimRow.paid,
                RemittanceClaimRow.review,
            )
            .where(
                RemittanceClaimRow.claim_id.in_(claim_ids),
                RemittanceClaimRow.status.not_in(("22", "25")),
                RemittanceClaimRow.reversed_by_id.is_(None),
                (RemittanceClaimRow.review.is_(None)) | (RemittanceClaimRow.review != "dismissed"),
                RemittanceClaimRow.id < before if before is not None else true(),
            )
            .order_by(RemittanceClaimRow.id)
        )
    )
    effective: dict[int, set[int]] = {}
    if standing:
        pr_lines = select(RemittanceAdjustmentRow.remittance_line_id).where(
            RemittanceAdjustmentRow.group_code == "PR"
        )
        for rc_id, line in session.execute(
            select(
                RemittanceLineRow.remittance_claim_id, RemittanceLineRow.claim_line_number
            ).where(
                RemittanceLineRow.remittance_claim_id.in_([s[0] for s in standing]),
                RemittanceLineRow.claim_line_number.is_not(None),
                (RemittanceLineRow.paid != 0) | RemittanceLineRow.id.in_(pr_lines),
            )
        ):
            if line is not None:
                effective.setdefault(rc_id, set()).add(line)
    for rc_id, claim_id, number, charge, paid, review in standing:
        if claim_id is None:
            continue
        view.of(claim_id).standing.append(
            StandingPayment(
                rc_id,
                number,
                charge,
                paid,
                frozenset(effective.get(rc_id, ())),
                held=review is not None,
            )
        )
    return view


def _cents(amount: object) -> Decimal:
    """A SUM over a :class:`~.tables.Cents` column, as the column type reads it."""
    return amount if isinstance(amount, Decimal) else Decimal("0.00")


class ClaimContext(NamedTuple):
    """A claim's guard facts and its payer's ERA policy."""

    facts: ClaimFacts
    policy: str


def claim_contexts(
    session: Session,
    claims: Collection[ClaimRow],
    line_charges: Mapping[int, dict[int, Decimal]] | None = None,
) -> dict[int, ClaimContext]:
    """Guard facts and ERA policy for claims about to be paid: their payer, line charges,
    the other payer's claim of the same treatment (``<pcn>-S`` ↔ ``<pcn>``) and the
    claims they replaced. ``line_charges``: the charges of claims whose ``claim_lines``
    the caller has read already (by claim ID, then line number); the others' are read."""
    if not claims:
        return {}
    ids = [c.id for c in claims]
    payers = {
        row_id: (payer_id, policy or practice_policy)
        for row_id, payer_id, policy, practice_policy in session.execute(
            select(Payer.id, Payer.payer_id, Payer.era_policy, Practice.era_policy)
            .join(Practice, Practice.id == Payer.practice_id)
            .where(Payer.id.in_({c.payer_id for c in claims}))
        )
    }
    known: dict[int, set[str]] = {}
    for practice_id, payer_id in session.execute(
        select(Payer.practice_id, Payer.payer_id).where(
            Payer.practice_id.in_({c.practice_id for c in claims})
        )
    ):
        known.setdefault(practice_id, set()).add(payer_id)
    lines: dict[int, dict[int, Decimal]] = dict(line_charges or {})
    unread = [i for i in ids if i not in lines]
    if unread:
        for claim_id, number, charge in session.execute(
            select(ClaimLineRow.claim_id, ClaimLineRow.line_number, ClaimLineRow.charge).where(
                ClaimLineRow.claim_id.in_(unread)
            )
        ):
            lines.setdefault(claim_id, {})[number] = charge
    pcns = {c.patient_control_number for c in claims}
    partner_numbers = {p.removesuffix(SECONDARY_SUFFIX) for p in pcns} | {
        f"{p}{SECONDARY_SUFFIX}" for p in pcns
    }
    partners: dict[tuple[int, str], list[int]] = {}
    for claim_id, practice_id, pcn in session.execute(
        select(ClaimRow.id, ClaimRow.practice_id, ClaimRow.patient_control_number).where(
            ClaimRow.patient_control_number.in_(partner_numbers),
            ClaimRow.superseded_by_id.is_(None),
        )
    ):
        partners.setdefault((practice_id, pcn), []).append(claim_id)
    originals = _replaced(session, ids)
    result = {}
    for claim in claims:
        pcn = claim.patient_control_number
        is_secondary = pcn.endswith(SECONDARY_SUFFIX)
        other = pcn.removesuffix(SECONDARY_SUFFIX) if is_secondary else f"{pcn}{SECONDARY_SUFFIX}"
        related = tuple(i for i in partners.get((claim.practice_id, other), ()) if i != claim.id)
        payer_id, policy = payers.get(claim.payer_id, ("", "full"))
        result[claim.id] = ClaimContext(
            ClaimFacts(
                claim_id=claim.id,
                kind=claim.kind,
                frequency=claim.frequency,
                charge=claim.total_charge,
                line_charges=lines.get(claim.id, {}),
                payer_id=payer_id,
                related=related,
                primary=related[0] if is_secondary and related else None,
                originals=tuple(originals.get(claim.id, ())),
                known_payers=frozenset(known.get(claim.practice_id, ())),
            ),
            policy,
        )
    return result


def _replaced(session: Session, ids: Collection[int]) -> dict[int, list[int]]:
    """Every claim each of ``ids`` replaced, directly or down the chain: a void or a
    second replacement replaces a replacement, while the payment of the first original
    may still stand (the payer never reversed it), and it is that payment the same
    service would be paid twice against."""
    originals: dict[int, list[int]] = {}
    reaching: dict[int, set[int]] = {claim_id: {claim_id} for claim_id in ids}
    while reaching:
        found: dict[int, set[int]] = {}
        for claim_id, by in session.execute(
            select(ClaimRow.id, ClaimRow.superseded_by_id).where(
                ClaimRow.superseded_by_id.in_(list(reaching))
            )
        ):
            if by is None:
                continue
            for root in reaching[by]:
                chain = originals.setdefault(root, [])
                if claim_id != root and claim_id not in chain:
                    chain.append(claim_id)
                    found.setdefault(claim_id, set()).add(root)
        reaching = found
    return originals


def reversal_targets(
    session: Session, pcns: Collection[str]
) -> dict[str, list[tuple[int, str | None]]]:
    """For reversals: claims (superseded ones included) with these numbers whose payment
    still stands, as (claim ID, payer claim number), oldest first — a payer reverses the
    original's payment even after a replacement took its number."""
    found: dict[str, list[tuple[int, str | None]]] = {}
    if not pcns:
        return found
    for pcn, claim_id, number in session.execute(
        select(
            ClaimRow.patient_control_number,
            ClaimRow.id,
            RemittanceClaimRow.payer_claim_control_number,
        )
        .join(ClaimRow, ClaimRow.id == RemittanceClaimRow.claim_id)
        .where(
            ClaimRow.patient_control_number.in_(pcns),
            RemittanceClaimRow.status.not_in(("22", "25")),
            RemittanceClaimRow.reversed_by_id.is_(None),
            RemittanceClaimRow.review.is_(None),
        )
        .order_by(RemittanceClaimRow.id)
    ):
        found.setdefault(pcn, []).append((claim_id, number))
    return found


class EstimateToWrite(NamedTuple):
    """A predetermination estimate line with the claim and claim payment it belongs to."""

    claim_id: int
    remittance_claim_id: int
    line: EstimateLine
    predetermination_number: str | None


def insert_estimates(session: Session, estimates: Sequence[EstimateToWrite], now: datetime) -> None:
    """Keep the payer's estimate per line beside the predetermination."""
    if estimates:
        session.execute(
            table_of(PredeterminationEstimateRow).insert(),
            [
                {
                    "claim_id": e.claim_id,
                    "remittance_claim_id": e.remittance_claim_id,
                    "line_number": e.line.line_number,
                    "procedure_code": e.line.procedure_code,
                    "charge": e.line.charge,
                    "allowed": e.line.allowed,
                    "insurance": e.line.insurance,
                    "patient": e.line.patient,
                    "predetermination_number": e.predetermination_number,
                    "created_at": now,
                }
                for e in estimates
            ],
        )


class PostingToWrite(NamedTuple):
    """A claim payment's posting with where it belongs and whether it waits."""

    posting: Posting
    claim_id: int | None
    remittance_claim_id: int | None
    held: bool


POSTING_COLUMNS = (
    "remittance_id",
    "claim_id",
    "remittance_claim_id",
    "held",
    "line_number",
    "kind",
    "amount",
    "group_code",
    "reason_code",
    "remark_codes",
    "reference",
    "source_position",
)


def insert_claim_postings(
    session: Session, remittance_id: int, postings: Sequence[PostingToWrite]
) -> None:
    """The postings of claim payments, each linked to its CLP (``held`` ones count nowhere
    until approved)."""
    insert_rows(
        session,
        table_of(PostingRow),
        POSTING_COLUMNS,
        [
            (
                remittance_id,
                w.claim_id,
                w.remittance_claim_id,
                w.held,
                w.posting.line_number,
                w.posting.kind.value,
                w.posting.amount,
                w.posting.group,
                w.posting.reason_code,
                ",".join(w.posting.remark_codes),
                w.posting.reference,
                w.posting.source_position,
            )
            for w in postings
        ],
    )


def set_review(session: Session, reviews: Mapping[int, tuple[str, str, str | None]]) -> None:
    """Mark claim payments held or awaiting approval: ID → (review, reason, state to set
    when approved)."""
    if reviews:
        session.execute(
            update(RemittanceClaimRow),
            [
                {"id": rc_id, "review": review, "review_reason": reason, "planned_state": state}
                for rc_id, (review, reason, state) in reviews.items()
            ],
        )
