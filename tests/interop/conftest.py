"""Shared fixture of the import tests: a fresh sessions root (the sources' paths are in
``import_sources.py``, imported by name: every test folder has its own ``conftest``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty sessions root."""
    return tmp_path / "sessions"
