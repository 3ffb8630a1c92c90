"""The operating-system calls a session writer makes, behind one small replaceable object.

:class:`~sesslog.backends.local_writer.SessionWriter` never calls ``os`` directly on its data path: it calls a
:class:`FileOps`. The default object makes the real calls. Tests substitute a subclass that
records writes and syncs (to build the files a power cut could leave behind) or that fails on
chosen calls (``ENOSPC``, ``EIO``).
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable

from sesslog.backends.fs import (
    atomic_write_bytes,
    fsync_folder,
    open_append_nofollow,
    sync_data,
)
from sesslog.backends.locks import lock_holder_pid
from sesslog.errors import SessionLockedError

__all__ = ["OS_FILE_OPS", "FileOps", "open_locked"]

#: How long a busy lock is retried even when told not to wait: a reader's lock probe (on
#: systems without ``/proc/locks``) holds a shared lock for a moment.
_LOCK_GRACE = 0.02

_LOCK_BUSY = (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
#: ``sync_data`` resolved once for this platform (it sits on the strict append path).
_SYNC = os.fdatasync if sys.platform != "darwin" and hasattr(os, "fdatasync") else sync_data
#: The ``pwritev2`` flag that makes one write durable before it returns (Linux 4.7+), or 0.
_RWF_DSYNC: int = getattr(os, "RWF_DSYNC", 0) if hasattr(os, "pwritev") else 0
#: How a kernel without ``pwritev2`` or its flags refuses the call.
_NO_DSYNC = frozenset({errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS})
_dsync_works = True


class FileOps:
    """The calls a writer makes on its session file; every method maps to one OS call."""

    def open(self, path: str, *, create: bool) -> tuple[int, bool]:
        """Open ``path`` for appending without following a symlink.

        Returns:
            The descriptor and whether this call created the file (``O_EXCL``, mode 0600).
        """
        return open_append_nofollow(path, create=create)

    def try_lock(self, fd: int) -> bool:
        """Take an exclusive ``flock`` without waiting; ``False`` when another holds it."""
        if sys.platform == "win32":  # pragma: no cover - no flock there
            return True
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in _LOCK_BUSY:
                return False
            raise
        return True

    def size(self, fd: int) -> int:
        """The file's current length."""
        return os.fstat(fd).st_size

    def read(self, path: str, offset: int, length: int) -> bytes:
        """Read up to ``length`` bytes of ``path`` at ``offset`` (not following a symlink)."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            return os.pread(fd, length, offset)
        finally:
            os.close(fd)

    # The two calls on the append path are the OS functions themselves (no Python frame in
    # between); subclasses override them with methods of the same signatures.

    #: ``write(fd, data) -> int``: one ``write()``; returns the count written (possibly short).
    write: Callable[[int, bytes | memoryview], int] = staticmethod(os.write)

    #: ``sync(fd)``: make the file's data durable (``fdatasync``, ``F_FULLFSYNC`` on macOS).
    sync: Callable[[int], None] = staticmethod(_SYNC)

    def write_synced(self, fd: int, parts: tuple[bytes, ...]) -> int:
        """One write at the file's end of ``parts`` one after the other, durable when it
        returns.

        This is :meth:`write` of the parts joined, then :meth:`sync`, so a subclass that
        overrides those sees every synced write. :data:`OS_FILE_OPS` makes it one ``pwritev2``
        call with ``RWF_DSYNC`` where the kernel has it, which gathers the parts without
        joining them.

        Returns:
            The count written (possibly short); what was written is durable.
        """
        written = self.write(fd, parts[0] if len(parts) == 1 else b"".join(parts))
        self.sync(fd)
        return written

    def truncate(self, fd: int, size: int) -> None:
        """Cut the file to ``size`` bytes (not durable until :meth:`sync`)."""
        os.ftruncate(fd, size)

    def close(self, fd: int) -> None:
        """Close the descriptor (which releases its lock)."""
        os.close(fd)

    def link(self, source: str, target: str) -> None:
        """Give ``source``'s file a second name; fails when ``target`` exists."""
        os.link(source, target, follow_symlinks=False)

    def unlink(self, path: str) -> None:
        """Remove a name."""
        os.unlink(path)

    def sync_folder(self, path: str) -> None:
        """Make the folder's entries (new names, removed names) durable."""
        fsync_folder(path)

    def save_side_file(self, path: str, data: bytes) -> None:
        """Write a whole file atomically and durably (used for moved-aside torn tails)."""
        atomic_write_bytes(path, data)


class _OsFileOps(FileOps):
    """The real calls, a synced write being one system call where the kernel allows it."""

    def write_synced(self, fd: int, parts: tuple[bytes, ...]) -> int:
        """``pwritev2(RWF_DSYNC)`` at the file's end (offset -1: the file position, which
        ``O_APPEND`` keeps at the end); where the kernel refuses the flag, :meth:`write` then
        :meth:`sync`, from then on."""
        global _dsync_works
        if _dsync_works:
            try:
                return os.pwritev(fd, parts, -1, _RWF_DSYNC)
            except OSError as exc:
                if exc.errno not in _NO_DSYNC:
                    raise
                _dsync_works = False  # nothing was written: the kernel checks flags first
        return super().write_synced(fd, parts)


#: The real calls.
OS_FILE_OPS: FileOps = _OsFileOps() if _RWF_DSYNC else FileOps()


def open_locked(path: str, wait: float | None = None, ops: FileOps = OS_FILE_OPS) -> int:
    """Open an existing session file for appending and take its writer lock: the one lock
    every writer, and every whole-file replacement (upgrade, restore, trash), holds.

    Once the lock is taken the name must still lead to the locked file: a file replaced whole
    while this call waited (a new file renamed into place under the lock) is opened and locked
    again, so nothing is ever appended to a file no longer in the folder.

    Args:
        path: The session file (a symlink is refused).
        wait: Seconds to wait for another holder (``None`` or ``0``: a moment only).
        ops: The OS calls to use.

    Returns:
        The descriptor, open for appending, holding the lock (closing it releases the lock).

    Raises:
        SessionLockedError: Another holder kept the lock past ``wait`` (its pid named when the
            OS tells).
        FileNotFoundError: No such file (or it was removed while this call waited).
    """
    deadline = time.monotonic() + max(wait or 0.0, _LOCK_GRACE)
    while True:
        fd, _ = ops.open(path, create=False)
        try:
            delay = 0.001
            while not ops.try_lock(fd):
                if time.monotonic() >= deadline:
                    raise SessionLockedError(path, lock_holder_pid(path))
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
            held = os.fstat(fd)
            named = os.stat(path, follow_symlinks=False)
        except BaseException:
            ops.close(fd)
            raise
        if (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino):
            return fd
        ops.close(fd)  # replaced while waiting: lock the file that has the name now
