"""Load benchmark of the HTTP API on loopback: open-loop requests at a fixed rate.

Starts ``edigateway sim`` and ``edigateway serve`` (uvicorn, one process, SQLite in a
temporary folder) as their own processes on 127.0.0.1, creates a practice key with
``edigateway keys create``, then for each scenario sends requests at
``--rate`` per second for ``--seconds`` from a pool of client threads — each request is
scheduled at its own start time (after an uncounted warm-up), whether earlier ones have
finished or not, so a slow
server shows up as latency instead of silently lowering the rate. Prints throughput and
p50/p90/p99/max latency per scenario and the servers' CPU (user + system) per request::

    .venv/bin/python benchmarks/api_load.py --rate 200 --seconds 20
    .venv/bin/python benchmarks/api_load.py --rate 200 --servers 2 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/api_load.py --src /tmp/before/src --label before

``--servers N`` starts N ``edigateway serve`` processes (ports ``--port`` … ``--port``+N-1)
on one PostgreSQL database (``--database-url`` names the server: a scratch database is
created on it and dropped afterwards), and the client spreads requests over them in turn,
as a proxy in front of one process per core would (``deploy/``). ``--src`` runs the
servers from an older tree's ``src/`` (before/after figures in one session).

Scenarios: ``create`` (POST /v1/claims, a new claim each time), ``get`` (GET
/v1/claims/{id} of the claims created), ``eligibility`` (POST /v1/eligibility, a real-time
270/271 against the simulator's HTTP endpoint), ``health`` (GET /healthz: no key, no
database — what uvicorn, routing and the middleware cost a request, the floor under every
route). Besides the servers' CPU per request, the generator's own is printed
(``client_cpu_ms_per_request``): on a 2-core machine the two share the cores. With
``--database-url`` on this machine, the PostgreSQL server's processes' CPU per request is
printed too (``database_cpu_ms_per_request``: every process named ``postgres``, so run it
with no other client of that server): the three together are what one request costs the
machine.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]


def _claim_template() -> dict[str, Any]:
    document = json.loads((REPO / "fixtures/claims/05_crown_initial.json").read_text())
    claim: dict[str, Any] = document["claims"][0]
    return claim


def _inquiry() -> dict[str, Any]:
    document = json.loads((REPO / "fixtures/inquiries/01_subscriber_all_dental.json").read_text())
    item = (
        document["inquiries"][0]
        if isinstance(document, dict) and "inquiries" in document
        else document
    )
    inquiry: dict[str, Any] = item[0] if isinstance(item, list) else item
    return inquiry


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(
    scenario: str,
    urls: list[str],
    headers: dict[str, str],
    rate: float,
    seconds: float,
    ids: list[int],
) -> dict[str, Any]:
    """Send ``rate`` requests per second for ``seconds`` (request *n* to server *n* mod the
    number of servers); latencies in milliseconds."""
    total = int(rate * seconds)
    template, inquiry = _claim_template(), _inquiry()
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    clients = [
        httpx.Client(
            base_url=url, headers=headers, timeout=30, limits=httpx.Limits(max_connections=64)
        )
        for url in urls
    ]
    # one client per server: building one per thread costs tens of milliseconds (an SSL
    # context each), which would be measured as server latency

    def one(number: int, due: float) -> None:
        client = clients[number % len(clients)]
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        start = time.perf_counter()
        if scenario == "create":
            claim = copy.deepcopy(template)
            claim["patient_control_number"] = f"LD{rate:g}-{number:07d}"
            response = client.post("/v1/claims", json=claim)
            if response.status_code == 201:
                with lock:
                    ids.append(response.json()["id"])
        elif scenario == "get":
            response = client.get(f"/v1/claims/{ids[number % len(ids)]}")
        elif scenario == "health":
            response = client.get("/healthz")
        else:
            response = client.post("/v1/eligibility", json={"inquiry": inquiry})
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            latencies.append(elapsed)
            if response.status_code >= 300:
                failures.append(response.status_code)

    began = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=64) as pool:
        for number in range(total):
            pool.submit(one, number, began + number / rate)
    wall = time.perf_counter() - began
    for client in clients:
        client.close()
    return {
        "scenario": scenario,
        "requests": total,
        "failures": len(failures),
        "throughput_per_s": round(total / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p90_ms": round(_percentile(latencies, 0.90), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
    }


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes ``pids`` have used so far (Linux ``/proc``): the
    servers' own cost, which holds on a busy machine where latencies do not."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of each process named ``postgres`` (the server and its
    backends) on this machine."""
    found: dict[int, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() == "postgres":
                found[int(proc.name)] = _cpu_seconds([int(proc.name)])
        except OSError:  # the process ended while read
            continue
    return found


def _wait_for(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise SystemExit(f"nothing answers at {url}")


def _scratch_database(server_url: str) -> tuple[str, Any]:
    """A new empty database on the PostgreSQL server of ``server_url``: its URL and a
    function that drops it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_api_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop


def _measured(
    scenario: str,
    servers: list[subprocess.Popen[bytes]],
    urls: list[str],
    headers: dict[str, str],
    rate: float,
    seconds: float,
    ids: list[int],
    *,
    postgres: bool,
) -> dict[str, Any]:
    """:func:`run` with the CPU per request of the servers, of this generator and (with
    ``postgres``) of the PostgreSQL server; a backend that ended during the run is not
    counted (the servers' pools keep theirs)."""
    pids = [server.pid for server in servers]
    database = _postgres_cpu() if postgres else {}
    cpu, client_cpu = _cpu_seconds(pids), time.process_time()
    result = run(scenario, urls, headers, rate, seconds, ids)
    cpu, client_cpu = _cpu_seconds(pids) - cpu, time.process_time() - client_cpu
    database_cpu = sum(
        spent - database.get(pid, 0.0)
        for pid, spent in (_postgres_cpu() if postgres else {}).items()
    )
    return {
        **result,
        "server_cpu_ms_per_request": round(1000 * cpu / result["requests"], 2),
        "client_cpu_ms_per_request": round(1000 * client_cpu / result["requests"], 2),
        **(
            {"database_cpu_ms_per_request": round(1000 * database_cpu / result["requests"], 2)}
            if postgres
            else {}
        ),
    }


def main() -> None:
    """Run the scenarios and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--eligibility-rate", type=float, default=5)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--src", help="run the servers from this src/ folder")
    parser.add_argument("--label", default="")
    parser.add_argument("--scenarios", nargs="+", default=["create", "get", "eligibility"])
    options = parser.parse_args()
    command = str(Path(sys.executable).with_name("edigateway"))
    drop = None
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "EDIGATEWAY_DATA_DIR": folder,
            "EDIGATEWAY_SIM_SFTP_PORT": "0",
            "EDIGATEWAY_SIM_HTTP_PORT": "18089",
        }
        if options.src:
            env["PYTHONPATH"] = options.src
        if options.database_url:
            env["EDIGATEWAY_DATABASE_URL"], drop = _scratch_database(options.database_url)
        elif options.servers > 1:
            raise SystemExit("several servers need PostgreSQL (--database-url)")
        servers: list[subprocess.Popen[bytes]] = []
        sim = None
        try:
            if drop is not None:  # a new PostgreSQL database is migrated by hand
                subprocess.run([command, "db", "upgrade"], env=env, check=True, capture_output=True)
            token = subprocess.run(
                [
                    command,
                    "keys",
                    "create",
                    "--practice",
                    "1456789019",
                    "--scopes",
                    "admin",
                    "--practice-name",
                    "MAPLE STREET DENTAL",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            sim = subprocess.Popen([command, "sim"], env=env, stdout=subprocess.DEVNULL)
            ports = [options.port + n for n in range(options.servers)]
            servers = [
                subprocess.Popen([command, "serve", "--port", str(port)], env=env) for port in ports
            ]
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            for url in urls:
                _wait_for(url + "/v1/openapi.json")
            _wait_for("http://127.0.0.1:18089/")
            headers = {"Authorization": f"Bearer {token}"}
            ids: list[int] = []
            for scenario in ("create", "get", "eligibility"):  # warm-up, not counted
                run(scenario, urls, headers, 5, 2, ids)
            load = os.getloadavg()[0]
            for scenario in options.scenarios:
                rate = options.eligibility_rate if scenario == "eligibility" else options.rate
                result = _measured(
                    scenario,
                    servers,
                    urls,
                    headers,
                    rate,
                    options.seconds,
                    ids,
                    postgres=drop is not None,
                )
                print(
                    json.dumps(
                        {
                            **result,
                            "label": options.label,
                            "servers": options.servers,
                            "database": "postgresql" if drop else "sqlite",
                            "load_before": round(load, 2),
                            "load_after": round(os.getloadavg()[0], 2),
                        }
                    ),
                    flush=True,
                )
                load = os.getloadavg()[0]
        finally:
            for process in [*servers, *([sim] if sim else [])]:
                process.terminate()
            for process in [*servers, *([sim] if sim else [])]:
                process.wait()
            if drop is not None:
                drop()


if __name__ == "__main__":
    main()
