"""A/B of the read benchmark: this checkout against another one, in alternating runs.

Runs the read benchmark of a baseline checkout (another git worktree with its own ``.venv``,
for example of ``main``) and of this checkout in turn, ``--rounds`` times each, on the same
input files, and prints every run's figures and then, per session size, the best time of each
side and their ratio (this checkout / baseline: above 1.00 is slower). Alternating spreads the
noise of a shared machine over both sides.

Two ways to measure:

* default: a probe doing bench_read's headline work (``Session.open`` + ``tree.nodes()`` +
  ``context()``) on its inputs, timed in CPU seconds of the process (``time.process_time``),
  which other processes on a busy machine disturb far less than wall-clock time;
* ``--full``: the whole ``benchmarks/bench_read.py`` of each side (wall-clock, as it reports).

Usage::

    git worktree add --detach /tmp/sesslog-main main
    python3 -m venv /tmp/sesslog-main/.venv
    /tmp/sesslog-main/.venv/bin/pip install -e /tmp/sesslog-main
    .venv/bin/python benchmarks/bench_read.py          # writes the inputs once
    .venv/bin/python benchmarks/compare_read.py --baseline /tmp/sesslog-main --rounds 10
    .venv/bin/python benchmarks/compare_read.py --baseline /tmp/sesslog-main --rounds 3 --full
    git worktree remove /tmp/sesslog-main
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The lines of bench_read's output compared, by the label it prints.
LABELS = ("sesslog open+tree+context", "open (read + index)", "tree.nodes()", "context()")
_SIZE = re.compile(r"^(\w+): [\d,]+ entries")
_TIME = re.compile(r"^\s+(.+?)\s{2,}([\d.]+) ms")


#: Run by each side's interpreter, so that it reads with that side's sesslog.
PROBE = """
import gc, json, sys, time
from pathlib import Path
from sesslog import Session
found = {}
for name in sys.argv[3:]:
    path = Path(sys.argv[1]) / f"{name}.jsonl"
    best = float("inf")
    for _ in range(int(sys.argv[2])):
        gc.collect()
        start = time.process_time()
        session = Session.open(path)
        session.tree.nodes()
        session.context()
        best = min(best, time.process_time() - start)
        del session
    found[name] = best * 1000
print(json.dumps(found))
"""


def run_probe(
    checkout: Path, data: Path, repeat: int, sizes: list[str]
) -> dict[tuple[str, str], float]:
    """Time open+tree+context in CPU milliseconds with one checkout's sesslog."""
    python = checkout / ".venv" / "bin" / "python"
    out = subprocess.run(
        [str(python), "-c", PROBE, str(data), str(repeat), *sizes],
        check=True,
        capture_output=True,
        text=True,
        cwd=checkout,
    ).stdout
    return {(size, LABELS[0]): ms for size, ms in json.loads(out).items()}


def run_bench(checkout: Path, data: Path, repeat: int, quick: bool) -> dict[tuple[str, str], float]:
    """Run one checkout's bench_read.py; return ``{(size, label): ms}``."""
    python = checkout / ".venv" / "bin" / "python"
    command = [str(python), str(checkout / "benchmarks" / "bench_read.py"), "--data", str(data)]
    command += ["--repeat", str(repeat)] + (["--quick"] if quick else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found: dict[tuple[str, str], float] = {}
    size = ""
    for line in out.splitlines():
        if match := _SIZE.match(line):
            size = match.group(1)
        elif (match := _TIME.match(line)) and match.group(1).strip() in LABELS:
            found[(size, match.group(1).strip())] = float(match.group(2))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side")
    parser.add_argument("--repeat", type=int, default=5, help="bench_read's --repeat")
    parser.add_argument("--quick", action="store_true", help="bench_read's small sizes")
    parser.add_argument("--full", action="store_true", help="run the whole bench_read.py")
    parser.add_argument(
        "--data", type=Path, default=REPO / "benchmarks" / "data", help="shared inputs"
    )
    args = parser.parse_args(argv)
    sides = {"baseline": args.baseline.resolve(), "this": REPO}
    runs: dict[str, list[dict[tuple[str, str], float]]] = {name: [] for name in sides}
    for round_no in range(1, args.rounds + 1):
        for name, checkout in sides.items():
            if args.full:
                result = run_bench(checkout, args.data, args.repeat, args.quick)
            else:
                sizes = ["200", "2k"] if args.quick else ["1k", "10k", "100k"]
                result = run_probe(checkout, args.data, args.repeat, sizes)
            runs[name].append(result)
            shown = ", ".join(
                f"{size} {ms:.1f}" for (size, label), ms in result.items() if label == LABELS[0]
            )
            print(f"round {round_no} {name:8s} open+tree+context ms: {shown}", flush=True)
    clock = "wall-clock" if args.full else "CPU"
    print(f"\n{clock} ms over {args.rounds} rounds (each run itself best of {args.repeat}):")
    print(
        f"  {'size':5s} {'measure':28s} {'base best':>10s} {'this best':>10s} {'ratio':>6s}"
        f" {'base median':>12s} {'this median':>12s} {'ratio':>6s}"
    )
    for key in runs["baseline"][0]:
        base = [run[key] for run in runs["baseline"]]
        ours = [run[key] for run in runs["this"]]
        best = min(ours) / min(base)
        middle = statistics.median(ours) / statistics.median(base)
        print(
            f"  {key[0]:5s} {key[1]:28s} {min(base):10.1f} {min(ours):10.1f} {best:6.2f}"
            f" {statistics.median(base):12.1f} {statistics.median(ours):12.1f} {middle:6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
