"""The floor under ``era post`` (issue 18, target 1): what any posting of this file into
this database costs before a line of posting logic runs, as one process timed like ``era
post`` itself.

The process does three things and nothing else:

1. imports what ``edigateway era post`` imports (the CLI and the poster);
2. reads the 835 with the reader posting uses (``iter_segments`` + ``iter_835``: the
   segments, the loops, the models that give located errors), every event consumed;
3. writes into a copy of the claims' database the rows that posting this file wrote into
   ``--posted`` (a copy of the same database after one ``era post``): every row posting
   added to each table, and the claims' new states, in one transaction with the
   gateway's pragmas. The rows are copied by SQLite itself (``INSERT … SELECT`` from
   the attached posted database, ``UPDATE … FROM``), without binding a single Python
   value — cheaper than any executemany, so this part is a lower bound of SQLite's own
   work for these rows.

   With ``--bound`` the same rows are written as a Python program must write them: each
   table's new rows are first fetched into Python tuples (that fetch is timed apart and
   left out of the floor), then inserted with ``executemany``, every value bound from
   Python, and the claims' new states set by ``executemany`` of ``UPDATE … WHERE id = ?``
   — still cheaper than the gateway's own writes (no conversion of ``Decimal`` to cents,
   no dates turned into text, no SQLAlchemy), so still a lower bound, but of the work
   any posting written in Python does.

What it leaves out is what posting decides: matching, planning, guards, the ledger's
postings built in Python, state moves, events, the inbound record. Timed beside ``era
post`` and ``x12valid`` in the same rounds (``era_post.py --floor-posted``), it says how
much of the 6× budget (``x12valid`` / 6) is spent before posting logic starts.

Usage (the posted folder made once: a copy of ``--base`` after ``edigateway era post``)::

    .venv/bin/python benchmarks/era_floor.py --base /tmp/era20 --posted /tmp/era20-posted \\
        --era benchmarks/out/era-20000.835
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

DATABASE = "edigateway.sqlite3"


def _read(era: Path) -> int:
    from edigateway.x12.envelope import iter_segments
    from edigateway.x12.x835_005010X221A1 import iter_835

    with era.open(encoding="utf-8", newline="") as stream:
        return sum(1 for _ in iter_835(iter_segments(stream, era.name), name=era.name))


def _tables(connection: sqlite3.Connection) -> list[str]:
    """The database's tables, each after the tables its foreign keys name: a child row
    written before its parent would make SQLite look for it again when the parent comes
    (a scan per parent row where the key is not indexed)."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version' ORDER BY name"
        )
    ]
    parents = {
        name: {row[2] for row in connection.execute(f'PRAGMA main.foreign_key_list("{name}")')}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] - {n} <= set(ordered)]
        if not ready:
            raise SystemExit(f"foreign keys in a cycle among {sorted(set(names) - set(ordered))}")
        ordered += ready
    return ordered


def _write(base: Path, posted: Path, *, bound: bool) -> tuple[dict[str, int], float]:
    """Copy what posting added from ``posted`` into a copy of ``base``; rows per table and
    the CPU seconds spent fetching rows into Python (``bound``), which are not the floor's."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / DATABASE
        shutil.copyfile(base / DATABASE, target)
        connection = sqlite3.connect(target, isolation_level=None)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("ATTACH DATABASE ? AS posted", (str(posted / DATABASE),))
        added: dict[str, int] = {}
        fetching = 0.0
        connection.execute("BEGIN")
        for table in _tables(connection):
            (last,) = connection.execute(
                f'SELECT coalesce(max(rowid), 0) FROM main."{table}"'  # noqa: S608 - a table name from the schema
            ).fetchone()
            if bound:
                started = time.process_time()
                rows = connection.execute(
                    f'SELECT * FROM posted."{table}" WHERE rowid > ?',  # noqa: S608 - likewise
                    (last,),
                ).fetchall()
                fetching += time.process_time() - started
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    connection.executemany(
                        f'INSERT INTO main."{table}" VALUES ({marks})',  # noqa: S608 - likewise
                        rows,
                    )
                    added[table] = len(rows)
                continue
            # the bound is read first: as a subquery SQLite evaluates it again for every row
            cursor = connection.execute(
                f'INSERT INTO main."{table}" SELECT * FROM posted."{table}" WHERE rowid > ?',  # noqa: S608 - likewise
                (last,),
            )
            if cursor.rowcount:
                added[table] = cursor.rowcount
        added["claims (updated)"] = _move(connection, bound=bound)
        connection.execute("COMMIT")
        connection.close()
    return added, fetching


def _move(connection: sqlite3.Connection, *, bound: bool) -> int:
    """Set the claims posting moved to their new states; how many."""
    if not bound:
        return connection.execute(
            "UPDATE main.claims SET state = p.state, state_changed_at = p.state_changed_at, "
            "submitted_on = p.submitted_on FROM posted.claims AS p "
            "WHERE p.id = main.claims.id AND p.state != main.claims.state"
        ).rowcount
    moves = connection.execute(
        "SELECT p.state, p.state_changed_at, p.submitted_on, p.id FROM posted.claims AS p "
        "JOIN main.claims AS c ON c.id = p.id WHERE p.state != c.state"
    ).fetchall()
    connection.executemany(
        "UPDATE main.claims SET state = ?, state_changed_at = ?, submitted_on = ? WHERE id = ?",
        moves,
    )
    return len(moves)


def main() -> None:
    """Import, read, write; print what each took (process CPU) and the rows written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="data folder with the claims")
    parser.add_argument("--posted", type=Path, required=True, help="the same after era post")
    parser.add_argument("--era", type=Path, required=True)
    parser.add_argument(
        "--bound", action="store_true", help="bind every value from Python (executemany)"
    )
    args = parser.parse_args()
    start = time.process_time()
    import edigateway.cli  # the import is what is measured
    import edigateway.services.poster  # noqa: F401 - likewise

    imported = time.process_time()
    events = _read(args.era)
    read = time.process_time()
    added, fetching = _write(args.base, args.posted, bound=args.bound)
    written = time.process_time()
    rows = written - read - fetching
    print(
        f"imports {imported - start:.2f} s, read {read - imported:.2f} s ({events} events), "
        f"rows {rows:.2f} s"
        + (f" (+ {fetching:.2f} s fetching them, not counted)" if args.bound else "")
        + f", floor {written - start - fetching:.2f} s ({sum(added.values())}: "
        + ", ".join(f"{table} {count}" for table, count in sorted(added.items()))
        + ")",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
