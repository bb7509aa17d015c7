"""The matching projection of a claim (issue 18, target 1): ``claims.other_payer_roles``.

Posting an 835 matches each claim payment against our claim's lines (``claim_lines``
holds them) and asks whether the claim has a secondary plan; until now that meant
decrypting and validating every claim document in the file. The new column keeps the
responsibility codes (SBR01) of the claim's other plans, in order (``""`` for none) —
no names, no member IDs — so posting reads columns only. ``claims.superseded_by_id`` gets
an index: posting asks, for every batch of claims, which claims they replaced, and without
it each ask read the whole table (quadratic in the number of claims stored).

Existing claims are filled from their documents, opened with the PHI cipher
:meth:`Database.upgrade` hands over; a document that does not open (the upgrade ran
without the PHI keys) leaves the column NULL, and posting opens that claim's document
as before.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from alembic import context, op

from edigateway.errors import PhiError
from edigateway.security.phi import VERSION, Binding, PhiCipher

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

PAGE = 500
"""Claims read and filled per round trip."""

_claims = sa.table(
    "claims",
    sa.column("id", sa.Integer),
    sa.column("practice_id", sa.Integer),
    sa.column("patient_control_number", sa.String),
    sa.column("document_sha256", sa.String),
    sa.column("document", sa.Text),
    sa.column("other_payer_roles", sa.String),
)


def _roles(cipher: PhiCipher | None, document: str, binding: Binding) -> str | None:
    """The other plans' responsibility codes in one claim document, or None when it
    cannot be read."""
    try:
        if document.startswith(f"{VERSION}."):
            if cipher is None:
                return None
            document = cipher.open(document, binding)
        others = json.loads(document).get("other_payers", [])
        return "".join(str(o["responsibility"]) for o in others)
    except (PhiError, ValueError, KeyError, TypeError, AttributeError):
        return None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("other_payer_roles", sa.String(length=20), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_claims_superseded_by_id"), ["superseded_by_id"], unique=False
        )
    bind = op.get_bind()
    cipher = context.config.attributes.get("phi")
    if not isinstance(cipher, PhiCipher):
        cipher = None
    unread = last = 0
    while True:  # 500 claims at a time, by ID: memory stays flat whatever the table size
        page = bind.execute(
            sa.select(
                _claims.c.id,
                _claims.c.practice_id,
                _claims.c.patient_control_number,
                _claims.c.document_sha256,
                _claims.c.document,
            )
            .where(_claims.c.id > last)
            .order_by(_claims.c.id)
            .limit(PAGE)
        ).all()
        if not page:
            break
        last = int(page[-1].id)
        filled: list[dict[str, object]] = []
        for row in page:
            roles = _roles(
                cipher,
                str(row.document),
                Binding(
                    "claims",
                    "document",
                    int(row.practice_id),
                    f"{row.patient_control_number}:{row.document_sha256}",
                ),
            )
            if roles is None:
                unread += 1
            else:
                filled.append({"claim_id": int(row.id), "roles": roles[:20]})
        if filled:
            bind.execute(
                _claims.update()
                .where(_claims.c.id == sa.bindparam("claim_id"))
                .values(other_payer_roles=sa.bindparam("roles")),
                filled,
            )
    if unread:
        log.warning(
            "0017: %d claim document(s) did not open (was the upgrade run without the PHI "
            "keys?); posting opens them when an 835 pays them",
            unread,
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_superseded_by_id"))
        batch_op.drop_column("other_payer_roles")
