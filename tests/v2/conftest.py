"""Fixtures of the V2 sidecar tests: small sessions on disk."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sidecar_helpers import REPO_ROOT


@pytest.fixture(scope="session")
def make_v3() -> Callable[..., bytes]:
    """``make_v3(n, seed, **options)``: a realistic v3 session's bytes from
    ``fixtures/generate.py`` (cached)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from fixtures.generate import make_v3_session

    cache: dict[tuple[Any, ...], bytes] = {}

    def make(n: int, seed: int = 1, **options: Any) -> bytes:
        key = (n, seed, tuple(sorted(options.items())))
        if key not in cache:
            options.setdefault("line_bytes", 400)
            cache[key] = make_v3_session(n, seed, **options)
        return cache[key]

    return make


@pytest.fixture
def session_file(tmp_path: Path) -> Callable[[bytes], Path]:
    """``session_file(data)``: write ``data`` as ``<tmp>/s.jsonl`` and return its path."""

    def write(data: bytes, name: str = "s.jsonl") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def branchy(make_v3: Callable[..., bytes], session_file: Callable[[bytes], Path]) -> Path:
    """A session of 600 entries with branches, compactions and labels, about 250 KiB."""
    data = make_v3(600, 3, branch_every=40, compaction_every=150, label_every=25)
    return session_file(data)
