"""Claim attachments: upload, list, download and delete files supporting a claim, and what
happens to them when the claim is sent.

A file is checked by its *content* (magic bytes: JPEG, PNG, TIFF or PDF — a name or a
declared type proves nothing), capped in size (``Settings.attachment_max_bytes``) and
sealed like every other PHI value, bound to its practice and attachment control number
(``A<NPI>-<row id>``: unique, AN, at most 24 characters).

When the claim is queued (:func:`prepare`, called by the outbox inside the same
transaction), each attachment not yet sent gets its PWK on the claim (2300
``PWK*<type>*<transmission>***AC*<control number>``):

* to a payer the clearinghouse profile forwards 275s to (``accepts_275_payer_ids``): ``EL``
  and a 275 (005010X210) carrying the file is written into the outbox after the 837D
  (:func:`record_275`), so the sender uploads it right after the claim;
* to any other payer: the profile's ``attachment_fallback`` (``BM`` by mail by default),
  and the files go into the printable packet (:func:`packet`: a zip with a cover sheet
  naming the claim and each control number).

An attachment that has gone (its ``transmission`` set) can no longer be deleted; one still
waiting can, while its claim is ``ready``. Every upload, download and deletion is audited.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final, Literal, Protocol

from sqlalchemy import func, select

from edigateway.domain.attachments import (
    FALLBACK_TRANSMISSIONS,
    REPORT_TYPES,
    AttachmentSubmission,
    control_number,
)
from edigateway.domain.claims import Attachment
from edigateway.errors import (
    ClaimInputError,
    ConflictError,
    FieldProblem,
    FileTooLargeError,
    InputError,
    NotFoundError,
    UnsupportedFileTypeError,
)
from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import (
    ClaimAttachmentRow,
    ClaimRow,
    Practice,
)
from edigateway.security.phi import Binding
from edigateway.services.access import record

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.domain.claims import Claim, Submitter
    from edigateway.persistence.database import Database

MediaType = Literal["image/jpeg", "image/png", "image/tiff", "application/pdf"]
_MAGIC: Final[tuple[tuple[bytes, MediaType], ...]] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
)
EXTENSIONS: Final[dict[str, str]] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/tiff": "tif",
    "application/pdf": "pdf",
}
MAX_PER_CLAIM: Final = 10
"""PWK repeats at most 10 times in 2300, and each attachment needs its own."""
UNSENT_STATES: Final = frozenset({"ready"})
CLOSED_STATES: Final = frozenset({"cancelled", "voided", "replaced", "resubmitted"})


class Caller(Protocol):
    """Who acts (:class:`~edigateway.services.practice_claims.Caller`, named by its
    attributes: the outbox imports this module, and practice_claims imports the outbox)."""

    @property
    def practice_id(self) -> int: ...
    @property
    def actor(self) -> str: ...
    @property
    def remote_addr(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """An attachment's metadata (never its bytes)."""

    id: int
    claim_id: int
    patient_control_number: str
    control_number: str
    report_type: str
    report_description: str
    media_type: str
    file_name: str
    size: int
    sha256: str
    created_at: datetime
    created_by: str
    transmission: str | None
    sent_at: datetime | None


def media_type_of(data: bytes) -> MediaType | None:
    """The type of a file by its first bytes, or ``None`` when it is none we take."""
    return next((media for magic, media in _MAGIC if data.startswith(magic)), None)


def sealed_binding(row: ClaimAttachmentRow, column: str) -> Binding:
    """Where an attachment's sealed ``column`` (content, file_name) lives."""
    return Binding("claim_attachments", column, row.practice_id, row.control_number)


def _info(session: Session, row: ClaimAttachmentRow, pcn: str) -> AttachmentInfo:
    return AttachmentInfo(
        id=row.id,
        claim_id=row.claim_id,
        patient_control_number=pcn,
        control_number=row.control_number,
        report_type=row.report_type,
        report_description=REPORT_TYPES.get(row.report_type, row.report_type),
        media_type=row.media_type,
        file_name=cipher_of(session).open(row.file_name, sealed_binding(row, "file_name")),
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
        created_by=row.created_by,
        transmission=row.transmission,
        sent_at=row.sent_at,
    )


def _claim(session: Session, caller: Caller, claim_id: int) -> ClaimRow:
    row = session.get(ClaimRow, claim_id)
    if row is None or row.practice_id != caller.practice_id:
        raise NotFoundError(f"no claim {claim_id}")
    return row


