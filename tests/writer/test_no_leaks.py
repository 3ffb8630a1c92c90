"""Sessions dropped without ``close()``: nothing leaks and nothing acknowledged is lost.

A session that is collected (or still open at exit) is closed by a finalizer: what it
acknowledged is written and synced, and its descriptor, lock and background work released.
Write-behind sessions share a few flusher threads instead of one thread each. Each check runs
in a fresh interpreter so its thread and descriptor counts start clean.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sesslog.format.reader import read_file

CHILD = r"""
import gc, json, os, sys, threading, time
from sesslog import AutosaveConfig, Session
from sesslog.write.flusher import MAX_THREADS

folder, mode, count, together = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
config = AutosaveConfig.for_mode(mode, max_delay=3600, sync_interval=3600)  # only close writes
paths = [f"{folder}/s{n}.jsonl" for n in range(count)]
for path in paths:
    Session.create(path=path, cwd="/").close()
gc.collect()
threads, fds = threading.active_count(), len(os.listdir("/proc/self/fd"))
acked, held, peak = {}, [], 0
for path in paths:
    session = Session.open(path, durability=config)
    acked[path] = [session.append_custom("x", {"n": k}).id for k in range(3)]
    if together:
        held.append(session)  # all open at once
    peak = max(peak, threading.active_count())
open_fds = len(os.listdir("/proc/self/fd"))
del session, held
gc.collect()
deadline = time.monotonic() + 30  # idle flusher threads end after a second
while threading.active_count() > threads and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({
    "threads": [threads, peak, threading.active_count()],
    "fds": [fds, open_fds, len(os.listdir("/proc/self/fd"))],
    "max_threads": MAX_THREADS,
    "acked": acked,
}))
"""


def _run(folder: Path, mode: str, count: int, together: bool) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), mode, str(count), "1" if together else "0"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not done.stderr, done.stderr  # no writer failure reported by a finalizer
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(
    ("mode", "count", "together"),
    [
        ("balanced", 1000, False),
        ("balanced", 1000, True),
        ("throughput", 300, True),
        ("strict", 300, False),
    ],
)
def test_dropped_sessions_release_everything_and_keep_every_entry(
    tmp_path: Path, mode: str, count: int, together: bool
) -> None:
    result = _run(tmp_path, mode, count, together)
    (threads, peak, threads_after), (fds, open_fds, fds_after) = result["threads"], result["fds"]
    assert threads_after == threads, "a thread outlived its sessions"
    assert fds_after == fds, "a descriptor outlived its session"
    assert peak <= threads + result["max_threads"], "sessions got a thread each"
    if together:
        assert open_fds >= fds + count  # each open session held its file (its lock)
    for path, ids in result["acked"].items():
        assert [rec.id for rec in read_file(path).records] == ids, path
