"""Two ``sesslog append --lock-wait`` processes writing into one session at once: the second
waits for the first, reads what it appended, and attaches its own entries after them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sesslog import Session

LINES = 1000
ROOT = Path(__file__).resolve().parents[2]


def _stdin(proc: int) -> bytes:
    return b"".join(
        json.dumps({"role": "user", "content": f"proc {proc} line {n}"}).encode() + b"\n"
        for n in range(LINES)
    )


def test_two_appenders_with_lock_wait_drop_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    Session.create(path=path, cwd="/").close()
    argv = [sys.executable, "-m", "sesslog", "append", str(path), "--lock-wait", "120"]
    children = [
        subprocess.Popen(
            argv,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    time.sleep(1.5)  # both have read the file; one holds the lock, the other waits for it
    with ThreadPoolExecutor(2) as pool:  # both fed at once: either may hold the lock first
        futures = [
            pool.submit(child.communicate, _stdin(proc), 300) for proc, child in enumerate(children)
        ]
        results = [future.result() for future in futures]
    for child, (_, err) in zip(children, results, strict=True):
        assert child.returncode == 0, err.decode()
        assert err == b""
    session = Session.open(path)
    assert session.diagnostics.ok, session.diagnostics
    records = list(session.tree)
    assert len(records) == 2 * LINES
    # one valid tree: a single chain, each entry the child of the line before it
    assert session.tree.roots() == [records[0].id]
    assert [rec.parent_id for rec in records] == [None] + [rec.id for rec in records[:-1]]
    texts = [rec.decode()["message"]["content"] for rec in records]
    assert not [text for text, seen in Counter(texts).items() if seen > 1]
    for proc, (out, _) in enumerate(results):
        printed = out.decode().split()
        mine = [rec.id for rec, text in zip(records, texts, strict=True) if f"proc {proc} " in text]
        assert printed == mine  # every line given on stdin is in the file, in order
        assert len(mine) == LINES


def test_lock_wait_catches_up_with_what_the_holder_appended(tmp_path: Path) -> None:
    """The command waits while a live writer holds the lock and appends; once the lock is
    free, its entries attach after the holder's last one."""
    path = tmp_path / "s.jsonl"
    holder = Session.create(path=path, cwd="/", durability="strict")
    holder.append_user_message("before the command started")
    child = subprocess.Popen(
        [sys.executable, "-m", "sesslog", "append", str(path), "--lock-wait", "120"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdin is not None
    child.stdin.write(b'{"role":"user","content":"from the command"}\n')
    child.stdin.close()
    _wait_until_open(child.pid, path)  # it read the file and now waits for the lock
    for n in range(20):
        holder.append_user_message(f"while the command waits {n}")
    assert child.poll() is None, "the command did not wait for the lock"
    last = holder.leaf_id
    holder.close()
    assert child.stdout is not None and child.stderr is not None
    out, err = child.stdout.read(), child.stderr.read()
    assert child.wait(timeout=120) == 0, err.decode()
    session = Session.open(path)
    assert session.diagnostics.ok
    assert len(session) == 22
    (printed,) = out.decode().split()
    assert session.leaf_id == printed and session.get(printed).parent_id == last


def _wait_until_open(pid: int, path: Path) -> None:
    """Wait until process ``pid`` holds ``path`` open (Linux: ``/proc/PID/fd``)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            links = []
        if str(path) in links:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never opened {path}")