def _attachment(
    session: Session, caller: Caller, attachment_id: int
) -> tuple[ClaimAttachmentRow, ClaimRow]:
    row = session.get(ClaimAttachmentRow, attachment_id)
    if row is None or row.practice_id != caller.practice_id:
        raise NotFoundError(f"no attachment {attachment_id}")
    claim = session.get(ClaimRow, row.claim_id)
    assert claim is not None  # noqa: S101 - a foreign key
    return row, claim


def claim_for(db: Database, reference: str, *, practice_npi: str | None) -> tuple[int, int]:
    """(practice ID, claim ID) of the claim ``reference`` names for the command line (a
    claim ID, or a patient control number: the claim in force under it), in practice
    ``practice_npi`` or the one practice that has such a claim."""
    number = int(reference) if reference.isdigit() and len(reference) < 10 else -1
    with db.transaction() as session:
        query = select(ClaimRow.id, ClaimRow.practice_id).where(
            ClaimRow.superseded_by_id.is_(None),
            (ClaimRow.patient_control_number == reference) | (ClaimRow.id == number),
        )
        if practice_npi is not None:
            query = query.join(Practice, Practice.id == ClaimRow.practice_id).where(
                Practice.npi == practice_npi
            )
        found = [
            (row.id, row.practice_id) for row in session.execute(query.order_by(ClaimRow.id.desc()))
        ]
    if not found:
        raise NotFoundError(
            f"no claim {reference!r} (neither an ID nor a patient control number of a "
            "claim in force)"
        )
    if len({practice for _, practice in found}) > 1:
        raise InputError(
            f"claim {reference} exists in several practices; say which with --practice NPI"
        )
    claim_id, practice_id = found[0]
    return practice_id, claim_id


def upload(
    db: Database,
    caller: Caller,
    claim_id: int,
    *,
    file_name: str,
    data: bytes,
    report_type: str,
    max_bytes: int,
    now: datetime,
) -> AttachmentInfo:
    """Store ``data`` as an attachment of the claim (see module docstring); refused:
    an unknown report type, an empty, oversized or unrecognised file, a claim that is
    cancelled, voided or replaced, or one with ten attachments already."""
    if report_type not in REPORT_TYPES:
        raise ClaimInputError(
            "attachment",
            [
                FieldProblem(
                    "report_type",
                    f"{report_type!r} is not a PWK01 report type; use one of "
                    f"{', '.join(sorted(REPORT_TYPES))} (RB radiographs, P6 perio "
                    "charts, B4 narrative …)",
                )
            ],
        )
    if not data:
        raise ClaimInputError("attachment", [FieldProblem("file", "the file is empty")])
    if len(data) > max_bytes:
        raise FileTooLargeError(
            f"{file_name}: {len(data):,} bytes; attachments are at most {max_bytes:,} bytes"
        )
    media = media_type_of(data)
    if media is None:
        raise UnsupportedFileTypeError(
            f"{file_name}: the content is not a JPEG, PNG, TIFF or PDF file (judged by its "
            "first bytes, not its name); scan or export it as one of those"
        )
    name = (file_name.strip() or f"attachment.{EXTENSIONS[media]}")[:200]
    with db.transaction() as session:
        claim = _claim(session, caller, claim_id)
        if claim.state in CLOSED_STATES:
            raise ConflictError(
                f"claim {claim_id} is {claim.state}: attach the file to the "
                "claim that replaced it, or to a new one"
            )
        count = (
            session.scalar(
                select(func.count())
                .select_from(ClaimAttachmentRow)
                .where(ClaimAttachmentRow.claim_id == claim_id)
            )
            or 0
        )
        if count >= MAX_PER_CLAIM:
            raise ConflictError(
                f"claim {claim_id} has {count} attachments already; an 837D "
                f"carries at most {MAX_PER_CLAIM} (PWK)"
            )
        npi = session.scalar(select(Practice.npi).where(Practice.id == caller.practice_id))
        row = ClaimAttachmentRow(
            practice_id=caller.practice_id,
            claim_id=claim_id,
            control_number="",
            report_type=report_type,
            media_type=media,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            file_name="",
            content="",
            created_at=now,
            created_by=caller.actor[:60],
        )
        session.add(row)
        session.flush()
        row.control_number = control_number(npi or "0", row.id)
        cipher = cipher_of(session)
        row.file_name = cipher.seal(name, sealed_binding(row, "file_name"))
        row.content = cipher.seal_bytes(data, sealed_binding(row, "content"))
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="create",
            resource="claim_attachment",
            resource_id=str(row.id),
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"claim {claim_id} {report_type} {media} {len(data)} bytes",
        )
        return _info(session, row, claim.patient_control_number)


