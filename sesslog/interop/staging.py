"""New session files written at once and made durable together (group commit).

An import creates many small files. Each is written whole to a hidden temporary file beside
its target (missing folders are created, mode 0700); :meth:`StagedFiles.commit` then syncs all
of them at the same time (the file system batches concurrent syncs), links each into place
(never replacing a file that is there) and syncs each folder touched, and the parent of each
folder created, once and at the same time. A crash before the commit leaves only hidden temporary files, never a
partial session; after it, every staged file is complete and durable. This is the same promise
as :func:`sesslog.backends.fs.atomic_write_bytes` per file, at a fraction of the syncs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sesslog._closing import Closing
from sesslog.backends.fs import FILE_MODE, FOLDER_MODE, fsync_folder, sync_data

__all__ = ["StagedFiles"]

_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV})


class StagedFiles(Closing):
    """New files waiting to be synced and put in place together.

    Args:
        max_files: Commit on its own once this many files wait.
        max_bytes: Commit on its own once this many bytes wait.
    """

    def __init__(self, *, max_files: int = 64, max_bytes: int = 64 << 20) -> None:
        self.max_files = max_files
        self.max_bytes = max_bytes
        self._waiting: list[tuple[int, Path, Path]] = []  # fd, temporary file, target
        self._targets: set[Path] = set()
        self._folders: set[Path] = set()  # folders to sync at the commit
        self._bytes = 0

    def __contains__(self, target: object) -> bool:
        return target in self._targets

    def add(self, target: Path, data: bytes) -> None:
        """Write ``data`` for the new file ``target`` (in place after :meth:`commit`).

        Raises:
            FileExistsError: ``target`` exists, or is already staged.
        """
        if target in self._targets or target.exists() or target.is_symlink():
            raise FileExistsError(errno.EEXIST, "file already exists", str(target))
        folder = self._folder(target.parent)
        tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        self._waiting.append((fd, tmp, target))
        self._targets.add(target)
        self._bytes += len(data)
        if len(self._waiting) >= self.max_files or self._bytes >= self.max_bytes:
            self.commit()

    def _folder(self, folder: Path) -> Path:
        """Create ``folder`` and its missing parents; each one's parent is synced at commit."""
        missing = []
        probe = folder
        while not probe.is_dir() and probe.parent != probe:
            missing.append(probe)
            probe = probe.parent
        for item in reversed(missing):
            try:
                item.mkdir(mode=FOLDER_MODE)
            except FileExistsError:
                continue
            self._folders.add(item.parent)
        return folder

    def commit(self) -> None:
        """Sync every waiting file, put each in place, sync their folders.

        Raises:
            FileExistsError: A target appeared meanwhile (its data stays in the temporary
                file, which is removed; the other files are put in place).
            OSError: A sync failed (no file is put in place).
        """
        waiting, self._waiting = self._waiting, []
        folders, self._folders = self._folders, set()
        self._targets.clear()
        self._bytes = 0
        if not waiting:
            return
        with ThreadPoolExecutor(max_workers=8) as pool:
            try:
                list(pool.map(sync_data, [fd for fd, _, _ in waiting]))
            except BaseException:
                _discard(waiting)
                raise
            for fd, _, _ in waiting:
                os.close(fd)
            clash: OSError | None = None
            for _, tmp, target in waiting:
                try:
                    _link_into_place(tmp, target)
                except FileExistsError as exc:
                    clash = clash or exc
                finally:
                    tmp.unlink(missing_ok=True)
            folders.update(target.parent for _, _, target in waiting)
            list(pool.map(fsync_folder, folders))
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
        """Commit what waits."""
        self.commit()


def _link_into_place(tmp: Path, target: Path) -> None:
    try:
        os.link(tmp, target)
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if target.exists():
            raise FileExistsError(errno.EEXIST, "file already exists", str(target)) from exc
        os.rename(tmp, target)


def _discard(waiting: list[tuple[int, Path, Path]]) -> None:
    for fd, tmp, _ in waiting:
        with contextlib.suppress(OSError):
            os.close(fd)
        tmp.unlink(missing_ok=True)
