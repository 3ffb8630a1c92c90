"""``benchmarks/bench_v2.py --quick`` runs end to end and prints every measurement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sidecar_helpers import REPO_ROOT


def test_bench_v2_quick_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "benchmarks" / "bench_v2.py"),
            "--quick",
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
    for text in ("jsonl full", "v2 full", "v2 active", "v2 tail100", "v2/jsonl", "catch-up"):
        assert text in out
    assert out.count("[met]") + out.count("[MISSED]") == 5
    assert "[met] sidecar <= 35% of the JSONL" in out
    assert not list(tmp_path.glob("*.v2")), "the benchmark leaves no sidecar behind"
