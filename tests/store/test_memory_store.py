"""A store in memory keeps every byte in the storage seam's memory backend: what the catalog
lists is what the backend holds, a writer's lease is honoured, nothing touches the disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sesslog.backends.memory import MemoryBackend
from sesslog.errors import SessionLockedError
from sesslog.store import SessionStore
from sesslog.store.memory import MemoryFiles


def test_every_byte_is_in_the_memory_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = SessionStore.in_memory()
    files = store.files
    assert isinstance(files, MemoryFiles) and isinstance(files.backend, MemoryBackend)
    session = store.create("/srv/app", title="Kept in memory", tags=["ops"])
    session.append_user_message("the lexer drops a token")
    key = session.key
    # a strict append is in the backend's log when it returns, and the catalog reads it there
    data = files.backend.read(key)
    assert data.count(b"\n") == 4 and b"the lexer drops a token" in data
    info = store.resolve("Kept in memory")
    assert (info.key, info.bytes, info.entries) == (key, len(data), 3)  # the header is no entry
    assert [h.entry for h in store.search("lexer")] == [session.leaf_id]
    session.close()
    assert os.listdir(tmp_path) == []  # nothing written to the disk


def test_trash_restore_and_empty_through_the_backend() -> None:
    store = SessionStore.in_memory()
    store.create("/w", title="Doomed").close()
    key = store.resolve("Doomed").key
    item = store.delete("Doomed")
    assert store.list() == [] and store.files.backend.list() == []
    assert [i.key for i in store.files.backend.list(trash=True)] == [item.location]
    assert store.restore(item.trash_key).key == key
    store.delete(key)
    trashed = [i.trash_key for i in store.trash()]
    assert len(trashed) == 1 and [i.trash_key for i in store.empty_trash()] == trashed
    assert store.files.backend.list(trash=True) == []


def test_a_session_being_written_is_not_trashed() -> None:
    store = SessionStore.in_memory()
    writer = store.create("/w", title="Busy")
    with pytest.raises(SessionLockedError):
        store.delete("Busy")
    writer.close()
    store.delete("Busy")
    assert store.list() == []
