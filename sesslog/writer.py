"""Locked, append-only writing of one session file.

One writer per session at a time, enforced by an exclusive ``flock`` on the session file. Each
call of :meth:`SessionWriter.write_lines` is one ``write()`` of whole lines. Before the first
append to an existing file, a torn tail (an unfinished final line, or NUL padding left by a
crash) is copied to a side file next to the session and the file is cut back to its last
complete line and synced. Nothing is ever glued onto a torn line.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path

import msgspec

from ._fs import atomic_write_bytes, ensure_folder, fsync_folder, open_append_nofollow, sync_data
from .codec import decode_object
from .errors import SessionLockedError, WriterFailedError

__all__ = ["SessionWriter", "TailRepair", "lock_holder_pid", "repair_torn_tail"]

_TAIL_CHUNK = 1 << 16


class TailRepair(msgspec.Struct, frozen=True):
    """What was done to a file's unfinished tail before appending.

    Attributes:
        offset: Where the tail started (the file's new length, or the old one when a newline
            was added).
        length: Bytes moved aside (0 when only a missing newline was added).
        side_file: Where the moved bytes were saved, or ``None``.
        newline_added: True when the tail was a complete record lacking only its ``\\n``.
    """

    offset: int
    length: int
    side_file: str | None
    newline_added: bool


def lock_holder_pid(path: str | os.PathLike[str]) -> int | None:
    """Return the pid of the process holding a ``flock`` on ``path``, when the OS tells."""
    try:
        inode = os.stat(path).st_ino
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            for row in locks:
                parts = row.split()
                if len(parts) >= 6 and parts[1] in ("FLOCK", "OFDLCK") and parts[5:]:
                    dev_inode = parts[5].split(":")
                    if len(dev_inode) == 3 and dev_inode[2] == str(inode):
                        pid = int(parts[4])
                        return pid if pid > 0 else None
    except (OSError, ValueError):
        return None
    return None


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def repair_torn_tail(path: str | os.PathLike[str], fd: int) -> TailRepair | None:
    """Make the file end with a complete line before anything is appended.

    Args:
        path: The session file (used to name the side file).
        fd: A descriptor of the file open for writing, under the writer's lock.

    Returns:
        What was repaired, or ``None`` when the file already ended cleanly.
    """
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    start = size
    tail = b""
    with open(path, "rb", buffering=0) as src:
        while start > 0:
            step = min(_TAIL_CHUNK, start)
            src.seek(start - step)
            chunk = src.read(step)
            cut = chunk.rfind(b"\n")
            if cut != -1:
                tail = chunk[cut + 1 :] + tail
                start = start - step + cut + 1
                break
            tail = chunk + tail
            start -= step
    if not tail:
        return None
    if b"\x00" not in tail and isinstance(decode_object(tail.rstrip(b"\r")), dict):
        os.write(fd, b"\n")
        sync_data(fd)
        return TailRepair(size, 0, None, True)
    side = Path(path).with_name(f"{Path(path).name}.torn-at-{start}")
    atomic_write_bytes(side, tail)
    os.ftruncate(fd, start)
    os.fsync(fd)
    return TailRepair(start, len(tail), str(side), False)


class SessionWriter:
    """The single writer of one session file.

    Args:
        path: The session file.
        header: For a new file, its first line (with ``\\n``); the file is created with mode
            0600, written, synced, and its folder synced. ``None`` to open an existing file.
        wait: Seconds to wait for another writer's lock (``None``: fail at once).

    Raises:
        SessionLockedError: Another writer holds the lock.
        FileNotFoundError: No file and no header to create it with.
        FileExistsError: A header was given but the file already exists.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        header: bytes | None = None,
        wait: float | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.repair: TailRepair | None = None
        self.failed: BaseException | None = None
        if header is not None:
            ensure_folder(Path(self.path).parent)
        fd, created = open_append_nofollow(self.path, create=header is not None)
        if header is not None and not created:
            os.close(fd)
            raise FileExistsError(errno.EEXIST, "session file already exists", self.path)
        try:
            self._lock(fd, wait)
            if created:
                assert header is not None
                os.write(fd, header)
                sync_data(fd)
                fsync_folder(Path(self.path).parent)
            else:
                self.repair = repair_torn_tail(self.path, fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd: int | None = fd

    def _lock(self, fd: int, wait: float | None) -> None:
        deadline = None if wait is None else time.monotonic() + wait
        delay = 0.001
        while not _try_lock(fd):
            if deadline is None or time.monotonic() >= deadline:
                raise SessionLockedError(self.path, lock_holder_pid(self.path))
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._fd is None

    def write_lines(self, data: bytes) -> None:
        """Append whole lines with one ``write()``.

        Args:
            data: One or more complete lines, each ending in ``\\n``.

        Raises:
            WriterFailedError: This or an earlier write or sync failed; the writer is unusable.
        """
        fd = self._checked_fd()
        try:
            view = memoryview(data)
            written = os.write(fd, view)
            while written < len(view):  # a short write: finish the same record(s)
                view = view[written:]
                written = os.write(fd, view)
        except OSError as exc:
            self.failed = exc
            raise WriterFailedError(f"{self.path}: write failed: {exc}") from exc

    def sync(self) -> None:
        """Make everything written durable.

        Raises:
            WriterFailedError: The sync failed (final: the writer refuses further use).
        """
        fd = self._checked_fd()
        try:
            sync_data(fd)
        except OSError as exc:
            self.failed = exc
            raise WriterFailedError(f"{self.path}: sync failed: {exc}") from exc

    def close(self) -> None:
        """Release the lock and close the file (no sync; call :meth:`sync` first)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def _checked_fd(self) -> int:
        if self.failed is not None:
            raise WriterFailedError(f"{self.path}: writer failed earlier: {self.failed}")
        if self._fd is None:
            raise WriterFailedError(f"{self.path}: writer is closed")
        return self._fd

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
