"""Claim attachments (issue 16, item 2): files uploaded to a claim, sealed like PHI, each
with its attachment control number (the 837D's PWK06, the 275's TRN02).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "claim_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("control_number", sa.String(length=50), nullable=False),
        sa.Column("report_type", sa.String(length=2), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("transmission", sa.String(length=2), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_claim_attachments_practice_id_practices"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_attachments_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_claim_attachments_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_attachments")),
        sa.UniqueConstraint(
            "practice_id", "control_number", name=op.f("uq_claim_attachments_practice_id")
        ),
    )
    op.create_index(op.f("ix_claim_attachments_claim_id"), "claim_attachments", ["claim_id"])


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_claim_attachments_claim_id"), table_name="claim_attachments")
    op.drop_table("claim_attachments")
