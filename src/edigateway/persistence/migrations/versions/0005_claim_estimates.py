"""Estimates kept with their claim, to compare with what the payer paid.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "claim_estimates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("total_fee", sa.BigInteger(), nullable=False),
        sa.Column("total_insurance", sa.BigInteger(), nullable=False),
        sa.Column("total_patient", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_estimates_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_estimates")),
    )
    op.create_index(op.f("ix_claim_estimates_claim_id"), "claim_estimates", ["claim_id"])


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_claim_estimates_claim_id"), table_name="claim_estimates")
    op.drop_table("claim_estimates")
