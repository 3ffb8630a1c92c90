"""The thread-safe append path of one session, and immutable snapshots of it.

A :class:`SessionHandle` owns what appending needs: the session's tree, one re-entrant lock, and
the log's writer (from its :class:`~sesslog.backends.protocol.LogBackend`) behind an
:class:`~sesslog.write.queue.AutosaveQueue`.
Under the lock an append builds its line (so its parent is the leaf of that moment), checks it,
queues it and adds it to the tree; the tree's order and the file's order are therefore the
same. In ``strict`` mode an appender alone writes and syncs its line before releasing the lock;
when other appenders wait for the lock, lines are queued and waiting for durability happens
after the lock is released, so concurrent appenders share one sync.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from sesslog._leaf import AT_LEAF, AtLeaf
from sesslog.backends.protocol import LogBackend, LogWriter
from sesslog.errors import SessionChangedError, WriterFailedError
from sesslog.format.codec import encode_raw
from sesslog.format.entries import Entry
from sesslog.format.ids import new_entry_id
from sesslog.format.records import Record, record_from_entry, record_from_line
from sesslog.format.timestamps import ms_to_iso, now_ms
from sesslog.tree.index import SessionTree
from sesslog.tree.snapshot import SessionSnapshot
from sesslog.write.auto_sidecar import maybe_build_sidecar
from sesslog.write.flusher import FLUSHER
from sesslog.write.modes import (
    AutosaveDurabilityMode,
    AutosaveQueueMetrics,
    Durability,
    autosave_config,
)
from sesslog.write.queue import AutosaveQueue

__all__ = ["SessionHandle", "close_collected"]


class SessionHandle:
    """The thread-safe append path of one session.

    Args:
        tree: The session's tree (the handle appends to it).
        backend: Where the session's log lives.
        key: The log's key in ``backend``.
        durability: A mode name, :class:`~sesslog.write.modes.AutosaveDurabilityMode` or full
            :class:`~sesslog.write.modes.AutosaveConfig`.
        lock_wait: Seconds to wait for another writer's lease when the log is first opened
            for appending (``None``: fail at once).
        clock: Unix milliseconds now, for the timestamps of :meth:`append_new`.
        read_size: The log's length when the session was read, or ``None`` when unknown.

    Attributes:
        lock: Held while an append builds, checks, queues and indexes its entry. Hold it to
            read several things about the session consistently.
        read_size: The log's length when the session was read, or ``None`` when unknown. When
            the log is opened for appending and has grown past it, another writer appended in
            between and the append is refused.
    """

    def __init__(
        self,
        tree: SessionTree,
        backend: LogBackend,
        key: str,
        *,
        durability: Durability = AutosaveDurabilityMode.BALANCED,
        lock_wait: float | None = None,
        clock: Callable[[], int] = now_ms,
        read_size: int | None = None,
    ) -> None:
        self.tree = tree
        self.clock = clock
        self.backend = backend
        self.key = key
        self.config = autosave_config(durability)
        self.lock_wait = lock_wait
        self.lock = threading.RLock()
        self.read_size = read_size
        self._queue: AutosaveQueue | None = None
        self._base = 0  # tree index of the first entry given to the current queue
        self._waiting: list[None] = []  # one item per appender waiting for the lock
        self._scratch = bytearray()  # appends encode their line here, under the lock

    @property
    def durability(self) -> AutosaveDurabilityMode:
        """The durability mode."""
        return self.config.mode

    def create(self, content: bytes) -> None:
        """Create the session's log holding ``content`` (its header line) and keep it open for
        appending.

        Raises:
            FileExistsError: The log already exists.
        """
        with self.lock:
            self._start(self.backend.create(self.key, content))

    def _start(self, writer: LogWriter) -> AutosaveQueue:
        self._base = len(self.tree)
        self._queue = AutosaveQueue(writer, self.config, pending=self._pending_lines)
        return self._queue

    def open_writer(self) -> None:
        """Take the log's writer lease now (repairing a torn tail) instead of at the first
        append, to fail early when another writer holds it.

        Raises:
            SessionLockedError: Another writer holds the log.
            SessionChangedError: The log grew since the session was read.
        """
        with self.lock:
            self._open_queue()

    def _open_queue(self) -> AutosaveQueue:
        queue = self._queue
        if queue is not None and (not queue.closed or queue.failed):
            return queue
        writer = self.backend.open_writer(self.key, wait=self.lock_wait)
        if self.read_size is not None:
            limit = self.read_size + (1 if writer.repair and writer.repair.newline_added else 0)
            size = writer.size()
            if size > limit:
                writer.close()
                raise SessionChangedError(writer.name, self.read_size, size)
        return self._start(writer)

    def append(self, entry: Entry | dict[str, Any]) -> Record:
        """Append an entry built by the caller, its parent as the entry gives it.

        Args:
            entry: A typed entry, or a plain object (of any ``type``, kept as it is).

        Returns:
            The stored record, already in the tree when this returns.

        Raises:
            FormatError: The entry cannot be encoded as JSON.
            ValueError: The entry is not an object, has no string id, the id is taken, or the
                parent is not in the session.
            SessionLockedError: Another writer holds the file.
            SessionChangedError: The file grew since the session was read.
            WriterFailedError: The writer failed; in ``strict`` mode the entry may be in the
                tree without being durable (see :meth:`pending_entries`).
            QueueFullError: The queue is full and was configured not to block.
        """
        if not self.lock.acquire(False):
            self._acquire_contended()
        try:
            raw = encode_raw(entry, self._scratch)
            if isinstance(entry, dict):
                found = record_from_line(raw)
                if found is None:  # pragma: no cover - an encoded dict is always an object
                    raise ValueError("an entry must be a JSON object")
                rec = found
            else:
                rec = record_from_entry(entry, raw)
            queue, seq = self._store(rec, self.tree.check_new(rec))
        finally:
            self.lock.release()
        if seq:
            queue.settle(seq)
        return rec

    def append_new(self, entry: Entry, parent_id: str | AtLeaf | None = AT_LEAF) -> Record:
        """Stamp a new entry and append it, atomically: under the lock it gets a fresh id,
        the current time and its parent (by default the leaf of that moment), then is encoded.

        Args:
            entry: The typed entry; its ``id``, ``parent_id`` and ``timestamp`` are overwritten.
            parent_id: The parent, or :data:`AT_LEAF` for the current leaf.

        Returns:
            The stored record.

        Raises:
            ValueError: ``parent_id`` is not in the session.
            SessionLockedError, SessionChangedError, WriterFailedError, QueueFullError: As for
                :meth:`append`.
        """
        if not self.lock.acquire(False):
            self._acquire_contended()
        try:
            tree = self.tree
            entries = tree.entries
            entry.id = new_entry_id(tree.ids)
            entry.timestamp = ms_to_iso(self.clock())
            if parent_id is AT_LEAF:
                entry.parent_id = tree.leaf_id
            else:
                entry.parent_id = parent_id
            rec = record_from_entry(entry, encode_raw(entry, self._scratch))
            parent = len(entries) - 1 if parent_id is AT_LEAF else tree.check_new(rec)
            queue, seq = self._store(rec, parent)
        finally:
            self.lock.release()
        if seq:
            queue.settle(seq)
        return rec

    def _acquire_contended(self) -> None:
        lock = self.lock
        waiting = self._waiting
        waiting.append(None)  # list append and pop are atomic: no lock needed to count
        try:
            # Another appender holds the lock, most likely preempted by the GIL in the middle
            # of a short critical section: yield the GIL so it can finish, rather than sleeping
            # in the kernel and waking into a convoy of appenders.
            for _ in range(20):
                time.sleep(0)
                if lock.acquire(False):
                    return
            lock.acquire()
        finally:
            waiting.pop()

    def _store(self, rec: Record, parent: int) -> tuple[AutosaveQueue, int]:
        """Queue ``rec``'s line and add it to the tree (lock held); return the queue and the
        seq to settle once the lock is released (0: nothing to wait for)."""
        queue = self._queue
        if queue is None or queue.closed:
            queue = self._open_queue()
        seq = queue.submit(rec.raw, not self._waiting)
        self.tree.append(rec, parent)
        return queue, seq

    def flush(self, sync: bool | None = None) -> None:
        """Barrier: everything appended before the call is written, and synced unless
        ``sync`` is false (default: synced except in ``throughput`` mode).

        Raises:
            WriterFailedError: The writer failed.
        """
        queue = self._queue
        if queue is not None:
            queue.flush(sync)

    def close(self) -> None:
        """Write and sync everything and release the file (a later append reopens it).

        Raises:
            WriterFailedError: The writer failed; the entries not known durable are in
                ``pending`` and stay listed by :meth:`pending_entries`.
        """
        with self.lock:
            queue = self._queue
            if queue is None:
                return
            try:
                queue.close()
            finally:
                self.read_size = queue.end_size
        # everything is written, synced and released: a long session's sidecar may follow
        if queue.end_size is not None:
            maybe_build_sidecar(self.backend.local_path(self.key), queue.end_size)

    @property
    def metrics(self) -> AutosaveQueueMetrics | None:
        """The autosave queue's counters (``None`` before the file was opened for writing)."""
        queue = self._queue
        return queue.metrics() if queue is not None else None

    def pending_entries(self) -> list[Record]:
        """Entries in the session that are not known to be durable (appended, not synced)."""
        with self.lock:
            queue = self._queue
            if queue is None:
                return []
            return self.tree.entries[self._base + queue.synced :]

    def _pending_lines(self, synced: int) -> list[bytes]:
        return [rec.raw + b"\n" for rec in self.tree.entries[self._base + synced :]]

    def wait_kept(self, count: int, timeout: float | None = None) -> int:
        """Wait until ``count`` entries appended since the file was opened for writing are
        covered by the mode's promise (synced; written in ``throughput``).

        Returns:
            How many are covered now (less than ``count`` on failure, close or timeout).
        """
        queue = self._queue
        return queue.wait_kept(count, timeout) if queue is not None else 0

    def export_snapshot(self, header_raw: bytes) -> SessionSnapshot:
        """An immutable snapshot of the entries appended so far."""
        with self.lock:
            entries = tuple(self.tree.entries)
        path = self.backend.local_path(self.key)
        return SessionSnapshot(str(path) if path is not None else None, header_raw, entries)


def close_collected(handle: SessionHandle) -> None:
    """Close the handle of a session collected without ``close()`` (or still open at exit):
    what it acknowledged is written and synced, its writer's lease released. A writer failure
    is reported on stderr (nobody is left to catch it)."""
    if FLUSHER.serves_current_thread():  # never wait for this thread's own write
        threading.Thread(target=close_collected, args=(handle,), name="sesslog close").start()
        return
    try:
        handle.close()
    except WriterFailedError as exc:
        sys.stderr.write(f"sesslog: {exc}\n")
