"""The ``sidecar`` section of ``bench_fleet.py``: a 100,000-entry session read from the bucket
through its pushed V2 sidecar, against reading its whole log.

A generated session (``make_v3_session(100_000, line_bytes=1000)``, about 100 MB, with a
compaction every 5,000 entries as long sessions have) gets its sidecar
(``migrate_jsonl_to_v2``) and is pushed with it into a fresh bucket. Then, each with the same
answer checked against the local file first:

* ``tail``: the last 50 entries of the active path (``open_remote(..., OpenScope.tail(50))``:
  the two manifests, a few index blocks, the frames holding them), measured right after the
  push and again after the server has had ``settle`` seconds of quiet (a push leaves the
  server busy for a while, which a read right after it pays for);
* ``context``: the model context at the leaf as ``sesslog context --blobs`` builds it (the end
  of the path through the sidecar, longer until it decides the context);
* the baseline of both: the session opened from its log (every segment fetched and read).

:func:`measure` returns plain tuples; ``bench_fleet.py`` prints them as rows.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Timer = Callable[[Callable[[], object], int], tuple[float, float]]
Measured = tuple[str, str, tuple[float, float], tuple[float, float] | None, float | None, str]

KEY = "--home-dev-app--/2026-01-05T10-00-00-000Z_sidecar.jsonl"


def measure(bucket: Any, timed: Timer, repeat: int, *, settle: float = 20.0) -> list[Measured]:
    """Push the session with its sidecar into ``bucket`` (a ``Bucket``) and time the reads."""
    from fixtures.generate import make_v3_session
    from sesslog import Session
    from sesslog.backends.local import LocalFolder
    from sesslog.backends.objectstore.backend import ObjectStoreBackend
    from sesslog.fleet.push import push
    from sesslog.fleet.remote_open import open_remote
    from sesslog.projections.protocol import OpenScope
    from sesslog.tree.context import context_of_path
    from sesslog.v2 import migrate_jsonl_to_v2

    remote = ObjectStoreBackend(bucket)
    rows: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="sesslog-bench-sidecar-") as folder:
        path = Path(folder) / KEY
        path.parent.mkdir(parents=True)
        data = make_v3_session(100_000, seed=7, line_bytes=1000, compaction_every=5000)
        path.write_bytes(data)
        size = path.stat().st_size
        migrate_jsonl_to_v2(path)
        started = time.perf_counter()
        item = push(LocalFolder(Path(folder)), remote).sessions[0]
        push_s = time.perf_counter() - started
        assert item.sidecar == "sent", item.sidecar
        local = Session.open(path, sidecar=False)
        want_tail = [rec.raw for rec in local.tree.path()[-50:]]
        want_context = local.context().to_json()

    def tail() -> object:
        opened = open_remote(remote, KEY, OpenScope.tail(50))
        assert opened.fallback is None
        return opened

    def context() -> object:
        count = 2048
        while True:
            opened = open_remote(remote, KEY, OpenScope.tail(count))
            found = context_of_path(opened.session.tree.path(), whole=False)
            if found is not None:
                return found
            count *= 8

    def whole_log() -> object:
        return Session.open(KEY, backend=remote, sidecar=False).context()

    first = open_remote(remote, KEY, OpenScope.tail(50))
    assert [rec.raw for rec in first.session.tree.path()] == want_tail
    found = context()
    assert found.to_json() == want_context  # type: ignore[attr-defined]
    what = f"100,000 entries, {size / 1e6:.0f} MB"
    right_after = timed(tail, repeat)
    baseline = timed(whole_log, 2)
    note = f"{first.fetched / 1024:.0f} KiB in {first.requests} GETs + the session manifest"
    rows.append(
        (
            "sidecar",
            f"tail 50 of the path, right after the push ({what})",
            right_after,
            baseline,
            50.0,
            note + f"; push with sidecar took {push_s:.1f} s",
        )
    )
    time.sleep(settle)
    rows.append(
        (
            "sidecar",
            f"tail 50 of the path, after {settle:.0f} s quiet",
            timed(tail, repeat),
            baseline,
            50.0,
            note + "; baseline opens the whole log (all segments) for its context",
        )
    )
    rows.append(
        (
            "sidecar",
            "context at the leaf (as context --blobs)",
            timed(context, repeat),
            baseline,
            None,
            "end of the path through the sidecar, grown until it decides",
        )
    )
    return rows
