"""Interchange/group/transaction control numbers, unique per sender.

A clearinghouse rejects an interchange whose ISA13 it has already seen from the same
sender, so numbers must never repeat, even across processes. :class:`ControlNumberSource` is
the port; the gateway's adapter keeps the numbers in the database
(:class:`DatabaseControlNumbers`, built by :func:`edigateway.bootstrap.bootstrap`) and
:class:`MemoryControlNumbers` is its fake, for tests and for builds that are never sent (the
API's ``/v1/claims/validate``)::

    with database.transaction() as session:
        numbers = gateway.control_numbers.allocate_in(session, settings.isa_sender_id)
        ...store the submission and its outbox row in the same session...
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database

MAX_CONTROL_NUMBER = 999_999_999


@dataclass(frozen=True, slots=True)
class ControlNumbers:
    """The numbers for one interchange: ISA13, GS06 and the first ST02."""

    interchange: int
    group: int
    first_transaction: int


class ControlNumberSource(Protocol):
    """Where control numbers come from: the port every use case allocates through, so no
    caller needs to know (or downcast to) the adapter behind it."""

    def allocate(self, sender: str) -> ControlNumbers:
        """Reserve the next numbers for ``sender``; never returns the same ISA13 twice."""
        ...

    def allocate_in(self, session: Session, sender: str) -> ControlNumbers:
        """Reserve them inside the caller's transaction, so what carries the numbers (a
        submission and its outbox row) and the reservation commit together or not at all."""
        ...


class MemoryControlNumbers:
    """The port's fake: numbers kept in this object, for tests and one-off builds whose
    files are never sent (nothing stops another process from handing out the same)."""

    def __init__(self, start: int = 1) -> None:
        self._next: dict[str, int] = {}
        self._start = start

    def allocate(self, sender: str) -> ControlNumbers:
        """Next numbers for ``sender``, starting at ``start``."""
        number = self._next.get(sender, self._start)
        self._next[sender] = number % MAX_CONTROL_NUMBER + 1
        return ControlNumbers(number, number, 1)

    def allocate_in(self, session: Session, sender: str) -> ControlNumbers:
        """As :meth:`allocate`: the numbers are not in the database, so the caller's
        session has nothing to hold (a rolled-back transaction does not give them back)."""
        del session
        return self.allocate(sender)


class DatabaseControlNumbers:
    """Control numbers kept in the database (table ``control_counters``), one row per sender.

    The row is locked for the allocation (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
    serialises writers), so two workers never get the same ISA13. :meth:`allocate_in` takes
    the caller's session, so a submission and its numbers commit together or not at all.
    A sender first seen here continues from the legacy JSON counter file (sender → last
    ISA13, ``<data_dir>/control-numbers.json``, which versions before the database kept), if
    one exists, so numbers never go backwards when a data folder moves to the database.
    """

    def __init__(self, database: Callable[[], Database], legacy_file: Path | None = None) -> None:
        self._database = database
        self._legacy = legacy_file

    def allocate(self, sender: str) -> ControlNumbers:
        """Reserve the next numbers for ``sender`` in a transaction of its own."""
        with self._database().transaction() as session:
            return self.allocate_in(session, sender)

    def allocate_in(self, session: Session, sender: str) -> ControlNumbers:
        """Reserve the next numbers inside the caller's transaction."""
        from sqlalchemy import select
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        from edigateway.persistence.tables import ControlCounterRow, table_of

        query = select(ControlCounterRow).where(ControlCounterRow.sender_id == sender)
        row = session.scalars(query.with_for_update()).first()
        if row is None:
            # A sender's first numbers: two transactions may both find no row. Each inserts
            # it unless present (the loser waits for the winner's commit, then does
            # nothing) and then locks the one row, so they still take turns.
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                insert(table_of(ControlCounterRow))
                .values(sender_id=sender, last_interchange=self._legacy_last(sender))
                .on_conflict_do_nothing(index_elements=["sender_id"])
            )
            row = session.scalars(query.with_for_update()).one()
        number = row.last_interchange % MAX_CONTROL_NUMBER + 1
        row.last_interchange = number
        session.flush()
        return ControlNumbers(number, number, 1)

    def _legacy_last(self, sender: str) -> int:
        if self._legacy is None or not self._legacy.exists():
            return 0
        state: dict[str, int] = json.loads(self._legacy.read_text())
        return int(state.get(sender, 0))
