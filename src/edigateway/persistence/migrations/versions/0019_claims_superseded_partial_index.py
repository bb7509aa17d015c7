"""``ix_claims_superseded_by_id`` holds only superseded claims (issue 18, target 1).

0017 indexed ``claims.superseded_by_id`` for the question "which claims did these
replace" (``superseded_by_id IN (…)``). SQLite, without statistics, then also chose that
index for every look-up of current claims by number (``patient_control_number IN (…) AND
superseded_by_id IS NULL``): ``IS NULL`` matches nearly every claim, so each batch of an
835 walked the whole claims table instead of ``ix_claims_pcn`` — posting grew quadratic
in the number of claims stored again. Kept partial (``WHERE superseded_by_id IS NOT
NULL``), the index still answers the ``IN``/``=`` questions it was made for, can no
longer be taken for ``IS NULL``, and holds only the few superseded claims.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_INDEX = "ix_claims_superseded_by_id"
_SUPERSEDED = sa.text("superseded_by_id IS NOT NULL")


def upgrade() -> None:
    """Apply."""
    op.drop_index(_INDEX, table_name="claims")
    op.create_index(
        _INDEX,
        "claims",
        ["superseded_by_id"],
        unique=False,
        sqlite_where=_SUPERSEDED,
        postgresql_where=_SUPERSEDED,
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index(_INDEX, table_name="claims")
    op.create_index(_INDEX, "claims", ["superseded_by_id"], unique=False)
