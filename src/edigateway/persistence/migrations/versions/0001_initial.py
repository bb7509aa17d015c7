"""Initial schema: practices, payers, claims, remittances, postings, work queue.

Money columns are BIGINT cents (see ``edigateway.persistence.tables.Cents``).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "payers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("timely_filing_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payers")),
        sa.UniqueConstraint("payer_id", name=op.f("uq_payers_payer_id")),
    )
    op.create_table(
        "practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("tin", sa.String(length=9), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practices")),
        sa.UniqueConstraint("npi", name=op.f("uq_practices_npi")),
    )
    op.create_table(
        "remittance_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("problem_position", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_remittance_files_sha256")),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("patient_control_number", sa.String(length=38), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("frequency", sa.String(length=1), nullable=False),
        sa.Column("payer_claim_control_number", sa.String(length=50), nullable=True),
        sa.Column("total_charge", sa.BigInteger(), nullable=False),
        sa.Column("first_service_date", sa.Date(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_claims_payer_id_payers")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_claims_practice_id_practices")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["claims.id"], name=op.f("fk_claims_superseded_by_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claims_payer_claim_control_number"),
            ["payer_claim_control_number"],
            unique=False,
        )
        batch_op.create_index(
            "ix_claims_pcn", ["patient_control_number", "practice_id"], unique=False
        )

    op.create_table(
        "remittances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=15), nullable=False),
        sa.Column("interchange_control_number", sa.String(length=9), nullable=False),
        sa.Column("transaction_control_number", sa.String(length=9), nullable=False),
        sa.Column("trace_number", sa.String(length=50), nullable=False),
        sa.Column("payer_trace_id", sa.String(length=50), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=True),
        sa.Column("payer_name", sa.String(length=60), nullable=False),
        sa.Column("payee_name", sa.String(length=60), nullable=False),
        sa.Column("payee_id", sa.String(length=80), nullable=True),
        sa.Column("handling_code", sa.String(length=2), nullable=False),
        sa.Column("payment_amount", sa.BigInteger(), nullable=False),
        sa.Column("credit_debit", sa.String(length=1), nullable=False),
        sa.Column("payment_method", sa.String(length=3), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("source_position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["remittance_files.id"],
            name=op.f("fk_remittances_file_id_remittance_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittances")),
        sa.UniqueConstraint(
            "trace_number", "payer_trace_id", name=op.f("uq_remittances_trace_number")
        ),
    )
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remittances_file_id"), ["file_id"], unique=False)

    op.create_table(
        "claim_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column("charge", sa.BigInteger(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("line_control_number", sa.String(length=50), nullable=True),
        sa.Column("teeth", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_lines_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_lines")),
        sa.UniqueConstraint("claim_id", "line_number", name=op.f("uq_claim_lines_claim_id")),
    )
    op.create_table(
        "postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remittance_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("group_code", sa.String(length=2), nullable=True),
        sa.Column("reason_code", sa.String(length=5), nullable=True),
        sa.Column("remark_codes", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("source_position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_postings_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.id"],
            name=op.f("fk_postings_remittance_id_remittances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_postings_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_postings_remittance_id"), ["remittance_id"], unique=False
        )

    op.create_table(
        "provider_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remittance_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=50), nullable=False),
        sa.Column("fiscal_period_end", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=2), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("source_position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_provider_adjustments_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.id"],
            name=op.f("fk_provider_adjustments_remittance_id_remittances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_adjustments")),
    )
    with op.batch_alter_table("provider_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_adjustments_remittance_id"), ["remittance_id"], unique=False
        )

    op.create_table(
        "remittance_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remittance_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("patient_control_number", sa.String(length=38), nullable=False),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("charge", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("patient_responsibility", sa.BigInteger(), nullable=True),
        sa.Column("payer_claim_control_number", sa.String(length=50), nullable=True),
        sa.Column("reversed_by_id", sa.Integer(), nullable=True),
        sa.Column("corrected_by_id", sa.Integer(), nullable=True),
        sa.Column("source_position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_remittance_claims_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"],
            ["remittance_claims.id"],
            name=op.f("fk_remittance_claims_corrected_by_id_remittance_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.id"],
            name=op.f("fk_remittance_claims_remittance_id_remittances"),
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by_id"],
            ["remittance_claims.id"],
            name=op.f("fk_remittance_claims_reversed_by_id_remittance_claims"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_claims")),
    )
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remittance_claims_claim_id"), ["claim_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_remittance_claims_remittance_id"), ["remittance_id"], unique=False
        )

    op.create_table(
        "work_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("codes", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("patient_control_number", sa.String(length=38), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("remittance_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("source_position", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_work_items_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["remittance_files.id"],
            name=op.f("fk_work_items_file_id_remittance_files"),
        ),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.id"],
            name=op.f("fk_work_items_remittance_id_remittances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_items")),
    )
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_items_status"), ["status"], unique=False)

    op.create_table(
        "claim_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("previous_state", sa.String(length=20), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("remittance_claim_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_states_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["remittance_claim_id"],
            ["remittance_claims.id"],
            name=op.f("fk_claim_states_remittance_claim_id_remittance_claims"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_states")),
    )
    with op.batch_alter_table("claim_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_states_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "remittance_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remittance_claim_id", sa.Integer(), nullable=False),
        sa.Column("claim_line_number", sa.Integer(), nullable=True),
        sa.Column("procedure_code", sa.String(length=48), nullable=False),
        sa.Column("charge", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("line_control_number", sa.String(length=50), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("remark_codes", sa.String(length=200), nullable=False),
        sa.Column("source_position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["remittance_claim_id"],
            ["remittance_claims.id"],
            name=op.f("fk_remittance_lines_remittance_claim_id_remittance_claims"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_lines")),
    )
    with op.batch_alter_table("remittance_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remittance_lines_remittance_claim_id"),
            ["remittance_claim_id"],
            unique=False,
        )

    op.create_table(
        "remittance_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remittance_claim_id", sa.Integer(), nullable=False),
        sa.Column("remittance_line_id", sa.Integer(), nullable=True),
        sa.Column("group_code", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.String(length=5), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.String(length=15), nullable=True),
        sa.Column("source_position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["remittance_claim_id"],
            ["remittance_claims.id"],
            name=op.f("fk_remittance_adjustments_remittance_claim_id_remittance_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["remittance_line_id"],
            ["remittance_lines.id"],
            name=op.f("fk_remittance_adjustments_remittance_line_id_remittance_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_adjustments")),
    )
    with op.batch_alter_table("remittance_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remittance_adjustments_remittance_claim_id"),
            ["remittance_claim_id"],
            unique=False,
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("remittance_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remittance_adjustments_remittance_claim_id"))

    op.drop_table("remittance_adjustments")
    with op.batch_alter_table("remittance_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remittance_lines_remittance_claim_id"))

    op.drop_table("remittance_lines")
    with op.batch_alter_table("claim_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_states_claim_id"))

    op.drop_table("claim_states")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_items_status"))

    op.drop_table("work_items")
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remittance_claims_remittance_id"))
        batch_op.drop_index(batch_op.f("ix_remittance_claims_claim_id"))

    op.drop_table("remittance_claims")
    with op.batch_alter_table("provider_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_adjustments_remittance_id"))

    op.drop_table("provider_adjustments")
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postings_remittance_id"))
        batch_op.drop_index(batch_op.f("ix_postings_claim_id"))

    op.drop_table("postings")
    op.drop_table("claim_lines")
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remittances_file_id"))

    op.drop_table("remittances")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_pcn")
        batch_op.drop_index(batch_op.f("ix_claims_payer_claim_control_number"))

    op.drop_table("claims")
    op.drop_table("remittance_files")
    op.drop_table("practices")
    op.drop_table("payers")
