"""Re-encrypt PHI to the active key, in small transactions, while the gateway runs.

Rotation is safe to stop and run again: each batch commits on its own, a value already
under the active key is left alone, and every process keeps reading both keys (the old
one stays in the keyring until :func:`keys_in_use` no longer lists it). Values written
before encryption existed (plain text) are sealed on the way. A received file kept in
pieces (migration 0018) is resealed piece by piece, a few pieces per transaction, so a
50 MB file never has to be decrypted whole.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, cast

from sqlalchemy import func, select, tuple_

from edigateway.persistence.database import cipher_of
from edigateway.persistence.inbound_rows import inbound_binding, reseal_chunk
from edigateway.persistence.tables import (
    AppealRow,
    ClaimAttachmentRow,
    ClaimRow,
    InboundFileChunkRow,
    InboundFileRow,
    SubmissionRow,
    UserRow,
)
from edigateway.security.phi import VERSION
from edigateway.services.appeals import sealed as appeal_binding
from edigateway.services.attachments import sealed_binding
from edigateway.services.claim_store import document_binding
from edigateway.services.submissions import payload_binding
from edigateway.services.users_totp import totp_binding

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.security.phi import Binding, PhiCipher

BATCH = 200
CHUNK_BATCH = 8
"""Pieces of received files resealed per transaction (each up to 1 MiB, ~1.4 MB sealed)."""


def _reseal(cipher: PhiCipher, token: str, binding: Binding) -> str | None:
    """The new token, or None when ``token`` is already current."""
    if not token.startswith(f"{VERSION}."):
        return cipher.seal(token, binding)  # legacy plain text
    if not cipher.needs_rotation(token):
        return None
    return cipher.reseal(token, binding)


def rotate_phi(db: Database, *, batch: int = BATCH) -> dict[str, int]:
    """Re-encrypt every PHI value not under the active key; counts per table."""
    counts = {"claims": 0, "submissions": 0, "inbound_files": 0}
    models: tuple[tuple[type[ClaimRow | SubmissionRow | InboundFileRow], str], ...] = (
        (ClaimRow, "claims"),
        (SubmissionRow, "submissions"),
        (InboundFileRow, "inbound_files"),
    )
    for model, name in models:
        last = 0
        while True:
            with db.transaction() as session:
                rows = cast(
                    "list[ClaimRow | SubmissionRow | InboundFileRow]",
                    list(
                        session.scalars(
                            select(model).where(model.id > last).order_by(model.id).limit(batch)
                        )
                    ),
                )
                if not rows:
                    break
                for row in rows:
                    counts[name] += _rotate_row(session, row)
                last = rows[-1].id
    counts["inbound_files"] += _rotate_chunks(db)
    counts["users"] = _rotate_users(db, batch)
    counts["claim_attachments"] = _rotate_attachments(db, batch)
    counts["appeals"] = _rotate_appeals(db, batch)
    return counts


def _rotate_appeals(db: Database, batch: int) -> int:
    """Appeals' narratives and letters, a batch at a time."""
    rotated, last = 0, 0
    while True:
        with db.transaction() as session:
            rows = list(
                session.scalars(
                    select(AppealRow).where(AppealRow.id > last).order_by(AppealRow.id).limit(batch)
                )
            )
            if not rows:
                return rotated
            cipher = cipher_of(session)
            for row in rows:
                if (
                    new := _reseal(cipher, row.narrative, appeal_binding(row, "narrative"))
                ) is not None:
                    row.narrative, rotated = new, rotated + 1
                if (new := _reseal(cipher, row.letter, appeal_binding(row, "letter"))) is not None:
                    row.letter, rotated = new, rotated + 1
            last = rows[-1].id


def _rotate_attachments(db: Database, batch: int) -> int:
    """Claim attachments' bytes and file names, a batch at a time (bytes stay exact:
    :meth:`PhiCipher.reseal` round-trips them through surrogate escapes)."""
    rotated, last = 0, 0
    while True:
        with db.transaction() as session:
            rows = list(
                session.scalars(
                    select(ClaimAttachmentRow)
                    .where(ClaimAttachmentRow.id > last)
                    .order_by(ClaimAttachmentRow.id)
                    .limit(batch)
                )
            )
            if not rows:
                return rotated
            cipher = cipher_of(session)
            for row in rows:
                if (
                    new := _reseal(cipher, row.content, sealed_binding(row, "content"))
                ) is not None:
                    row.content, rotated = new, rotated + 1
                if (
                    new := _reseal(cipher, row.file_name, sealed_binding(row, "file_name"))
                ) is not None:
                    row.file_name, rotated = new, rotated + 1
            last = rows[-1].id


