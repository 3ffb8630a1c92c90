"""``benchmarks/bench_export.py --quick --no-claude`` runs end to end and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_export_quick_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_export.py"), "--quick", "--no-claude"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    for text in ("1,000-entry session", "baseline: copy the file", "open + html", "page:"):
        assert text in done.stdout
