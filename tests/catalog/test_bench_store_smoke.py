"""``benchmarks/bench_store.py`` runs end to end on a small store and prints every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_bench_store_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "benchmarks" / "bench_store.py"),
            "--sessions",
            "40",
            "--repeat",
            "2",
            "--data",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    out = done.stdout
    for text in (
        "first catalog build",
        "list, store",
        "list, baseline",
        "latest, store",
        "grep -rl",
        "refresh after one append, whole store",
        "refresh after one append, that session",
        "sesslog ls --json",
        "ls vs baseline",
        "search vs grep -rl",
    ):
        assert text in out, text
