"""Ctrl-C and closed pipes, on real processes: one line and exit 130 for an interrupt (an
interrupted append first settles what it acknowledged), a quiet exit 141 for a closed stdout.

Each run is interrupted while the command is certainly at work: blocked writing its output to
a pipe nobody reads yet, drawing its progress on a terminal, or appending what stdin gives.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cli_harness import REPO_ROOT, SESSLOG, session_bytes

from sesslog import Session
from sesslog.v2 import SidecarPaths


def _entries(count: int, size: int = 60) -> list[bytes]:
    lines = []
    parent = None
    for n in range(count):
        entry_id = f"{n:08x}"
        doc = {
            "type": "message",
            "id": entry_id,
            "parentId": parent,
            "timestamp": "2026-01-05T10:00:01.000Z",
            "message": {"role": "user", "content": f"entry {n} " + "w" * size, "timestamp": n},
        }
        lines.append(json.dumps(doc, separators=(",", ":")).encode())
        parent = entry_id
    return lines


def _start(argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [*SESSLOG, *argv], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
    )


def _wait_for_output(stream: object, timeout: float = 60) -> None:
    """Wait until the child has written something to ``stream`` (it is in the command)."""
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "the command wrote nothing"


def _assert_interrupted(child: subprocess.Popen[bytes], file: Path) -> tuple[bytes, str]:
    out, err = child.communicate(timeout=60)
    text = err.decode("utf-8", "backslashreplace")
    assert child.returncode == 130, text[-3000:]
    assert_no_traceback_text(text)
    lines = text.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sesslog: "), text[-3000:]
    assert file.name in lines[0] and "interrupted" in lines[0]
    return out, text


def assert_no_traceback_text(text: str) -> None:
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-3000:]


@pytest.mark.parametrize("command", ["tree", "context", "check"])
def test_interrupt_while_writing_output(tmp_path: Path, command: str) -> None:
    """The command fills the pipe and blocks in a write: Ctrl-C there ends it cleanly."""
    path = tmp_path / "s.jsonl"
    lines = _entries(4000)
    if command == "check":
        lines = [part for line in lines for part in (line, b"{oops")]
    path.write_bytes(session_bytes(*lines))
    child = _start([command, str(path)])
    _wait_for_output(child.stdout)
    time.sleep(0.2)  # the pipe is full: the child is blocked writing
    child.send_signal(signal.SIGINT)
    _assert_interrupted(child, path)


def test_interrupt_migrate_while_it_compresses(tmp_path: Path) -> None:
    """Progress drawn on a terminal shows the migration at work; Ctrl-C then leaves nothing
    behind (no sidecar, no temporary folder)."""
    path = tmp_path / "s.jsonl"
    path.write_bytes(session_bytes(*_entries(60_000, 200)))
    primary, secondary = pty.openpty()
    child = subprocess.Popen(
        [*SESSLOG, "migrate", str(path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    try:
        seen = b""
        deadline = time.monotonic() + 60
        while b"compress" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1)
            if ready:
                seen += os.read(primary, 4096)
        assert b"compress" in seen, seen
        child.send_signal(signal.SIGINT)
        child.wait(timeout=60)
        rest = b""
        while select.select([primary], [], [], 0.2)[0]:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            rest += chunk
    finally:
        os.close(primary)
    assert child.stdout is not None
    child.stdout.close()
    text = (seen + rest).decode("utf-8", "backslashreplace")
    assert child.returncode == 130, text[-2000:]
    assert_no_traceback_text(text)
    final = text.replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("sesslog: ") and "interrupted" in final, text[-2000:]
    paths = SidecarPaths(path)
    assert not paths.folder.exists() and not paths.leftovers()


@pytest.mark.parametrize("mode", ["strict", "balanced"])
def test_interrupted_append_keeps_every_acknowledged_entry(tmp_path: Path, mode: str) -> None:
    """Ctrl-C while lines keep coming: every id printed is in the file, the file is one clean
    chain, and the command says so in one line."""
    path = tmp_path / "s.jsonl"
    Session.create(path=path, cwd="/").close()
    child = subprocess.Popen(
        [*SESSLOG, "append", str(path), "--durability", mode],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    stop = threading.Event()

    def feed() -> None:
        n = 0
        try:
            while not stop.is_set():
                line = json.dumps({"role": "user", "content": f"line {n}"}) + "\n"
                child.stdin.write(line.encode())  # type: ignore[union-attr]
                child.stdin.flush()  # type: ignore[union-attr]
                n += 1
        except (BrokenPipeError, ValueError, OSError):
            pass

    feeder = threading.Thread(target=feed)
    feeder.start()
    printed: list[str] = []
    while len(printed) < 200:
        line = child.stdout.readline()
        assert line, child.stderr.read()  # type: ignore[union-attr]
        printed.append(line.decode().strip())
    child.send_signal(signal.SIGINT)  # lines are still flowing in: often mid-append
    printed += child.stdout.read().decode().split()  # what was acknowledged while it settled
    err = child.stderr.read()  # type: ignore[union-attr]
    child.wait(timeout=60)
    stop.set()
    feeder.join()
    text = err.decode("utf-8", "backslashreplace")
    assert child.returncode == 130, text
    assert_no_traceback_text(text)
    lines = text.splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0] and path.name in lines[0]
    reopened = Session.open(path)
    assert reopened.diagnostics.ok, reopened.diagnostics
    ids = [rec.id for rec in reopened.tree]
    assert ids[: len(printed)] == printed  # nothing acknowledged is lost, in order
    assert [rec.parent_id for rec in reopened.tree][1:] == ids[:-1]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``sesslog tree FILE | head -1``: exit 141, nothing on stderr."""
    path = tmp_path / "s.jsonl"
    path.write_bytes(session_bytes(*_entries(4000)))
    child = _start(["tree", str(path)])
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    assert first
    child.stdout.close()
    err = child.stderr.read()
    assert child.wait(timeout=60) == 141
    assert err == b"", err.decode(errors="replace")


def test_python_traceback_check_sees_one(tmp_path: Path) -> None:
    """The check used above does see a traceback when there is one (it can fail)."""
    child = subprocess.run(
        [os.environ.get("PYTHON", SESSLOG[0]), "-c", "raise KeyboardInterrupt"],
        capture_output=True,
    )
    with pytest.raises(AssertionError):
        assert_no_traceback_text(child.stderr.decode())
