"""The memory backend: session logs held in this process, with the promises of real storage.

Nothing reaches a disk, but the seam's promises hold and can be observed: one writer per log
(a lease with a fencing number), whole lines appended in order, and a *durable* length that only
a synced write or a sync moves. :meth:`MemoryBackend.crash` does to a log what a machine crash
does to a file: everything after its durable length is gone, and its lease is released. A
lease can also be expired (:meth:`MemoryBackend.expire_lease`), as a database lease times out:
the next writer gets a higher fence and the old one's writes are refused.

:meth:`sesslog.Session.in_memory` keeps its session here. Keys follow the same rules as the
local backend's; trashed logs get the key ``.trash/<deleted-at-ms>/<key>``.
"""

from __future__ import annotations

import builtins
import os
import threading
import time
from pathlib import Path

from sesslog._closing import Closing
from sesslog.backends.fingerprints import edges_of_bytes
from sesslog.backends.protocol import (
    Fingerprint,
    FolderInfo,
    Lease,
    LeaseHolder,
    LogInfo,
    TailRepair,
    in_pi_layout,
    key_parts,
    logs_in_folder,
    writer_failed,
)
from sesslog.backends.tail import TailAction, check_cut, side_name, tail_action
from sesslog.errors import SessionLockedError, WriterFailedError

__all__ = ["MemoryBackend", "MemoryWriter"]

_TRASH = ".trash"


class _Log:
    """One log: its bytes, how many of them are durable, and its lease."""

    __slots__ = ("data", "durable", "lease", "mtime_ns", "version")

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.durable = len(data)
        self.lease: Lease | None = None
        self.version = 0
        self.mtime_ns = time.time_ns()

    def changed(self) -> None:
        self.version += 1
        self.mtime_ns = time.time_ns()


