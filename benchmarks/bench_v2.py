"""V2 sidecar benchmark: opening through the sidecar against opening the JSONL, in one run.

For generated sessions of 10k and 100k entries (about 1 KB per line of realistic text, via
``fixtures/generate.py``) it measures, side by side:

* ``jsonl full``: ``Session.open(path, sidecar=False)`` (the baseline);
* ``v2 full``: ``Session.open(path)`` through a fresh sidecar (the same Session);
* ``v2 active``: ``Session.open(path, scope=OpenScope.active_path())``;
* ``v2 tail100``: ``Session.open(path, scope=OpenScope.tail(100))``;
* the sidecar's size over the JSONL's, and the time to migrate, verify and catch up 1% more.

Open times are the best of several runs (each run also fetches ``context()`` so every mode does
comparable work). Targets: sidecar at most 35% of the JSONL; tail(100) of the 100k session at
most 5 ms and no slower than on the 10k one; active path at least 3x faster than the JSONL open
on a session with many branches; full sidecar open no slower than the JSONL open.

Two shapes are measured: ``branchy`` (a branch back every ~40 entries, so the active path is a
small part of the session) and ``long`` (a branch every ~500 entries: the path is most of it).

Usage::

    python benchmarks/bench_v2.py           # 10k and 100k
    python benchmarks/bench_v2.py --quick   # 1k and 5k, a smoke run

Inputs are generated once into ``benchmarks/data/v2/`` (git-ignored); sidecars are rewritten
by each run.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fixtures.generate import make_v3_session  # noqa: E402
from sesslog import OpenScope, Session, SessionStoreKind  # noqa: E402
from sesslog.projections.sidecar import sidecar_folder  # noqa: E402
from sesslog.v2 import (  # noqa: E402
    migrate_jsonl_to_v2,
    rollback_v2_sidecar,
    verify_v2_against_jsonl,
)

SHAPES: dict[str, dict[str, int]] = {
    "branchy": {"branch_every": 40, "compaction_every": 400, "label_every": 250},
    "long": {"branch_every": 500, "compaction_every": 400, "label_every": 250},
}


def machine() -> str:
    cpu = "unknown"
    for row in Path("/proc/cpuinfo").read_text().splitlines():
        if row.startswith("model name"):
            cpu = row.split(":", 1)[1].strip()
            break
    return f"nproc={os.cpu_count()}, CPU={cpu}, Python {platform.python_version()}"


def session_file(folder: Path, shape: str, entries: int) -> tuple[Path, bytes]:
    """The generated session (written once, reused) and the 1% of lines that follow it."""
    path = folder / f"{shape}-{entries}.jsonl"
    more = folder / f"{shape}-{entries}.more"
    if not path.exists() or not more.exists():
        folder.mkdir(parents=True, exist_ok=True)
        extra = max(1, entries // 100)
        data = make_v3_session(entries + extra, 0, line_bytes=1000, **SHAPES[shape])
        lines = data.splitlines(keepends=True)
        more.write_bytes(b"".join(lines[entries + 1 :]))
        path.write_bytes(b"".join(lines[: entries + 1]))
    return path, more.read_bytes()


def timed(repeat: int, work: Callable[[], Any]) -> tuple[float, float]:
    """Best and median of ``repeat`` runs, in seconds."""
    runs = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        runs.append(time.perf_counter() - start)
    return min(runs), statistics.median(runs)


def open_with_context(opener: Callable[[], Session], kind: SessionStoreKind) -> Session:
    session = opener()
    if session.store_kind is not kind:
        raise SystemExit(f"expected the {kind.value} store, got {session.store_kind.value}")
    session.context()
    return session


def measure(path: Path, more: bytes, repeat: int) -> dict[str, Any]:
    if sidecar_folder(path).exists():
        rollback_v2_sidecar(path)
    row: dict[str, Any] = {"entries": len(Session.open(path, sidecar=False))}
    start = time.perf_counter()
    result = migrate_jsonl_to_v2(path)
    row["migrate"] = time.perf_counter() - start
    row["ratio"] = result.sidecar_bytes / result.covered
    row["jsonl_mb"] = result.covered / 1e6
    start = time.perf_counter()
    report = verify_v2_against_jsonl(path)
    row["verify"] = time.perf_counter() - start
    if not report.ok:
        raise SystemExit(f"verification failed: {report.problems[:3]}")
    jsonl, v2 = SessionStoreKind.JSONL, SessionStoreKind.V2_SIDECAR
    row["jsonl"] = timed(
        repeat, lambda: open_with_context(lambda: Session.open(path, sidecar=False), jsonl)
    )
    row["full"] = timed(repeat, lambda: open_with_context(lambda: Session.open(path), v2))
    active = OpenScope.active_path()
    row["active"] = timed(
        repeat, lambda: open_with_context(lambda: Session.open(path, scope=active), v2)
    )
    row["path"] = len(Session.open(path, scope=active))
    tail = OpenScope.tail(100)
    row["tail"] = timed(
        repeat * 6, lambda: open_with_context(lambda: Session.open(path, scope=tail), v2)
    )
    backup = path.with_suffix(".bak")
    shutil.copyfile(path, backup)
    try:
        with path.open("ab") as handle:
            handle.write(more)
        start = time.perf_counter()
        caught = migrate_jsonl_to_v2(path)
        row["catch_up"] = time.perf_counter() - start
        if caught.action != "caught_up":
            raise SystemExit(f"catch-up did not happen: {caught.action} {caught.reason}")
    finally:
        rollback_v2_sidecar(path)
        backup.replace(path)
    return row


def ms(pair: tuple[float, float]) -> str:
    return f"{pair[0] * 1e3:8.2f} ({pair[1] * 1e3:7.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sessions (a smoke run)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per open measurement")
    parser.add_argument("--data", type=Path, default=REPO / "benchmarks" / "data" / "v2")
    args = parser.parse_args()
    sizes = (1_000, 5_000) if args.quick else (10_000, 100_000)
    repeat = 2 if args.quick else args.repeat
    print(f"# bench_v2 {'--quick ' if args.quick else ''}on {machine()}")
    print("open times in ms: best (median); x = jsonl full / this")
    header = (
        f"{'session':<14}{'entries':>8}{'path':>8}{'MB':>7}{'v2/jsonl':>9} "
        f"{'jsonl full':>18}{'v2 full':>18}{'v2 active':>18}{'v2 tail100':>18}"
        f"{'migrate s':>10}{'verify s':>9}{'catch-up s':>11}"
    )
    print(header)
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for shape in SHAPES:
        for size in sizes:
            path, more = session_file(args.data, shape, size)
            row = rows[shape, size] = measure(path, more, repeat)
            print(
                f"{shape + '-' + str(size):<14}{row['entries']:>8}{row['path']:>8}"
                f"{row['jsonl_mb']:>7.1f}{row['ratio']:>9.3f} {ms(row['jsonl']):>18}"
                f"{ms(row['full']):>18}{ms(row['active']):>18}{ms(row['tail']):>18}"
                f"{row['migrate']:>10.2f}{row['verify']:>9.2f}{row['catch_up']:>11.3f}"
            )
    print()
    print("speed-ups over the JSONL open (best times):")
    for (shape, size), row in rows.items():
        base = row["jsonl"][0]
        print(
            f"  {shape}-{size}: full {base / row['full'][0]:.2f}x, "
            f"active_path {base / row['active'][0]:.1f}x, tail(100) {base / row['tail'][0]:.0f}x"
        )
    small, large = sizes
    big = rows["branchy", large]
    checks = [
        ("sidecar <= 35% of the JSONL", max(r["ratio"] for r in rows.values()) <= 0.35),
        (f"tail(100) of {large} <= 5 ms", big["tail"][0] <= 0.005),
        (
            f"tail(100) of {large} no slower than {small} (best of runs, 0.5 ms tolerance)",
            big["tail"][0] <= rows["branchy", small]["tail"][0] + 0.0005,
        ),
        ("active_path >= 3x JSONL open (branchy)", big["jsonl"][0] >= 3 * big["active"][0]),
        (
            "full sidecar open no slower than JSONL open (every session)",
            all(r["full"][0] <= r["jsonl"][0] for r in rows.values()),
        ),
    ]
    print()
    for name, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
