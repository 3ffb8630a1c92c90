"""Reading a large session file through a read-only mapping: which files are mapped, that the
answers are those of a copy, that sesslog's own in-place cut (a torn tail moved aside) never
reaches a mapping, and the limit the documentation states (a file cut short in place under a
mapping stops the process), with the switch that avoids it."""

from __future__ import annotations

import mmap
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sesslog import Session
from sesslog.backends import local
from sesslog.backends.local import MAP_MIN, LocalFolder
from sesslog.cli.inputs import NO_MMAP, open_session
from sesslog.errors import UnsafeSessionFileError

HEADER = (
    b'{"type":"session","version":3,"id":"s1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
)


def _large_session(path: Path, entries: int = 0) -> bytes:
    """A clean session of at least MAP_MIN bytes (or ``entries`` entries), written to ``path``."""
    session = Session.create(cwd="/w", path=path)
    text = "x" * 2000
    count = entries or MAP_MIN // 2000 + 1
    for n in range(count):
        session.append_user_message(f"{n} {text}")
    session.close()
    return path.read_bytes()


def test_only_a_large_file_ending_with_a_complete_line_is_mapped(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    data = _large_session(path)
    folder, key = LocalFolder.for_file(path)
    mapping = folder.map(key)
    assert isinstance(mapping, mmap.mmap) and mapping[:] == data

    small = tmp_path / "small.jsonl"
    small.write_bytes(HEADER)
    assert LocalFolder.for_file(small)[0].map("small.jsonl") is None  # below MAP_MIN: copied

    path.write_bytes(data + b'{"type":"mess')  # a torn tail: read from a copy
    assert folder.map(key) is None

    with pytest.raises(FileNotFoundError):
        folder.map("missing.jsonl")


def test_a_mapping_never_follows_a_symlink_in_a_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    _large_session(outside)
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.jsonl").symlink_to(outside)
    with pytest.raises(UnsafeSessionFileError, match="symlink"):
        LocalFolder(root).map("link.jsonl")


def test_a_mapped_session_answers_as_a_copied_one(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    _large_session(path)
    mapped = Session.open(path, map_file=True, read_only=True)
    copied = Session.open(path, read_only=True)
    assert isinstance(next(iter(mapped.tree)).data, mmap.mmap)
    assert isinstance(next(iter(copied.tree)).data, bytes)
    assert list(mapped.tree) == list(copied.tree)
    assert mapped.context() == copied.context()
    assert mapped.export_jsonl() == copied.export_jsonl()


def test_a_legacy_file_is_read_from_a_copy(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local, "MAP_MIN", 0)
    path = tmp_path / "v2.jsonl"
    path.write_bytes(
        b'{"type":"session","version":2,"id":"v2","timestamp":"2025-11-20T23:33:50.805Z",'
        b'"cwd":"/"}\n'
        b'{"type":"message","id":"a","parentId":null,"timestamp":"2025-11-20T23:34:01.000Z",'
        b'"message":{"role":"user","content":"q","timestamp":1}}\n'
    )
    session = Session.open(path, map_file=True, read_only=True)
    assert session.file_version == 2
    assert isinstance(next(iter(session.tree)).data, bytes)  # pi rewrites these in place


def test_the_commands_map_unless_told_not_to(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local, "MAP_MIN", 0)
    path = tmp_path / "s.jsonl"
    _large_session(path, entries=3)
    monkeypatch.delenv(NO_MMAP, raising=False)
    assert isinstance(next(iter(open_session(path, "tolerant").tree)).data, mmap.mmap)
    monkeypatch.setenv(NO_MMAP, "1")
    assert isinstance(next(iter(open_session(path, "tolerant").tree)).data, bytes)


#: Opens the session mapped, lets ``sys.argv[2]`` happen to the file, then reads every line.
PROBE = """
import os, sys
from sesslog import Session
from sesslog.backends import local

local.MAP_MIN = 0
path = sys.argv[1]
session = Session.open(path, map_file=sys.argv[3] == "mapped", read_only=True)
before = [rec.raw for rec in session.tree]
if sys.argv[2] == "torn-tail":  # a crashed writer's partial line, moved aside by the next one
    with open(path, "ab") as file:
        file.write(b'{"type":"message","id":"torn"' + b"x" * 20000)
    writer = Session.open(path)
    writer.append_user_message("after the repair")
    writer.close()
else:  # another program rewrites the file in place: cut to nothing, then written again
    os.truncate(path, 0)
after = [rec.raw for rec in session.tree]
print(len(after), after == before)
"""


def _probe(path: Path, change: str, how: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, str(path), change, how],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_torn_tail_moved_aside_never_reaches_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _large_session(path, entries=40)
    done = _probe(path, "torn-tail", "mapped")
    assert (done.returncode, done.stdout.strip()) == (0, "40 True"), done.stderr
    reread = Session.open(path, read_only=True)
    assert len(reread.tree) == 41 and not reread.diagnostics.diagnostics


@pytest.mark.skipif(not hasattr(signal, "SIGBUS"), reason="no SIGBUS on this system")
def test_a_file_cut_short_in_place_stops_a_mapped_reader_and_not_a_copying_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.jsonl"
    data = _large_session(path, entries=40)  # about 80 KiB: lines on pages past the first
    assert _probe(path, "cut", "mapped").returncode == -signal.SIGBUS
    path.write_bytes(data)
    done = _probe(path, "cut", "copied")
    assert (done.returncode, done.stdout.strip()) == (0, "40 True"), done.stderr
