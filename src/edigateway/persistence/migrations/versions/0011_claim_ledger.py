"""Money integrity (issue 15): held claim payments, manual ledger entries, predetermination
estimates, ERA automation per payer, and ``submitted_on`` as the day a claim was sent.

* ``remittance_claims.review`` / ``review_reason`` / ``planned_state``: a claim payment a
  guard held or the payer's ERA policy keeps for approval, and the state it will set;
* ``postings.remittance_claim_id`` (the claim payment a posting came from), ``held`` (not
  counted until approved), and ``remittance_id`` nullable with ``created_at`` / ``actor``
  / ``note`` for a person's write-off or transfer to the patient;
* ``work_items.remittance_claim_id``: the held payment an item is about;
* ``predetermination_estimates``: the payer's estimate per line (CLP02 = 25);
* ``practices.era_policy`` (default ``full``) and ``payers.era_policy`` (``NULL``: the
  practice's);
* ``claims.submitted_on`` nullable, cleared for claims not sent yet (ready, queued).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("remittance_claims") as batch:
        batch.add_column(sa.Column("review", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("planned_state", sa.String(length=20), nullable=True))
    with op.batch_alter_table("postings") as batch:
        batch.alter_column("remittance_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("remittance_claim_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("actor", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_postings_remittance_claim_id_remittance_claims"),
            "remittance_claims",
            ["remittance_claim_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_postings_remittance_claim_id"), ["remittance_claim_id"])
    with op.batch_alter_table("work_items") as batch:
        batch.add_column(sa.Column("remittance_claim_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_work_items_remittance_claim_id_remittance_claims"),
            "remittance_claims",
            ["remittance_claim_id"],
            ["id"],
        )
    with op.batch_alter_table("practices") as batch:
        batch.add_column(
            sa.Column("era_policy", sa.String(length=6), nullable=False, server_default="full")
        )
    with op.batch_alter_table("payers") as batch:
        batch.add_column(sa.Column("era_policy", sa.String(length=6), nullable=True))
    with op.batch_alter_table("claims") as batch:
        batch.alter_column("submitted_on", existing_type=sa.Date(), nullable=True)
    op.execute("UPDATE claims SET submitted_on = NULL WHERE state IN ('ready', 'queued')")
    op.create_table(
        "predetermination_estimates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("remittance_claim_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("procedure_code", sa.String(length=48), nullable=False),
        sa.Column("charge", sa.BigInteger(), nullable=False),
        sa.Column("allowed", sa.BigInteger(), nullable=True),
        sa.Column("insurance", sa.BigInteger(), nullable=False),
        sa.Column("patient", sa.BigInteger(), nullable=False),
        sa.Column("predetermination_number", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_predetermination_estimates_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["remittance_claim_id"],
            ["remittance_claims.id"],
            name=op.f("fk_predetermination_estimates_remittance_claim_id_remittance_claims"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predetermination_estimates")),
    )
    op.create_index(
        op.f("ix_predetermination_estimates_claim_id"), "predetermination_estimates", ["claim_id"]
    )


def downgrade() -> None:
    """Revert (claims never sent get the day they were stored back as ``submitted_on``)."""
    op.drop_index(
        op.f("ix_predetermination_estimates_claim_id"), table_name="predetermination_estimates"
    )
    op.drop_table("predetermination_estimates")
    op.execute(
        "UPDATE claims SET submitted_on = CAST(created_at AS DATE) WHERE submitted_on IS NULL"
    )
    with op.batch_alter_table("claims") as batch:
        batch.alter_column("submitted_on", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("payers") as batch:
        batch.drop_column("era_policy")
    with op.batch_alter_table("practices") as batch:
        batch.drop_column("era_policy")
    with op.batch_alter_table("work_items") as batch:
        batch.drop_constraint(
            op.f("fk_work_items_remittance_claim_id_remittance_claims"), type_="foreignkey"
        )
        batch.drop_column("remittance_claim_id")
    op.execute("DELETE FROM postings WHERE remittance_id IS NULL")
    with op.batch_alter_table("postings") as batch:
        batch.drop_index(op.f("ix_postings_remittance_claim_id"))
        batch.drop_constraint(
            op.f("fk_postings_remittance_claim_id_remittance_claims"), type_="foreignkey"
        )
        for column in ("note", "actor", "created_at", "held", "remittance_claim_id"):
            batch.drop_column(column)
        batch.alter_column("remittance_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("remittance_claims") as batch:
        for column in ("planned_state", "review_reason", "review"):
            batch.drop_column(column)