def attachments_of(db: Database, caller: Caller, claim_id: int) -> list[AttachmentInfo]:
    """The claim's attachments, oldest first."""
    with db.transaction() as session:
        claim = _claim(session, caller, claim_id)
        rows = session.scalars(
            select(ClaimAttachmentRow)
            .where(ClaimAttachmentRow.claim_id == claim_id)
            .order_by(ClaimAttachmentRow.id)
        )
        return [_info(session, row, claim.patient_control_number) for row in rows]


def attachment(db: Database, caller: Caller, attachment_id: int) -> AttachmentInfo:
    """One attachment's metadata."""
    with db.transaction() as session:
        row, claim = _attachment(session, caller, attachment_id)
        return _info(session, row, claim.patient_control_number)


def content(
    db: Database, caller: Caller, attachment_id: int, *, now: datetime
) -> tuple[AttachmentInfo, bytes]:
    """An attachment's metadata and bytes; the download is audited."""
    with db.transaction() as session:
        row, claim = _attachment(session, caller, attachment_id)
        data = cipher_of(session).open_bytes(row.content, sealed_binding(row, "content"))
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="export",
            resource="claim_attachment",
            resource_id=str(row.id),
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"{row.size} bytes",
        )
        return _info(session, row, claim.patient_control_number), data


def delete(db: Database, caller: Caller, attachment_id: int, *, now: datetime) -> None:
    """Delete an attachment that has not gone, while its claim is unsent."""
    with db.transaction() as session:
        row, claim = _attachment(session, caller, attachment_id)
        if row.transmission is not None or claim.state not in UNSENT_STATES:
            raise ConflictError(
                f"attachment {attachment_id} went with claim {claim.id} "
                f"({claim.state}); it is part of what the payer has and stays on record"
            )
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="change",
            resource="claim_attachment",
            resource_id=str(row.id),
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"deleted from claim {claim.id}",
        )
        session.delete(row)


def packet(db: Database, caller: Caller, claim_id: int, *, now: datetime) -> tuple[str, bytes]:
    """The claim's attachments as a zip to print, mail or fax: a cover sheet naming the
    claim and each attachment's control number (what the payer matches them by), then the
    files. Audited as an export. (file name, bytes)"""
    with db.transaction() as session:
        claim = _claim(session, caller, claim_id)
        rows = list(
            session.scalars(
                select(ClaimAttachmentRow)
                .where(ClaimAttachmentRow.claim_id == claim_id)
                .order_by(ClaimAttachmentRow.id)
            )
        )
        if not rows:
            raise NotFoundError(f"claim {claim_id} has no attachments")
        from edigateway.services.claim_store import open_document

        document = open_document(session, claim)
        cipher = cipher_of(session)
        buffer = io.BytesIO()
        lines = _cover(document, rows)
        stored: list[tuple[str, ClaimAttachmentRow]] = []
        for number, row in enumerate(rows, start=1):
            name = cipher.open(row.file_name, sealed_binding(row, "file_name"))
            stored.append((f"{number:02d}-{row.control_number}-{_safe(name)}", row))
            lines.append(
                f"  {number:2d}. {row.control_number}  {row.report_type} "
                f"({REPORT_TYPES.get(row.report_type, '')})  {stored[-1][0]}"
            )
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("00-cover-sheet.txt", "\n".join(lines) + "\n")
            for name, row in stored:
                archive.writestr(
                    name, cipher.open_bytes(row.content, sealed_binding(row, "content"))
                )
        record(
            session,
            actor=caller.actor,
            practice_id=caller.practice_id,
            action="export",
            resource="claim_attachment",
            resource_id=f"claim:{claim_id}",
            at=now,
            remote_addr=caller.remote_addr,
            detail=f"packet of {len(rows)} files",
        )
        return f"attachments-{claim.patient_control_number}.zip", buffer.getvalue()


def _cover(claim: Claim, rows: list[ClaimAttachmentRow]) -> list[str]:
    """The cover sheet's header: who the packet is for and which claim it supports."""
    patient = claim.patient.name if claim.patient else claim.subscriber.name
    provider = claim.billing_provider
    return [
        "CLAIM ATTACHMENTS",
        f"Payer: {claim.payer.name} ({claim.payer.payer_id})",
        f"Provider: {provider.organization_name or ''} NPI {provider.npi}",
        f"Patient: {patient.last_name}, {patient.first_name or ''}",
        f"Member ID: {claim.subscriber.member_id}",
        f"Patient control number (claim): {claim.patient_control_number}",
        f"Service date: {_service_date(claim) or ''}",
        (f"Attachments ({len(rows)}), each named on the claim by its control number (PWK06):"),
    ]


