"""Concurrent API clients against one claim (the figures in README.md, "Concurrency").

Starts uvicorn on 127.0.0.1 (ephemeral port) over a fresh database per attempt, queues
one claim first (so the sender's control counter exists, as in any running gateway) and
releases ``--clients`` HTTP clients at one barrier, in three scenarios:

* ``submit``: POST /v1/claims/submit of one ready claim, no Idempotency-Key;
* ``submit-key``: the same with one shared key;
* ``create-key``: POST /v1/claims with one shared key and a different body each.

For each it prints the status codes summed over the attempts, 837D files per claim
(submit) or claims created (create) per attempt.

    .venv/bin/python benchmarks/concurrency.py --backend postgresql --attempts 5
    EDIGATEWAY_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test  (needed
    for --backend postgresql; each attempt gets its own schema, dropped afterwards)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn
from sqlalchemy import func, select

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ClaimRow, SubmissionClaimRow
from edigateway.services.access import create_key
from edigateway.settings import Settings

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 9, 0)  # noqa: DTZ001 - the gateway keeps local wall-clock times


def _claim(pcn: str | None = None) -> dict[str, object]:
    claim: dict[str, object] = json.loads(
        (REPO / "fixtures/claims/05_crown_initial.json").read_text()
    )["claims"][0]
    if pcn:
        claim["patient_control_number"] = pcn
    return claim


def attempt(database: Database, folder: Path, clients: int) -> dict[str, tuple[Counter[int], int]]:
    gateway = bootstrap(
        Settings(data_dir=folder, mappings_dir=REPO / "mappings"),
        clock=lambda: NOW,
        database=database,
    )
    token = create_key(
        database,
        practice="1456789019",
        scopes="admin",
        name="bench",
        keyring=gateway.keyring,
        now=NOW,
        create_name="MAPLE",
    ).token
    server = uvicorn.Server(
        uvicorn.Config(create_app(gateway), host="127.0.0.1", port=0, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    headers = {"Authorization": f"Bearer {token}"}

    def burst(method: str, path: str, body: object, key: str | None) -> Counter[int]:
        barrier = threading.Barrier(clients)

        def one(index: int) -> int:
            extra = {"Idempotency-Key": key} if key else {}
            with httpx.Client(base_url=base, headers=headers | extra, timeout=60) as client:
                client.get("/v1/claims", params={"limit": 1})
                barrier.wait()
                payload = body(index) if callable(body) else body
                return client.request(method, path, json=payload).status_code

        with ThreadPoolExecutor(clients) as pool:
            return Counter(pool.map(one, range(clients)))

    def new_claim(pcn: str) -> int:
        with httpx.Client(base_url=base, headers=headers) as client:
            claim_id: int = client.post("/v1/claims", json=_claim(pcn)).json()["id"]
        return claim_id

    def files(claim_id: int) -> int:
        with database.transaction() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(SubmissionClaimRow)
                    .where(SubmissionClaimRow.claim_id == claim_id)
                )
                or 0
            )

    results: dict[str, tuple[Counter[int], int]] = {}
    try:
        warm = new_claim("BENCH0")  # a first file creates the sender's control counter row
        with httpx.Client(base_url=base, headers=headers) as client:
            client.post("/v1/claims/submit", json={"claim_ids": [warm]}).raise_for_status()
        first = new_claim("BENCH1")
        results["submit"] = (
            burst("POST", "/v1/claims/submit", {"claim_ids": [first]}, None),
            files(first),
        )
        second = new_claim("BENCH2")
        results["submit-key"] = (
            burst("POST", "/v1/claims/submit", {"claim_ids": [second]}, "k-submit"),
            files(second),
        )
        with database.transaction() as session:
            before = session.scalar(select(func.count()).select_from(ClaimRow)) or 0
        statuses = burst("POST", "/v1/claims", lambda i: _claim(f"RACE{i:03d}"), "k-create")
        with database.transaction() as session:
            after = session.scalar(select(func.count()).select_from(ClaimRow)) or 0
        results["create-key"] = (statuses, after - before)
    finally:
        server.should_exit = True
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--attempts", type=int, default=5)
    args = parser.parse_args()
    totals: dict[str, Counter[int]] = {}
    outcomes: dict[str, list[int]] = {}
    for _ in range(args.attempts):
        with tempfile.TemporaryDirectory() as folder:
            if args.backend == "sqlite":
                database = Database.connect(f"sqlite:///{folder}/bench.sqlite3")
                database.upgrade()
                found = attempt(database, Path(folder), args.clients)
                database.dispose()
            else:
                url = Settings().test_database_url
                if not url:
                    parser.error("set EDIGATEWAY_TEST_DATABASE_URL for --backend postgresql")
                schema = f"b_{uuid.uuid4().hex[:12]}"
                admin = sa.create_engine(url)
                with admin.begin() as connection:
                    connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                try:
                    database = Database.connect(url, schema=schema)
                    database.upgrade()
                    found = attempt(database, Path(folder), args.clients)
                    database.dispose()
                finally:
                    with admin.begin() as connection:
                        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()
        for name, (statuses, count) in found.items():
            totals.setdefault(name, Counter()).update(statuses)
            outcomes.setdefault(name, []).append(count)
    print(f"{args.backend}: {args.clients} clients x {args.attempts} attempts")
    for name, statuses in totals.items():
        what = "claims created" if name == "create-key" else "837D files per claim"
        codes = ", ".join(f"{n}x{code}" for code, n in sorted(statuses.items()))
        print(f"  {name:<11} statuses {codes:<28} {what} per attempt {outcomes[name]}")


if __name__ == "__main__":
    main()
