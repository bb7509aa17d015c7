"""Outbox (submissions), control counters per sender, inbound clearinghouse files.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "control_counters",
        sa.Column("sender_id", sa.String(length=15), nullable=False),
        sa.Column("last_interchange", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_control_counters")),
    )
    op.create_table(
        "inbound_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("clearinghouse", sa.String(length=40), nullable=False),
        sa.Column("remote_name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sender_id", sa.String(length=15), nullable=True),
        sa.Column("interchange_control_number", sa.String(length=9), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_inbound_files_sha256")),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("clearinghouse", sa.String(length=40), nullable=False),
        sa.Column("sender_id", sa.String(length=15), nullable=False),
        sa.Column("interchange_control_number", sa.String(length=9), nullable=False),
        sa.Column("group_control_number", sa.String(length=9), nullable=False),
        sa.Column("file_name", sa.String(length=120), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("remote_name", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("ack_status", sa.String(length=12), nullable=True),
        sa.Column("ack_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint(
            "sender_id", "interchange_control_number", name=op.f("uq_submissions_sender_id")
        ),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submissions_status"), ["status"], unique=False)

    op.create_table(
        "submission_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("transaction_control_number", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_submission_claims_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_claims_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_claims")),
    )
    with op.batch_alter_table("submission_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submission_claims_claim_id"), ["claim_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_submission_claims_submission_id"), ["submission_id"], unique=False
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("submission_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_claims_submission_id"))
        batch_op.drop_index(batch_op.f("ix_submission_claims_claim_id"))

    op.drop_table("submission_claims")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_status"))

    op.drop_table("submissions")
    op.drop_table("inbound_files")
    op.drop_table("control_counters")
