"""``benchmarks/bench_interop.py --quick`` runs end to end and prints every measurement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, SOURCES


def test_bench_interop_quick_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "benchmarks" / "bench_interop.py"),
            "--quick",
            "--samples",
            str(SOURCES / "claude" / "damaged"),
            "--root",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    out = done.stdout
    for text in ("| import |", "| import again |", "| convert only |", "| msgspec decode |"):
        assert text in out
    assert out.count("[met]") + out.count("[MISSED]") == 1
    assert not list(tmp_path.iterdir()), "the benchmark leaves nothing behind"
