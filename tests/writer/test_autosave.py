"""The autosave queue: each mode's promise, flush and close, triggers, backpressure, metrics."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sesslog import (
    AutosaveConfig,
    AutosaveDurabilityMode,
    AutosaveQueueMetrics,
    QueueFullError,
    Session,
    WriterFailedError,
)
from sesslog.write.live import close_all_queues

NewSession = Callable[..., Session]


def metrics(session: Session) -> AutosaveQueueMetrics:
    value = session.metrics
    assert value is not None
    return value


def test_strict_append_returns_once_its_line_is_written_and_synced(
    new_session: NewSession, kit: Any
) -> None:
    ops = kit.FaultyOps()
    session = new_session("strict", ops)
    for number in range(1, 6):
        rec = session.append_custom("step", {"n": number})
        assert ops.calls[-2:] == [("write", len(rec.raw) + 1), ("sync", 0)]
        assert kit.ids(session.path)[-1] == rec.id
        assert metrics(session).synced == number
    assert session.pending_entries() == []
    counted = metrics(session)
    assert counted.triggers["commit"] == 5
    assert (counted.written, counted.batches, counted.syncs, counted.peak_depth) == (5, 5, 5, 1)
    assert counted.flush_latency_max_ms >= counted.flush_latency_p50_ms > 0


def test_strict_appenders_share_syncs(new_session: NewSession, kit: Any) -> None:
    class CountedSyncs(kit.FaultyOps):  # type: ignore[misc]
        """Each sync waits for a token, so the test decides when each one ends."""

        def __init__(self) -> None:
            super().__init__()
            self.tokens = threading.Semaphore(0)
            self.waiting = 0

        def sync(self, fd: int) -> None:
            self.waiting += 1
            self.tokens.acquire()
            self.waiting -= 1
            super().sync(fd)

    ops = CountedSyncs()
    session = new_session("strict", ops)
    ops.tokens.release()
    session.append_custom("warm-up")  # opens the file
    first = threading.Thread(target=session.append_custom, args=("first",))
    first.start()
    # alone: the first appender writes and syncs its own line, holding the session's lock
    kit.wait_until(lambda: ops.waiting == 1, "the first sync to start")
    others = [threading.Thread(target=session.append_custom, args=(f"t{i}",)) for i in range(7)]
    for thread in others:
        thread.start()
    try:
        ops.tokens.release()  # the first sync ends; the seven take turns with the lock
        kit.wait_until(lambda: ops.waiting == 1, "the next sync to start")
        # the one leading a write waits for its sync; the other six queue their lines behind
        # it (the depth counts its line too, not yet known written)
        kit.wait_until(lambda: metrics(session).depth == 7, "six appends to queue up")
    finally:
        ops.tokens.release(10)
    for thread in [first, *others]:
        thread.join()
    # warm-up, first, the leader of the seven (with any line queued before it took the file),
    # then the rest together: at most four writes and syncs for nine lines
    assert ops.count("write") == ops.count("sync") <= 4
    assert len(kit.ids(session.path)) == 9
    assert metrics(session).synced == 9


def test_balanced_append_returns_at_once_and_the_background_writes_and_syncs(
    new_session: NewSession, kit: Any
) -> None:
    ops = kit.FaultyOps()
    config = AutosaveConfig.for_mode("balanced", max_delay=0.005, sync_interval=0.02)
    session = new_session(config, ops)
    ops.gate.clear()  # the disk is stuck: appends must not wait for it
    records = [session.append_custom("step", {"n": n}) for n in range(3)]
    assert session.leaf_id == records[-1].id
    assert kit.ids(session.path) == []
    assert [rec.id for rec in session.pending_entries()] == [rec.id for rec in records]
    ops.gate.set()
    kit.wait_until(lambda: metrics(session).synced == 3, "the background sync")
    assert kit.ids(session.path) == [rec.id for rec in records]
    assert metrics(session).triggers["interval"] >= 1
    assert session.pending_entries() == []


def test_flush_is_a_barrier_that_syncs_except_in_throughput(
    new_session: NewSession, kit: Any
) -> None:
    for mode, synced in (("balanced", True), ("throughput", False)):
        ops = kit.FaultyOps()
        config = AutosaveConfig.for_mode(mode, max_delay=60)
        session = new_session(config, ops)
        ids = [session.append_custom("step").id for _ in range(100)]
        session.flush()
        assert kit.ids(session.path) == ids
        assert (ops.count("sync") == 1) is synced
        session.flush(sync=True)
        assert ops.count("sync") == 1
        assert metrics(session).synced == 100
        assert metrics(session).triggers["manual"] >= 1


def test_throughput_does_not_sync_until_close(new_session: NewSession, kit: Any) -> None:
    ops = kit.FaultyOps()
    session = new_session(AutosaveConfig.for_mode("throughput", batch_size=64), ops)
    for n in range(2000):
        session.append_custom("step", {"n": n})
    kit.wait_until(lambda: metrics(session).written == 2000, "batches to be written")
    assert ops.count("sync") == 0
    assert metrics(session).triggers["batch_size"] >= 1
    assert len(session.pending_entries()) == 2000
    session.close()
    assert ops.count("sync") == 1
    assert metrics(session).synced == 2000
    assert metrics(session).triggers["shutdown"] == 1


@pytest.mark.parametrize(
    ("changes", "trigger"),
    [({"batch_size": 5}, "batch_size"), ({"max_queue": 8, "batch_size": 100}, "queue_pressure")],
)
def test_size_triggers_write_before_max_delay(
    new_session: NewSession, kit: Any, changes: dict[str, int], trigger: str
) -> None:
    config = AutosaveConfig.for_mode("balanced", max_delay=3600, sync_interval=3600, **changes)
    session = new_session(config)
    count = 5 if trigger == "batch_size" else 6  # 6 is three quarters of 8
    ids = [session.append_custom("x").id for _ in range(count)]
    kit.wait_until(lambda: metrics(session).written == count, f"the {trigger} write")
    assert metrics(session).triggers[trigger] == 1
    assert kit.ids(session.path) == ids


def test_a_full_queue_raises_when_told_not_to_block(new_session: NewSession, kit: Any) -> None:
    ops = kit.FaultyOps()
    config = AutosaveConfig.for_mode("balanced", max_queue=4, block_when_full=False)
    session = new_session(config, ops)
    ops.gate.clear()
    ids = [session.append_custom("x").id for _ in range(4)]
    with pytest.raises(QueueFullError, match="full"):
        session.append_custom("one too many")
    assert [rec.id for rec in session.tree] == ids  # the refused entry is not in the session
    ops.gate.set()
    session.flush()
    assert kit.ids(session.path) == ids


def test_a_full_queue_blocks_the_appender_until_there_is_room(
    new_session: NewSession, kit: Any
) -> None:
    ops = kit.FaultyOps()
    session = new_session(AutosaveConfig.for_mode("balanced", max_queue=4), ops)
    ops.gate.clear()
    for _ in range(4):
        session.append_custom("x")
    blocked = threading.Thread(target=session.append_custom, args=("fifth",))
    blocked.start()
    kit.wait_until(lambda: metrics(session).backpressure_waits == 1, "the fifth append to wait")
    assert blocked.is_alive()
    assert len(session) == 4
    ops.gate.set()
    blocked.join()
    session.flush()
    assert len(kit.ids(session.path)) == 5
    assert metrics(session).peak_depth == 4


def test_close_writes_and_syncs_everything_and_releases_the_file(
    new_session: NewSession, kit: Any
) -> None:
    for mode in AutosaveDurabilityMode:
        ops = kit.FaultyOps()
        session = new_session(AutosaveConfig.for_mode(mode, max_delay=3600), ops)
        ids = [session.append_custom("x").id for _ in range(50)]
        session.close()
        assert kit.ids(session.path) == ids
        assert ops.calls[-1] == ("sync", 0)
        session.append_custom("reopens")  # a closed session opens its file again
        session.close()
        again = Session.open(session.path)
        again.append_custom("after")  # the lock was released
        again.close()
        assert len(kit.ids(session.path)) == 52


def test_without_write_behind_each_append_is_written_by_the_caller(
    new_session: NewSession, kit: Any
) -> None:
    ops = kit.FaultyOps()
    config = AutosaveConfig.for_mode("balanced", write_behind=False, sync_interval=3600)
    session = new_session(config, ops)
    before = threading.active_count()
    for _ in range(3):
        rec = session.append_custom("x")
        assert kit.ids(session.path)[-1] == rec.id
    assert threading.active_count() <= before  # no thread started (an idle one may have ended)
    assert ops.count("write") == 3
    session.close()
    assert ops.count("sync") == 1


SCRIPT = """
import sys
from sesslog import Session
from sesslog import AutosaveConfig
mode = sys.argv[2]
session = Session.create(path=sys.argv[1], cwd="/", durability=AutosaveConfig.for_mode(
    mode, max_delay=3600, sync_interval=3600))