def _safe(name: str) -> str:
    """A file name safe inside a zip (no folders, no odd characters)."""
    kept = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.rsplit("/", 1)[-1])
    return kept[:80] or "file"


def _service_date(claim: Claim) -> date | None:
    return claim.service_date or min(
        (line.service_date for line in claim.lines if line.service_date), default=None
    )


# -- when the claim is queued -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prepared:
    """The claims of an 837D with their attachments' PWKs, and the attachments that go in
    a 275 (row, the claim it supports)."""

    claims: list[Claim]
    electronic: list[tuple[ClaimAttachmentRow, Claim]]


def prepare(
    session: Session,
    claims: list[Claim],
    claim_ids: list[int],
    profile: ClearinghouseProfile | None,
    *,
    now: datetime,
) -> Prepared:
    """Add a PWK per stored attachment not yet sent to each claim (EL when the profile
    forwards 275s to its payer, else the profile's fallback) and mark how each goes;
    inside the caller's (queueing) transaction."""
    rows = list(
        session.scalars(
            select(ClaimAttachmentRow)
            .where(
                ClaimAttachmentRow.claim_id.in_(claim_ids),
                ClaimAttachmentRow.transmission.is_(None),
            )
            .order_by(ClaimAttachmentRow.id)
        )
    )
    if not rows:
        return Prepared(claims, [])
    by_claim: dict[int, list[ClaimAttachmentRow]] = {}
    for row in rows:
        by_claim.setdefault(row.claim_id, []).append(row)
    electronic_payers = set(profile.accepts_275_payer_ids) if profile is not None else set()
    fallback = profile.attachment_fallback if profile is not None else "BM"
    out: list[Claim] = []
    electronic: list[tuple[ClaimAttachmentRow, Claim]] = []
    for claim, claim_id in zip(claims, claim_ids, strict=True):
        mine = by_claim.get(claim_id, [])
        if not mine:
            out.append(claim)
            continue
        how = "EL" if claim.payer.payer_id in electronic_payers else fallback
        ours = {row.control_number for row in mine}
        kept = [a for a in claim.attachments if a.control_number not in ours]
        if len(kept) + len(mine) > MAX_PER_CLAIM:
            raise InputError(
                f"claim {claim.patient_control_number}: {len(kept)} PWKs given "
                f"with the claim and {len(mine)} attachments uploaded; an "
                f"837D carries at most {MAX_PER_CLAIM}"
            )
        pwks = [
            Attachment.model_validate(
                {
                    "report_type": row.report_type,
                    "transmission": how,
                    "control_number": row.control_number,
                }
            )
            for row in mine
        ]
        out.append(claim.model_copy(update={"attachments": [*kept, *pwks]}))
        for row in mine:
            row.transmission = how
            if how == "EL":
                electronic.append((row, claim))
            else:
                row.sent_at = now
    return Prepared(out, electronic)


def attachment_items(
    session: Session,
    electronic: list[tuple[ClaimAttachmentRow, Claim]],
    *,
    submitter: Submitter,
    now: datetime,
) -> list[AttachmentSubmission]:
    """The attachments going electronically as the 275 carries them (one each), with the
    parties of the claim each supports; the outbox writes them (:mod:`.submissions`)."""
    cipher = cipher_of(session)
    items = []
    for row, claim in electronic:
        patient = claim.patient.name if claim.patient else claim.subscriber.name
        provider = claim.billing_provider
        items.append(
            AttachmentSubmission(
                reference=row.control_number,
                created=now.date(),
                payer_name=claim.payer.name,
                payer_id=claim.payer.payer_id,
                submitter_name=submitter.name,
                submitter_id=submitter.identifier,
                provider_name=provider.organization_name
                or (provider.person.last_name if provider.person else submitter.name),
                provider_npi=provider.npi,
                patient=patient,
                member_id=claim.subscriber.member_id,
                patient_control_number=claim.patient_control_number,
                service_date=_service_date(claim),
                control_number=row.control_number,
                data=cipher.open_bytes(row.content, sealed_binding(row, "content")),
            )
        )
    return items


def sent_in(
    electronic: list[tuple[ClaimAttachmentRow, Claim]], submission_id: int, now: datetime
) -> None:
    """Mark the attachments as going in the outbox row ``submission_id`` (their 275)."""
    for row, _claim in electronic:
        row.submission_id = submission_id
        row.sent_at = now


__all__ = [
    "FALLBACK_TRANSMISSIONS",
    "AttachmentInfo",
    "attachment_items",
    "claim_for",
    "media_type_of",
    "packet",
    "prepare",
    "sent_in",
    "upload",
]
