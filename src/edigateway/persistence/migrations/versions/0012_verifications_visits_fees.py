"""Eligibility verifications kept (sealed inquiry, benefits and raw 271), upcoming visits
(the verification queue) and fee schedules per payer and plan (issue 16).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("member_index", sa.String(length=64), nullable=False),
        sa.Column("patient_index", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_visits_practice_id_practices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("practice_id", "external_id", name=op.f("uq_visits_practice_id")),
    )
    op.create_index("ix_visits_practice_date", "visits", ["practice_id", "visit_date"])
    op.create_table(
        "eligibility_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("trace_number", sa.String(length=50), nullable=False),
        sa.Column("member_index", sa.String(length=64), nullable=False),
        sa.Column("patient_index", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("inquiry", sa.Text(), nullable=False),
        sa.Column("benefits", sa.Text(), nullable=False),
        sa.Column("raw_271", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_eligibility_verifications_practice_id_practices"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_eligibility_verifications_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_verifications")),
    )
    op.create_index(
        "ix_eligibility_verifications_member",
        "eligibility_verifications",
        ["practice_id", "member_index", "id"],
    )
    op.create_index(
        "ix_eligibility_verifications_patient",
        "eligibility_verifications",
        ["practice_id", "patient_index", "id"],
    )
    op.create_table(
        "fee_schedule_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("plan", sa.String(length=60), nullable=False),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=120), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_fee_schedule_entries_practice_id_practices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedule_entries")),
        sa.UniqueConstraint(
            "practice_id",
            "payer_id",
            "plan",
            "procedure_code",
            name=op.f("uq_fee_schedule_entries_practice_id"),
        ),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("fee_schedule_entries")
    op.drop_index("ix_eligibility_verifications_patient", table_name="eligibility_verifications")
    op.drop_index("ix_eligibility_verifications_member", table_name="eligibility_verifications")
    op.drop_table("eligibility_verifications")
    op.drop_index("ix_visits_practice_date", table_name="visits")
    op.drop_table("visits")
