"""``sesslog watch`` in a real process: the catalog follows a writer, Ctrl-C ends it quietly."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
from typing import IO, Any

from cli_runs import REPO_ROOT, Store, run_process
from store_builders import SessionFile


def _next_report(stream: IO[bytes], deadline: float) -> dict[str, Any]:
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:
            line = stream.readline()
            assert line, "watch ended early"
            report: dict[str, Any] = json.loads(line)
            return report
    raise AssertionError("no refresh reported in time")


def test_watch_keeps_the_catalog_current_and_ends_quietly(store: Store) -> None:
    watch = subprocess.Popen(
        [sys.executable, "-m", "sesslog", "watch", "--root", str(store.root), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    try:
        assert watch.stdout is not None
        deadline = time.monotonic() + 30
        first = _next_report(watch.stdout, deadline)
        assert (first["checked"], first["added"]) == (2, 2)
        store.parser.user("a word only the watcher indexes: zanzibar")
        SessionFile(store.root, "/home/dev/new", session_id="cccc-3333").user("hello")
        seen = {"caught_up": 0, "added": 0}
        while seen["caught_up"] < 1 or seen["added"] < 1:
            report = _next_report(watch.stdout, deadline)
            for key in seen:
                seen[key] += report[key]
        # the catalog is current: another process finds the new text without reading it again
        hit = run_process("search", "zanzibar", "--root", store.root, "--json")
        assert hit.code == 0 and json.loads(hit.out)[0]["session"]["id"] == "aaaa-1111"
        watch.send_signal(signal.SIGINT)
        code = watch.wait(timeout=30)
        assert watch.stderr is not None
        assert (code, watch.stderr.read()) == (130, b"")
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()
