"""Who may write a session kept in a bucket: the writer lease the object-storage backend takes.

A bucket cannot say who is writing a session, so the backend asks a :class:`LeaseKeeper`:

* :class:`ProcessLeases`, the default: leases held in this process only (one writer per
  session among the threads of one program). Across processes and machines the manifest's
  compare-and-swap still refuses every write made from a stale view, but a second writer is only
  told so when it writes, not when it opens.
* the PostgreSQL keeper of :mod:`sesslog.fleet.leases`: a lease row per session with a fencing
  number, renewed while the writer lives and expiring when it dies; a second writer anywhere is
  refused at once with the holder's host and pid.

A held lease carries its fence (``None`` for process leases): the backend records it in the
session's manifest when the writer opens, and every later write carries it, so a writer whose
lease was taken over is refused by the bucket itself
(:class:`~sesslog.backends.objectstore.errors.StaleFenceError`).
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Protocol

from sesslog.backends.protocol import LeaseHolder
from sesslog.errors import SessionLockedError

__all__ = ["HeldLease", "LeaseKeeper", "ProcessLeases"]


class HeldLease(Protocol):
    """A writer lease while it is held.

    Attributes:
        key: The session's key.
        fence: Its fencing number, or ``None`` where leases cannot be lost while held.
        holder: Who holds it (this process).
    """

    key: str
    fence: int | None
    holder: LeaseHolder

    def check(self) -> None:
        """Make sure the lease is still held before a write.

        Raises:
            SessionLockedError: It expired or was taken over (the writer must stop).
        """
        ...

    def release(self) -> None:
        """End the lease (nothing happens when it was lost already)."""
        ...


class LeaseKeeper(Protocol):
    """Grants and reports the writer leases of sessions."""

    def acquire(self, key: str) -> HeldLease:
        """Take the lease of ``key`` now.

        Raises:
            SessionLockedError: A live writer holds it (the error names it).
        """
        ...

    def holder(self, key: str) -> LeaseHolder | None:
        """Who holds the lease of ``key`` now, or ``None``."""
        ...


class _ProcessLease:
    """A lease of :class:`ProcessLeases`."""

    def __init__(self, keeper: ProcessLeases, key: str, holder: LeaseHolder) -> None:
        self._keeper = keeper
        self.key = key
        self.fence: int | None = None
        self.holder = holder

    def check(self) -> None:
        """Process leases cannot be lost while held."""

    def release(self) -> None:
        """Let the next writer of this process in."""
        self._keeper._release(self)


class ProcessLeases:
    """Writer leases held in this process (see the module documentation)."""

    def __init__(self) -> None:
        self._held: dict[str, _ProcessLease] = {}
        self._lock = threading.Lock()
        self._holder = LeaseHolder(os.getpid(), socket.gethostname())

    def acquire(self, key: str) -> HeldLease:
        """Take the lease of ``key`` unless a writer of this process holds it."""
        with self._lock:
            if key in self._held:
                raise SessionLockedError(key, self._holder.pid)
            lease = self._held[key] = _ProcessLease(self, key, self._holder)
            return lease

    def holder(self, key: str) -> LeaseHolder | None:
        """This process, while one of its writers holds ``key``."""
        with self._lock:
            return self._holder if key in self._held else None

    def _release(self, lease: _ProcessLease) -> None:
        with self._lock:
            if self._held.get(lease.key) is lease:
                del self._held[lease.key]