class MemoryBackend:
    """Session logs in memory (see the module documentation)."""

    kind = "memory"
    trash_folder = _TRASH

    def __init__(self) -> None:
        self._logs: dict[str, _Log] = {}
        self._trash: dict[str, _Log] = {}
        self._lock = threading.Lock()
        self._fence = 0
        #: Torn tails moved aside, by name (``<key>.torn-at-<offset>``).
        self.side_files: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"MemoryBackend({len(self._logs)} logs)"

    def describe(self, key: str) -> str:
        """``memory:<key>``."""
        return f"memory:{key}"

    def local_path(self, key: str) -> Path | None:
        """``None``: nothing here is a file."""
        return None

    def _get(self, key: str) -> _Log:
        """The log (or trashed log) of ``key`` (lock held)."""
        key_parts(key)
        log = self._logs.get(key) or self._trash.get(key)
        if log is None:
            raise FileNotFoundError(f"{self.describe(key)}: no such log")
        return log

    def _lease(self, key: str, log: _Log) -> Lease:
        """Give ``log`` a new lease with the next fence (lock held)."""
        self._fence += 1
        log.lease = Lease(key, LeaseHolder(os.getpid()), self._fence)
        return log.lease

    # ------------------------------------------------------------------ writing

    def create(self, key: str, content: bytes) -> MemoryWriter:
        """Create the log holding ``content``, durable at once, and return its writer."""
        key_parts(key)
        with self._lock:
            if key in self._logs:
                raise FileExistsError(f"{self.describe(key)}: log already exists")
            log = self._logs[key] = _Log(content)
            return MemoryWriter(self, key, log, self._lease(key, log), None)

    def open_writer(self, key: str, *, wait: float | None = None) -> MemoryWriter:
        """Take the log's lease (polling up to ``wait`` seconds) and repair its tail."""
        deadline = time.monotonic() + (wait or 0.0)
        while True:
            with self._lock:
                log = self._get(key)
                if log.lease is None:
                    lease = self._lease(key, log)
                    try:
                        repair = self._repair(key, log)
                    except BaseException:
                        log.lease = None
                        raise
                    return MemoryWriter(self, key, log, lease, repair)
                holder = log.lease.holder
            if time.monotonic() >= deadline:
                raise SessionLockedError(self.describe(key), holder.pid)
            time.sleep(0.001)

    def _repair(self, key: str, log: _Log) -> TailRepair | None:
        """Make the log end with a complete line, as the local backend does (lock held)."""
        data = log.data
        start = data.rfind(b"\n") + 1
        tail = bytes(data[start:])
        action = tail_action(tail)
        if action is TailAction.NONE:
            return None
        size = len(data)
        if action is TailAction.NEWLINE:
            data += b"\n"
            log.durable = len(data)
            log.changed()
            return TailRepair(size, 0, None, True)
        check_cut(self.describe(key), start)
        side = side_name(key, start, tail, self.side_files.get)
        self.side_files[side] = tail
        del data[start:]
        log.durable = len(data)
        log.changed()
        return TailRepair(start, len(tail), side, False)

    def _append(self, writer: MemoryWriter, data: bytes, sync: bool) -> None:
        """Add ``data`` to the writer's log if its lease still holds."""
        with self._lock:
            log = writer.log
            if log.lease is not writer.lease:
                raise OSError(f"{writer.name}: the lease (fence {writer.lease.fence}) was lost")
            log.data += data
            if sync:
                log.durable = len(log.data)
            log.changed()

    def _sync(self, writer: MemoryWriter) -> None:
        with self._lock:
            if writer.log.lease is not writer.lease:
                raise OSError(f"{writer.name}: the lease (fence {writer.lease.fence}) was lost")
            writer.log.durable = len(writer.log.data)

    def _release(self, writer: MemoryWriter) -> None:
        with self._lock:
            if writer.log.lease is writer.lease:
                writer.log.lease = None

    # ------------------------------------------------------------------ failures

    def crash(self, key: str) -> bytes:
        """Do to the log what a machine crash does: drop every byte after its durable length
        and release its lease (its writer's later calls fail).

        Returns:
            What is left.
        """
        with self._lock:
            log = self._get(key)
            del log.data[log.durable :]
            log.lease = None
            log.changed()
            return bytes(log.data)

    def expire_lease(self, key: str) -> None:
        """End the log's lease as a lease that timed out ends: the next writer gets a higher
        fence, and the old writer's writes fail."""
        with self._lock:
            self._get(key).lease = None

    # ------------------------------------------------------------------ reading

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of the log."""
        with self._lock:
            data = self._get(key).data
            end = len(data) if length is None else offset + length
            return bytes(data[offset:end])

    def stat(self, key: str) -> LogInfo:
        """The log's size and change time."""
        with self._lock:
            log = self._get(key)
            return LogInfo(key, len(log.data), log.mtime_ns)

    def fingerprint(self, key: str) -> Fingerprint:
        """Size, edges hash, and a counter of changes as the version."""
        with self._lock:
            log = self._get(key)
            return Fingerprint(len(log.data), edges_of_bytes(log.data), str(log.version))

    def prefix_matches(self, key: str, fingerprint: Fingerprint) -> bool:
        """Whether the log's first ``fingerprint.size`` bytes have the same edges."""
        with self._lock:
            log = self._logs.get(key)
            if log is None or len(log.data) < fingerprint.size:
                return False
            prefix = memoryview(log.data)[: fingerprint.size]
            try:
                return edges_of_bytes(prefix) == fingerprint.prefix
            finally:
                prefix.release()

    def list(self, *, trash: bool = False) -> list[LogInfo]:
        """Every log in pi's layout (the root and its folders, hidden names left out), or
        every trashed log, sorted by key."""
        with self._lock:
            logs: builtins.list[tuple[str, _Log]]
            if trash:
                logs = list(self._trash.items())
            else:  # pi's layout: the root and its folders, hidden names left out
                logs = [(k, v) for k, v in self._logs.items() if in_pi_layout(k)]
            return [LogInfo(k, len(v.data), v.mtime_ns) for k, v in sorted(logs)]

    def folders(self) -> builtins.list[FolderInfo] | None:
        """``None``: a memory backend keeps no folder stamps (a listing is cheap here)."""
        return None

    def list_folder(self, name: str) -> builtins.list[LogInfo]:
        """The logs directly in folder ``name`` (``""``: the root)."""
        return logs_in_folder(self.list(), name)

    def active_writer(self, key: str) -> LeaseHolder | None:
        """The lease's holder, or ``None``."""
        with self._lock:
            lease = self._get(key).lease
            return lease.holder if lease is not None else None

    # ------------------------------------------------------------------ trash

    def trash(self, key: str, *, deleted_ms: int | None = None) -> str:
        """Move the log to ``.trash/<deleted-at-ms>/<key>`` (the first free millisecond from
        ``deleted_ms``, default now; refused while a writer holds it)."""
        when = time.time_ns() // 1_000_000 if deleted_ms is None else deleted_ms
        with self._lock:
            if key not in self._logs:
                raise FileNotFoundError(f"{self.describe(key)}: no such log")
            log = self._unleased(key)
            while f"{_TRASH}/{when}/{key}" in self._trash:
                when += 1
            trash_key = f"{_TRASH}/{when}/{key}"
            self._trash[trash_key] = self._logs.pop(key)
            log.changed()
            return trash_key

    def restore(self, trash_key: str) -> str:
        """Move a trashed log back to its key."""
        parts = key_parts(trash_key)
        key = "/".join(parts[2:])
        with self._lock:
            if trash_key not in self._trash:
                raise FileNotFoundError(f"{self.describe(trash_key)}: no such trashed log")
            if key in self._logs:
                raise FileExistsError(f"{self.describe(key)}: log already exists")
            self._logs[key] = self._trash.pop(trash_key)
            return key

    def delete(self, key: str) -> None:
        """Forget the log (or the trashed log)."""
        with self._lock:
            if key in self._trash:
                del self._trash[key]
                return
            self._unleased(key)
            del self._logs[key]

    def _unleased(self, key: str) -> _Log:
        log = self._get(key)
        if log.lease is not None:
            raise SessionLockedError(self.describe(key), log.lease.holder.pid)
        return log


class MemoryWriter(Closing):
    """The writer of one log of a :class:`MemoryBackend`, holding its lease."""

    def __init__(
        self,
        backend: MemoryBackend,
        key: str,
        log: _Log,
        lease: Lease,
        repair: TailRepair | None,
    ) -> None:
        self.backend = backend
        self.log = log
        self.name = backend.describe(key)
        self.lease = lease
        self.repair = repair
        self.failed: BaseException | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def size(self) -> int:
        """The log's length."""
        return len(self.log.data)

    def write_lines(self, lines: bytes, *, sync: bool = False, end: bytes = b"\n") -> None:
        """Append ``lines`` and ``end``; durable at once with ``sync``."""
        self._check()
        try:
            self.backend._append(self, lines + end, sync)
        except OSError as exc:
            raise writer_failed(self, "write", exc) from exc

    def sync(self) -> None:
        """Make everything written durable."""
        self._check()
        try:
            self.backend._sync(self)
        except OSError as exc:
            raise writer_failed(self, "sync", exc) from exc

    def close(self) -> None:
        """Release the lease."""
        if not self._closed:
            self._closed = True
            self.backend._release(self)

    def _check(self) -> None:
        if self.failed is not None:
            raise WriterFailedError(
                f"{self.name}: writer failed earlier: {self.failed}", cause=self.failed
            )
        if self._closed:
            raise WriterFailedError(f"{self.name}: writer is closed")
