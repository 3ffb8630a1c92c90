"""Where a strict append's time goes: inside the OS's write and sync calls, or outside them.

Runs the strict arms of ``bench_append.py`` (raw ``os.write`` + ``os.fdatasync``, the bare loop,
sesslog's facade and entry APIs) interleaved in chunks of 50 appends on the same disk, with
``os.write``, ``os.fdatasync`` and ``os.pwritev`` wrapped in a timer. For each arm it prints the
time per append, the part spent inside those calls (the write and the sync), and the rest
(Python). Each round uses fresh files; the medians over the rounds are printed.

The timer costs every arm a little (about 0.1-0.2 µs per wrapped call), so the absolute figures
are a little above ``bench_append.py``'s; the split is what this script is for. When the
in-call time of an arm is above raw's, the same write and sync took longer after that arm's
Python work (which leaves the CPU's caches colder for the kernel) than back to back.

Usage: ``python benchmarks/strict_split.py [--rounds N] [--dir FOLDER]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_clock = time.perf_counter
_in_calls = [0.0]


def _timed(call: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any) -> Any:
        start = _clock()
        try:
            return call(*args)
        finally:
            _in_calls[0] += _clock() - start

    return timed


# Wrapped before sesslog is imported: it binds some of these calls when it loads.
os.write = _timed(os.write)
os.fdatasync = _timed(os.fdatasync)
if hasattr(os, "pwritev"):
    os.pwritev = _timed(os.pwritev)

import bench_append as bench  # noqa: E402  (needs the wrapped calls)

from sesslog import Session  # noqa: E402

ARMS = ("raw", "bare", "facade", "entry")
CHUNK = 50


def one_round(folder: Path, chunks: int) -> dict[str, tuple[float, float]]:
    """Per arm: (µs per append, µs of it inside the OS calls), over ``chunks`` chunks each."""
    descriptors: list[int] = []
    sessions: list[Session] = []
    runs: dict[str, bench.Chunk] = {}
    try:
        for arm in ARMS:
            if arm in ("raw", "bare"):
                fd = bench._open_new(folder / f"{arm}.jsonl")
                descriptors.append(fd)
                runs[arm] = (
                    bench.raw_chunks(fd, sync=True) if arm == "raw" else bench.bare_chunks(fd)
                )
            else:
                session = Session.create(cwd="/bench", root=folder, durability="strict")
                sessions.append(session)
                runs[arm] = bench.WORKERS[arm](session, 0)
        total = dict.fromkeys(ARMS, 0.0)
        inside = dict.fromkeys(ARMS, 0.0)
        for index in range(chunks):
            turn = index % len(ARMS)  # each arm goes first, second, ... in turn
            for arm in ARMS[turn:] + ARMS[:turn]:
                _in_calls[0] = 0.0
                start = _clock()
                runs[arm](CHUNK)
                total[arm] += _clock() - start
                inside[arm] += _in_calls[0]
        count = chunks * CHUNK
        return {arm: (total[arm] / count * 1e6, inside[arm] / count * 1e6) for arm in ARMS}
    finally:
        for fd in descriptors:
            os.close(fd)
        for session in sessions:
            session.close()
        for path in folder.iterdir():  # fresh files for the next round
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds, fresh files each")
    parser.add_argument("--chunks", type=int, default=60, help="chunks of 50 per arm per round")
    parser.add_argument("--dir", help="folder to write in (default: the system temp folder)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sesslog-split-", dir=args.dir))
    print(f"machine: {bench.machine()}")
    print(f"folder: {folder}  ({args.rounds} rounds of {args.chunks * CHUNK} appends per arm)")
    rounds: list[dict[str, tuple[float, float]]] = []
    try:
        one_round(folder, 4)  # warm up
        for _ in range(args.rounds):
            rounds.append(one_round(folder, args.chunks))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    raw_total = statistics.median(r["raw"][0] for r in rounds)
    print(f"{'arm':<8} {'per append':>11} {'in OS calls':>12} {'outside':>9} {'raw/arm':>8}")
    for arm in ARMS:
        per = statistics.median(r[arm][0] for r in rounds)
        inside = statistics.median(r[arm][1] for r in rounds)
        outside = statistics.median(r[arm][0] - r[arm][1] for r in rounds)
        ratio = statistics.median(r["raw"][0] / r[arm][0] for r in rounds)
        print(f"{arm:<8} {per:>9.1f}µs {inside:>10.1f}µs {outside:>7.1f}µs {ratio:>8.3f}")
    print(f"(medians over rounds; raw per append {raw_total:.1f} µs)")


if __name__ == "__main__":
    main()
