"""Pointed at a real pi sessions folder, the store lists every session with the facts the
session itself gives, and the file tools pi ships are counted."""

from __future__ import annotations

import doctest
import importlib
import shutil
from pathlib import Path

import pytest
from store_builders import PI_REAL, PI_WILD, SHARED

from sesslog import Session
from sesslog.store import SessionStore


@pytest.fixture
def pi_root(tmp_path: Path) -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED}")
    for source in [*PI_REAL.glob("*.jsonl"), *PI_WILD.glob("*.jsonl")]:
        folder = tmp_path / "--home-pi-work--"
        folder.mkdir(exist_ok=True)
        shutil.copy(source, folder / source.name)
    return tmp_path


def test_facts_agree_with_the_sessions(pi_root: Path) -> None:
    with SessionStore(pi_root) as store:
        listed = store.list()
        assert len(listed) == len(list(pi_root.glob("*/*.jsonl")))
        for info in listed:
            session = Session.open(info.path, read_only=True)
            assert info.entries == len(session.tree), info.path
            assert info.title == session.name
            assert info.id == session.id and info.cwd == session.cwd
            assert info.leaf == session.leaf_id
            messages = sum(1 for rec in session.tree if rec.type == "message")
            assert info.messages == messages
            assert info.error is None
        stats = store.stats()
        tools = {t.tool: t.calls for t in stats.tools}
        assert {"bash", "read", "edit", "write"} <= set(tools)
        touched = sum(info.files for info in listed)
        assert touched > 0
        details = [store.info(info.id) for info in listed if info.files]
        assert all(d.files for d in details)
        assert store.search("edit", limit=5)


@pytest.mark.parametrize(
    "module",
    [
        "sesslog.store",
        "sesslog.store.store",
        "sesslog.store.metadata",
        "sesslog.store.tokens",
    ],
)
def test_docstring_examples(module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
