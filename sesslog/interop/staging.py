"""New session files written at once and made durable together (group commit).

An import creates many small files. Each is written whole to a hidden temporary file beside
its target (missing folders are created, mode 0700) and synced, by a background thread while
the import goes on converting the next source; :meth:`StagedFiles.commit` waits for those
writes, links each file into place (never replacing a file that is there), then syncs each
folder touched, and the parent of each folder created, once and at the same time. A crash
before the commit leaves only hidden temporary files, never a partial session; after it, every
staged file is complete and durable. This is the promise of
:func:`sesslog.backends.fs.atomic_write_bytes` per file, with the syncs overlapped.
"""

from __future__ import annotations

import contextlib
import errno
import secrets
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sesslog._closing import Closing
from sesslog.backends.fs import fsync_folder, make_folders, move_to_new_name, write_new_file

__all__ = ["StagedFiles"]

_THREADS = 4


class _Staged:
    __slots__ = ("done", "target", "tmp")

    def __init__(self, tmp: Path, target: Path, done: Future[None]) -> None:
        self.tmp = tmp
        self.target = target
        self.done = done


class StagedFiles(Closing):
    """New files being written, to be put in place together.

    Args:
        max_files: Commit on its own once this many files wait.
        max_bytes: Commit on its own once this many bytes wait (the data is held until it is
            written).
    """

    def __init__(self, *, max_files: int = 64, max_bytes: int = 64 << 20) -> None:
        self.max_files = max_files
        self.max_bytes = max_bytes
        self._waiting: list[_Staged] = []
        self._targets: set[Path] = set()
        self._folders: set[Path] = set()  # folders to sync at the commit
        self._bytes = 0
        self._pool: ThreadPoolExecutor | None = None

    def __contains__(self, target: object) -> bool:
        return target in self._targets

    def _threads(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="sesslog-staging")
        return self._pool

    def add(self, target: Path, data: bytes) -> None:
        """Start writing ``data`` for the new file ``target`` (in place after :meth:`commit`).

        Raises:
            FileExistsError: ``target`` exists, or is already staged.
        """
        if target in self._targets or target.exists() or target.is_symlink():
            raise FileExistsError(errno.EEXIST, "file already exists", str(target))
        folder = self._folder(target.parent)
        tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        done = self._threads().submit(write_new_file, tmp, data)
        self._waiting.append(_Staged(tmp, target, done))
        self._targets.add(target)
        self._bytes += len(data)
        if len(self._waiting) >= self.max_files or self._bytes >= self.max_bytes:
            self.commit()

    def _folder(self, folder: Path) -> Path:
        """Create ``folder`` and its missing parents; each one's parent is synced at commit."""
        self._folders.update(created.parent for created in make_folders(folder))
        return folder

    def commit(self) -> None:
        """Wait until every waiting file is written and synced, put each in place, sync their
        folders.

        Raises:
            FileExistsError: A target appeared meanwhile (its data stays in the temporary
                file, which is removed; the other files are put in place).
            OSError: A write or sync failed (no file is put in place).
        """
        waiting, self._waiting = self._waiting, []
        folders, self._folders = self._folders, set()
        self._targets.clear()
        self._bytes = 0
        if not waiting:
            return
        try:
            for staged in waiting:
                staged.done.result()
        except BaseException:
            _discard(waiting)
            raise
        clash: OSError | None = None
        for staged in waiting:
            try:
                move_to_new_name(staged.tmp, staged.target)
            except FileExistsError as exc:
                clash = clash or exc
            finally:
                staged.tmp.unlink(missing_ok=True)
        folders.update(staged.target.parent for staged in waiting)
        list(self._threads().map(fsync_folder, folders))
        if clash is not None:
            raise clash

    def discard(self) -> None:
        """Drop every waiting file."""
        waiting, self._waiting = self._waiting, []
        self._folders.clear()
        self._targets.clear()
        self._bytes = 0
        _discard(waiting)

    def close(self) -> None:
        """Commit what waits and stop the writing threads."""
        try:
            self.commit()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None


def _discard(waiting: list[_Staged]) -> None:
    for staged in waiting:
        with contextlib.suppress(BaseException):
            staged.done.result()  # let the thread finish with the file first
        staged.tmp.unlink(missing_ok=True)
