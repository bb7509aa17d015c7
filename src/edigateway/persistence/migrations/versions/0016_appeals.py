"""Appeals (issue 16, item 3): an appeal of a claim's denial with its sealed narrative and
letter, the attachments it lists, and its tracking (sent, follow-up reminder, outcome).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("letter", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.String(length=200), nullable=False),
        sa.Column("denied_amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("sent_method", sa.String(length=12), nullable=True),
        sa.Column("sent_by", sa.String(length=60), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("reminder_item_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_appeals_practice_id_practices")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_appeals_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["reminder_item_id"],
            ["work_items.id"],
            name=op.f("fk_appeals_reminder_item_id_work_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    op.create_index(op.f("ix_appeals_practice_id"), "appeals", ["practice_id"])
    op.create_index(op.f("ix_appeals_claim_id"), "appeals", ["claim_id"])
    op.create_index(op.f("ix_appeals_follow_up_on"), "appeals", ["follow_up_on"])


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_appeals_follow_up_on"), table_name="appeals")
    op.drop_index(op.f("ix_appeals_claim_id"), table_name="appeals")
    op.drop_index(op.f("ix_appeals_practice_id"), table_name="appeals")
    op.drop_table("appeals")
