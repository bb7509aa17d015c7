"""Dashboard users: people sign in to /ui with an email, a password and optionally a TOTP
code, instead of a practice's shared API key (issue 16, item 6).

``users`` and their set-password links (``user_links``) are new. A ``ui_sessions`` row now
belongs to a user (``user_id``) instead of an API key: the sessions open at upgrade
were signed in with a key and are ended (deleted), so everyone signs in again as a user —
an admin creates users with ``edigateway users create``. Downgrade drops the users and
their sessions (sessions are then key sessions again, none open).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("password_set_at", sa.DateTime(), nullable=True),
        sa.Column("totp_secret", sa.Text(), nullable=True),
        sa.Column("totp_pending", sa.Text(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("sign_in_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_users_practice_id_practices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_practice_id"), "users", ["practice_id"])
    op.create_table(
        "user_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_links_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_links_token_hash")),
    )
    op.create_index(op.f("ix_user_links_user_id"), "user_links", ["user_id"])
    op.execute("DELETE FROM ui_sessions")
    op.drop_index(op.f("ix_ui_sessions_api_key_id"), table_name="ui_sessions")
    with op.batch_alter_table("ui_sessions") as batch:
        batch.drop_constraint(op.f("fk_ui_sessions_api_key_id_api_keys"), type_="foreignkey")
        batch.drop_column("api_key_id")
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=False))
        batch.create_foreign_key(op.f("fk_ui_sessions_user_id_users"), "users", ["user_id"], ["id"])
    op.create_index(op.f("ix_ui_sessions_user_id"), "ui_sessions", ["user_id"])


def downgrade() -> None:
    """Revert."""
    op.execute("DELETE FROM ui_sessions")
    op.drop_index(op.f("ix_ui_sessions_user_id"), table_name="ui_sessions")
    with op.batch_alter_table("ui_sessions") as batch:
        batch.drop_constraint(op.f("fk_ui_sessions_user_id_users"), type_="foreignkey")
        batch.drop_column("user_id")
        batch.add_column(sa.Column("api_key_id", sa.Integer(), nullable=False))
        batch.create_foreign_key(
            op.f("fk_ui_sessions_api_key_id_api_keys"), "api_keys", ["api_key_id"], ["id"]
        )
    op.create_index(op.f("ix_ui_sessions_api_key_id"), "ui_sessions", ["api_key_id"])
    op.drop_index(op.f("ix_user_links_user_id"), table_name="user_links")
    op.drop_table("user_links")
    op.drop_index(op.f("ix_users_practice_id"), table_name="users")
    op.drop_table("users")
