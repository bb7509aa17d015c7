"""``ix_claims_member_kind`` on ``claims (member_index, kind)`` replaces
``ix_claims_member_index`` (issue 18, target 4).

Every claim stored asks whether the payer priced a predetermination for the same member
(:mod:`edigateway.services.predetermination_numbers`: ``member_index IN (…) AND kind =
'predetermination'``). With only ``member_index`` indexed, that question read every claim
the member ever had to keep the few predeterminations: a subscriber with years of claims
(a family on one policy) made each new claim slower, and 1,500 creates for one member
spent a fifth of their time there. With ``kind`` in the index the look-up reaches the
predeterminations alone; the searches by member alone (the claim list's member filter)
use the index's first column as before, so the old index is dropped, not kept beside it.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.drop_index("ix_claims_member_index", table_name="claims")
    op.create_index("ix_claims_member_kind", "claims", ["member_index", "kind"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_claims_member_kind", table_name="claims")
    op.create_index("ix_claims_member_index", "claims", ["member_index"], unique=False)
