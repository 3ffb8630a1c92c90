"""The library pieces behind ``watch``, ``catalog rebuild``'s progress and ``empty-trash
--older-than``: ``watch_store``, ``rebuild_catalog(progress)`` and ``trash(older_than)``."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from store_builders import SessionFile

from sesslog.store import SessionStore
from sesslog.store.watch import watch_store


def test_rebuild_reports_every_byte_read(tmp_path: Path) -> None:
    for n in range(3):
        SessionFile(tmp_path, f"/w{n}").user("hello " * 200)
    calls: list[tuple[int, int]] = []
    with SessionStore(tmp_path) as store:
        report = store.rebuild_catalog(lambda done, total: calls.append((done, total)))
        total = sum(p.stat().st_size for p in tmp_path.glob("*/*.jsonl"))
        assert report.added == 3 and calls[-1] == (total, total)
        assert [done for done, _ in calls] == sorted(done for done, _ in calls)
        assert {whole for _, whole in calls} == {total}
        seen = len(calls)
        store.rebuild_catalog()  # without progress nothing is called back
        assert len(calls) == seen


def test_trash_older_than(tmp_path: Path) -> None:
    now = [1_800_000_000_000]
    with SessionStore(tmp_path, clock=lambda: now[0]) as store:
        store.create("/w", session_id="old1").close()
        store.create("/w", session_id="new1").close()
        store.delete("old1")
        now[0] += 3 * 86_400_000
        store.delete("new1")
        day = dt.timedelta(days=1)
        assert [item.id for item in store.trash(older_than=day)] == ["old1"]
        assert [item.id for item in store.trash()] == ["old1", "new1"]
        assert [item.id for item in store.empty_trash(older_than=day)] == ["old1"]


def test_watch_store_refreshes_after_writes(tmp_path: Path) -> None:
    session = SessionFile(tmp_path, "/w")
    stop = threading.Event()
    with SessionStore(tmp_path) as store:
        reports = watch_store(store, stop_event=stop)
        assert next(reports).added == 1
        session.user("appended while watched")
        report = next(reports)
        while not report.caught_up:  # a timeout refresh may come first on a loaded machine
            report = next(reports)
        stop.set()
        assert report.bytes_read > 0
        assert store.search("watched")[0].session.id == session.id