def _rotate_users(db: Database, batch: int) -> int:
    """Users' two-step secrets (confirmed and pending), a batch at a time."""
    rotated, last = 0, 0
    while True:
        with db.transaction() as session:
            rows = list(
                session.scalars(
                    select(UserRow).where(UserRow.id > last).order_by(UserRow.id).limit(batch)
                )
            )
            if not rows:
                return rotated
            cipher = cipher_of(session)
            for row in rows:
                secret, pending = row.totp_secret, row.totp_pending
                if (
                    secret is not None
                    and (new := _reseal(cipher, secret, totp_binding(row, "totp_secret")))
                    is not None
                ):
                    row.totp_secret, rotated = new, rotated + 1
                if (
                    pending is not None
                    and (new := _reseal(cipher, pending, totp_binding(row, "totp_pending")))
                    is not None
                ):
                    row.totp_pending, rotated = new, rotated + 1
            last = rows[-1].id


def _rotate_row(session: Session, row: ClaimRow | SubmissionRow | InboundFileRow) -> int:
    cipher = cipher_of(session)
    if isinstance(row, ClaimRow):
        if not row.document.startswith(f"{VERSION}."):
            row.document_sha256 = cipher.blind_index(row.document, purpose="claim-document")
        binding = document_binding(row.practice_id, row.patient_control_number, row.document_sha256)
        new = _reseal(cipher, row.document, binding)
        if new is not None:
            row.document = new
    elif isinstance(row, SubmissionRow):
        new = _reseal(
            cipher, row.payload, payload_binding(row.sender_id, row.interchange_control_number)
        )
        if new is not None:
            row.payload = new
    elif row.payload is not None:  # a file kept in one token, before 0018
        new = _reseal(cipher, row.payload, inbound_binding(row.sha256))
        if new is not None:
            row.payload = new
    else:
        return 0  # kept in pieces: _rotate_chunks
    return int(new is not None)


def _rotate_chunks(db: Database, batch: int = CHUNK_BATCH) -> int:
    """Reseal the pieces of received files not under the active key, ``batch`` pieces per
    transaction (found by their key prefix, so current pieces are never read); how many
    files had a piece resealed."""
    current = f"{VERSION}.{db.phi.keyring.active}."
    files: set[int] = set()
    after = (0, -1)
    while True:
        with db.transaction() as session:
            stale = session.execute(
                select(InboundFileChunkRow.inbound_file_id, InboundFileChunkRow.seq)
                .where(
                    tuple_(InboundFileChunkRow.inbound_file_id, InboundFileChunkRow.seq)
                    > tuple_(*after),
                    func.substr(InboundFileChunkRow.sealed, 1, len(current)) != current,
                )
                .order_by(InboundFileChunkRow.inbound_file_id, InboundFileChunkRow.seq)
                .limit(batch)
            ).all()
            if not stale:
                return len(files)
            for file_id, seq in stale:
                if reseal_chunk(session, file_id, seq):
                    files.add(file_id)
            after = (stale[-1].inbound_file_id, stale[-1].seq)


KEY_PREFIX = 256
"""Characters of a received file's sealed value read to learn its key (``v1.<key id>.``):
the file itself is not loaded to count it."""


def keys_in_use(db: Database) -> dict[str, int]:
    """How many values each key ID still protects (a key with none can be retired); each
    sealed piece of a received file counts as a value."""
    used: Counter[str] = Counter()
    with db.transaction() as session:
        for column in (
            ClaimRow.document,
            SubmissionRow.payload,
            func.substr(InboundFileRow.payload, 1, KEY_PREFIX),
            func.substr(InboundFileChunkRow.sealed, 1, KEY_PREFIX),
            UserRow.totp_secret,
            UserRow.totp_pending,
            ClaimAttachmentRow.content,
            ClaimAttachmentRow.file_name,
            AppealRow.narrative,
            AppealRow.letter,
        ):
            for token in session.scalars(select(column).where(column.is_not(None))):
                parts = (token or "").split(".", 2)
                used[parts[1] if len(parts) == 3 and parts[0] == VERSION else "plain"] += 1
    return dict(used)
