"""Migration 0018 (received files sealed in pieces) on SQLite and PostgreSQL: a file kept
before it as one token still opens, whole and as pieces, next to a file kept after it in
pieces; key rotation reseals both (the pieces one by one), after which only the new key
is in use; and going back to 0017 is refused while a file is kept in pieces."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from edigateway.errors import PersistenceError
from edigateway.persistence import inbound_rows as rows
from edigateway.persistence.inbound_rows import FILE_CHUNK, inbound_binding
from edigateway.persistence.tables import InboundFileChunkRow, InboundFileRow
from edigateway.security.phi import PhiCipher
from edigateway.services.rotation import keys_in_use, rotate_phi
from tests.factories import NOW, SuiteEnvironment, database_at, received_row

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from edigateway.persistence.database import Database

BACKENDS = ["sqlite"] + (["postgresql"] if SuiteEnvironment().database_url else [])
OLD = b"ISA*00*\xff\xfe~IEA*1*000000001~" * 1000


@pytest.fixture(params=BACKENDS)
def at_0017(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to 0017 only (received files kept as one token)."""
    with database_at("0017", request.param, tmp_path) as db:
        yield db


def _keep_new(db: Database, data: bytes) -> int:
    with db.transaction() as session:
        return received_row(
            session,
            data,
            hashlib.sha256(data).hexdigest(),
            name="new.835",
            status="processed",
            isa13="000000002",
        ).id


@pytest.mark.slow  # migrations, like the other migration tests
def test_files_kept_before_0018_still_open_and_rotate(at_0017: Database):
    db = at_0017
    digest = hashlib.sha256(OLD).hexdigest()
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO inbound_files (received_at, clearinghouse, remote_name, sha256, "
                "kind, sender_id, interchange_control_number, payload, status) VALUES "
                "(:now, 'simulator', 'old.835', :sha, '835', 'PAYER', '000000001', :payload, "
                "'processed')"
            ),
            {"now": NOW, "sha": digest, "payload": db.phi.seal_bytes(OLD, inbound_binding(digest))},
        )
    db.upgrade()
    new = os.urandom(2 * FILE_CHUNK + 1)
    new_id = _keep_new(db, new)
    with db.transaction() as session:
        old_row = session.scalars(
            select(InboundFileRow).where(InboundFileRow.remote_name == "old.835")
        ).one()
        assert old_row.size is None
        assert rows.inbound_bytes(session, old_row) == OLD
        assert list(rows.inbound_pieces(session, old_row)) == [OLD]
        new_row = session.get(InboundFileRow, new_id)
        assert new_row is not None
        assert rows.inbound_bytes(session, new_row) == new
    assert keys_in_use(db) == {"k1": 1 + 3}  # the old token and the new file's three pieces

    db.phi = PhiCipher(db.phi.keyring.with_new_key("k2"))
    assert rotate_phi(db)["inbound_files"] == 2
    assert keys_in_use(db) == {"k2": 4}
    assert rotate_phi(db)["inbound_files"] == 0  # nothing left to reseal
    with db.transaction() as session:
        old_row = session.scalars(
            select(InboundFileRow).where(InboundFileRow.remote_name == "old.835")
        ).one()
        assert rows.inbound_bytes(session, old_row) == OLD
        new_row = session.get(InboundFileRow, new_id)
        assert new_row is not None
        assert rows.inbound_bytes(session, new_row) == new
        assert all(
            sealed.startswith("v1.k2.")
            for sealed in session.scalars(select(InboundFileChunkRow.sealed))
        )


def _downgrade(db: Database) -> None:
    config = db._alembic()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0017")


@pytest.mark.slow
def test_0017_comes_back_only_while_no_file_is_kept_in_pieces(at_0017: Database):
    db = at_0017
    db.upgrade()
    _downgrade(db)  # nothing kept yet
    db.upgrade()
    _keep_new(db, b"ISA~")
    with pytest.raises(PersistenceError, match="cannot be reverted"):
        _downgrade(db)
    with db.transaction() as session:  # still at 0018, the file still there
        (row,) = session.scalars(select(InboundFileRow)).all()
        assert rows.inbound_bytes(session, row) == b"ISA~"
