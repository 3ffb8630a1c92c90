"""SessionWriter: creation, locking, torn-tail repair, one write() per call."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from sesslog import FormatError, Session, SessionLockedError, WriterFailedError
from sesslog.backends.local_writer import SessionWriter
from sesslog.backends.locks import lock_holder_pid, writer_active
from sesslog.format.diagnostics import Reason

HEADER = (
    b'{"type":"session","version":3,"id":"s1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
)
E1 = b'{"type":"custom","id":"e1","parentId":null,"timestamp":"2026-01-05T10:00:01.000Z","customType":"t"}\n'
E2 = b'{"type":"custom","id":"e2","parentId":"e1","timestamp":"2026-01-05T10:00:02.000Z","customType":"t"}\n'


def test_create_writes_a_synced_header_with_private_mode(tmp_path: Path, kit: Any) -> None:
    ops = kit.FaultyOps()
    path = tmp_path / "deep" / "folder" / "s.jsonl"
    with SessionWriter(path, header=HEADER, ops=ops):
        assert path.read_bytes() == HEADER
        assert ops.calls == [("write", len(HEADER)), ("sync", 0)]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert writer_active(path)
    assert not writer_active(path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["s.jsonl"]  # no leftovers


def test_create_refuses_an_existing_file_and_a_planted_symlink(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(HEADER + E1)
    with pytest.raises(FileExistsError):
        SessionWriter(path, header=HEADER)
    assert path.read_bytes() == HEADER + E1
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"keep me")
    link = tmp_path / "planted.jsonl"
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        SessionWriter(link, header=HEADER)
    with pytest.raises(OSError):
        SessionWriter(link)  # O_NOFOLLOW
    assert target.read_bytes() == b"keep me"


def test_open_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        SessionWriter(tmp_path / "missing.jsonl")


def test_each_call_is_one_write_of_whole_lines(tmp_path: Path, kit: Any) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(HEADER)
    ops = kit.FaultyOps()
    with SessionWriter(path, ops=ops) as writer:
        writer.write_lines(E1 + E2[:-1])
        writer.sync()
    assert ops.calls == [("write", len(E1 + E2)), ("sync", 0)]
    assert path.read_bytes() == HEADER + E1 + E2


def test_lines_that_end_already_are_written_as_they_are(tmp_path: Path, kit: Any) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(HEADER)
    ops = kit.FaultyOps()
    with SessionWriter(path, ops=ops) as writer:
        writer.write_lines(E1 + E2, end=b"")
        writer.write_lines(E1.replace(b"e1", b"e3"), sync=True, end=b"")
    assert ops.calls == [("write", len(E1 + E2)), ("write", len(E1)), ("sync", 0)]
    assert path.read_bytes() == HEADER + E1 + E2 + E1.replace(b"e1", b"e3")


_REST = len(E1) - 10


@pytest.mark.parametrize(
    ("sync", "calls"),
    [
        (False, [("write", 10), ("write", _REST)]),
        # the line and its ending were gathered into one synced write: the rest is synced again
        (True, [("write", 10), ("sync", 0), ("write", _REST), ("sync", 0)]),
    ],
)
def test_a_short_write_is_finished_not_left_torn(
    tmp_path: Path, kit: Any, sync: bool, calls: list[tuple[str, int]]
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(HEADER)
    ops = kit.FaultyOps()
    ops.short = 10
    with SessionWriter(path, ops=ops) as writer:
        writer.write_lines(E1[:-1], sync=sync)
    assert ops.calls == calls
    assert path.read_bytes() == HEADER + E1


def test_torn_tail_is_moved_to_a_side_file_and_cut(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    torn = E2[:30]
    path.write_bytes(HEADER + E1 + torn)
    with SessionWriter(path) as writer:
        repair = writer.repair
        assert repair is not None
        assert repair.offset == len(HEADER + E1)
        assert repair.length == len(torn)
        assert not repair.newline_added
        side = Path(repair.side_file or "")
        assert side.name == f"s.jsonl.torn-at-{len(HEADER + E1)}"
        assert side.read_bytes() == torn
        assert path.read_bytes() == HEADER + E1
        writer.write_lines(E2[:-1])
    data = Session.open(path)
    assert [rec.id for rec in data.tree] == ["e1", "e2"]
    assert data.diagnostics.ok


def test_nul_padding_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(HEADER + E1 + b"\x00" * 4096)
    with SessionWriter(path) as writer:
        assert writer.repair is not None
        assert Path(writer.repair.side_file or "").read_bytes() == b"\x00" * 4096
    assert path.read_bytes() == HEADER + E1


def test_complete_final_record_only_gets_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(HEADER + E1 + E2[:-1])
    with SessionWriter(path) as writer:
        assert writer.repair is not None and writer.repair.newline_added
        assert writer.repair.side_file is None
    assert path.read_bytes() == HEADER + E1 + E2
    assert list(tmp_path.iterdir()) == [path]


def test_repeated_tears_at_one_offset_keep_every_side_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    offset = len(HEADER + E1)
    path.write_bytes(HEADER + E1 + b'{"type":"cus')
    SessionWriter(path).close()
    path.write_bytes(HEADER + E1 + b'{"type":"other torn')
    SessionWriter(path).close()
    path.write_bytes(HEADER + E1 + b'{"type":"cus')  # the first tear again: same name reused
    SessionWriter(path).close()
    sides = sorted(p.name for p in tmp_path.iterdir() if p != path)
    assert sides == [f"s.jsonl.torn-at-{offset}", f"s.jsonl.torn-at-{offset}.2"]
    assert (tmp_path / f"s.jsonl.torn-at-{offset}.2").read_bytes() == b'{"type":"other torn'


def test_a_file_without_a_complete_first_line_is_never_cut(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(HEADER[:20])
    with pytest.raises(FormatError) as info:
        SessionWriter(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == HEADER[:20]


def test_second_writer_is_refused_naming_file_and_pid(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with SessionWriter(path, header=HEADER):
        with pytest.raises(SessionLockedError) as info:
            SessionWriter(path)
        assert info.value.path == str(path)
        assert info.value.holder_pid == os.getpid()
        assert str(path) in str(info.value) and str(os.getpid()) in str(info.value)
        assert lock_holder_pid(path) == os.getpid()
    assert lock_holder_pid(path) is None


def test_second_writer_waits_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    first = SessionWriter(path, header=HEADER)
    release = threading.Timer(0.2, first.close)
    release.start()
    with SessionWriter(path, wait=30) as second:
        second.write_lines(E1[:-1])
    release.join()
    assert path.read_bytes() == HEADER + E1


def test_a_closed_writer_refuses_writes(tmp_path: Path) -> None:
    writer = SessionWriter(tmp_path / "s.jsonl", header=HEADER)
    writer.close()
    writer.close()  # twice is fine
    assert writer.closed
    with pytest.raises(WriterFailedError, match="closed"):
        writer.write_lines(E1[:-1])


def test_reader_reports_an_unterminated_line_under_a_held_lock_as_in_progress(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(HEADER + E1 + E2[:25])
    assert Session.open(path).diagnostics.by_reason(Reason.TORN_TAIL)
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what a writer in another process holds
        seen = Session.open(path).diagnostics
        assert seen.by_reason(Reason.IN_PROGRESS)
        assert not seen.by_reason(Reason.TORN_TAIL)
    finally:
        os.close(fd)
