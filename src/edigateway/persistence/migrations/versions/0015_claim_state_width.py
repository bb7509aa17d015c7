"""Claim states up to 24 characters: ``predetermination_sent`` (21) did not fit the 20 of
``claims.state``, ``claim_states.state`` / ``previous_state`` and
``remittance_claims.planned_state``, so sending a predetermination failed on PostgreSQL
(SQLite does not enforce the length).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = (
    ("claims", "state", False),
    ("claim_states", "state", False),
    ("claim_states", "previous_state", True),
    ("remittance_claims", "planned_state", True),
)


def upgrade() -> None:
    """Apply."""
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.String(length=20),
                type_=sa.String(length=24),
                existing_nullable=nullable,
            )


def downgrade() -> None:
    """Revert (a state longer than 20 characters must be gone first)."""
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.String(length=24),
                type_=sa.String(length=20),
                existing_nullable=nullable,
            )
