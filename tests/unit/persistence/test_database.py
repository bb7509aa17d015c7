"""Opening the embedded database "upgrades" it every time: a database already at the newest
migration is left alone — no alembic upgrade, no reference check reading the whole file
(it cost 0.2 s per command after one 20,000-claim ERA, and grew with every file)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import event

from edigateway.persistence.database import Database

if TYPE_CHECKING:
    from pathlib import Path


def test_an_upgrade_at_head_runs_no_migration_and_no_reference_check(tmp_path: Path):
    db = Database.connect(f"sqlite:///{tmp_path / 'current.sqlite3'}")
    try:
        db.upgrade()
        statements: list[str] = []
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_rest: statements.append(statement),
        )
        db.upgrade()
        assert db.is_current()
    finally:
        db.dispose()
    assert not any("foreign_key_check" in s for s in statements), statements
    assert all(s.lstrip().upper().startswith(("SELECT", "PRAGMA")) for s in statements)
