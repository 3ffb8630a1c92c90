"""Many sessions open for appending at once: threads, memory and time.

``N`` balanced sessions (default 1000) are opened in one process; each appends ``K`` entries
(default 5), round robin, as agents serving many sessions would; then every session is
flushed, and finally dropped without ``close()``. Printed: the peak thread count while they are
open, the resident memory they add, the time of the appends (round robin), of the flushes and
of dropping them, and, after the drop, the threads left and whether every entry is in its file.

It runs on whatever ``sesslog`` the interpreter imports, so the same script measures two
checkouts (for example one where each write-behind session had its own thread) in the same
run: ``python benchmarks/bench_many_sessions.py --compare /path/to/other/.venv/bin/python``
runs both, alternating, ``--repeat`` times each, and prints the medians side by side.

Usage: ``python benchmarks/bench_many_sessions.py [--sessions N] [--entries K] [--repeat R]
[--compare PYTHON]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _rss_kib() -> int:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    return 0


def run(sessions: int, entries: int) -> dict[str, float]:
    """One measurement in this process."""
    from sesslog import Session
    from sesslog.format.reader import read_file

    folder = Path(tempfile.mkdtemp(prefix="sesslog-many-"))
    paths = [folder / f"s{n}.jsonl" for n in range(sessions)]
    for path in paths:
        Session.create(path=path, cwd="/bench").close()
    gc.collect()
    threads, rss = threading.active_count(), _rss_kib()
    opened = [Session.open(path, durability="balanced") for path in paths]
    started = time.perf_counter()
    peak = 0
    for k in range(entries):
        for session in opened:
            session.append_custom("tick", {"k": k})
        peak = max(peak, threading.active_count())
    appended = time.perf_counter() - started
    grown = _rss_kib() - rss
    started = time.perf_counter()
    for session in opened:
        session.flush()
    flushed = time.perf_counter() - started
    started = time.perf_counter()
    del opened, session
    gc.collect()
    dropped = time.perf_counter() - started
    deadline = time.monotonic() + 30
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.05)
    kept = all(len(read_file(path).records) == entries for path in paths)
    for path in paths:
        path.unlink()
    return {
        "peak_threads": peak - threads,
        "rss_mib": grown / 1024,
        "append_s": appended,
        "flush_s": flushed,
        "drop_s": dropped,
        "threads_left": threading.active_count() - threads,
        "all_kept": float(kept),
    }


def _child(python: str, sessions: int, entries: int) -> dict[str, float]:
    done = subprocess.run(
        [python, __file__, "--child", "--sessions", str(sessions), "--entries", str(entries)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", help="another interpreter (with its own sesslog) to run too")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.sessions, args.entries)))
        return
    arms = {"this": sys.executable}
    if args.compare:
        arms["other"] = args.compare
    results: dict[str, list[dict[str, float]]] = {arm: [] for arm in arms}
    for _ in range(args.repeat):
        for arm, python in arms.items():
            results[arm].append(_child(python, args.sessions, args.entries))
    print(
        f"{args.sessions} balanced sessions x {args.entries} appends, medians of {args.repeat} "
        f"(nproc={os.cpu_count()}, Python {sys.version.split()[0]})"
    )
    keys = list(results["this"][0])
    print(f"{'':14}" + "".join(f"{key:>14}" for key in keys))
    for arm, runs in results.items():
        row = [statistics.median(r[key] for r in runs) for key in keys]
        print(f"{arm:14}" + "".join(f"{value:14.3f}" for value in row))


if __name__ == "__main__":
    main()
