"""The store the command-line tests run on."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runs import Store, make_store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The test store, also as ``$SESSLOG_ROOT``."""
    root = tmp_path / "sessions"
    monkeypatch.setenv("SESSLOG_ROOT", str(root))
    return make_store(root)