for n in range(500):
    session.append_custom("step", {"n": n})
print(session.metrics.written)
"""


@pytest.mark.parametrize("mode", ["balanced", "throughput"])
def test_interpreter_exit_flushes_open_sessions(tmp_path: Path, kit: Any, mode: str) -> None:
    path = tmp_path / "s.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == "0"  # nothing was written before exit
    assert len(kit.ids(path)) == 500


def test_importing_sesslog_starts_no_thread() -> None:
    code = "import threading, sesslog; s = sesslog.Session.in_memory(); s.append_custom('x'); "
    code += "print(threading.active_count())"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "1"


def test_in_memory_sessions_keep_their_log_in_memory() -> None:
    before = threading.active_count()
    session = Session.in_memory()
    rec = session.append_custom("x")
    assert session.durability is AutosaveDurabilityMode.STRICT  # in the log when it returns
    assert session.backend.read(session.key).endswith(rec.raw + b"\n")
    metrics = session.metrics
    assert metrics is not None and metrics.synced == 1
    assert session.pending_entries() == []
    assert session.path is None and threading.active_count() <= before
    session.close()
    assert len(session) == 1


def test_metrics_count_what_happened(new_session: NewSession) -> None:
    session = new_session("balanced")
    assert session.metrics is None  # nothing opened yet
    for _ in range(10):
        session.append_custom("x")
    session.flush()
    seen = metrics(session)
    assert (seen.enqueued, seen.written, seen.synced, seen.depth) == (10, 10, 10, 0)
    assert seen.batches >= 1 and seen.syncs >= 1
    assert 1 <= seen.peak_depth <= 10
    assert 0 < seen.flush_latency_p50_ms <= seen.flush_latency_p99_ms <= seen.flush_latency_max_ms
    assert seen.last_error is None
    assert seen.mode == "balanced"
    assert set(seen.triggers) == {
        "manual",
        "interval",
        "batch_size",
        "queue_pressure",
        "shutdown",
        "commit",
    }


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        AutosaveConfig.for_mode("eventually")
    with pytest.raises(ValueError):
        AutosaveConfig(max_queue=0)
    with pytest.raises(ValueError):
        AutosaveConfig(max_delay=-1)
    assert AutosaveConfig.for_mode("throughput").batch_size > AutosaveConfig().batch_size


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_neither_writes_nor_flushes_the_parents_queue(
    new_session: NewSession, kit: Any
) -> None:
    session = new_session(AutosaveConfig.for_mode("balanced", max_delay=3600))
    ids = [session.append_custom("parent").id for _ in range(5)]  # queued, not yet written
    pid = os.fork()
    if pid == 0:  # the child: must refuse, and must not write the parent's lines at exit
        code = 0
        try:
            session.append_custom("child")
            code = 1
        except WriterFailedError as exc:
            code = 0 if "forked child" in str(exc) else 2
        close_all_queues()  # what the interpreter's exit would run
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    session.close()
    assert kit.ids(session.path) == ids  # each line once, written by the parent
