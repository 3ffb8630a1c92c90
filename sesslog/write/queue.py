"""Write-behind autosave for one session log: a bounded queue between appenders and its writer.

An :class:`AutosaveQueue` sits between the appending threads and a
:class:`~sesslog.backends.protocol.LogWriter`. Appends put whole encoded lines on the queue;
lines are written in batches (one ``write()`` per batch) and synced as the mode promises:

* ``strict``: an append returns once its line is written and synced. An appender alone
  writes and syncs its own line at once, in one system call where the OS has one (``pwritev2``
  with ``RWF_DSYNC``). Concurrent appenders share writes and syncs (group commit): whoever finds
  the log idle writes everything queued and syncs it, and the others wait for it.
* ``balanced`` (default): the shared background writer (:mod:`sesslog.write.flusher`) writes
  within ``max_delay`` and syncs at least every ``sync_interval``, and at
  :meth:`~AutosaveQueue.flush` and :meth:`~AutosaveQueue.close`.
* ``throughput``: large batches; no sync until close or ``flush(sync=True)``.

A failed write or sync is final: every later call raises :class:`~sesslog.errors.WriterFailedError`
carrying the lines not known to be durable. Open queues are closed at exit (:mod:`~.live`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from sesslog.backends.protocol import LogWriter
from sesslog.errors import QueueFullError, WriterFailedError
from sesslog.write import live
from sesslog.write.flusher import FLUSHER
from sesslog.write.modes import (
    AutosaveConfig,
    AutosaveDurabilityMode,
    AutosaveFlushTrigger,
    AutosaveQueueMetrics,
    QueueCounters,
)

__all__ = ["AutosaveQueue"]

_NEVER = float("inf")
_monotonic = time.monotonic


class AutosaveQueue:
    """The bounded queue between appending threads and one session writer.

    Line numbers (``seq``) count lines submitted to this queue, from 1.

    Args:
        writer: The writer, owned by the queue from now on (closed by :meth:`close`).
        config: Mode and tuning.
        pending: Given the count of lines known durable, returns the lines after them (for
            the ``pending`` of a :class:`~sesslog.errors.WriterFailedError`).

    Attributes:
        closed: True once :meth:`close` ran (read it, do not set it).
    """

    def __init__(
        self,
        writer: LogWriter,
        config: AutosaveConfig,
        *,
        pending: Callable[[int], list[bytes]] | None = None,
    ) -> None:
        self.writer = writer
        self.config = config
        self._pending = pending
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)  # wakes waiting callers
        self._lines: list[bytes] = []
        self._queued = 0
        self._written = 0
        self._synced = 0
        self._busy = False
        self._failure: BaseException | None = None
        self._failure_text: str | None = None
        self._stopping = False
        self.closed = False
        self._oldest = 0.0
        self._last_sync = _monotonic()
        self._space_waiters = 0
        self._waiters = 0  # callers waiting on _progress
        self._due_at = _NEVER  # when the flusher was asked to serve this queue
        self._serving = False  # the flusher is serving it (and looks again after each write)
        self._recheck = False  # the flusher found the log busy: look again after that write
        self._counts = QueueCounters()
        self._max_queue = config.max_queue
        self._batch_size = config.batch_size
        self._pressure_mark = max(1, config.max_queue * 3 // 4)
        self._strict = config.mode is AutosaveDurabilityMode.STRICT
        self._balanced = config.mode is AutosaveDurabilityMode.BALANCED
        #: True when an append must wait in :meth:`settle` (strict, or no write-behind).
        self.settles = self._strict or not config.write_behind
        self._max_delay = config.max_delay
        #: The log's length when :meth:`close` released it (``None`` before).
        self.end_size: int | None = None
        live.register(self)

    # ------------------------------------------------------------------ appending

    def submit(self, line: bytes, alone: bool = False) -> int:
        """Queue one line (its bytes without the ending).

        In ``strict`` mode, an appender that is ``alone`` (no other appender waits for the
        session's lock, which the caller holds) and finds the file idle writes and syncs its
        line at once instead, in one system call where the OS has one: with nobody to share a
        sync with, queueing would only add work. A failed write is recorded, not raised here:
        :meth:`settle` raises it.

        Returns:
            The line's ``seq`` to pass to :meth:`settle`, or 0 when there is nothing to wait
            for: the line is durable already, or the mode writes behind.

        Raises:
            WriterFailedError: The writer failed earlier, or the queue is closed.
            QueueFullError: The queue is full and ``block_when_full`` is off.
        """
        lock = self._lock
        lock.acquire()  # not ``with``: this is the append path, and the statement costs more
        try:
            if self._failure is not None or self._stopping:
                raise self._error()
            if not (
                alone
                and self._strict
                and not self._busy
                and not self._lines
                and self._written == self._synced  # the synced write may sync its own bytes only
            ):
                seq = self._enqueue(line)
                return seq if self.settles else 0
            self._busy = True  # the file is this appender's until the line is synced
            self._queued = seq = self._queued + 1
        finally:
            lock.release()
        # Written alone. The line is every line not yet synced, so a success is counted only
        # in ``alone`` (see QueueCounters): this runs once per strict append, and is kept short.
        start = _monotonic()
        try:
            self.writer.write_lines(line, sync=True)
        except BaseException as exc:
            with lock:
                self._busy = False
                self._done(AutosaveFlushTrigger.COMMIT, seq, False, True, start, exc)
            return seq
        latency = _monotonic() - start
        lock.acquire()
        try:
            self._busy = False
            self._written = self._synced = seq
            counts = self._counts
            counts.alone += 1
            counts.latencies.append(latency)
            if latency > counts.latency_max:
                counts.latency_max = latency
            if self._waiters:
                self._progress.notify_all()
        finally:
            lock.release()
        return 0

    def _enqueue(self, line: bytes) -> int:
        """Put ``line`` on the queue, waking the background thread when due (lock held)."""
        depth = self._queued - self._written
        if depth >= self._max_queue:
            self._wait_for_space()
            depth = self._queued - self._written
        lines = self._lines
        wake = not lines
        if wake:
            self._oldest = _monotonic()
        lines.append(line)
        self._queued = seq = self._queued + 1
        if not self._serving and not self.settles:
            if len(lines) >= self._batch_size or depth + 1 >= self._pressure_mark:
                self._ask(_monotonic())
            elif wake:
                self._ask(self._oldest + self._max_delay)
        return seq

    def _wait_for_space(self) -> None:
        if not self.config.block_when_full:
            raise QueueFullError(
                f"{self.writer.name}: autosave queue is full ({self.config.max_queue} entries)"
            )
        self._counts.backpressure += 1
        self._space_waiters += 1
        if not self._serving and not self.settles:
            self._ask(_monotonic())
        try:
            while self._queued - self._written >= self._max_queue:
                if self._failure is not None or self._stopping:
                    raise self._error()
                self._wait_progress(None)
        finally:
            self._space_waiters -= 1

    def settle(self, seq: int) -> None:
        """Wait for what the mode promises when an append returns.

        Strict: ``seq`` is written and synced. Without write-behind: written (and synced when
        a sync is due). With write-behind there is nothing to wait for (see :attr:`settles`).

        Raises:
            WriterFailedError: The writer failed.
        """
        if not self.settles or self._synced >= seq:
            return
        lock = self._lock
        lock.acquire()
        try:
            sync = self._strict or (
                self._balanced and _monotonic() - self._last_sync >= self.config.sync_interval
            )
            self._commit(seq, sync, AutosaveFlushTrigger.COMMIT)
        finally:
            lock.release()

    def flush(self, sync: bool | None = None) -> None:
        """Write (and sync) everything submitted before this call.

        Args:
            sync: Also sync; by default true except in ``throughput`` mode.

        Raises:
            WriterFailedError: The writer failed.
        """
        want = (
            sync if sync is not None else self.config.mode is not AutosaveDurabilityMode.THROUGHPUT
        )
        with self._lock:
            self._commit(self._queued, want, AutosaveFlushTrigger.MANUAL)

    def close(self) -> None:
        """Write and sync everything and release the log (the flusher stops serving it).

        Raises:
            WriterFailedError: The writer failed (now or earlier); ``pending`` lists the lines
                not known to be durable. The log is released all the same.
        """
        with self._lock:
            if self.closed:
                return
            self._stopping = True
            self._due_at = _NEVER  # what the flusher was asked for is void
            self._progress.notify_all()
        if not self.settles:
            FLUSHER.wake()
        try:
            with self._lock:
                self._commit(self._queued, True, AutosaveFlushTrigger.SHUTDOWN)
        finally:
            with self._lock:
                self.closed = True
                self._progress.notify_all()
            with contextlib.suppress(OSError):
                self.end_size = self.writer.size()
            self.writer.close()
            live.forget(self)

    def disown(self) -> None:
        """Fail this copy of the queue in a forked child (which has one thread; the lock may
        have been held at the fork, so fresh ones replace it) and drop its writer (so the
        parent's lease is not kept alive by the child)."""
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)
        self._lines = []
        self._busy = self._serving = self._recheck = False
        self._waiters = self._space_waiters = 0
        self._failure = RuntimeError(
            f"{self.writer.name}: this session's writer belongs to the parent process; "
            "a forked child must open the session again"
        )
        self._failure_text = str(self._failure)
        self.closed = True
        with contextlib.suppress(OSError):
            self.writer.close()

    # ------------------------------------------------------------------ state

    @property
    def failed(self) -> bool:
        """True once a write or sync failed."""
        return self._failure is not None

    @property
    def synced(self) -> int:
        """Lines known durable (counted from the first line submitted)."""
        return self._synced

    def kept(self) -> int:
        """Lines the mode's promise covers now: synced, or written in ``throughput``."""
        if self.config.mode is AutosaveDurabilityMode.THROUGHPUT:
            return self._written
        return self._synced

    def wait_kept(self, count: int, timeout: float | None = None) -> int:
        """Wait until :meth:`kept` reaches ``count``, the writer fails or closes, or time runs out.

        Returns:
            :meth:`kept` at return.
        """
        deadline = None if timeout is None else _monotonic() + timeout
        with self._lock:
            while self.kept() < count and self._failure is None and not self.closed:
                remaining = None if deadline is None else deadline - _monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._wait_progress(remaining)
            return self.kept()

    def metrics(self) -> AutosaveQueueMetrics:
        """A snapshot of the counters."""
        with self._lock:
            return self._counts.metrics(
                self.config.mode, self._queued, self._written, self._synced, self._failure_text
            )

    # ------------------------------------------------------------------ I/O (lock held)

    def _wait_progress(self, timeout: float | None) -> None:
        self._waiters += 1
        try:
            self._progress.wait(timeout)
        finally:
            self._waiters -= 1

    def _error(self) -> WriterFailedError:
        if self._failure is None:
            return WriterFailedError(f"{self.writer.name}: the autosave queue is closed")
        pending = self._pending(self._synced) if self._pending is not None else []
        return WriterFailedError(
            f"{self._failure_text}; {len(pending)} entries are not known to be durable",
            pending,
            cause=self._failure,
        )

    def _commit(self, target: int, sync: bool, trigger: AutosaveFlushTrigger) -> None:
        """Return once line ``target`` is written (and synced): as the leader, or waiting."""
        while True:
            if self._failure is not None:
                raise self._error()
            if (self._synced if sync else self._written) >= target:
                return
            if self._busy:
                self._wait_progress(None)
            else:
                self._io(trigger, sync)

    def _io(self, trigger: AutosaveFlushTrigger, sync: bool) -> None:
        """Write every queued line in one ``write()`` and sync if asked (in the same call when
        everything before them is synced already); lock held on entry."""
        lines = self._lines
        if lines:
            self._lines = []
        upto = self._queued if lines else self._written
        oldest = self._oldest
        need_sync = sync and upto > self._synced
        synced_write = need_sync and bool(lines) and self._written == self._synced
        self._busy = True
        self._lock.release()
        wrote = False
        error: BaseException | None = None
        try:
            if len(lines) == 1:
                self.writer.write_lines(lines[0], sync=synced_write)
            elif lines:
                lines.append(b"")  # so the join ends the last line too, in the one copy it makes
                self.writer.write_lines(b"\n".join(lines), sync=synced_write, end=b"")
            wrote = True
            if need_sync and not synced_write:
                self.writer.sync()
        except BaseException as exc:
            error = exc
        finally:
            self._lock.acquire()
            self._busy = False
        self._done(trigger, upto, wrote and bool(lines), need_sync, oldest, error)

    def _done(
        self,
        trigger: AutosaveFlushTrigger,
        upto: int,
        wrote: bool,
        synced: bool,
        oldest: float,
        error: BaseException | None,
    ) -> None:
        """Count a finished write (lines up to ``upto``, when ``wrote``) and sync (when
        ``synced``), or record its failure; wake whoever waits (lock held)."""
        now = _monotonic()
        # The depth only grows between writes, so its peak is reached just before one ends.
        counts = self._counts
        depth = self._queued - self._written
        if depth > counts.peak:
            counts.peak = depth
        if wrote:
            self._written = upto
        if error is None:
            if synced:
                self._synced = upto
                counts.syncs += 1
                self._last_sync = now
            counts.triggers[trigger] += 1
            if wrote:
                counts.batches += 1
                latency = now - oldest
                counts.latencies.append(latency)
                if latency > counts.latency_max:
                    counts.latency_max = latency
            if self._waiters:
                self._progress.notify_all()
            if self._recheck:
                self._recheck = False
                self._ask(now)
        else:
            self._fail(error)
            if not isinstance(error, Exception):
                raise error

    def _fail(self, error: BaseException) -> None:
        """Record the failure that ends this writer and wake everyone (lock held)."""
        cause = getattr(error, "cause", None)
        self._failure = cause if isinstance(cause, BaseException) else error
        self._failure_text = str(error) or type(error).__name__
        self._progress.notify_all()

    # ------------------------------------------------------------------ background

    def _ask(self, at: float) -> None:
        """Have the flusher serve this queue at ``at``, unless it will sooner (lock held)."""
        if at < self._due_at:
            self._due_at = at
            FLUSHER.schedule(self, at)

    def wants(self, at: float) -> bool:
        """Whether the flusher's call for ``at`` is still wanted."""
        return self._due_at == at

    def serve(self, at: float) -> None:
        """Write and sync what is due (called by the flusher); ask again for what is next."""
        with self._lock:
            if at != self._due_at:
                return  # asked again for an earlier moment, which was served
            self._due_at = _NEVER
            self._serving = True
            try:
                while self._failure is None and not self._stopping:
                    trigger, sync, timeout = self._due(_monotonic())
                    if trigger is not None and not self._busy:
                        self._io(trigger, sync)
                        continue
                    if self._busy:
                        self._recheck = True  # a caller is writing: look again after it
                    elif timeout is not None:
                        self._ask(_monotonic() + timeout)
                    return
            finally:
                self._serving = False

    def _due(self, now: float) -> tuple[AutosaveFlushTrigger | None, bool, float | None]:
        """What the flusher should do now: (trigger, sync, else how long until something is)."""
        config = self.config
        timeout: float | None = None
        sync_due = self._balanced and now - self._last_sync >= config.sync_interval
        if self._lines:
            if self._space_waiters or self._queued - self._written >= self._pressure_mark:
                return AutosaveFlushTrigger.QUEUE_PRESSURE, sync_due, None
            if len(self._lines) >= config.batch_size:
                return AutosaveFlushTrigger.BATCH_SIZE, sync_due, None
            if now - self._oldest >= config.max_delay:
                return AutosaveFlushTrigger.INTERVAL, sync_due, None
            timeout = self._oldest + config.max_delay - now
        if self._balanced and self._written > self._synced:
            if sync_due:
                return AutosaveFlushTrigger.INTERVAL, True, None
            until_sync = self._last_sync + config.sync_interval - now
            timeout = until_sync if timeout is None else min(timeout, until_sync)
        return None, False, timeout
