"""Claims submitted per hour: the API creates and queues them, the outbox sender uploads
their 837D files to the clearinghouse (issue 18, target 6).

Starts ``edigateway sim`` (its SFTP server is the clearinghouse) and ``--servers``
``edigateway serve --no-scheduler`` processes on a scratch PostgreSQL database, all on
127.0.0.1. Then, as a practice-management system would:

1. **API**: ``--clients`` threads, closed loop for ``--seconds``: each creates
   ``--batch`` new claims (``POST /v1/claims``) and queues them in one 837D
   (``POST /v1/claims/submit``). Claims created and queued per second, and the latency of
   both requests.
2. **Sending**: ``edigateway claims send`` (the outbox sender that the API's scheduler and
   the Celery beat task ``send_outbox`` run, timed as one process) uploads every queued
   837D to the simulator over SFTP. Files and claims per second, and its CPU time.

::

    .venv/bin/python benchmarks/claims_per_hour.py --servers 2 --clients 8 --seconds 30
    .venv/bin/python benchmarks/claims_per_hour.py --servers 2 --batch 20

Prints one JSON line with both phases and the load average before and after. Each
queued claim is one row of the outbox; the 837D is built when it is queued (the submit
request), so sending is upload and bookkeeping only.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_load import _claim_template, _percentile, _scratch_database, _wait_for


def api_phase(
    urls: list[str],
    headers: dict[str, str],
    clients: int,
    seconds: float,
    batch: int,
    prefix: str,
) -> dict[str, Any]:
    """Create and queue claims from ``clients`` threads for ``seconds`` (claim numbers
    starting ``prefix``, so that a phase never meets another's claims)."""
    template = _claim_template()
    create_ms: list[float] = []
    submit_ms: list[float] = []
    failures: list[str] = []
    queued = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(number: int) -> None:
        client = httpx.Client(base_url=urls[number % len(urls)], headers=headers, timeout=60)
        sequence = 0
        while time.perf_counter() < stop:
            ids = []
            for _ in range(batch):
                claim = copy.deepcopy(template)
                claim["patient_control_number"] = f"{prefix}{number:02d}{sequence:06d}"
                sequence += 1
                start = time.perf_counter()
                answer = client.post("/v1/claims", json=claim)
                with lock:
                    create_ms.append((time.perf_counter() - start) * 1000)
                if answer.status_code != 201:
                    with lock:
                        failures.append(f"create {answer.status_code}")
                    continue
                ids.append(answer.json()["id"])
            if not ids:
                continue
            start = time.perf_counter()
            answer = client.post("/v1/claims/submit", json={"claim_ids": ids})
            with lock:
                submit_ms.append((time.perf_counter() - start) * 1000)
                if answer.status_code == 202:
                    queued[0] += len(ids)
                else:
                    failures.append(f"submit {answer.status_code}: {answer.text[:120]}")
        client.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(worker, range(clients)))
    wall = time.perf_counter() - began
    return {
        "claims_queued": queued[0],
        "seconds": round(wall, 1),
        "claims_per_s": round(queued[0] / wall, 1),
        "claims_per_hour": round(queued[0] / wall * 3600, -2),
        "create_p50_ms": round(statistics.median(create_ms), 1),
        "create_p99_ms": round(_percentile(create_ms, 0.99), 1),
        "submit_p50_ms": round(statistics.median(submit_ms), 1) if submit_ms else None,
        "submit_p99_ms": round(_percentile(submit_ms, 0.99), 1) if submit_ms else None,
        "failures": failures[:5],
        "failure_count": len(failures),
    }


def send_phase(command: str, env: dict[str, str], claims: int, batch: int) -> dict[str, Any]:
    """Upload the outbox with one ``edigateway claims send``; its wall and CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [command, "claims", "send", "--json"], check=False, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sent = json.loads(done.stdout) if done.stdout.strip().startswith("[") else []
    files = sum(1 for s in sent if s.get("status") == "sent")
    return {
        "exit": done.returncode,
        "files_sent": files,
        "claims_sent": files * batch if files * batch <= claims else claims,
        "seconds": round(wall, 1),
        "cpu_s": round(cpu, 2),
        "files_per_s": round(files / wall, 1),
        "claims_per_hour": round(min(files * batch, claims) / wall * 3600, -2),
        "not_sent": [
            f"{s.get('file_name')}: {s.get('status')} {s.get('message') or ''}".strip()
            for s in sent
            if s.get("status") != "sent"
        ][:3],
        "stderr": done.stderr.strip()[-300:] if done.returncode else "",
    }


def main() -> None:
    """Run both phases and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--batch", type=int, default=1, help="claims per submit (837D)")
    parser.add_argument("--port", type=int, default=8865)
    parser.add_argument("--sftp-port", type=int, default=2299)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--src", help="run edigateway from this src/ folder")
    parser.add_argument("--label", default="")
    options = parser.parse_args()
    command = str(Path(sys.executable).with_name("edigateway"))
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "EDIGATEWAY_DATA_DIR": folder,
            "EDIGATEWAY_SIM_SFTP_PORT": str(options.sftp_port),
            "EDIGATEWAY_SIM_HTTP_PORT": "18091",
        }
        if options.src:
            env["PYTHONPATH"] = options.src
        env["EDIGATEWAY_DATABASE_URL"], drop = _scratch_database(options.database_url)
        processes: list[subprocess.Popen[bytes]] = []
        try:
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
            processes.append(subprocess.Popen([command, "sim"], env=env, stdout=subprocess.DEVNULL))
            ports = [options.port + n for n in range(options.servers)]
            processes += [
                subprocess.Popen(
                    [command, "serve", "--port", str(port), "--no-scheduler"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for port in ports
            ]
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            for url in urls:
                _wait_for(url + "/v1/openapi.json")
            _wait_for("http://127.0.0.1:18091/")
            headers = {"Authorization": f"Bearer {token}"}
            api_phase(urls, headers, options.clients, 2, options.batch, "CW")  # warm-up
            subprocess.run([command, "claims", "send"], check=False, env=env, capture_output=True)
            load_before = os.getloadavg()[0]
            api = api_phase(urls, headers, options.clients, options.seconds, options.batch, "CM")
            send = send_phase(command, env, api["claims_queued"], options.batch)
            print(
                json.dumps(
                    {
                        "label": options.label,
                        "servers": options.servers,
                        "clients": options.clients,
                        "batch": options.batch,
                        "api": api,
                        "send": send,
                        "load_before": round(load_before, 2),
                        "load_after": round(os.getloadavg()[0], 2),
                    }
                ),
                flush=True,
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
            drop()


if __name__ == "__main__":
    main()
