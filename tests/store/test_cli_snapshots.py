"""``snapshot``, ``restore``, ``undo`` and ``redo``: leaf moves, nothing deleted."""

from __future__ import annotations

import pytest
from cli_runs import Store, files, run

Cap = pytest.CaptureFixture[str]


def _leaf(capsys: Cap) -> str:
    leaf: str = run(capsys, "tree", "Parser", "--json").json()["path"][-1]
    return leaf


def _target(capsys: Cap) -> str:
    """The entry the leaf stands on (the last leaf move's parent)."""
    path: list[str] = run(capsys, "tree", "Parser", "--json").json()["path"]
    return path[-2]


def test_snapshot_restore_undo_redo(capsys: Cap, store: Store) -> None:
    tip = _leaf(capsys)
    done = run(capsys, "snapshot", "Parser", "before", "--json")
    assert done.code == 0 and done.json()["target"] == tip
    listed = run(capsys, "snapshot", "Parser", "--json").json()
    assert listed["snapshots"] == {"before": tip}
    moved = run(capsys, "branch", "Parser", store.first, "--json").json()["leaf"]
    assert _target(capsys) == store.first

    restored = run(capsys, "restore", "Parser", "before", "--json").json()
    assert (restored["move"], restored["target"]) == ("restore", tip)
    assert _target(capsys) == tip
    undone = run(capsys, "undo", "Parser", "--json").json()
    assert (undone["move"], undone["target"]) == ("undo", moved)  # back where the branch left it
    assert _target(capsys) == moved
    redone = run(capsys, "redo", "Parser", "--json").json()
    assert (redone["move"], redone["target"]) == ("redo", restored["leaf"])
    text = run(capsys, "undo", "Parser")
    assert text.code == 0 and "undo: leaf moved to" in text.out
    entries = run(capsys, "open", "Parser", "--json").json()["entries"]
    assert entries == 7 + 6  # a snapshot and five leaf moves appended, nothing removed


def test_refusals_change_nothing(capsys: Cap, store: Store) -> None:
    before = files(store.root)
    missing = run(capsys, "restore", "Parser", "nope", "--json")
    assert missing.code == 4 and "no snapshot named 'nope'" in missing.json()["error"]
    nothing = run(capsys, "redo", "Parser")
    assert nothing.code == 1 and "no undo to redo" in nothing.err
    assert run(capsys, "undo", "Parser").code == 1
    bad = run(capsys, "snapshot", "Parser", "bad\x1bname")
    assert bad.code == 2 and "control character" in bad.err
    assert files(store.root) == before
