"""The queues open in this process: flushed and closed at exit, disowned in a forked child."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import weakref
from typing import Protocol

from sesslog.errors import WriterFailedError

__all__ = ["LiveQueue", "close_all_queues", "forget", "register"]


class LiveQueue(Protocol):
    """What this module does with an open queue."""

    def close(self) -> None:
        """Write and sync everything and release the log."""
        ...

    def disown(self) -> None:
        """Refuse further use without writing (in a forked child)."""
        ...


_LIVE: weakref.WeakSet[LiveQueue] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()
_hooked = False


def register(queue: LiveQueue) -> None:
    """Remember an open queue (the exit and fork hooks are installed with the first one)."""
    global _hooked
    with _LIVE_LOCK:
        if not _hooked:
            atexit.register(close_all_queues)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_disown_after_fork)
            _hooked = True
        _LIVE.add(queue)


def forget(queue: LiveQueue) -> None:
    """Forget a closed queue."""
    with _LIVE_LOCK:
        _LIVE.discard(queue)


def _disown_after_fork() -> None:
    """In a forked child: the parent's queues are not the child's to write (nor to flush at
    exit, which would write the parent's queued lines twice); each refuses further use."""
    global _LIVE_LOCK
    _LIVE_LOCK = threading.Lock()  # another thread may have held it at the fork
    for queue in list(_LIVE):
        queue.disown()
    _LIVE.clear()


def close_all_queues() -> None:
    """Flush and close every open queue (run at normal interpreter exit).

    A queue whose writer failed is reported on stderr with the number of entries lost.
    """
    with _LIVE_LOCK:
        queues = list(_LIVE)
    for queue in queues:
        try:
            queue.close()
        except WriterFailedError as exc:
            sys.stderr.write(f"sesslog: {exc}\n")
