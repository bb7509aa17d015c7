"""Download benchmark: files of 5/20/50/200 MB from the simulator's SFTP server on loopback.

Starts :class:`~edigateway.sim.sftp_server.SimSftpServer` on 127.0.0.1 in this process,
writes one file of each size (random bytes, so nothing compresses), then times
``SftpTransport.download`` — the call the poller makes — over one kept connection, with a
fresh server-side file handle per run. Each size is measured in its own child process, so
the peak resident memory (``ru_maxrss``) is that size's alone; tracemalloc's peak (Python
allocations only, the downloaded copy included) is printed beside it. Medians of ``--runs``
runs after one uncounted warm-up (``--runs-200`` for the 200 MB file); a run that exceeds
``--timeout`` seconds ends that size (a warm-up that does is the only figure then), and a
child still busy after ``timeout * (runs + 1) + 60`` seconds is stopped::

    .venv/bin/python benchmarks/sftp_download.py --sizes 5 20 50 200 --runs 5 --runs-200 3

The transport is called with its default arguments so the same script times the code
before and after a change to ``transports/sftp.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edigateway.sim.sftp_server import SimSftpServer, generate_ed25519_key
from edigateway.transports.base import RemoteFile, RetryPolicy
from edigateway.transports.sftp import SftpConfig, SftpTransport

MB = 1_000_000
IN = "from_clearinghouse"
BIG_MB = 200
"""Sizes from this one up are run ``--runs-200`` times."""


def measure(size_mb: int, runs: int, timeout: float) -> dict[str, Any]:
    """Time ``runs`` downloads (plus one warm-up) of a ``size_mb`` file; runs in a child."""
    with tempfile.TemporaryDirectory(prefix="edg-bench-") as folder:
        root = Path(folder)
        key = root / "keys" / "id_ed25519"
        generate_ed25519_key(key)
        (root / "sftp" / IN).mkdir(parents=True)
        (root / "sftp" / "to_clearinghouse").mkdir()
        data = os.urandom(size_mb * MB)
        (root / "sftp" / IN / "big.835").write_bytes(data)
        remote = RemoteFile("big.835", len(data), datetime.now(UTC))
        del data
        authorized = key.with_name("id_ed25519.pub").read_text()
        with SimSftpServer(root / "sftp", authorized_key=authorized) as server:
            config = SftpConfig(
                host="127.0.0.1",
                port=server.port,
                username=server.username,
                private_key_path=key,
                host_key=server.host_key_line,
                outbound_dir="to_clearinghouse",
                inbound_dir=IN,
                timeout=max(timeout, 30),
            )
            walls: list[float] = []
            warmup = 0.0
            tracemalloc.start()
            with SftpTransport(config, retry=RetryPolicy(attempts=1)) as transport:
                for number in range(runs + 1):
                    tracemalloc.reset_peak()
                    started = time.perf_counter()
                    received = transport.download(remote)
                    wall = time.perf_counter() - started
                    if len(received) != remote.size:
                        msg = f"short download: {len(received)} of {remote.size} bytes"
                        raise SystemExit(msg)
                    del received
                    if number:
                        walls.append(wall)
                    else:
                        warmup = wall
                    if wall > timeout:
                        break
            traced_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return {
        "size_mb": size_mb,
        "runs": len(walls),
        "warmup_s": round(warmup, 3),
        "walls": [round(w, 3) for w in walls],
        "median_s": round(statistics.median(walls), 3) if walls else None,
        "mb_per_s": round(size_mb / statistics.median(walls), 1) if walls else None,
        "traced_peak_mib": round(traced_peak / 2**20, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Run each size in a child process and print one JSON line per size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 20, 50, 200])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--runs-200", type=int, default=3)
    parser.add_argument(
        "--timeout",
        type=float,
        default=240.0,
        help="stop a size after a run longer than this (seconds)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        runs = args.runs_200 if args.child >= BIG_MB else args.runs
        print(json.dumps(measure(args.child, runs, args.timeout)))
        return
    for size in args.sizes:
        command = [
            sys.executable,
            __file__,
            "--child",
            str(size),
            "--runs",
            str(args.runs),
            "--runs-200",
            str(args.runs_200),
            "--timeout",
            str(args.timeout),
        ]
        runs = args.runs_200 if size >= BIG_MB else args.runs
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=True,
                timeout=args.timeout * (runs + 1) + 60,
            )
        except subprocess.TimeoutExpired:
            print(json.dumps({"size_mb": size, "error": f"no run finished in {args.timeout} s"}))
            continue
        except subprocess.CalledProcessError as exc:
            print(json.dumps({"size_mb": size, "error": exc.stderr.strip()[-500:]}))
            continue
        print(done.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
