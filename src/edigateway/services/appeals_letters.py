"""An appeal letter's facts (issue 16, item 3), gathered when the appeal is made or
changed and kept sealed with it, so the letter stays the one that was sent: the claim as
submitted, its postings per line, each denial's CARC/RARC in words, and the attachments it
encloses (:class:`~edigateway.services.appeal_documents.AppealLetter`, rendered as PDF and
HTML by :mod:`~edigateway.services.appeal_documents`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, select

from edigateway.domain.appeals import AppealReason
from edigateway.domain.attachments import REPORT_TYPES
from edigateway.errors import ClaimInputError, FieldProblem
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import (
    ClaimAttachmentRow,
    ClaimRow,
    PostingRow,
    Practice,
    WorkItemRow,
)
from edigateway.services.appeal_documents import (
    AppealLetter,
    Denial,
    Enclosure,
    LetterLine,
    Remark,
)
from edigateway.services.appeals_rows import DENIAL_ITEMS, ZERO
from edigateway.services.attachments import sealed_binding
from edigateway.services.claim_store import open_document

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from edigateway.codelists import CodeLists
    from edigateway.domain.claims import Claim
    from edigateway.domain.common import PersonName


_DECISION_KINDS: Final = frozenset({"denied", "other_adjustment"})
"""Posting kinds the letter lists as the payer's decision (a contractual reduction too
when the appeal is about an underpayment)."""


def enclosures(session: Session, claim: ClaimRow, attachment_ids: list[int]) -> list[Enclosure]:
    """The attachments named, each of this claim, in the order given."""
    if len(set(attachment_ids)) != len(attachment_ids):
        raise ClaimInputError(
            "appeal", [FieldProblem("attachment_ids", "an attachment is named twice")]
        )
    rows = {
        r.id: r
        for r in session.scalars(
            select(ClaimAttachmentRow).where(
                ClaimAttachmentRow.id.in_(attachment_ids), ClaimAttachmentRow.claim_id == claim.id
            )
        )
    }
    missing = [
        FieldProblem(
            f"attachment_ids[{n}]",
            f"claim {claim.id} has no attachment {i} (upload it first: "
            f"POST /v1/claims/{claim.id}/attachments)",
        )
        for n, i in enumerate(attachment_ids)
        if i not in rows
    ]
    if missing:
        raise ClaimInputError("appeal", missing)
    cipher = cipher_of(session)
    return [
        Enclosure(
            control_number=rows[i].control_number,
            report_type=rows[i].report_type,
            description=REPORT_TYPES.get(rows[i].report_type, rows[i].report_type),
            file_name=cipher.open(rows[i].file_name, sealed_binding(rows[i], "file_name")),
        )
        for i in attachment_ids
    ]


def _name(person: PersonName) -> str:
    return " ".join(
        p for p in (person.first_name, person.middle_name, person.last_name, person.suffix) if p
    )


def _address(claim: Claim) -> list[str]:
    where = claim.billing_provider.address
    lines = [
        where.line1,
        *([where.line2] if where.line2 else []),
        f"{where.city}, {where.state} {where.postal_code[:5]}",
    ]
    contact = claim.billing_provider.contact
    if contact is not None and contact.phone:
        phone = contact.phone
        lines.append(f"Phone ({phone[:3]}) {phone[3:6]}-{phone[6:]}")
    return lines


def _payer_address(claim: Claim) -> list[str]:
    where = claim.payer.address
    if where is None:
        return []
    return [
        where.line1,
        *([where.line2] if where.line2 else []),
        f"{where.city}, {where.state} {where.postal_code[:5]}",
    ]


def gather(
    session: Session,
    claim_row: ClaimRow,
    *,
    reason: AppealReason,
    narrative: str,
    enclosures: list[Enclosure],
    codes: CodeLists,
    today: date,
) -> AppealLetter:
    """The letter's facts from the claim as submitted and what was posted against it."""
    claim = open_document(session, claim_row)
    practice = session.get(Practice, claim_row.practice_id)
    assert practice is not None  # noqa: S101 - a foreign key
    sums: dict[tuple[int | None, str], Decimal] = {}
    for line_number, kind, amount in session.execute(
        select(PostingRow.line_number, PostingRow.kind, func.sum(PostingRow.amount))
        .where(PostingRow.claim_id == claim_row.id, PostingRow.held.is_(False))
        .group_by(PostingRow.line_number, PostingRow.kind)
    ):
        sums[(line_number, kind)] = amount or ZERO

    def paid(line: int | None) -> Decimal:
        return sums.get((line, "paid"), ZERO) + sums.get((line, "reversal"), ZERO)

    kinds = _DECISION_KINDS | ({"contractual"} if reason == "underpayment" else set())
    found: dict[tuple[int | None, str, str, str], Decimal] = {}
    for row in session.scalars(
        select(PostingRow)
        .where(
            PostingRow.claim_id == claim_row.id,
            PostingRow.held.is_(False),
            PostingRow.reason_code.is_not(None),
            PostingRow.kind.in_(kinds),
        )
        .order_by(PostingRow.id)
    ):
        key = (row.line_number, row.group_code or "", row.reason_code or "", row.remark_codes)
        found[key] = found.get(key, ZERO) + row.amount
    procedures = {n: line.procedure_code for n, line in enumerate(claim.lines, start=1)}
    denials = [
        Denial(
            line_number=line,
            procedure_code=procedures.get(line) if line else None,
            group=group,
            code=code,
            meaning=codes.describe_carc(code) or "a reason code not in our list",
            remarks=[
                Remark(code=r, meaning=codes.describe_rarc(r) or "a remark code not in our list")
                for r in remarks.split(",")
                if r
            ],
            amount=amount,
        )
        for (line, group, code, remarks), amount in found.items()
        if amount != ZERO
    ]
    shown = {r.code for d in denials for r in d.remarks}
    claim_remarks = [
        Remark(code=r, meaning=codes.describe_rarc(r) or "a remark code not in our list")
        for r in dict.fromkeys(
            code
            for text in session.scalars(
                select(WorkItemRow.codes)
                .where(WorkItemRow.claim_id == claim_row.id, WorkItemRow.reason.in_(DENIAL_ITEMS))
                .order_by(WorkItemRow.id)
            )
            for code in text.split(",")
            if code and "-" not in code
        )
        if r not in shown
    ]
    lines = [
        LetterLine(
            line_number=n,
            procedure_code=line.procedure_code,
            description=line.description,
            teeth=", ".join(
                t.tooth + ("".join(t.surfaces) and f" {''.join(t.surfaces)}") for t in line.teeth
            ),
            service_date=line.service_date or claim.service_date,
            charge=line.charge,
            paid=paid(n),
            denied=sums.get((n, "denied"), ZERO),
        )
        for n, line in enumerate(claim.lines, start=1)
    ]
    dates = [d for d in (ln.service_date for ln in lines) if d is not None]
    patient = claim.patient.name if claim.patient else claim.subscriber.name
    contact = claim.billing_provider.contact
    total_paid = sum((paid(n) for n in [None, *procedures]), ZERO)
    return AppealLetter(
        prepared_on=today,
        practice_name=claim.billing_provider.display_name or practice.name,
        practice_npi=claim.billing_provider.npi,
        practice_tax_id=claim.billing_provider.tax_id,
        practice_address=_address(claim),
        signer=contact.name if contact is not None else "Billing office",
        payer_name=claim.payer.name,
        payer_id=claim.payer.payer_id,
        payer_address=_payer_address(claim),
        patient_name=_name(patient),
        patient_birth_date=claim.patient.date_of_birth
        if claim.patient
        else claim.subscriber.date_of_birth,
        subscriber_name=_name(claim.subscriber.name),
        member_id=claim.subscriber.member_id,
        group_number=claim.subscriber.group_number,
        claim_number=claim.patient_control_number,
        payer_claim_number=claim_row.payer_claim_control_number,
        first_service_date=min(dates, default=None),
        last_service_date=max(dates, default=None),
        submitted_on=claim_row.submitted_on,
        lines=lines,
        billed=claim.total_charge,
        paid=total_paid,
        denied=sum((amount for (_l, kind), amount in sums.items() if kind == "denied"), ZERO),
        denials=denials,
        remarks=claim_remarks,
        reason=reason,
        narrative=narrative,
        enclosures=enclosures,
    )
