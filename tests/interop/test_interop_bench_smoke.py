"""``benchmarks/bench_interop.py --quick --no-claude`` runs end to end and prints every
measurement, import and export."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from import_sources import REPO_ROOT, SOURCES


def test_bench_interop_quick_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location(
        "bench_interop", REPO_ROOT / "benchmarks" / "bench_interop.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_interop", bench)
    spec.loader.exec_module(bench)
    samples = SOURCES / "claude" / "damaged"
    argv = ["--quick", "--no-claude", "--samples", str(samples), "--root", str(tmp_path)]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    for row in ("| import |", "| import again |", "| convert only |", "| msgspec decode |"):
        assert row in out
    for text in ("1,000-entry session", "| copy the file |", "| open + html |", "page: "):
        assert text in out
    assert out.count("[met]") + out.count("[MISSED]") == 1
    assert not list(tmp_path.iterdir()), "the benchmark leaves nothing behind"
