"""Where one API request's time goes: statements and CPU per step of ``POST /v1/claims``
and ``GET /v1/claims/{id}``, sequential, in one process (no network, no load).

Usage::

    python benchmarks/api_profile.py --requests 300            # SQLite in a temporary folder
    python benchmarks/api_profile.py --database-url postgresql+psycopg://…/db
    py-spy record -r 1000 -f raw -o /tmp/create.txt -- \
        python benchmarks/api_profile.py --requests 2000 --only create
    python benchmarks/api_profile.py --steps /tmp/create.txt   # CPU by step from py-spy

The app is driven through Starlette's test client (so uvicorn's HTTP parsing is not
measured: see ``api_load.py`` for the whole path). Printed per scenario: requests, median
and p99 of the in-process time, the process's CPU time per request (the test client's
included: compare runs, not absolute values) and SQL statements per request (counted on
the engine) with each distinct statement's count. ``PYTHONPATH=<older tree>/src`` profiles
an older tree. ``--steps`` reads py-spy's collapsed stacks of such a
run and shares the server thread's samples out to the steps of a request (the first step,
from the top of the stack, whose function the stack holds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event
from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edigateway.api.app import create_app  # noqa: E402
from edigateway.bootstrap import bootstrap  # noqa: E402
from edigateway.services.access import create_key  # noqa: E402
from edigateway.settings import Settings  # noqa: E402

STEPS = (
    ("authenticate (key lookup, hash check)", ("principal_of (",)),
    ("idempotency (fingerprint, replay store)", ("run_once (", "fingerprint (")),
    ("clean-claim edits", ("ensure_clean (",)),
    ("audit row", ("_audit (",)),
    ("event row", ("edigateway/services/events.py", "edigateway/persistence/event_rows.py")),
    ("encrypt / decrypt (PHI)", ("edigateway/security/phi.py",)),
    ("claim store: rows", ("edigateway/services/claim_store.py",)),
    ("claim read back / own check", ("_own (",)),
    ("history + transmissions read", ("_history (", "_transmissions (")),
    ("transaction begin/commit", ("Session.commit (", "transaction (edigateway")),
    ("other use-case code", ("edigateway/services/practice_claims.py",)),
    (
        "request body: JSON + pydantic",
        (
            "request_body_to_args (",
            "_validate (",
            "json_body (",
            "Request.body (",
            "Request.json (",
        ),
    ),
    (
        "response: model + JSON",
        (
            "answer (",
            "serialize_response (",
            "render (edigateway",
            "conditional (",
            "jsonable_encoder (",
        ),
    ),
    ("FastAPI dependencies, routing, middleware", ("starlette/", "fastapi/", "anyio/")),
)
"""A request's steps, each with the frames (function or file) that mark a sample as its
own. A sample goes to the step of the innermost marked frame of its stack (a statement
run by the audit write is the audit's; the rows of the claim store are the store's)."""

IDLE = (
    "wait (threading",
    "get (queue",
    "select (selectors",
    "_worker (concurrent",
    "sleep",
    "acquire (",
)
"""Leaf frames of a thread that waits (its samples are not CPU)."""


def steps(path: Path) -> None:
    """Share the samples of py-spy's raw output out to :data:`STEPS`: the server's threads
    only (the event loop's and the endpoint workers', through Starlette), waits left out."""
    found: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if "Thread._bootstrap" not in frames[0] or not any(
            m in f for f in frames for m in ("starlette/", "fastapi/", "edigateway/")
        ):
            continue  # the main thread (the client, imports) and idle threads
        if any(mark in frames[-1] for mark in IDLE) or "testclient" in stack:
            continue
        total += int(count)
        found[_step(frames)] += int(count)
    print(f"{total} samples in the server's code")
    for name, count in found.most_common():
        print(f"{100 * count / total:5.1f} %  {name}")


def _step(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, marks in STEPS:
            if any(mark in frame for mark in marks):
                return name
    return "other"


def main() -> None:
    """Profile create and get, print what each costs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url")
    parser.add_argument("--only", choices=("create", "get"))
    parser.add_argument("--steps", type=Path, help="py-spy raw output to share out by step")
    options = parser.parse_args()
    if options.steps:
        steps(options.steps)
        return
    folder = Path(tempfile.mkdtemp(prefix="api-profile-"))
    extra = {"database_url": options.database_url} if options.database_url else {}
    import edigateway

    tree = Path(edigateway.__file__).resolve().parents[2]  # the profiled tree's own maps
    settings = Settings(data_dir=folder, mappings_dir=tree / "mappings", **extra)
    gateway = bootstrap(settings)
    token = create_key(
        gateway.database,
        practice="1456789019",
        scopes="admin",
        name="bench",
        keyring=gateway.keyring,
        now=datetime.now(UTC),
        create_name="MAPLE STREET DENTAL",
    ).token
    statements: list[str] = []
    event.listen(
        gateway.database.engine,
        "before_cursor_execute",
        lambda _c, _cur, text, *_a: statements.append(" ".join(text.split())[:90]),
    )
    template = json.loads((REPO / "fixtures/claims/05_crown_initial.json").read_text())
    claim = template["claims"][0]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
        ids: list[int] = []

        def create(number: int) -> None:
            body = {**claim, "patient_control_number": f"PR{number:07d}"}
            response = client.post("/v1/claims", json=body, headers=headers)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

        def get(number: int) -> None:
            response = client.get(f"/v1/claims/{ids[number % len(ids)]}", headers=headers)
            assert response.status_code == 200, response.text

        if options.only == "get":  # something to read
            for number in range(50):
                create(20_000_000 + number)
        for name, step in (("create", create), ("get", get)):
            if options.only and name != options.only:
                continue
            for number in range(20):  # warm-up: caches, first-use imports
                step(10_000_000 + number if name == "create" else number)
            statements.clear()
            times: list[float] = []
            cpu = time.process_time()
            for number in range(options.requests):
                start = time.perf_counter()
                step(number)
                times.append((time.perf_counter() - start) * 1000)
            cpu = (time.process_time() - cpu) / options.requests * 1000
            print(
                f"== {name}: {options.requests} requests, in-process median "
                f"{statistics.median(times):.2f} ms, p99 "
                f"{sorted(times)[int(0.99 * len(times))]:.2f} ms, CPU {cpu:.2f} ms "
                "(client included), "
                f"{len(statements) / options.requests:.1f} SQL statements per request"
            )
            for text, count in Counter(statements).most_common():
                print(f"   {count / options.requests:5.2f} x {text}")
    gateway.close()


if __name__ == "__main__":
    main()
