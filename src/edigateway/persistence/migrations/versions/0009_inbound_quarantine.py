"""Received files quarantined by name (refused, vanished or too big), download attempts.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_LIVE = sa.text("released_at IS NULL")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "inbound_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clearinghouse", sa.String(length=40), nullable=False),
        sa.Column("remote_name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("remote_mtime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_quarantine")),
    )
    op.create_index(
        "uq_inbound_quarantine_live",
        "inbound_quarantine",
        ["clearinghouse", "remote_name"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("uq_inbound_quarantine_live", table_name="inbound_quarantine")
    op.drop_table("inbound_quarantine")
