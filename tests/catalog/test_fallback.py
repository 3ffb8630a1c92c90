"""With the catalog unusable, every operation still works, from the files, with the same
answers, and says so once: a read-only store folder, a full disk during a refresh (a small
real tmpfs, or a file-size limit), a catalog folder that cannot be made."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_builders import SessionFile, usage

from sesslog.errors import CatalogUnavailableWarning
from sesslog.store import SessionStore

CHILD = Path(__file__).with_name("store_child.py")
OPS = ["list", "search:tokenizer", "stats", "status", "list"]
ROOT_USER = os.geteuid() == 0


def _fill(root: Path, count: int = 12) -> None:
    for n in range(count):
        sid = f"0192f2c8-0000-7000-8000-{n:012d}"
        s = SessionFile(root, f"/home/dev/p{n % 3}", session_id=sid, start=36000 + 60 * n)
        s.user(f"question {n} about the tokenizer " + "and its many rules " * 60)
        s.assistant(f"answer {n} " + "explaining the rules " * 60, use=usage(n, n))
        s.name(f"Session {n}")


def _child(root: Path, *ops: str, fsize: int | None = None, unprivileged: bool = False) -> Any:
    """Run the store in another process; as root, ``unprivileged`` drops the capabilities
    that let root ignore file permissions."""
    args = [sys.executable, str(CHILD), str(root)]
    if fsize is not None:
        args += ["--fsize", str(fsize)]
    args += list(ops)
    if unprivileged and ROOT_USER:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is missing: cannot drop file permissions")
        args = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *args]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def expected(tmp_path: Path) -> list[Any]:
    """The answers of a store whose catalog works."""
    reference = tmp_path / "reference"
    _fill(reference)
    answers = _child(reference, *OPS)
    assert answers["warnings"] == 0
    assert answers["answers"][3] == "sqlite"
    return list(answers["answers"])


def _same(answers: dict[str, Any], expected: list[Any]) -> None:
    got = answers["answers"]
    assert got[3] == "scan"
    assert [got[0], got[1], got[2], got[4]] == [expected[0], expected[1], expected[2], expected[4]]
    assert answers["warnings"] == 1


def _chmod_tree(root: Path, mode_dirs: int) -> None:
    for folder, _, _ in os.walk(root):
        os.chmod(folder, mode_dirs)


@pytest.fixture
def readonly_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "ro"
    _fill(root)
    yield root
    _chmod_tree(root, 0o700)


def test_read_only_store_without_a_catalog(readonly_root: Path, expected: list[Any]) -> None:
    _chmod_tree(readonly_root, 0o555)
    _same(_child(readonly_root, *OPS, unprivileged=True), expected)
    assert not (readonly_root / ".sesslog").exists()


def test_read_only_store_with_a_catalog(readonly_root: Path, expected: list[Any]) -> None:
    with SessionStore(readonly_root) as store:
        store.refresh()
    SessionFile(readonly_root, "/home/dev/p9", start=99999).user("written since")
    _chmod_tree(readonly_root, 0o555)
    answers = _child(readonly_root, *OPS, unprivileged=True)
    assert answers["answers"][3] == "scan"
    assert len(answers["answers"][0]) == len(expected[0]) + 1
    assert answers["warnings"] == 1


def test_file_size_limit_during_the_first_build(tmp_path: Path, expected: list[Any]) -> None:
    root = tmp_path / "limited"
    _fill(root)
    before = {p: p.read_bytes() for p in root.rglob("*.jsonl")}
    _same(_child(root, *OPS, fsize=32 * 1024), expected)
    assert {p: p.read_bytes() for p in root.rglob("*.jsonl")} == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs (needs root; skipped otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if not ROOT_USER or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root (the file-size limit test covers it)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_full_disk_during_a_refresh(small_disk: Path, expected: list[Any]) -> None:
    root = small_disk / "sessions"
    _fill(root)
    with SessionStore(root) as store:  # a catalog that works, then the disk fills
        store.refresh()
    for n in range(12, 30):
        s = SessionFile(root, f"/home/dev/p{n % 3}", start=36000 + 60 * n)
        s.user(f"question {n} about the tokenizer " + "and its many rules " * 60)
    free = shutil.disk_usage(small_disk).free
    (small_disk / "filler").write_bytes(b"\0" * max(0, free - 8 * 1024))
    before = {p: p.read_bytes() for p in root.rglob("*.jsonl")}
    answers = _child(root, "list", "search:tokenizer", "status")
    assert answers["answers"][2] == "scan"
    assert len(answers["answers"][0]) == 30
    assert len(answers["answers"][1]) == 30
    assert answers["warnings"] == 1
    assert {p: p.read_bytes() for p in root.rglob("*.jsonl")} == before
    (small_disk / "filler").unlink()
    with SessionStore(root) as store:  # room again: the catalog catches up
        assert store.catalog_status().kind == "sqlite"
        assert len(store.list()) == 30


def test_catalog_folder_that_is_a_file(tmp_path: Path) -> None:
    _fill(tmp_path, 3)
    (tmp_path / ".sesslog").write_text("not a folder")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = SessionStore(tmp_path)
        assert [i.title for i in store.list(order="title", descending=False)] == [
            "Session 0",
            "Session 1",
            "Session 2",
        ]
        assert store.search("tokenizer", limit=10)[0].snippet.count("«tokenizer»") == 1
        status = store.catalog_status()
        store.close()
    assert status.kind == "scan" and status.reason is not None
    assert sum(issubclass(w.category, CatalogUnavailableWarning) for w in caught) == 1
