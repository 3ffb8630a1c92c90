"""Where the import tests' sources are: the shared real samples and the generated sources."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"
SOURCES = REPO_ROOT / "fixtures" / "sources"


def shared_files(name: str) -> list[Path]:
    """The ``*.jsonl`` files of ``../shared/fixtures/<name>`` (empty when missing)."""
    return sorted((SHARED_FIXTURES / name).glob("*.jsonl"))


def params(files: list[Path], what: str) -> list[object]:
    """pytest parameters for files, or one skipped parameter saying what is missing."""
    if not files:
        reason = f"{what} not found (expected in {SHARED_FIXTURES}); skipped"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="missing")]
    return [pytest.param(path, id=path.name[:60]) for path in files]
