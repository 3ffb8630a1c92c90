"""Read benchmark: open + tree + context of generated sessions, against plain msgspec dicts.

For sessions of 1k, 10k and 100k entries (about 1 KB per line, realistic text, with branches,
compactions and labels as a long real session has) it times, best of several runs:

* ``sesslog``: ``Session.open(path)`` (read, frame, decode envelopes, index the tree), then
  ``tree.nodes()`` (the whole tree in pre-order) and ``context()`` at the leaf;
* baseline ``dicts/line``: read the file, ``msgspec.json.Decoder().decode(line)`` for each of
  ``data.splitlines()``;
* baseline ``decode_lines``: read the file, ``msgspec.json.Decoder().decode_lines(data)``.

It then shows that path and context cost O(depth): their time at entries of growing depth in
the largest session, and at the same depths in a session ten times smaller.

Usage::

    python benchmarks/bench_read.py            # 1k, 10k, 100k
    python benchmarks/bench_read.py --quick    # small sizes, a smoke run
    python benchmarks/bench_read.py --profile  # also profile the largest open+tree+context
    python benchmarks/bench_read.py --gc-off   # the same with Python's cyclic GC disabled

Inputs are generated once by ``fixtures/generate.py`` into ``benchmarks/data/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fixtures.generate import make_v3_session  # noqa: E402
from sesslog import Session, SessionTree  # noqa: E402
from sesslog.tree.context import build_context  # noqa: E402

#: The shape of a long real session: branches, compactions and labels now and then.
SESSION_OPTIONS: dict[str, Any] = {"branch_every": 400, "compaction_every": 600, "label_every": 250}
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
QUICK_SIZES = {"200": 200, "2k": 2_000}


def session_file(name: str, entries: int, folder: Path) -> Path:
    """The generated session of ``entries`` entries, written once and reused."""
    path = folder / f"{name}.jsonl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(make_v3_session(entries, 0, line_bytes=1000, **SESSION_OPTIONS))
        tmp.replace(path)
    return path


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds (garbage collected before each run)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def open_tree_context(path: Path) -> Session:
    session = Session.open(path)
    session.tree.nodes()
    session.context()
    return session


def dicts_per_line(path: Path) -> list[Any]:
    decode = msgspec.json.Decoder().decode
    return [decode(line) for line in path.read_bytes().splitlines()]


def dicts_decode_lines(path: Path) -> list[Any]:
    return msgspec.json.Decoder().decode_lines(path.read_bytes())


def rate(size: int, entries: int, seconds: float) -> str:
    return (
        f"{seconds * 1000:9.1f} ms {size / seconds / 1e6:8.1f} MB/s {entries / seconds:12,.0f} e/s"
    )


def compare(name: str, path: Path, repeat: int) -> dict[str, Any]:
    """Time sesslog and both baselines on one file and print a block of results."""
    size = path.stat().st_size
    session = open_tree_context(path)
    entries = len(session)
    times = {
        "sesslog open+tree+context": best_of(repeat, lambda: open_tree_context(path)),
        "baseline dicts/line": best_of(repeat, lambda: dicts_per_line(path)),
        "baseline decode_lines": best_of(repeat, lambda: dicts_decode_lines(path)),
    }
    parts = {
        "  open (read + index)": best_of(repeat, lambda: Session.open(path)),
        "  tree.nodes()": best_of(repeat, session.tree.nodes),
        "  context()": best_of(repeat, session.context),
    }
    print(
        f"\n{name}: {entries:,} entries, {size / 1e6:.1f} MB, leaf depth "
        f"{session.tree.depth(session.leaf_id or '')}"
    )
    for label, seconds in {**times, **parts}.items():
        print(f"  {label:28s} {rate(size, entries, seconds)}")
    ours = times["sesslog open+tree+context"]
    ratios = {
        "dicts/line": times["baseline dicts/line"] / ours,
        "decode_lines": times["baseline decode_lines"] / ours,
    }
    print("  speed-up vs baselines:      " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))
    return {"entries": entries, "size": size, "times": times, "ratios": ratios}


def entries_at_depths(tree: SessionTree, depths: list[int]) -> dict[int, str]:
    """One entry id at (or just past) each wanted depth, on the leaf's path."""
    path = tree.path_ids()
    return {d: path[d - 1] for d in depths if d <= len(path)}


def depth_costs(trees: dict[str, SessionTree], depths: list[int]) -> None:
    """Time path() and context() at the same depths in sessions of different sizes."""
    print("\npath and context at an entry of a given depth (µs, best of 20):")
    header = "  depth " + "".join(f"{n + ' path':>14s}{n + ' context':>16s}" for n in trees)
    print(header)
    picks = {name: entries_at_depths(tree, depths) for name, tree in trees.items()}
    for depth in depths:
        row = f"  {depth:5d} "
        for name, tree in trees.items():
            entry = picks[name].get(depth)
            if entry is None:
                row += f"{'-':>14s}{'-':>16s}"
                continue
            path_s = best_of(20, lambda t=tree, e=entry: t.path(e))
            context_s = best_of(20, lambda t=tree, e=entry: build_context(t, e))
            row += f"{path_s * 1e6:14.0f}{context_s * 1e6:16.0f}"
        print(row)


def profile(path: Path) -> None:
    """Profile open+tree+context of ``path`` with pyinstrument (cProfile when missing)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        print("\n(pyinstrument not installed; cProfile, sorted by own time)")
        prof = cProfile.Profile()
        prof.runcall(open_tree_context, path)
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    open_tree_context(path)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement")
    parser.add_argument("--profile", action="store_true", help="profile the largest case")
    parser.add_argument("--gc-off", action="store_true", help="disable the cyclic GC")
    parser.add_argument(
        "--data", type=Path, default=REPO / "benchmarks" / "data", help="where inputs are kept"
    )
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    repeat = args.repeat or (2 if args.quick else 5)
    print(
        f"Python {platform.python_version()}, msgspec {msgspec.__version__}, "
        f"{platform.machine()}, best of {repeat}" + (", GC off" if args.gc_off else "")
    )
    paths = {name: session_file(name, n, args.data) for name, n in sizes.items()}
    if args.gc_off:
        gc.disable()
    results = {name: compare(name, path, repeat) for name, path in paths.items()}

    names = list(paths)
    large, small = names[-1], names[-2]
    trees = {small: Session.open(paths[small]).tree, large: Session.open(paths[large]).tree}
    max_depth = trees[small].depth(trees[small].leaf_id or "")
    depths = [d for d in (10, 100, 1_000, 5_000, 10_000, 50_000) if d <= max_depth * 10] or [10]
    depth_costs(trees, depths)

    ratio = results[large]["ratios"]
    print(
        f"\n{large}: open+tree+context is {ratio['dicts/line']:.2f}x the dicts/line baseline "
        f"and {ratio['decode_lines']:.2f}x the decode_lines baseline (target: 2x)"
    )
    if args.profile:
        profile(paths[large])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
