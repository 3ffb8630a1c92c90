"""One writer per session across processes; readers see a writer's unfinished line as in progress."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sesslog import Session, SessionChangedError, SessionLockedError
from sesslog.backends.fileops import FileOps
from sesslog.backends.fs import atomic_write_bytes
from sesslog.backends.local import LocalFolder
from sesslog.backends.locks import lock_holder_pid, writer_active
from sesslog.cli import main
from sesslog.format.diagnostics import Reason

HOLDER = """
import sys
from sesslog import Session
session = Session.open(sys.argv[1], durability="strict")
session.append_custom("holder")
print("ready", flush=True)
sys.stdin.read()
session.close()
"""


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    path = tmp_path / "shared.jsonl"
    Session.create(path=path, cwd="/").close()
    return path


@pytest.fixture
def holder(session_file: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the session's writer lock until its stdin closes."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(session_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    yield child
    if child.poll() is None:
        child.kill()
    child.wait(timeout=60)


def test_a_second_writer_process_is_refused_by_name_and_pid(
    session_file: Path, holder: subprocess.Popen[str]
) -> None:
    assert writer_active(session_file)
    assert lock_holder_pid(session_file) == holder.pid
    session = Session.open(session_file)
    with pytest.raises(SessionLockedError) as info:
        session.append_custom("intruder")
    message = str(info.value)
    assert str(session_file) in message and f"process {holder.pid}" in message
    assert info.value.holder_pid == holder.pid
    assert len(session) == 1  # the refused entry is not in the session


def test_the_command_line_exits_with_the_locked_code(
    session_file: Path,
    holder: subprocess.Popen[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'{"role":"user","content":"hi"}\n'))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["append", str(session_file), "--json"]) == 5
    out, err = capsys.readouterr()
    assert f"process {holder.pid}" in err
    assert json.loads(out)["exitCode"] == 5


def test_a_waiting_writer_gets_the_lock_when_the_holder_leaves(
    session_file: Path, holder: subprocess.Popen[str], kit: Any
) -> None:
    session = Session.open(session_file, lock_wait=60, durability="strict")
    done: list[str] = []
    waiter = threading.Thread(target=lambda: done.append(session.append_custom("patient").id))
    waiter.start()
    assert holder.stdin is not None
    holder.stdin.close()  # the holder closes its session and exits
    waiter.join()
    session.close()
    assert holder.wait(timeout=60) == 0
    assert kit.ids(session_file)[-1] == done[0]


def test_readers_see_an_unfinished_line_of_a_live_writer_as_in_progress(
    session_file: Path, holder: subprocess.Popen[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with open(session_file, "ab") as file:  # a line the writer is in the middle of
        file.write(b'{"type":"custom","id":"abc')
    seen = Session.open(session_file).diagnostics
    assert [d.reason for d in seen.diagnostics] == [Reason.IN_PROGRESS.value]
    assert main(["check", str(session_file), "--json"]) == 0  # a write under way loses nothing
    report = json.loads(capsys.readouterr().out)
    assert [(d["reason"], d["severity"]) for d in report["diagnostics"]] == [
        ("in_progress", "notice")
    ]
    holder.kill()
    holder.wait(timeout=60)
    seen = Session.open(session_file).diagnostics
    assert [d.reason for d in seen.diagnostics] == [Reason.TORN_TAIL.value]


def test_a_session_read_before_another_writer_appended_refuses_to_append(
    session_file: Path, kit: Any
) -> None:
    stale = Session.open(session_file)
    other = Session.open(session_file)
    other.append_custom("meanwhile")
    other.close()
    with pytest.raises(SessionChangedError, match="open the session again"):
        stale.append_custom("on a stale leaf")
    assert len(stale) == 0
    assert kit.ids(session_file) == [rec.id for rec in other.tree]
    fresh = Session.open(session_file)
    fresh.append_custom("after reading again")
    fresh.close()
    assert fresh.tree.entries[-1].parent_id == other.tree.leaf_id


def test_a_waiting_writer_whose_session_went_stale_is_refused(
    session_file: Path, holder: subprocess.Popen[str]
) -> None:
    waiting = Session.open(session_file, lock_wait=60)
    with open(session_file, "ab") as file:  # the holder appends while we wait
        file.write(
            b'{"type":"custom","id":"late","parentId":null,"timestamp":"t","customType":"x"}\n'
        )
    assert holder.stdin is not None
    holder.stdin.close()
    with pytest.raises(SessionChangedError):
        waiting.append_custom("stale")
    assert holder.wait(timeout=60) == 0


class _SignalsOpen(FileOps):
    """The real calls; says when a writer has opened the file (before it takes the lock)."""

    def __init__(self) -> None:
        self.opened = threading.Event()

    def open(self, path: str, *, create: bool) -> tuple[int, bool]:
        found = super().open(path, create=create)
        self.opened.set()
        return found


_LINE = b'{"type":"custom","id":"after","parentId":null,"timestamp":"t","customType":"x"}'


def _wait_while_held(tmp_path: Path, change: Any) -> list[Any]:
    """Start a writer waiting for the lock that ``LocalFolder.lock`` holds, ``change`` the
    file once the writer has it open, release the lock; what the writer's open gave."""
    ops = _SignalsOpen()
    backend = LocalFolder(tmp_path, ops=ops)
    result: list[Any] = []

    def wait_for_lock() -> None:
        try:
            result.append(backend.open_writer("s.jsonl", wait=60))
        except OSError as exc:
            result.append(exc)

    with backend.lock("s.jsonl"):  # what an upgrade or a restore holds
        waiter = threading.Thread(target=wait_for_lock)
        waiter.start()
        assert ops.opened.wait(timeout=60)  # the writer holds a descriptor of the old file
        change(tmp_path / "s.jsonl")
    waiter.join(timeout=60)
    return result


def test_a_waiting_writer_appends_to_the_file_that_replaced_the_one_it_waited_for(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.jsonl"
    Session.create(path=path, cwd="/").close()
    replaced = path.read_bytes() + b'{"type":"custom","id":"new","parentId":null,"timestamp":"t"}\n'
    [writer] = _wait_while_held(tmp_path, lambda file: atomic_write_bytes(file, replaced))
    writer.write_lines(_LINE, sync=True)
    writer.close()
    assert path.read_bytes() == replaced + _LINE + b"\n"


def test_a_waiting_writer_whose_file_was_removed_meanwhile_is_refused(tmp_path: Path) -> None:
    Session.create(path=tmp_path / "s.jsonl", cwd="/").close()
    [error] = _wait_while_held(tmp_path, lambda file: file.unlink())
    assert isinstance(error, FileNotFoundError)
