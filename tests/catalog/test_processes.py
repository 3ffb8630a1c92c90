"""Several processes use one store at once: each appends to its session and lists and searches
after every append, while the others do the same; every process sees its own appends at once
and the catalog ends up as a rebuild from the files would make it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sesslog.store import SessionStore

CHILD = Path(__file__).with_name("store_child.py")
APPENDS = 15


def test_processes_list_search_and_append_at_once(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    ids = []
    for n in range(3):
        session = store.create(cwd=f"/home/dev/w{n}", session_id=f"worker-{n}", title=f"Worker {n}")
        session.append_user_message("a first message")
        session.close()
        ids.append(session.id)
    store.list()  # the catalog exists before the workers start
    workers = [
        subprocess.Popen(
            [sys.executable, str(CHILD), str(tmp_path), f"append:{sid}:{APPENDS}:word{n}x", "list"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, sid in enumerate(ids)
    ]
    readers = [
        subprocess.Popen(
            [sys.executable, str(CHILD), str(tmp_path), *(["list", "search:word0x"] * 10)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for proc in workers + readers:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    for result in results:
        assert result["warnings"] == 0
    for result in results[: len(workers)]:
        seen = result["answers"][0]
        # each append is seen by the same process at once: entries and hits grow by one
        assert seen == [[3 + n, 1 + n] for n in range(APPENDS)]
    for result in results[len(workers) :]:
        for listing in result["answers"][0::2]:
            assert len(listing) == 3
    final = {i.id: i.entries for i in store.list()}
    assert final == {sid: 2 + APPENDS for sid in ids}
    before = (store.list(), store.search("number", limit=100), store.stats())
    store.rebuild_catalog()
    assert (store.list(), store.search("number", limit=100), store.stats()) == before
    store.close()
