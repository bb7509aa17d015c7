"""Idempotency keys claimed before the work runs (in-flight marker).

An idempotency record is now inserted before the request's work runs, so the unique
(api_key_id, key) constraint picks one winner among concurrent requests; until the winner
stores its answer, ``status_code`` and ``body`` are NULL ("in flight").

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.alter_column("status_code", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    """Revert: requests still in flight lose their claim (their retries run again)."""
    op.execute("DELETE FROM idempotency_records WHERE status_code IS NULL OR body IS NULL")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.alter_column("status_code", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
