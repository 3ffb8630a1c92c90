"""A deleted or damaged catalog is rebuilt on the next use, with the same answers."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from store_builders import SessionFile, usage

from sesslog.store import SessionStore


def _fill(root: Path, count: int = 30) -> None:
    for n in range(count):
        s = SessionFile(root, f"/home/dev/p{n % 4}", start=36000 + 60 * n)
        s.user(f"question {n} about the tokenizer " + "and its many rules " * 40)
        s.assistant(f"answer {n} " + "explaining the rules " * 40, use=usage(n, n, cost=0.01 * n))
        s.meta(tags=[f"t{n % 5}"])


def _answers(store: SessionStore) -> tuple[object, ...]:
    return (store.list(), store.search("tokenizer", limit=50), store.stats())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    _fill(tmp_path)
    return tmp_path


def _catalog(root: Path) -> Path:
    return root / ".sesslog" / "catalog.sqlite"


def _sound(path: Path) -> bool:
    con = sqlite3.connect(path)
    try:
        return bool(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    finally:
        con.close()


def test_deleted_catalog_is_rebuilt(root: Path) -> None:
    with SessionStore(root) as store:
        before = _answers(store)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{_catalog(root)}{suffix}").unlink(missing_ok=True)
    with SessionStore(root) as store:
        assert _answers(store) == before
        assert store.catalog_status().kind == "sqlite"
    assert _sound(_catalog(root))


def test_catalog_deleted_under_an_open_store_is_rebuilt(root: Path) -> None:
    store = SessionStore(root)
    before = _answers(store)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{_catalog(root)}{suffix}").unlink(missing_ok=True)
    assert _answers(store) == before
    assert _catalog(root).exists()
    store.close()


def test_garbage_catalog_is_rebuilt(root: Path) -> None:
    with SessionStore(root) as store:
        before = _answers(store)
    for suffix in ("-wal", "-shm"):
        Path(f"{_catalog(root)}{suffix}").unlink(missing_ok=True)
    _catalog(root).write_bytes(os.urandom(50_000))
    sessions = {p: p.read_bytes() for p in root.glob("--*--/*.jsonl")}
    with SessionStore(root) as store:
        assert _answers(store) == before
    assert _sound(_catalog(root))
    assert {p: p.read_bytes() for p in root.glob("--*--/*.jsonl")} == sessions


def test_damaged_pages_are_rebuilt(root: Path) -> None:
    with SessionStore(root) as store:
        before = _answers(store)
    path = _catalog(root)
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    size = path.stat().st_size
    assert size > 8 * page_size
    with open(path, "r+b") as f:  # garbage over every page after the first
        f.seek(page_size)
        f.write(os.urandom(size - page_size))
    with SessionStore(root) as store:
        assert _answers(store) == before
    assert _sound(path)


def test_an_empty_catalog_file_is_rebuilt(root: Path) -> None:
    with SessionStore(root) as store:
        before = _answers(store)
    for suffix in ("-wal", "-shm"):
        Path(f"{_catalog(root)}{suffix}").unlink(missing_ok=True)
    _catalog(root).write_bytes(b"")
    with SessionStore(root) as store:
        assert _answers(store) == before


def test_catalog_of_another_root_is_rebuilt(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with SessionStore(root) as store:
        before = _answers(store)
    moved = tmp_path_factory.mktemp("moved") / "sessions"
    root.rename(moved)
    with SessionStore(moved) as store:
        after = _answers(store)
    assert [i.path for i in after[0]] == [i.path.replace(str(root), str(moved)) for i in before[0]]  # type: ignore[attr-defined]


def test_rebuild_command(root: Path) -> None:
    with SessionStore(root) as store:
        before = _answers(store)
        report = store.rebuild_catalog()
        assert report.added == 30
        assert _answers(store) == before


def test_lone_surrogates_are_listed_and_searched_with_a_replacement_character(
    tmp_path: Path,
) -> None:
    """A cut emoji (a lone surrogate escape, as pi and Claude Code write) in a working
    directory, a message and a title: the catalog keeps U+FFFD in its place, the file keeps
    its bytes, and listing and search still work."""
    folder = tmp_path / "--home-dev-cut--"
    folder.mkdir()
    path = folder / "2026-01-05T10-00-00-000Z_0192f2c8-0000-7000-8000-00000000cafe.jsonl"
    path.write_bytes(
        b'{"type":"session","version":3,"id":"0192f2c8-0000-7000-8000-00000000cafe",'
        b'"timestamp":"2026-01-05T10:00:00.000Z","cwd":"/home/dev/cut\\ud83d"}\n'
        b'{"type":"message","id":"u1","parentId":null,"timestamp":"2026-01-05T10:00:01.000Z",'
        b'"message":{"role":"user","content":"the tokenizer \\ud83d cut here","timestamp":1}}\n'
        b'{"type":"session_info","id":"i1","parentId":"u1",'
        b'"timestamp":"2026-01-05T10:00:02.000Z","name":"half \\ud83d emoji"}\n'
    )
    before = path.read_bytes()
    with SessionStore(tmp_path) as store:
        (info,) = store.list()
        assert info.title == "half \ufffd emoji"
        assert info.cwd == "/home/dev/cut\ufffd"
        assert info.preview == "the tokenizer \ufffd cut here"
        (hit,) = store.search("tokenizer")
        assert (hit.session.id, hit.entry) == (info.id, "u1")
        assert "\ufffd" in hit.snippet
    assert path.read_bytes() == before
