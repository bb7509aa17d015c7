"""``kill -9`` of ``edigateway era post`` leaves all of a file posted or none of it, and a
second post completes it exactly once (issue 12: "0 partial postings in 51 kills").

The real CLI posts a generated 835 (``benchmarks/generate.py``: every claim paid with a
write-off, patient responsibility, REF*6R per line and a PLB recoupment per payment) against
stored claims, on SQLite and on PostgreSQL, and is sent SIGKILL at points spread over its
posting transaction: timed from the moment it begins writing (it holds SQLite's write lock,
or its PostgreSQL session has a transaction ID), over as long as a complete post keeps that
transaction open. After each kill the whole database is compared with
the state before it: nothing changed, or exactly what the clean run changed (row counts of
every table, money sums of every amount column, claims per state) — anything else is a
partial posting. Then the file is posted again: ``posted`` when the kill left nothing,
``duplicate`` when it had committed, and either way the database holds it once. At the end
every file posted so far is posted once more and each reports ``duplicate``.

Each kill needs unpaid claims, so every trial has its own copy of the same claims (claim
and line numbers prefixed, ISA13, TRN02 and CLP07 made unique): the same structure and
amounts, so the same change to the database.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from edigateway.domain.claims import ClaimBatch
from edigateway.persistence.database import Database
from edigateway.persistence.tables import Base, Cents, ClaimRow
from edigateway.security.phi import Keyring, PhiCipher
from edigateway.services.claim_store import import_claims
from tests.factories import NOW, REPO, SuiteEnvironment

URL = SuiteEnvironment().database_url
BACKENDS = ["sqlite", *(["postgresql"] if URL else [])]
CLAIMS = {"sqlite": 500, "postgresql": 300}
"""Claims per file (two payments): the posting transaction is open ~0.4-1 s on either backend
(PostgreSQL stores and posts a claim ~3 times slower) — the window the kills spread over, at
a cost the suite can carry: every trial imports and posts its own claims, and each of the
19 CLI runs per backend takes ~1 s to start (~25-45 s per backend, by machine load)."""
KILLS = 8
"""Kills per backend (each followed by a second post)."""
SEPARATOR = "~\n"

pytestmark = pytest.mark.slow


def _generator() -> ModuleType:
    """``benchmarks/generate.py`` (a script, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "era_generate", REPO / "benchmarks" / "generate.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy(batch: dict[str, Any], era: str, trial: int) -> tuple[list[dict[str, Any]], str]:
    """Trial ``trial``'s claims and the 835 paying them (``era`` pays ``batch``): the same
    claims, amounts and segments as every other trial's, under numbers of its own."""
    tag = f"K{trial:02d}"
    claims = copy.deepcopy(batch["claims"])
    for claim in claims:
        claim["patient_control_number"] = tag + claim["patient_control_number"][2:]
        for line in claim["lines"]:
            line["line_control_number"] = tag + line["line_control_number"]
    segments = era.split(SEPARATOR)
    for index, segment in enumerate(segments):
        elements = segment.split("*")
        if elements[0] == "ISA":
            elements[13] = f"{trial + 1:09d}"
        elif elements[0] == "IEA":
            elements[2] = f"{trial + 1:09d}"
        elif elements[0] == "TRN" or elements[:2] == ["REF", "6R"]:
            elements[2] = tag + elements[2]
        elif elements[0] == "CLP":
            elements[1], elements[7] = tag + elements[1][2:], tag + elements[7]
        segments[index] = "*".join(elements)
    return claims, SEPARATOR.join(segments)


@dataclass
class Target:
    """One backend: the database the test reads and the environment the CLI runs in."""

    backend: str
    database: Database
    url: str
    env: dict[str, str]
    folder: Path

    def post(self, files: list[Path], name: str) -> tuple[list[str], float]:
        """Post ``files`` to the end: each file's status, and how long the posting
        transaction was open (from its first write to the process's exit)."""
        process = self.run(files, name)
        began = self.writing(process, name)
        statuses = _statuses(process)
        return statuses, time.monotonic() - began

    def run(self, files: list[Path], name: str) -> subprocess.Popen[str]:
        """``edigateway era post --json FILES`` as its own process; on PostgreSQL its
        connections carry ``name`` (so the test can wait for their backends to end)."""
        env = dict(self.env)
        if self.backend == "postgresql":
            env["EDIGATEWAY_DATABASE_URL"] = f"{self.url}&application_name={name}"
        command = [
            str(Path(sys.executable).with_name("edigateway")),
            "era",
            "post",
            "--json",
            *map(str, files),
        ]
        return subprocess.Popen(
            command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def writing(self, process: subprocess.Popen[str], name: str) -> float:
        """When ``process`` began writing (its posting transaction holds the database's
        write lock on SQLite, has a transaction ID on PostgreSQL), polled every 5 ms."""
        if self.backend == "sqlite":
            assert self.database.engine.url.database is not None
            probe = sqlite3.connect(
                self.database.engine.url.database, timeout=0, isolation_level=None
            )
        deadline = time.monotonic() + 60
        try:
            while True:
                assert process.poll() is None, f"{name} ended before writing"
                assert time.monotonic() < deadline, f"{name} never began writing"
                if self.backend == "sqlite":
                    try:
                        probe.execute("BEGIN IMMEDIATE")
                    except sqlite3.OperationalError as exc:
                        if "locked" not in str(exc):
                            raise
                        return time.monotonic()
                    probe.execute("ROLLBACK")
                else:
                    with self.database.engine.connect() as connection:
                        if connection.execute(
                            sa.text(
                                "SELECT count(*) FROM pg_stat_activity WHERE application_name"
                                " = :name AND backend_xid IS NOT NULL"
                            ),
                            {"name": name},
                        ).scalar_one():
                            return time.monotonic()
                time.sleep(0.005)
        finally:
            if self.backend == "sqlite":
                probe.close()

    def gone(self, name: str) -> None:
        """Wait until the server has ended the killed process's sessions (after that its
        transaction can no longer commit: the state read next is final)."""
        if self.backend != "postgresql":
            return
        deadline = time.monotonic() + 30
        with self.database.engine.connect() as connection:
            while connection.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": name},
            ).scalar_one():
                assert time.monotonic() < deadline, f"{name}'s session never ended"
                connection.rollback()
                time.sleep(0.02)

    def state(self) -> Counter[str]:
        """The database in figures: rows of every table, the sum of every amount column,
        claims per state — read in one transaction."""
        figures: Counter[str] = Counter()
        engine = self.database.engine
        if self.backend == "postgresql":
            engine = engine.execution_options(isolation_level="REPEATABLE READ")
        with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                figures[f"{table.name} rows"] = connection.execute(
                    sa.select(sa.func.count()).select_from(table)
                ).scalar_one()
                for column in table.columns:
                    if isinstance(column.type, Cents):
                        total = connection.execute(
                            sa.select(sa.func.coalesce(sa.func.sum(column), 0))
                        ).scalar_one()
                        figures[f"{table.name}.{column.name} cents"] = int(total * 100)
            claims = ClaimRow.__table__
            for state, count in connection.execute(
                sa.select(claims.c.state, sa.func.count()).group_by(claims.c.state)
            ):
                figures[f"claims {state}"] = count
        return figures


def _change(before: Counter[str], after: Counter[str]) -> dict[str, int]:
    return {
        key: after[key] - before[key]
        for key in before.keys() | after.keys()
        if after[key] != before[key]
    }


def _statuses(process: subprocess.Popen[str]) -> list[str]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, (out, err)
    assert "Traceback" not in err, err
    return [json.loads(line)["status"] for line in out.splitlines()]


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    keyring = Keyring.generate()
    data_keys, index_key = keyring.to_config()
    env = {
        **os.environ,
        "EDIGATEWAY_PHI_KEYS": data_keys,
        "EDIGATEWAY_PHI_INDEX_KEY": index_key,
        "EDIGATEWAY_DATA_DIR": str(tmp_path / "var"),
        "EDIGATEWAY_MAPPINGS_DIR": str(REPO / "mappings"),
    }
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'era.sqlite3'}"
        database = Database.connect(url, phi=PhiCipher(keyring))
        database.upgrade()
        yield Target("sqlite", database, url, {**env, "EDIGATEWAY_DATABASE_URL": url}, tmp_path)
        database.dispose()
        return
    assert URL is not None
    schema = f"k_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    database = Database.connect(URL, schema=schema, phi=PhiCipher(keyring))
    try:
        database.upgrade()
        url = f"{URL}?options=-csearch_path%3D{schema}"
        yield Target("postgresql", database, url, env, tmp_path)
    finally:
        database.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_killed_era_post_leaves_all_or_nothing_and_posts_once(target: Target):
    generate = _generator()
    count = CLAIMS[target.backend]
    batch = generate.claims(count)
    era = generate.era(batch)
    files, claims = [], []
    for trial in range(KILLS + 1):
        trial_claims, text = _copy(batch, era, trial)
        claims.extend(trial_claims)
        path = target.folder / f"era-{trial}.835"
        path.write_text(text)
        files.append(path)
    import_claims(target.database, ClaimBatch.model_validate({"claims": claims}), now=NOW)
    start = target.state()

    # the clean run: what one file changes, and how long its transaction is open
    statuses, open_for = target.post(files[:1], "edg_reference")
    assert statuses == ["posted"]
    posted = target.state()
    one_file = _change(start, posted)
    assert one_file["remittances rows"] == 2, one_file  # one payment per practice
    assert one_file["postings rows"] > count, one_file
    assert one_file["claims paid"] == count, one_file

    rng = random.Random(20261123)  # noqa: S311 - kill times, not secrets
    outcomes: Counter[str] = Counter()
    before = posted
    for trial in range(1, KILLS + 1):
        # kills spread over the transaction, timed by the quickest one yet (load varies)
        delay = open_for * (trial - 1 + rng.random()) / KILLS
        name = f"edg_kill_{trial}"
        process = target.run([files[trial]], name)
        target.writing(process, name)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        _out, err = process.communicate(timeout=60)
        killed = process.returncode == -signal.SIGKILL
        assert killed or process.returncode == 0, err
        target.gone(name)
        change = _change(before, target.state())
        outcome = "nothing" if change == {} else "all" if change == one_file else "partial"
        assert outcome != "partial", (
            f"kill {trial}, {delay:.2f} s into the transaction, "
            f"left a partial posting: {change} (a whole file is "
            f"{one_file})"
        )
        outcomes[outcome if killed else "finished before the kill"] += 1
        if outcome == "nothing":
            statuses, took = target.post([files[trial]], f"edg_again_{trial}")
            open_for = min(open_for, took)
        else:
            statuses = _statuses(target.run([files[trial]], f"edg_again_{trial}"))
        assert statuses == ["posted" if outcome == "nothing" else "duplicate"], (trial, outcome)
        after = target.state()
        assert _change(before, after) == one_file, f"trial {trial}: not posted once"
        before = after

    assert _statuses(target.run(files, "edg_final")) == ["duplicate"] * len(files)
    assert _change(start, target.state()) == {
        key: value * len(files) for key, value in one_file.items()
    }
    print(
        f"{target.backend}: {KILLS} kills of era post (transaction open {open_for:.2f} s): "
        f"{dict(outcomes)}, 0 partial"
    )
    assert outcomes["nothing"] + outcomes["all"] >= KILLS // 2, (
        f"too few kills landed while posting: {dict(outcomes)}"
    )
