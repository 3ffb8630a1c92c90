"""Keeping a store's catalog current while agents write: watch the session files and refresh
the catalog after each burst of changes.

>>> import tempfile, threading
>>> from sesslog.store import SessionStore
>>> store = SessionStore(tempfile.mkdtemp())
>>> stop = threading.Event(); stop.set()
>>> [report.checked for report in watch_store(store, stop_event=stop)]
[0]
>>> store.close()
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sesslog.store.backend import STATE_FOLDER

if TYPE_CHECKING:
    from sesslog.catalog.types import RefreshReport
    from sesslog.store.core import StoreCore

__all__ = ["watch_store"]

#: Milliseconds to wait for more changes before refreshing (agents append in bursts).
_DEBOUNCE_MS = 200
#: Milliseconds between two looks when the platform's notifications are missed.
_SAFETY_POLL_MS = 5_000


def _session_file(_change: object, path: str) -> bool:
    """Only session files count: not the catalog, its trash, nor V2 sidecars."""
    parts = path.replace("\\", "/").split("/")
    return (
        path.endswith(".jsonl")
        and STATE_FOLDER not in parts
        and not any(part.endswith(".v2") for part in parts)
    )


def watch_store(
    store: StoreCore, *, stop_event: threading.Event | None = None
) -> Iterator[RefreshReport]:
    """Refresh the catalog now, then after every burst of changes to the session files,
    yielding what each refresh did (also every few seconds, in case a change notification
    was missed), until ``stop_event`` is set.

    Raises:
        KeyboardInterrupt: Ctrl-C while waiting.
        ValueError: The store lives in memory (there is nothing to watch).
    """
    import watchfiles

    if store.root is None:
        raise ValueError("a store in memory has no files to watch")
    yield store.refresh()
    if stop_event is not None and stop_event.is_set():
        return
    for _changes in watchfiles.watch(
        store.root,
        watch_filter=_session_file,
        debounce=_DEBOUNCE_MS,
        rust_timeout=_SAFETY_POLL_MS,
        yield_on_timeout=True,
        recursive=True,
        stop_event=stop_event,
    ):
        yield store.refresh()
