"""Locked, append-only writing of one session file.

One writer per session at a time, enforced by an exclusive ``flock`` on the session file; a
second writer gets :class:`~sesslog.errors.SessionLockedError` naming the file and the holder's
pid, or waits up to a timeout when asked. Each call of :meth:`SessionWriter.write_lines` is one
``write()`` of whole lines.

A new file is born complete: its header is written and synced in a hidden file beside it, which
is then linked into place and the folder synced, so a crash never leaves an empty session file.

Before the first append to an existing file, a torn tail (an unfinished final line, or NUL
padding left by a crash) is copied to a side file next to the session named
``<session file>.torn-at-<offset>``, and the file is cut back to its last complete line and
synced. Nothing is ever glued onto a torn line. Every OS call on the data path goes through a
:class:`~sesslog.backends.fileops.FileOps`, so tests can inject faults and simulate power cuts.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from sesslog._closing import Closing
from sesslog.backends.fileops import OS_FILE_OPS, FileOps, open_locked
from sesslog.backends.fs import NO_HARD_LINKS, ensure_folder
from sesslog.backends.protocol import Lease, LeaseHolder, TailRepair, writer_failed
from sesslog.backends.tail import TailAction, check_cut, side_name, tail_action
from sesslog.errors import WriterFailedError

__all__ = ["SessionWriter", "repair_torn_tail"]

_TAIL_CHUNK = 1 << 16


def _find_tail(path: str, size: int, ops: FileOps) -> tuple[int, bytes]:
    """Return where the bytes after the last ``\\n`` start, and those bytes."""
    start = size
    tail = b""
    while start > 0:
        step = min(_TAIL_CHUNK, start)
        chunk = ops.read(path, start - step, step)
        cut = chunk.rfind(b"\n")
        if cut != -1:
            return start - step + cut + 1, chunk[cut + 1 :] + tail
        tail = chunk + tail
        start -= step
    return 0, tail


def _held(name: str) -> bytes | None:
    """What a side-file name holds (``None``: free; unreadable counts as other bytes)."""
    if not os.path.lexists(name):
        return None
    try:
        return Path(name).read_bytes()
    except OSError:
        return b"\x00unreadable"


def repair_torn_tail(
    path: str | os.PathLike[str], fd: int, ops: FileOps = OS_FILE_OPS
) -> TailRepair | None:
    """Make the file end with a complete line before anything is appended.

    A final record that is complete but lacks its ``\\n`` gets one. Anything else after the
    last ``\\n`` (a torn record, NUL padding) is saved to ``<file>.torn-at-<offset>`` (with
    ``.2``, ``.3``... when that name holds other bytes), then the file is cut back to the end
    of its last complete line and synced.

    Args:
        path: The session file (used to read the tail and name the side file).
        fd: A descriptor of the file open for appending, under the writer's lock.
        ops: The OS calls to use.

    Returns:
        What was repaired, or ``None`` when the file already ended cleanly.

    Raises:
        FormatError: The file has no complete first line; it is left untouched.
    """
    name = os.fspath(path)
    size = ops.size(fd)
    start, tail = _find_tail(name, size, ops) if size else (0, b"")
    action = tail_action(tail)
    if action is TailAction.NONE:
        return None
    if action is TailAction.NEWLINE:
        _write_all(ops, fd, b"\n")
        ops.sync(fd)
        return TailRepair(size, 0, None, True)
    check_cut(name, start)
    side = side_name(name, start, tail, _held)
    ops.save_side_file(side, tail)
    ops.truncate(fd, start)
    ops.sync(fd)
    return TailRepair(start, len(tail), side, False)


def _write_all(ops: FileOps, fd: int, data: bytes) -> None:
    """Write ``data`` with one ``write()``, finishing a short write with more calls."""
    _write_rest(ops, fd, data, ops.write(fd, data))


def _write_rest(ops: FileOps, fd: int, data: bytes, written: int) -> None:
    """Finish writing ``data`` of which a first ``write()`` wrote ``written`` bytes."""
    view = memoryview(data)
    while written < len(view):
        view = view[written:]
        written = ops.write(fd, view)


class SessionWriter(Closing):
    """The single writer of one session file.

    This is the :class:`~sesslog.backends.protocol.LogWriter` of
    :class:`~sesslog.backends.local.LocalFolder`; its lease is the ``flock``.

    Args:
        path: The session file.
        header: For a new file, its first content (the header line, possibly followed by more
            whole lines, each with ``\\n``): the file is created with mode 0600 holding it,
            synced, and its folder is synced. ``None`` to open an existing file (its torn tail,
            if any, is repaired first).
        wait: Seconds to wait for another writer's lock (``None``: fail at once).
        ops: The OS calls to use (tests pass fault-injecting ones).
        key: The file's key in its backend, for :attr:`lease` (default: the path).

    Attributes:
        name: The path, for messages.
        lease: The lease held: the lock, taken by this process.

    Raises:
        SessionLockedError: Another writer holds the lock (names the file and holder pid).
        FileNotFoundError: No file and no header to create it with.
        FileExistsError: A header was given but the file already exists.
        FormatError: The existing file has no complete first line.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        header: bytes | None = None,
        wait: float | None = None,
        ops: FileOps | None = None,
        key: str | None = None,
    ) -> None:
        self.path = self.name = os.fspath(path)
        self.ops = ops if ops is not None else OS_FILE_OPS
        self.lease = Lease(key if key is not None else self.path, LeaseHolder(os.getpid()))
        self.repair: TailRepair | None = None
        self.failed: BaseException | None = None
        self._fd: int | None = None
        if header is not None:
            self._fd = self._create(header)
            return
        fd = open_locked(self.path, wait, self.ops)
        try:
            self.repair = repair_torn_tail(self.path, fd, self.ops)
        except BaseException:
            self.ops.close(fd)
            raise
        self._fd = fd

    # ------------------------------------------------------------------ opening

    def _create(self, header: bytes) -> int:
        folder = str(ensure_folder(Path(self.path).parent))
        try:
            fd = self._create_linked(header, folder)
        except OSError as exc:
            if exc.errno not in NO_HARD_LINKS:  # create in place instead
                raise
            fd = self._create_in_place(header)
        try:
            self.ops.sync_folder(folder)
        except BaseException:
            self.ops.close(fd)
            raise
        return fd

    def _create_linked(self, header: bytes, folder: str) -> int:
        """Write the content in a hidden file of its own (``O_EXCL``), then link it into place,
        which fails when the name is taken: never an empty file, never a replaced one."""
        while True:
            tmp = os.path.join(folder, f".{Path(self.path).name}.{secrets.token_hex(8)}.new")
            fd, created = self.ops.open(tmp, create=True)
            if created:
                break
            self.ops.close(fd)  # another file has that name: never write into it
        try:
            try:
                self.ops.try_lock(fd)  # a fresh file: the lock is free
                _write_all(self.ops, fd, header)
                self.ops.sync(fd)
                try:
                    self.ops.link(tmp, self.path)
                except FileExistsError:  # name the session file, not the hidden one
                    raise FileExistsError(
                        errno.EEXIST, "session file already exists", self.path
                    ) from None
            finally:
                self.ops.unlink(tmp)
        except BaseException:
            self.ops.close(fd)
            raise
        return fd

    def _create_in_place(self, header: bytes) -> int:
        fd, created = self.ops.open(self.path, create=True)
        try:
            if not created:
                raise FileExistsError(errno.EEXIST, "session file already exists", self.path)
            self.ops.try_lock(fd)
            _write_all(self.ops, fd, header)
            self.ops.sync(fd)
        except BaseException:
            self.ops.close(fd)
            raise
        return fd

    # ------------------------------------------------------------------ writing

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._fd is None

    def size(self) -> int:
        """The file's current length."""
        return self.ops.size(self._checked_fd())

    def write_lines(self, lines: bytes, *, sync: bool = False, end: bytes = b"\n") -> None:
        """Append whole lines with one ``write()``.

        Args:
            lines: One or more lines joined by ``\\n``, without the last line's ending.
            end: Written right after ``lines`` in the same call: the last line's ending, or
                ``b""`` when ``lines`` already ends with it. A synced write gathers it from its
                own buffer, so a long line is not copied only to be ended.
            sync: Make them durable before returning, in the same call where the OS can
                (:meth:`~sesslog.backends.fileops.FileOps.write_synced`). Only for a file whose earlier
                data is already synced: such a write may sync its own bytes only.

        Raises:
            WriterFailedError: This or an earlier write or sync failed; the writer is unusable.
        """
        fd = self._fd
        if fd is None or self.failed is not None:
            fd = self._checked_fd()
        ops = self.ops
        try:
            if sync:
                written = ops.write_synced(fd, (lines, end) if end else (lines,))
            else:
                written = ops.write(fd, lines + end if end else lines)
            if written != len(lines) + len(end):
                _write_rest(ops, fd, lines + end, written)
                if sync:
                    ops.sync(fd)
        except OSError as exc:
            raise writer_failed(self, "synced write" if sync else "write", exc) from exc

    def sync(self) -> None:
        """Make everything written durable.

        Raises:
            WriterFailedError: The sync failed (final: the writer refuses further use).
        """
        fd = self._fd
        if fd is None or self.failed is not None:
            fd = self._checked_fd()
        try:
            self.ops.sync(fd)
        except OSError as exc:
            raise writer_failed(self, "sync", exc) from exc

    def close(self) -> None:
        """Release the lock and close the file (no sync; call :meth:`sync` first)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            self.ops.close(fd)

    def _checked_fd(self) -> int:
        if self.failed is not None:
            raise WriterFailedError(
                f"{self.path}: writer failed earlier: {self.failed}", cause=self.failed
            )
        if self._fd is None:
            raise WriterFailedError(f"{self.path}: writer is closed")
        return self._fd
