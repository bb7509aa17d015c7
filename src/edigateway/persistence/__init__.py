"""Persistence: SQLAlchemy 2 tables, Alembic migrations, and the database handle.

SQLite (a file in the data folder) is the embedded default; PostgreSQL runs the same tables
and the same migrations. Only this package and the services that receive a
:class:`~edigateway.persistence.database.Database` know SQL exists.
"""
