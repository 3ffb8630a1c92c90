"""Many threads appending to one session; snapshots taken while they append."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from sesslog import Session
from sesslog.tree.snapshot import SessionSnapshot

NewSession = Callable[..., Session]
THREADS = 8
#: Entries per thread in the soak run (marked ``slow``); the quick run appends 1,000.
PER_THREAD = int(os.environ.get("SESSLOG_THREAD_ENTRIES", "10000"))


def hammer(session: Session, threads: int, per_thread: int) -> None:
    """``threads`` threads each append ``per_thread`` entries tagged (thread, n)."""
    start = threading.Barrier(threads)

    def work(thread: int) -> None:
        start.wait()
        for n in range(per_thread):
            session.append_custom("t", {"thread": thread, "n": n})

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def assert_one_chain(session: Session, expected: int) -> None:
    """Every (thread, n) exactly once, each thread's in order, each entry the child of the one
    before it in file order, and the file equal to memory."""
    records = list(session.tree)
    assert len(records) == expected
    tags = [(rec.decode()["data"]["thread"], rec.decode()["data"]["n"]) for rec in records]
    assert not [tag for tag, seen in Counter(tags).items() if seen > 1]
    by_thread: dict[int, list[int]] = {}
    for thread, n in tags:
        by_thread.setdefault(thread, []).append(n)
    assert all(ns == sorted(ns) for ns in by_thread.values())
    assert [rec.parent_id for rec in records] == [None] + [rec.id for rec in records[:-1]]
    assert session.tree.roots() == [records[0].id]


@pytest.mark.parametrize(
    "per_thread", [1000, pytest.param(PER_THREAD, marks=pytest.mark.slow, id="soak")]
)
@pytest.mark.parametrize("mode", ["balanced", "throughput"])
def test_eight_threads_appending(
    new_session: NewSession, kit: Any, mode: str, per_thread: int
) -> None:
    session = new_session(mode)
    hammer(session, THREADS, per_thread)
    session.close()
    assert_one_chain(session, THREADS * per_thread)
    reopened = Session.open(session.path)
    assert reopened.diagnostics.ok
    assert [rec.raw for rec in reopened.tree] == [rec.raw for rec in session.tree]
    assert msgspec.to_builtins(reopened.tree.nodes()) == msgspec.to_builtins(session.tree.nodes())


def test_strict_threads_keep_one_chain(new_session: NewSession) -> None:
    session = new_session("strict")
    hammer(session, THREADS, 200)
    metrics = session.metrics
    assert metrics is not None and metrics.synced == THREADS * 200
    session.close()
    assert_one_chain(Session.open(session.path), THREADS * 200)


def test_snapshot_stays_still_while_appends_go_on(new_session: NewSession) -> None:
    session = new_session("balanced")
    for n in range(100):
        session.append_custom("before", {"n": n})
    snapshots: list[tuple[SessionSnapshot, int, int]] = []

    def take() -> None:
        for _ in range(50):
            low = len(session.tree)
            snap = session.export_snapshot()
            high = len(session.tree)
            snapshots.append((snap, low, high))

    reader = threading.Thread(target=take)
    reader.start()
    hammer(session, 4, 500)
    reader.join()
    final = session.export_snapshot()
    assert len(final) == 2100
    assert any(low < 2100 for _, low, _ in snapshots)  # some were taken while appends went on
    for snap, low, high in snapshots:
        assert low <= len(snap) <= high  # what was appended when it was taken, nothing later
        assert snap.entries == final.entries[: len(snap)]  # a prefix of what followed
        assert snap.tree().diagnostics.ok
        assert snap.export_jsonl().count(b"\n") == len(snap) + 1
    with pytest.raises(AttributeError):
        final.entries = ()  # type: ignore[misc]
    assert final.header()["type"] == "session"
    assert final.leaf_id == session.leaf_id
