"""Sync as agents write: push every session once, then push each one again as it changes.

The first push runs once the watcher is in place (at its first wake-up, within a second), so
nothing written after it goes unseen.

:func:`sync_forever` watches the sessions root with ``watchfiles`` (inotify on Linux), gathers
the ``.jsonl`` files that changed during a short quiet period, and pushes only those
(:func:`~sesslog.fleet.push.push` with ``keys``). A session is pushed at most once per
``interval`` seconds (30 by default: a session that grows all the time costs at most two
PUTs per interval, see docs/scale.md); a change to one that was pushed longer ago goes out after
the quiet period. A change missed by the watcher is caught by a full push every ``rescan``
seconds. It returns when ``stop`` is set; Ctrl-C (``KeyboardInterrupt``) comes through between
two pushes, or inside one, which the next push resumes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from sesslog.backends.local import LocalFolder
from sesslog.backends.objectstore.backend import ObjectStoreBackend
from sesslog.catalog.protocol import Catalog
from sesslog.fleet.push import Progress, PushReport, push

__all__ = ["sync_forever"]


def _is_session(change: object, path: str) -> bool:
    return path.endswith(".jsonl") and "/." not in path


def sync_forever(
    root: Path,
    remote: ObjectStoreBackend,
    *,
    catalog: Catalog | None = None,
    on_push: Callable[[PushReport], None] | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    debounce_ms: int = 500,
    interval: float = 30.0,
    rescan: float = 300.0,
) -> None:
    """Push everything new under ``root``, then keep pushing what changes until ``stop``.

    Args:
        root: The local sessions root.
        remote: The bucket.
        catalog: Folded in after each push.
        on_push: Told the report of every push.
        progress: Told the bytes sent by each push.
        stop: Ends the loop when set (checked at least every ``debounce_ms``).
        debounce_ms: Quiet time gathering changes before a push.
        interval: Seconds between two pushes of the same session, at least.
        rescan: Seconds between full pushes (a safety net for missed events).
    """
    import watchfiles

    stop = stop or threading.Event()
    local = LocalFolder(root)
    root.mkdir(parents=True, exist_ok=True)
    resolved = root.resolve()

    def run(keys: list[str] | None) -> None:
        report = push(local, remote, keys=keys, catalog=catalog, progress=progress)
        if on_push is not None:
            on_push(report)

    # The first full push runs at the watcher's first wake-up (within a second), so the
    # watcher is already in place: a change made right after that push cannot go unseen.
    last_full: float | None = None
    pushed: dict[str, float] = {}  # when each session was last pushed
    waiting: set[str] = set()  # changed, waiting for their interval
    for changes in watchfiles.watch(
        root,
        watch_filter=_is_session,
        debounce=debounce_ms,
        step=50,
        stop_event=stop,
        rust_timeout=1000,
        yield_on_timeout=True,
        raise_interrupt=True,
    ):
        if stop.is_set():
            return
        now = time.monotonic()
        if last_full is None or now - last_full >= rescan:
            run(None)
            last_full = now
            waiting.clear()
            continue
        for _, path in changes:
            try:
                key = Path(path).resolve().relative_to(resolved).as_posix()
            except ValueError:
                continue
            if (root / key).is_file():
                waiting.add(key)
        due = sorted(key for key in waiting if now - pushed.get(key, -interval) >= interval)
        if due:
            run(due)
            waiting.difference_update(due)
            pushed.update(dict.fromkeys(due, time.monotonic()))
