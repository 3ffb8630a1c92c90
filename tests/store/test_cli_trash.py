"""``rm``, ``trash``, ``restore-trash``, ``empty-trash`` and ``cleanup``: nothing is deleted
without an explicit command."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_runs import REPO_ROOT, Store, files, run, run_process
from store_builders import SessionFile

Cap = pytest.CaptureFixture[str]
TRASH = {"trash_key", "key", "id", "location", "deleted", "bytes"}


def _ids(capsys: Cap) -> list[str]:
    return [s["id"] for s in run(capsys, "ls", "--json").json()]


def test_rm_trash_and_restore(capsys: Cap, store: Store) -> None:
    original = store.parser.path.read_bytes()
    done = run(capsys, "rm", "Parser", "--json")
    assert done.code == 0, done.err
    (item,) = done.json()
    assert set(item) == TRASH and item["id"] == "aaaa-1111"
    assert not store.parser.path.exists() and _ids(capsys) == ["bbbb-2222"]
    listed = run(capsys, "trash", "--json").json()
    assert [i["trash_key"] for i in listed] == [item["trash_key"]]
    assert "aaaa-1111" in run(capsys, "trash").out
    back = run(capsys, "restore-trash", "aaaa", "--json")
    assert back.code == 0 and back.json()["title"] == "Parser"
    assert store.parser.path.read_bytes() == original
    assert run(capsys, "trash", "--json").json() == []


def test_rm_checks_every_reference_before_moving_any(capsys: Cap, store: Store) -> None:
    before = files(store.root)
    assert run(capsys, "rm", "Parser", "nope").code == 4
    assert run(capsys, "rm", "Parser", "../x").code == 2
    assert files(store.root) == before


def test_a_session_file_replaced_by_a_symlink_is_refused(capsys: Cap, store: Store) -> None:
    target = store.root.parent / "elsewhere.jsonl"
    target.write_bytes(store.parser.path.read_bytes())
    store.parser.path.unlink()
    os.symlink(target, store.parser.path)
    before = files(store.root)
    for argv in (["rm", "aaaa-1111"], ["tag", "aaaa-1111", "x"], ["name", "aaaa-1111", "y"]):
        done = run(capsys, *argv)
        assert done.code == 2 and "symlink" in done.err, argv
    assert (
        files(store.root) == before
        and target.read_bytes() == before[str(store.parser.path.relative_to(store.root))]
    )


def test_empty_trash_asks_and_deletes_only_with_yes(capsys: Cap, store: Store) -> None:
    assert run(capsys, "rm", "Parser", "bbbb").code == 0
    trashed = files(store.root)
    refused = run_process("empty-trash", "--root", store.root)  # no terminal to ask on
    assert refused.code == 1 and "would delete 2 sessions" in refused.err
    assert "pass --yes" in refused.err and files(store.root) == trashed
    young = run(capsys, "empty-trash", "--older-than", "1d", "--yes", "--json")
    assert young.json() == [] and files(store.root) == trashed
    done = run(capsys, "empty-trash", "--yes", "--json")
    assert done.code == 0 and {i["id"] for i in done.json()} == {"aaaa-1111", "bbbb-2222"}
    assert files(store.root) == {} and run(capsys, "trash", "--json").json() == []
    assert run(capsys, "empty-trash").out == "deleted 0 sessions from the trash for good\n"


def test_cleanup_is_a_dry_run_without_yes(capsys: Cap, store: Store) -> None:
    template = SessionFile(store.root, "/home/dev/app", session_id="tttt-1")
    template.meta(tags=["template"])
    before = files(store.root)
    dry = run(capsys, "cleanup", "--older-than", "30d", "--json")
    assert dry.code == 0 and dry.json()["moved"] is False
    assert {s["id"] for s in dry.json()["sessions"]} == {"aaaa-1111", "bbbb-2222"}
    assert files(store.root) == before
    text = run(capsys, "cleanup", "--older-than", "30")
    assert "would move 2 sessions to the trash (a dry run; pass --yes)" in text.out
    only = run(capsys, "cleanup", "--older-than", "2w", "--cwd", "/home/dev/web", "--json")
    assert [s["id"] for s in only.json()["sessions"]] == ["bbbb-2222"]
    done = run(capsys, "cleanup", "--older-than", "30d", "--yes", "--json")
    assert done.json()["moved"] is True and _ids(capsys) == ["tttt-1"]  # templates are kept
    assert len(run(capsys, "trash", "--json").json()) == 2


@pytest.mark.parametrize("age", ["1x", "-3", "soon", ""])
def test_cleanup_refuses_a_bad_age(capsys: Cap, store: Store, age: str) -> None:
    done = run(capsys, "cleanup", "--older-than", age)
    assert done.code == 2 and "--older-than" in done.err


def _answer_on_a_terminal(root: Path, answer: bytes) -> tuple[int, bytes]:
    """Run ``empty-trash`` with stdin and stderr on a terminal, answer its question."""
    primary, secondary = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "sesslog", "empty-trash", "--root", str(root)],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=secondary,
        cwd=REPO_ROOT,
    )
    os.close(secondary)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"[y/N]" not in seen and time.monotonic() < deadline:
            if select.select([primary], [], [], 0.5)[0]:
                seen += os.read(primary, 4096)
        os.write(primary, answer)
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        os.close(primary)
    return code, seen


@pytest.mark.parametrize(("answer", "deleted"), [(b"y\n", True), (b"\n", False)])
def test_empty_trash_asks_on_a_terminal(
    capsys: Cap, store: Store, answer: bytes, deleted: bool
) -> None:
    assert run(capsys, "rm", "bbbb").code == 0
    code, asked = _answer_on_a_terminal(store.root, answer)
    assert b"delete 1 sessions" in asked
    assert code == (0 if deleted else 1)
    assert (run(capsys, "trash", "--json").json() == []) is deleted
