"""`edigateway x12 validate` (and `x12 parse`) beside pyx12's `x12valid`, whole processes,
alternated.

Usage (inputs from ``generate.py`` and ``pathological.py`` in ``benchmarks/out``)::

    python benchmarks/bench_validate.py era-20000 --runs 5
    python benchmarks/bench_validate.py era-20000 --ours parse-json parse-jsonl --runs 5
    python benchmarks/bench_validate.py claims-5000 era-135000 --runs 5
    python benchmarks/bench_validate.py refs-5200000 element-50mb --runs 5 --no-x12valid
    python benchmarks/bench_validate.py era-20000 --src /tmp/before/src   # an older tree

Each case runs one warm-up pair, then ``--runs`` pairs, ours and x12valid alternated so
that drift on a shared machine hits both. Per run: wall time, user+sys CPU and peak RSS of
the whole process (``os.wait4``), and the verdict line. Reported: medians, and the ratios
ours / x12valid of wall and CPU time taken pair by pair (median of the pairs).
``claims-5000`` also times ``x12 build 837d`` and build + validate as one figure.
``--ours`` picks our commands (``validate``, the default; ``parse``, ``parse-json``,
``parse-jsonl``: ``x12 parse`` summary, ``--json`` and ``--jsonl``, output to a
temporary file); each gets its ratio to the same x12valid runs.
``--limit-mb`` caps the address space of every process (RLIMIT_AS), so a run that would
take the machine's memory fails instead; ``--timeout`` stops a run. Results go to stdout
and, as JSON, to ``benchmarks/out/validate-<cases>.json``.
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
BIN = Path(sys.executable).parent

CASES = {
    "era-20000": ("era-20000.835", ["generate.py", "era", "20000"]),
    "era-135000": ("era-135000.835", ["generate.py", "era", "135000"]),
    "claims-5000": ("claims-5000.837", ["generate.py", "claims", "5000"]),
    "refs-5200000": ("refs-5200000.835", ["pathological.py", "refs", "5200000"]),
    "refs-300000": ("refs-300000.835", ["pathological.py", "refs", "300000"]),
    "element-50mb": ("element-50mb.835", ["pathological.py", "element", str(50 << 20)]),
}


OURS = {
    "validate": ["validate"],
    "parse": ["parse"],
    "parse-json": ["parse", "--json"],
    "parse-jsonl": ["parse", "--jsonl"],
}
"""Our commands (``x12`` and its arguments before the file), by the name ``--ours`` takes."""


def prepare(case: str, env: dict[str, str]) -> Path:
    """The case's input file, generated when missing."""
    name, command = CASES[case]
    target = OUT / name
    if target.exists():
        return target
    script = REPO / "benchmarks" / command[0]
    if case == "claims-5000":
        source = OUT / "claims-5000.json"
        subprocess.run([sys.executable, script, *command[1:], source], check=True)
        subprocess.run(
            [BIN / "edigateway", "x12", "build", "837d", source, "-o", target], check=True, env=env
        )
    elif command[1] == "era":
        subprocess.run([sys.executable, script, *command[1:], OUT], check=True)
    else:
        subprocess.run([sys.executable, script, *command[1:], target], check=True)
    return target


def run(
    argv: list[str], env: dict[str, str], *, limit_mb: int | None, timeout: float | None
) -> dict[str, object]:
    """One whole-process run: wall, CPU, peak RSS, exit status and the verdict line."""

    def limit() -> None:
        if limit_mb:
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=limit,  # noqa: PLW1509 - only setrlimit, before exec
        )
        deadline = None if timeout is None else start + timeout
        status, usage = 0, None
        while usage is None:
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                usage = rusage
            elif deadline is not None and time.perf_counter() > deadline:
                process.kill()
            else:
                time.sleep(0.02)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        count = 0
        out.seek(0)
        while chunk := out.read(1 << 20):  # a parse's JSON can be hundreds of MB: count
            count += chunk.count(b"\n")
        size = out.tell()
        out.seek(0)
        head = out.read(64 << 10)
        out.seek(max(len(head), size - (64 << 10)))
        lines = (head + out.read()).decode("utf-8", "replace").splitlines()
    verdict = next(
        (
            line
            for line in lines
            if line.endswith((": OK", ": Failure")) or (line.startswith(argv[-1]) and ": " in line)
        ),
        lines[0] if lines else "",
    )
    return {
        "wall": round(wall, 3),
        "cpu": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
        "exit": process.returncode,
        "verdict": verdict[:300],
        "lines": count,
        "tail": [t[:300] for t in lines[-3:]],
    }


