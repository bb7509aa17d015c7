"""What "the database is current" means for readiness (``GET /readyz``) and start-up: at the
newest migration this process's code knows, read once — not whatever the scripts folder
holds at the moment of the probe (a deployment copying new scripts in must not flip a
running process's readiness)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from edigateway.persistence.database import Database


def test_current_means_at_the_head_this_process_knows(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    assert database.is_current()
    config = database._alembic()
    script = ScriptDirectory.from_config(config)
    head = database.head
    assert head is not None
    assert head == script.get_current_head()
    revision = script.get_revision(head)
    assert revision is not None
    previous = revision.down_revision
    assert isinstance(previous, str)

    def read_again(*_args: object) -> ScriptDirectory:
        raise AssertionError("the migration scripts were read again")

    monkeypatch.setattr(ScriptDirectory, "from_config", read_again)
    assert database.is_current()  # the head is not read from the disk again
    monkeypatch.undo()

    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, previous)  # as if the last migration were not applied yet
    assert not database.is_current()  # behind its code: not ready
