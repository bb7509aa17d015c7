"""ERA posting beside pyx12's ``x12valid`` on the same 835, alternated in one run (issue 18).

Each ``era post`` run starts from a fresh copy of a data folder holding the imported
claims (made before the run, not timed), so every run posts the whole file into the same
database. Both commands are timed as whole processes with GNU time (wall, user+sys CPU,
peak RSS); the ratio is taken pair by pair (post / x12valid of the same round), so a
change of machine load between rounds moves both sides of a ratio together. ``uptime``
is recorded before and after, as the machine is shared.

Setup (once per size)::

    .venv/bin/python benchmarks/generate.py era 20000 benchmarks/out
    EDIGATEWAY_DATA_DIR=/tmp/era20 .venv/bin/edigateway claims import \\
        benchmarks/out/era-claims-20000.json

Run::

    .venv/bin/python benchmarks/era_post.py --base /tmp/era20 \\
        --era benchmarks/out/era-20000.835 --runs 5

With ``--src DIR`` the version timed is an extracted one (``git archive HEAD``) instead of
the installed checkout, whose working tree may hold others' unfinished edits.
With ``--before-src DIR --before-base DATA`` an earlier version (``git archive <commit> |
tar -x -C DIR``, run with ``PYTHONPATH=DIR/src``) posts the same file from its own data
folder (a copy made before this version's migrations) in each round too, so before, after
and ``x12valid`` share the machine's load.
With ``--floor-posted DATA`` (the data folder after one ``era post`` of this file) each
round also times ``era_floor.py``: imports, the reader and SQLite's own writing of the
same rows, with no posting logic — the part of the 6× budget spent before posting starts.
With ``--floor-bound`` as well, each round times ``era_floor.py --bound`` too: the same rows
bound from Python by ``executemany`` (its own fetch of those rows subtracted, as it
prints it), the floor of any posting written in Python.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent
CLI = "import sys; from edigateway.cli import main; sys.argv[0] = 'edigateway'; sys.exit(main())"
"""The console script's body, for a version run from ``PYTHONPATH``."""
Timing = tuple[float, float, float]
"""Wall s, CPU s, peak MiB of one process."""


