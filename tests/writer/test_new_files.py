"""New files: born complete, never over another file, never through a check-then-rename race;
temporary files of whole-file replacement are exclusive and removed when a write fails."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from sesslog import Session
from sesslog.backends.fs import atomic_write_bytes
from sesslog.backends.local import LocalFolder

HEADER = (
    b'{"type":"session","version":3,"id":"s","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
)


def test_racing_creators_of_one_file_make_one_whole_file(tmp_path: Path) -> None:
    backend = LocalFolder(tmp_path)
    contents = [HEADER + f'{{"type":"custom","n":{n}}}\n'.encode() * 200 for n in range(8)]
    won: list[int] = []
    lost: list[int] = []
    start = threading.Barrier(len(contents))

    def create(n: int) -> None:
        start.wait()
        try:
            backend.create("s.jsonl", contents[n]).close()
            won.append(n)
        except FileExistsError:
            lost.append(n)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(len(contents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == len(contents) - 1
    assert (tmp_path / "s.jsonl").read_bytes() == contents[won[0]]
    assert sorted(os.listdir(tmp_path)) == ["s.jsonl"]  # no hidden file left behind


def test_a_fork_never_replaces_a_file_or_follows_a_planted_link(tmp_path: Path) -> None:
    session = Session.create(path=tmp_path / "s.jsonl", cwd="/work")
    session.append_user_message("hello")
    taken = tmp_path / "taken.jsonl"
    taken.write_bytes(b"mine\n")
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep\n")
    planted = tmp_path / "planted.jsonl"
    planted.symlink_to(victim)
    for target in (taken, planted):
        with pytest.raises(FileExistsError):
            session.fork(path=target)
    assert taken.read_bytes() == b"mine\n" and victim.read_bytes() == b"keep\n"
    forked = session.fork(path=tmp_path / "fork.jsonl")
    assert [r.raw for r in forked.tree] == [r.raw for r in session.tree]
    session.close()


def test_a_failed_creation_leaves_nothing(tmp_path: Path) -> None:
    from sesslog.backends.fileops import OS_FILE_OPS

    class Failing(type(OS_FILE_OPS)):  # type: ignore[misc]
        def link(self, source: str, target: str) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    backend = LocalFolder(tmp_path, ops=Failing())
    with pytest.raises(OSError):
        backend.create("s.jsonl", HEADER)
    assert os.listdir(tmp_path) == []


def test_replacement_files_are_exclusive_and_cleaned_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "manifest.json"
    target.write_bytes(b"old")
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    # the name a pid-only temporary file would have had: a planted link there changes nothing
    (tmp_path / f".manifest.json.{os.getpid()}.tmp").symlink_to(victim)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and victim.read_bytes() == b"keep"

    def full(fd: int, data: bytes | memoryview) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    before = sorted(os.listdir(tmp_path))
    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"newer")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == before  # the temporary file was removed
    assert target.read_bytes() == b"new"
