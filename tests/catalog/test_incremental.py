"""The catalog reads only what changed: nothing when nothing did, only the appended bytes of a
session that grew (checked by counting the reads of the store's real files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_builders import SessionFile, usage

from sesslog.catalog.refresh import HEAD_BYTES, TAIL_BYTES
from sesslog.catalog.sqlite import SQLiteCatalog
from sesslog.format.timestamps import now_ms
from sesslog.store import SessionStore
from sesslog.store.backend import FolderFiles
from sesslog.write.modes import AutosaveDurabilityMode


class CountingFolder(FolderFiles):
    """A local folder that records every read: (key, offset, bytes returned)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)
        self.reads: list[tuple[str, int, int]] = []

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        data = super().read(key, offset, length)
        self.reads.append((key, offset, len(data)))
        return data


def _store(root: Path, count: int) -> list[SessionFile]:
    sessions = []
    for n in range(count):
        s = SessionFile(root, f"/home/dev/p{n % 3}", start=36000 + n)
        s.user(f"task number {n} " + "with some words " * 200)
        s.assistant("working on it " * 30, use=usage(10, 5, cost=0.001))
        sessions.append(s)
    return sessions


@pytest.fixture
def folder(tmp_path: Path) -> CountingFolder:
    return CountingFolder(tmp_path)


def test_only_the_appended_bytes_are_read(folder: CountingFolder, tmp_path: Path) -> None:
    sessions = _store(tmp_path, 20)
    catalog = SQLiteCatalog(folder, str(tmp_path / "catalog.sqlite"), root=str(tmp_path))
    first = catalog.refresh()
    assert first.added == 20
    assert {key for key, _, _ in folder.reads} == {s.key for s in sessions}

    folder.reads.clear()
    assert catalog.refresh().changed is False
    assert folder.reads == []

    target = sessions[7]
    old_size = target.path.stat().st_size
    target.user("one more question about the lexer")
    appended = target.path.stat().st_size - old_size
    report = catalog.refresh()
    assert (report.caught_up, report.added, report.rebuilt) == (1, 0, 0)
    # the prefix (its hash is kept) and the bytes from just before the old end
    assert folder.reads == [
        (target.key, 0, HEAD_BYTES),
        (target.key, old_size - TAIL_BYTES, TAIL_BYTES + appended),
    ]
    assert report.bytes_read == HEAD_BYTES + TAIL_BYTES + appended
    info = catalog.get(target.key)
    assert info is not None and info.roles["user"] == 2
    catalog.close()


def test_a_small_session_is_read_whole_once(folder: CountingFolder, tmp_path: Path) -> None:
    s = SessionFile(tmp_path)
    s.user("hi")
    catalog = SQLiteCatalog(folder, ":memory:", root="x")
    catalog.refresh()
    folder.reads.clear()
    s.user("again")
    catalog.refresh()
    assert [(key, offset) for key, offset, _ in folder.reads] == [(s.key, 0)]
    assert folder.reads[0][2] == s.path.stat().st_size
    info = catalog.get(s.key)
    assert info is not None and info.entries == 2


def test_a_rewrite_with_the_same_prefix_is_read_whole(
    folder: CountingFolder, tmp_path: Path
) -> None:
    s = _store(tmp_path, 1)[0]
    catalog = SQLiteCatalog(folder, ":memory:", root="x")
    catalog.refresh()
    data = s.path.read_bytes()
    # same length, same first KiB and last bytes, a different middle
    middle = data[2000:2100].replace(b"some", b"SOME")
    assert middle != data[2000:2100]
    s.path.write_bytes(data[:2000] + middle + data[2100:])
    folder.reads.clear()
    report = catalog.refresh()
    assert report.rebuilt == 1
    assert folder.reads == [(s.key, 0, len(data))]


def test_targeted_refresh_looks_at_the_keys_given(folder: CountingFolder, tmp_path: Path) -> None:
    sessions = _store(tmp_path, 5)
    catalog = SQLiteCatalog(folder, ":memory:", root="x")
    catalog.refresh()
    sessions[1].user("more")
    sessions[2].user("more")
    folder.reads.clear()
    report = catalog.refresh([sessions[1].key])
    assert (report.checked, report.caught_up) == (1, 1)
    assert {key for key, _, _ in folder.reads} == {sessions[1].key}
    assert catalog.refresh().caught_up == 1  # the other one, on the next full look


def test_the_store_refreshes_before_every_operation(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session = store.create(cwd="/w", title="Live")
    session.close()
    assert [i.entries for i in store.list()] == [1]
    writer = store.open("Live")
    writer.append_user_message("appended by an agent")
    writer.close()
    assert [i.entries for i in store.list()] == [2]
    report = store.refresh()
    assert report.changed is False and report.bytes_read == 0
    store.close()
