"""Received files sealed in pieces (issue 18, target 1's memory and target 2's downloads):
``inbound_file_chunks`` and ``inbound_files.size``; ``inbound_files.payload`` nullable.

A received file was one AES-GCM token in ``inbound_files.payload``: storing a 50 MB 835
held the file, its ciphertext, the base64 text and the driver's copy at once, and reading
it back (a download, posting a polled file) held as much again. From now on each 1 MiB
piece is sealed on its own in a row of ``inbound_file_chunks``, written and read one at a
time. Files received before keep their one token and are read as before: this upgrade
does not re-seal them (it would have to decrypt every file at once, and an upgrade may
run without the PHI keys); ``payload`` simply stops being required.

Downgrading is refused while a file is kept in pieces: 0017 has nowhere to put it.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from edigateway.errors import PersistenceError

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "inbound_file_chunks",
        sa.Column("inbound_file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbound_file_id"],
            ["inbound_files.id"],
            name=op.f("fk_inbound_file_chunks_inbound_file_id_inbound_files"),
        ),
        sa.PrimaryKeyConstraint("inbound_file_id", "seq", name=op.f("pk_inbound_file_chunks")),
    )
    with op.batch_alter_table("inbound_files", schema=None) as batch_op:
        batch_op.alter_column("payload", existing_type=sa.Text(), nullable=True)
        batch_op.add_column(sa.Column("size", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Revert, when no file is kept in pieces."""
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM inbound_file_chunks LIMIT 1")).first() is not None:
        msg = (
            "0018 cannot be reverted: received files are kept in pieces "
            "(inbound_file_chunks), which 0017 has no place for"
        )
        raise PersistenceError(msg)
    with op.batch_alter_table("inbound_files", schema=None) as batch_op:
        batch_op.drop_column("size")
        batch_op.alter_column("payload", existing_type=sa.Text(), nullable=False)
    op.drop_table("inbound_file_chunks")
