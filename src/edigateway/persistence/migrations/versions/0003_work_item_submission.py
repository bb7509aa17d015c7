"""Work items name the submission they are about (e.g. no 999 received).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_work_items_submission_id_submissions"),
            "submissions",
            ["submission_id"],
            ["id"],
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_work_items_submission_id_submissions"), type_="foreignkey"
        )
        batch_op.drop_column("submission_id")
