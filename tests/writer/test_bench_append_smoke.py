"""``benchmarks/bench_append.py --quick`` runs end to end and prints every figure and target."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_append.py"


def test_bench_append_quick_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    out = done.stdout
    for label in ("raw write+fdatasync", "raw write", "facade strict x1", "entry throughput x8"):
        assert label in out
    assert out.count("(target >=") == 6
    assert list(tmp_path.iterdir()) == []  # the benchmark cleans up after itself
