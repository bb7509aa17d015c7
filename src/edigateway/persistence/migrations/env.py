"""Alembic environment: runs on the connection :class:`Database` hands over."""

from __future__ import annotations

from alembic import context

from edigateway.persistence.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    msg = "run migrations through edigateway (edigateway db upgrade), not the alembic CLI"
    raise RuntimeError(msg)
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
