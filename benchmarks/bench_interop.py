"""Interop benchmark: importing the shared Claude Code samples, against plain msgspec decoding.

Measurements (each its own function; ``main()`` prints them as one table, then the targets):

* ``import``: ``sesslog.interop.importer.import_paths`` of every sample file into an empty
  sessions root: read, frame, convert, encode, write and sync (the new sessions are synced
  together at the end, as an import does). MB/s of source bytes.
* ``import again``: the same samples imported again into that root (nothing new: each file is
  read, converted and compared with what the root holds).
* ``convert only``: the same work without touching the disk (frame, convert, encode).
* baseline ``msgspec decode``: read each file and ``msgspec.json.Decoder().decode(line)`` for
  every line of ``data.splitlines()``: the floor for anything that reads the records.

Each figure is the best and the median of several rounds; a round runs every measurement once
(``gc.collect()`` before each), so that changes of load on a shared machine fall on all alike.
Target: import at least 50 MB/s.

Usage::

    python benchmarks/bench_interop.py                 # the shared samples, 7 runs each
    python benchmarks/bench_interop.py --quick         # 2 runs each, a smoke run
    python benchmarks/bench_interop.py --samples DIR   # other Claude Code transcripts
    python benchmarks/bench_interop.py --root DIR      # import into DIR's file system
"""

from __future__ import annotations

import argparse
import gc
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sesslog.interop.claude import convert_claude  # noqa: E402
from sesslog.interop.entries import encode_entry  # noqa: E402
from sesslog.interop.importer import import_paths  # noqa: E402
from sesslog.interop.target import SessionsRoot  # noqa: E402

SAMPLES = REPO.parent / "shared" / "fixtures" / "claude-real"
IMPORT_TARGET_MB_S = 50.0


@dataclass
class Measurement:
    """One thing to time: its name, the bytes it handles, its work and what precedes each run
    (not timed); ``times`` collects the run times in seconds."""

    name: str
    size: int
    work: Callable[[], object]
    setup: Callable[[], object] | None = None
    times: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def rate(self, seconds: float) -> float:
        """MB/s at ``seconds``."""
        return self.size / seconds / 1e6


def run_interleaved(measurements: list[Measurement], repeat: int) -> None:
    """Run every measurement once per round, ``repeat`` rounds, so that a change of load on a
    shared machine falls on all of them alike."""
    for _ in range(repeat):
        for item in measurements:
            if item.setup is not None:
                item.setup()
            gc.collect()
            start = time.perf_counter()
            item.work()
            item.times.append(time.perf_counter() - start)


def sample_files(folder: Path) -> list[Path]:
    """The transcripts to import."""
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no *.jsonl in {folder}")
    return files


def _size(files: list[Path]) -> int:
    return sum(p.stat().st_size for p in files)


def measure_import(files: list[Path], scratch: Path) -> Measurement:
    """Import every file into an empty sessions root."""
    root = scratch / "import"

    def empty() -> None:
        shutil.rmtree(root, ignore_errors=True)

    return Measurement("import", _size(files), lambda: import_paths(files, root), empty)


def measure_reimport(files: list[Path], scratch: Path) -> Measurement:
    """Import the same files again into a root that holds them (nothing is added)."""
    root = scratch / "again"
    import_paths(files, root)

    def again() -> None:
        report = import_paths(files, root)
        assert report.entries_added == 0, "a second import added entries"

    return Measurement("import again", _size(files), again)


def measure_convert(files: list[Path], scratch: Path) -> Measurement:
    """Frame, convert and encode every file, writing nothing."""
    root = SessionsRoot(scratch / "nothing-here")

    def convert() -> None:
        for path in files:
            for plan in convert_claude(path, path.read_bytes(), root).sessions:
                b"\n".join(encode_entry(entry) for entry in plan.entries)

    return Measurement("convert only", _size(files), convert)


def measure_decode_baseline(files: list[Path]) -> Measurement:
    """Read every file and decode each line into Python objects with msgspec."""
    decoder = msgspec.json.Decoder()

    def decode() -> None:
        for path in files:
            for line in path.read_bytes().splitlines():
                try:
                    decoder.decode(line)
                except msgspec.DecodeError:
                    continue

    return Measurement("msgspec decode", _size(files), decode)


def print_table(rows: list[Measurement], baseline: Measurement) -> None:
    """One line per measurement, with its speed and its ratio to the baseline."""
    print("| measurement | MB | best | median | best MB/s | median MB/s | median vs baseline |")
    print("|---|---|---|---|---|---|---|")
    for row in [*rows, baseline]:
        ratio = row.median / baseline.median
        print(
            f"| {row.name} | {row.size / 1e6:.1f} | {row.best * 1e3:.0f} ms "
            f"| {row.median * 1e3:.0f} ms | {row.rate(row.best):.0f} | {row.rate(row.median):.0f} "
            f"| {ratio:.2f}x |"
        )


def check_targets(rows: dict[str, Measurement]) -> list[str]:
    """One line per target: ``[met]`` or ``[MISSED]``."""
    speed = rows["import"].rate(rows["import"].best)
    mark = "met" if speed >= IMPORT_TARGET_MB_S else "MISSED"
    return [f"[{mark}] import {speed:.0f} MB/s (best run) >= {IMPORT_TARGET_MB_S:.0f} MB/s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of transcripts")
    parser.add_argument("--root", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--quick", action="store_true", help="2 runs per measurement")
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else 7
    files = sample_files(args.samples)
    scratch = Path(tempfile.mkdtemp(prefix="bench-interop-", dir=args.root))
    try:
        print(
            f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB from "
            f"{args.samples}; {platform.python_version()}, msgspec {msgspec.__version__}, "
            f"{platform.machine()}; scratch {scratch}"
        )
        rows = [
            measure_import(files, scratch),
            measure_reimport(files, scratch),
            measure_convert(files, scratch),
        ]
        baseline = measure_decode_baseline(files)
        run_interleaved([*rows, baseline], repeat)
        print_table(rows, baseline)
        for line in check_targets({row.name: row for row in rows}):
            print(line)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
