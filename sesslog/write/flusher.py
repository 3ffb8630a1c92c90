"""The background writer shared by every write-behind queue of the process.

A queue that writes behind (``balanced``, ``throughput``) owns no thread. It asks the
:data:`FLUSHER` to serve it at a given moment: at once when a batch is full or the queue is
under pressure, else when its oldest line's ``max_delay`` or its ``sync_interval`` runs out. A
few threads (at most :data:`MAX_THREADS`) take the queues that are due, earliest first, and call
their ``serve``; while one thread waits for a queue's write or sync, another serves the next due
queue. A thread that found nothing to do for :data:`IDLE_EXIT` seconds ends, so a process whose
sessions are closed or collected has no sesslog thread left. No thread starts until a queue
first asks to be served.

A thousand open sessions therefore cost a thousand small objects, not a thousand threads
(``benchmarks/bench_many_sessions.py`` measures it).
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from typing import Protocol

__all__ = ["FLUSHER", "IDLE_EXIT", "MAX_THREADS", "Flusher", "Served"]

#: Threads serving queues at most.
MAX_THREADS = 8
#: Seconds a thread waits with nothing to do before it ends.
IDLE_EXIT = 1.0

_monotonic = time.monotonic


class Served(Protocol):
    """A queue the flusher serves."""

    def wants(self, at: float) -> bool:
        """Whether the queue still wants to be served at ``at`` (it may have asked for an
        earlier moment since, been served, or closed); cheap, without locks."""
        ...

    def serve(self, at: float) -> None:
        """Do what is due; ``at`` is the moment the queue asked for."""
        ...


class Flusher:
    """Threads that serve queues at the moments they ask for (see the module documentation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Served]] = []
        self._order = itertools.count()
        self._threads: set[threading.Thread] = set()
        self._idle = 0  # threads waiting for work

    def schedule(self, queue: Served, at: float) -> None:
        """Serve ``queue`` once the monotonic clock reaches ``at``."""
        with self._cond:
            heapq.heappush(self._heap, (at, next(self._order), queue))
            if self._idle:
                self._cond.notify()
            elif len(self._threads) < MAX_THREADS:
                thread = threading.Thread(target=self._run, name="sesslog flusher", daemon=True)
                self._threads.add(thread)
                thread.start()

    def wake(self) -> None:
        """Have waiting threads look at the queue of moments again (a queue closed: what it
        asked for is void, and threads with nothing left to do may end)."""
        with self._cond:
            self._cond.notify_all()

    def serves_current_thread(self) -> bool:
        """True when called from one of the flusher's threads."""
        return threading.current_thread() in self._threads

    @property
    def threads(self) -> int:
        """Threads running now."""
        return len(self._threads)

    def _run(self) -> None:
        cond = self._cond
        heap = self._heap
        with cond:
            try:
                while True:
                    while heap and not heap[0][2].wants(heap[0][0]):
                        heapq.heappop(heap)  # asked again, served, or closed since
                    now = _monotonic()
                    if heap and heap[0][0] <= now:
                        at, _, queue = heapq.heappop(heap)
                        if heap and heap[0][0] <= now and self._idle:
                            cond.notify()  # more is due: another thread takes it
                        cond.release()
                        try:
                            queue.serve(at)
                        finally:
                            del queue  # a collected session's queue is not kept alive here
                            cond.acquire()
                        continue
                    self._idle += 1
                    try:
                        woken = cond.wait(heap[0][0] - now if heap else IDLE_EXIT)
                    finally:
                        self._idle -= 1
                    if not woken and not heap:
                        return
            finally:
                self._threads.discard(threading.current_thread())

    def _reset(self) -> None:
        """In a forked child: the parent's threads are gone and its queues disowned."""
        self._cond = threading.Condition(threading.Lock())
        self._heap = []
        self._threads = set()
        self._idle = 0


#: The flusher of this process.
FLUSHER = Flusher()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=FLUSHER._reset)
