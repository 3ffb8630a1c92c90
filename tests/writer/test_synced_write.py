"""A synced write: one system call that writes and syncs, and when the queue may use one."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from sesslog import AutosaveConfig, Session
from sesslog.backends import fileops
from sesslog.backends.fileops import OS_FILE_OPS, FileOps
from sesslog.write import queue as autosave


def _append_only(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def test_the_real_synced_write_appends_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    fd = _append_only(path)
    try:
        assert OS_FILE_OPS.write(fd, b"one\n") == 4
        os.lseek(fd, 0, os.SEEK_SET)  # the file position does not decide where it lands
        assert OS_FILE_OPS.write_synced(fd, (b"two\n",)) == 4
        assert OS_FILE_OPS.write_synced(fd, (b"thr", b"ee", b"\n")) == 6  # gathered
    finally:
        os.close(fd)
    assert path.read_bytes() == b"one\ntwo\nthree\n"


needs_dsync = pytest.mark.skipif(not fileops._RWF_DSYNC, reason="no pwritev2 with RWF_DSYNC here")


@needs_dsync
def test_a_kernel_refusing_the_flag_gets_write_then_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def refuse(*_args: object) -> int:
        calls.append("pwritev")
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))

    monkeypatch.setattr(os, "pwritev", refuse, raising=False)
    monkeypatch.setattr(fileops, "_dsync_works", True)
    path = tmp_path / "f.jsonl"
    fd = _append_only(path)
    try:
        ops = fileops._OsFileOps()
        assert ops.write_synced(fd, (b"one\n",)) == 4
        assert ops.write_synced(fd, (b"two", b"\n")) == 4
    finally:
        os.close(fd)
    assert path.read_bytes() == b"one\ntwo\n"
    assert calls == ["pwritev"]  # asked once, then written and synced the portable way


@needs_dsync
def test_other_errors_of_the_synced_write_are_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwritev", fail, raising=False)
    monkeypatch.setattr(fileops, "_dsync_works", True)
    fd = _append_only(tmp_path / "f.jsonl")
    try:
        with pytest.raises(OSError) as caught:
            fileops._OsFileOps().write_synced(fd, (b"one\n",))
    finally:
        os.close(fd)
    assert caught.value.errno == errno.ENOSPC
    assert fileops._dsync_works


class Recorded(FileOps):
    """The real calls, each named in ``calls``; a synced write is left to the default."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def write(self, fd: int, data: bytes | memoryview) -> int:
        self.calls.append("write")
        return os.write(fd, data)

    def sync(self, fd: int) -> None:
        self.calls.append("sync")
        os.fsync(fd)


class SyncedWrites(Recorded):
    """Like :class:`Recorded`, telling a synced write apart from a write and a sync."""

    def write_synced(self, fd: int, parts: tuple[bytes, ...]) -> int:
        self.calls.append("write_synced")
        written = os.write(fd, b"".join(parts))
        os.fsync(fd)
        return written


def test_a_file_layer_that_overrides_write_and_sync_sees_every_synced_write(
    tmp_path: Path,
) -> None:
    ops = Recorded()
    fd = _append_only(tmp_path / "f.jsonl")
    try:
        assert ops.write_synced(fd, (b"one", b"\n")) == 4
    finally:
        os.close(fd)
    assert ops.calls == ["write", "sync"]  # the parts joined: one write
    assert (tmp_path / "f.jsonl").read_bytes() == b"one\n"


def test_a_strict_appender_alone_makes_one_synced_write(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    Session.create(path=path, cwd="/work").close()
    session = Session.open(path, durability="strict")
    ops = SyncedWrites()
    session.backend.ops = ops
    try:
        for number in range(3):
            session.append_custom("step", {"n": number})
    finally:
        session.close()
    assert ops.calls == ["write_synced"] * 3
    assert len(Session.open(path)) == 3


def test_lines_written_unsynced_are_never_covered_by_a_synced_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: Any
) -> None:
    """Without write-behind, balanced writes each line and syncs when a sync is due. A synced
    write may sync only its own bytes, so when lines before it are unsynced, the writer
    writes and then syncs the whole file."""
    now = [1000.0]
    monkeypatch.setattr(autosave, "_monotonic", lambda: now[0])
    path = tmp_path / "s.jsonl"
    Session.create(path=path, cwd="/work").close()
    config = AutosaveConfig.for_mode("balanced", write_behind=False, sync_interval=10.0)
    session = Session.open(path, durability=config)
    ops = SyncedWrites()
    session.backend.ops = ops
    try:
        session.append_custom("first")  # no sync due
        assert ops.calls == ["write"]
        now[0] += 60  # a sync is due now
        session.append_custom("second")
        assert ops.calls == ["write", "write", "sync"]
        now[0] += 60
        session.append_custom("third")  # everything before it is synced: one call
        assert ops.calls == ["write", "write", "sync", "write_synced"]
        metrics = session.metrics
        assert metrics is not None and metrics.synced == 3
    finally:
        session.close()
    assert len(kit.ids(path)) == 3