def timed(
    argv: list[str],
    env: dict[str, str] | None = None,
    *,
    must_succeed: bool = True,
    log: list[str] | None = None,
) -> Timing:
    """(wall s, CPU s, peak MiB) of one process, from GNU time. A post that fails stops the
    benchmark (timed like a good one it would flatter the figures); ``x12valid`` exits 1
    whenever it reports a finding, so its exit code is not checked. What the process wrote
    to stderr is added to ``log``."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        done = subprocess.run(
            ["/usr/bin/time", "-o", out.name, "-f", "%e %U %S %M", *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if must_succeed and done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-3:]
            msg = f"{argv[0]} … exited {done.returncode}: " + " | ".join(tail)
            raise SystemExit(msg)
        wall, user, system, kib = out.read().split()[-4:]
    if log is not None:
        log.append(done.stderr)
    return float(wall), float(user) + float(system), int(kib) / 1024


def uptime() -> str:
    return subprocess.run(
        ["/usr/bin/uptime"], capture_output=True, text=True, check=False
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="data folder with the claims")
    parser.add_argument("--era", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-x12valid", action="store_true", help="time posting alone")
    parser.add_argument(
        "--src",
        type=Path,
        help="the version to time, extracted (default: the installed one, this checkout's "
        "working tree, with whatever is not committed in it)",
    )
    parser.add_argument("--before-src", type=Path, help="an extracted earlier version")
    parser.add_argument("--before-base", type=Path, help="its data folder with the claims")
    parser.add_argument(
        "--floor-posted", type=Path, help="the data folder after one era post (era_floor.py)"
    )
    parser.add_argument(
        "--floor-bound", action="store_true", help="also the floor bound from Python (--bound)"
    )
    args = parser.parse_args()

    print(f"before: {uptime()}")
    posts: list[Timing] = []
    valids: list[Timing] = []
    befores: list[Timing] = []
    floors: list[Timing] = []
    bounds: list[Timing] = []
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs + 1):  # run 0 warms the caches and is not counted
            data = Path(scratch) / f"data{run}"
            shutil.copytree(args.base, data)
            env = {**os.environ, "EDIGATEWAY_DATA_DIR": str(data)}
            post = (
                timed(
                    [sys.executable, "-c", CLI, "era", "post", str(args.era)],
                    {**env, "PYTHONPATH": str(args.src / "src")},
                )
                if args.src
                else timed([str(BIN / "edigateway"), "era", "post", str(args.era)], env)
            )
            shutil.rmtree(data)
            before = (0.0, 0.0, 0.0)
            if args.before_src:
                shutil.copytree(args.before_base, data)
                old = {**env, "PYTHONPATH": str(args.before_src / "src")}
                before = timed([sys.executable, "-c", CLI, "era", "post", str(args.era)], old)
                shutil.rmtree(data)
            floor = bound = (0.0, 0.0, 0.0)
            if args.floor_posted:
                floor = _floor(args, env, bound=False)
            if args.floor_bound:
                bound = _floor(args, env, bound=True)
            valid = (
                (0.0, 0.0, 0.0)
                if args.no_x12valid
                else timed([str(BIN / "x12valid"), str(args.era)], must_succeed=False)
            )
            label = "warm-up" if run == 0 else f"run {run}"
            print(
                f"{label}: post {post[0]:.2f} s wall {post[1]:.2f} s CPU {post[2]:.1f} MiB"
                f" | x12valid {valid[0]:.2f} s wall {valid[1]:.2f} s CPU {valid[2]:.1f} MiB"
                + (
                    f" | before {before[0]:.2f} s wall {before[1]:.2f} s CPU {before[2]:.1f} MiB"
                    if args.before_src
                    else ""
                )
                + (
                    f" | floor {floor[0]:.2f} s wall {floor[1]:.2f} s CPU {floor[2]:.1f} MiB"
                    if args.floor_posted
                    else ""
                )
                + (f" | bound floor {bound[1]:.2f} s CPU" if args.floor_bound else ""),
                flush=True,
            )
            if run:
                posts.append(post)
                valids.append(valid)
                befores.append(before)
                floors.append(floor)
                bounds.append(bound)
    print(f"after: {uptime()}")
    _summary(args, posts, befores, floors, valids)
    if args.floor_bound:
        _ratio("bound floor", bounds, valids)


def _floor(args: argparse.Namespace, env: dict[str, str], *, bound: bool) -> Timing:
    """One run of ``era_floor.py``; bound from Python, less the CPU it spent fetching the
    rows to bind (not a posting's work; the script prints it)."""
    log: list[str] = []
    wall, cpu, peak = timed(
        [
            sys.executable,
            str(Path(__file__).with_name("era_floor.py")),
            *("--base", str(args.base), "--posted", str(args.floor_posted)),
            *("--era", str(args.era)),
            *(["--bound"] if bound else []),
        ],
        {**env, "PYTHONPATH": str(args.src / "src")} if args.src else env,
        log=log,
    )
    fetched = re.search(r"\+ ([0-9.]+) s fetching", log[0])
    return wall, cpu - (float(fetched.group(1)) if fetched else 0.0), peak


def _ratio(name: str, timings: list[Timing], valids: list[Timing]) -> None:
    """The median CPU of ``timings`` and ``x12valid`` / them, pair by pair."""
    med = statistics.median
    print(f"median {name}: {med(t[1] for t in timings):.2f} s CPU")
    cpu = med(v[1] / t[1] for t, v in zip(timings, valids, strict=True))
    print(f"x12valid / {name}, pair by pair (median): {cpu:.2f}x CPU (6x is the target)")


def _summary(
    args: argparse.Namespace,
    posts: list[Timing],
    befores: list[Timing],
    floors: list[Timing],
    valids: list[Timing],
) -> None:
    """Medians of the counted runs, and the ratios pair by pair."""
    med = statistics.median
    print(
        f"median post: {med(p[0] for p in posts):.2f} s wall, {med(p[1] for p in posts):.2f} s "
        f"CPU, {med(p[2] for p in posts):.1f} MiB peak"
    )
    if args.before_src:
        print(
            f"median before: {med(b[0] for b in befores):.2f} s wall, "
            f"{med(b[1] for b in befores):.2f} s CPU, {med(b[2] for b in befores):.1f} MiB peak"
        )
    if not args.no_x12valid:
        print(
            f"median x12valid: {med(v[0] for v in valids):.2f} s wall, "
            f"{med(v[1] for v in valids):.2f} s CPU, {med(v[2] for v in valids):.1f} MiB peak"
        )
        wall = med(v[0] / p[0] for p, v in zip(posts, valids, strict=True))
        cpu = med(v[1] / p[1] for p, v in zip(posts, valids, strict=True))
        print(f"x12valid / post, pair by pair (median): {wall:.2f}x wall, {cpu:.2f}x CPU")
    if args.floor_posted:
        if args.no_x12valid:
            print(f"median floor: {med(f[1] for f in floors):.2f} s CPU")
        else:
            _ratio("floor", floors, valids)


if __name__ == "__main__":
    main()