def summary(runs: list[dict[str, object]]) -> dict[str, float]:
    """Medians of wall, CPU and peak memory."""
    return {
        key: round(statistics.median(float(r[key]) for r in runs), 2)  # type: ignore[arg-type]
        for key in ("wall", "cpu", "peak_mib")
    }


def main() -> int:
    """Run the cases asked for and print their table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="+", choices=sorted(CASES))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ours", nargs="+", choices=sorted(OURS), default=["validate"])
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--src", help="run edigateway from this src/ folder (an older tree)")
    parser.add_argument("--label", default="")
    parser.add_argument("--no-x12valid", action="store_true")
    parser.add_argument("--limit-mb", type=int)
    parser.add_argument("--timeout", type=float)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    env = {**os.environ, "EDIGATEWAY_DATA_DIR": str(data_dir)}
    if args.src:
        env["PYTHONPATH"] = args.src
    maps = subprocess.run(
        [BIN / "edigateway", "x12", "maps"], check=True, env=env, capture_output=True, text=True
    ).stdout.strip()
    results: dict[str, object] = {
        "label": args.label,
        "src": args.src,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "cases": {},
    }
    for case in args.cases:
        path = prepare(case, env)
        commands = {
            name: [str(BIN / "edigateway"), "x12", *OURS[name], str(path)] for name in args.ours
        }
        if not args.no_x12valid:
            commands["x12valid"] = [str(BIN / "x12valid"), "--map-path", maps, str(path)]
        if case == "claims-5000" and "validate" in args.ours:
            built = OUT / "claims-5000.bench.837"
            commands["build"] = [
                str(BIN / "edigateway"),
                "x12",
                "build",
                "837d",
                str(OUT / "claims-5000.json"),
                "-o",
                str(built),
            ]
        runs: dict[str, list[dict[str, object]]] = {name: [] for name in commands}
        for number in range(args.warmup + args.runs):
            for name, argv in commands.items():
                result = run(argv, env, limit_mb=args.limit_mb, timeout=args.timeout)
                counted = number >= args.warmup
                print(
                    f"{case} {name} {'run' if counted else 'warm-up'} {number}: "
                    f"{result['wall']} s wall, {result['cpu']} s CPU, "
                    f"{result['peak_mib']} MiB, exit {result['exit']}: {result['verdict']}",
                    flush=True,
                )
                if counted:
                    runs[name].append(result)
        row: dict[str, object] = {
            "file": str(path),
            "bytes": path.stat().st_size,
            "runs": runs,
            "median": {n: summary(r) for n, r in runs.items()},
        }
        for ours in args.ours:
            if "x12valid" not in runs or not runs[ours]:
                continue
            for key in ("wall", "cpu"):
                pairs = zip(runs[ours], runs["x12valid"], strict=True)
                suffix = "" if ours == "validate" else f"_{ours}"
                row[f"ratio_{key}{suffix}"] = round(
                    statistics.median(float(a[key]) / float(b[key]) for a, b in pairs), 3
                )  # type: ignore[arg-type]
        if "build" in runs:
            row["build_plus_validate_wall"] = round(
                statistics.median(
                    float(b["wall"]) + float(v["wall"])  # type: ignore[arg-type]
                    for b, v in zip(runs["build"], runs["validate"], strict=True)
                ),
                2,
            )
        results["cases"][case] = row  # type: ignore[index]
        print(json.dumps({k: v for k, v in row.items() if k != "runs"}), flush=True)
    name = "-".join(args.cases) + (f"-{args.label}" if args.label else "")
    (OUT / f"validate-{name}.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
