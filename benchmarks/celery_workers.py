"""ERA posting throughput with 1 and 2 Celery workers (RabbitMQ + PostgreSQL on loopback).

Imports N claims into a fresh PostgreSQL schema, writes N single-payment 835 files (the
simulator's adjudication, one claim each), starts K ``edigateway worker`` processes, queues
every file and times from the first message to the last posted file::

    .venv/bin/python benchmarks/celery_workers.py --files 1000 --workers 1 2

Prints one JSON line per worker count: files/s and files/hour, and the workers' CPU time
per file (start-up included; a figure that holds on a busy machine, where rates do not).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import func, select

from edigateway.demo.practice import demo_batch
from edigateway.persistence.database import Database
from edigateway.persistence.tables import RemittanceFileRow
from edigateway.security.phi import Keyring, PhiCipher
from edigateway.services.claim_store import import_claims
from edigateway.settings import Settings
from edigateway.sim.adjudicate import Adjudicator, Rules
from edigateway.workers.celery_app import make_celery
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x835_005010X221A1 import write_835

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 9, 0)  # noqa: DTZ001 - claim dates are local, like X12


def one_run(url: str, broker: str, files: int, workers: int) -> dict[str, object]:
    """Post ``files`` ERA files with ``workers`` worker processes; the timing."""
    schema = f"b_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    keyring = Keyring.generate()
    database = Database.connect(url, schema=schema, phi=PhiCipher(keyring))
    database.upgrade()
    batch = demo_batch(NOW.date(), files)
    import_claims(database, batch, now=NOW)
    adjudicator = Adjudicator(Rules.load(REPO / "mappings"))
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, claim in enumerate(batch.claims, start=1):
            remittance = adjudicator.remittance(
                [claim],
                trace=f"B{number:07d}",
                paid_on=date(2026, 11, 30),
                payee_name="MAPLE STREET DENTAL",
                payee_npi="1456789019",
            )
            path = Path(folder) / f"era-{number:05d}.835"
            path.write_text(
                write_835(
                    [remittance],
                    InterchangeParams(
                        "ZZ",
                        "EDGSIM",
                        "ZZ",
                        "EDIGATEWAY",
                        "EDGSIM",
                        "EDIGATEWAY",
                        number,
                        number,
                        1,
                        NOW,
                    ),
                )
            )
            paths.append(path)
        data_keys, index_key = keyring.to_config()
        queue = f"edg-bench-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "EDIGATEWAY_DATABASE_URL": f"{url}?options=-csearch_path%3D{schema}",
            "EDIGATEWAY_BROKER_URL": broker,
            "EDIGATEWAY_WORKER_QUEUE": queue,
            "EDIGATEWAY_PHI_KEYS": data_keys,
            "EDIGATEWAY_PHI_INDEX_KEY": index_key,
            "EDIGATEWAY_DATA_DIR": folder,
            "EDIGATEWAY_MAPPINGS_DIR": str(REPO / "mappings"),
        }
        command = str(Path(sys.executable).with_name("edigateway"))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = [subprocess.Popen([command, "worker"], env=env) for _ in range(workers)]
        try:
            time.sleep(5)  # let the workers connect and warm up before timing
            app = make_celery(Settings(broker_url=broker, worker_queue=queue))
            start = time.perf_counter()
            for path in paths:
                app.send_task(
                    "edigateway.post_era_file",
                    args=[str(path), hashlib.sha256(path.read_bytes()).hexdigest()],
                )
            posted = 0
            while posted < files:
                time.sleep(0.2)
                with database.transaction() as session:
                    posted = (
                        session.scalar(select(func.count()).select_from(RemittanceFileRow)) or 0
                    )
            elapsed = time.perf_counter() - start
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    database.dispose()
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    return {
        "workers": workers,
        "files": files,
        "seconds": round(elapsed, 2),
        "files_per_s": round(files / elapsed, 1),
        "files_per_hour": round(files / elapsed * 3600),
        "worker_cpu_ms_per_file": round(cpu / files * 1000, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    """Run for each worker count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    options = parser.parse_args()
    for workers in options.workers:
        print(json.dumps(one_run(options.database, options.broker, options.files, workers)))


if __name__ == "__main__":
    main()
