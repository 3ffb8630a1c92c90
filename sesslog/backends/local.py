"""The local backend: sessions as JSONL files in a folder on this machine.

A key is a ``/``-separated path relative to the folder (``--home-me-app--/2026-..._id.jsonl``
in pi's layout, or a bare file name). The writer is
:class:`~sesslog.backends.local_writer.SessionWriter`: its lease is an exclusive ``flock`` on the
file, new files are born complete (written beside, then linked into place), files get mode 0600
and folders 0700, torn tails are moved aside before appending, and no write follows a symlink.

A log's fingerprint is its size, the hash of the first and last 64 KiB, and its identity
(device, inode, modification and change times) as the version. Trashed logs go to ``.trash/``
inside the folder, under a fresh bucket name that keeps their key: ``.trash/<time>-<random>/<key>``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sesslog.backends.fingerprints import edges_of_descriptor, edges_of_file
from sesslog.backends.fs import ensure_folder, fsync_folder, move_to_new_name
from sesslog.backends.locks import lock_holder
from sesslog.backends.protocol import Fingerprint, LeaseHolder, LogInfo, key_parts

if TYPE_CHECKING:
    from sesslog.backends.fileops import FileOps
    from sesslog.backends.local_writer import SessionWriter

__all__ = ["TRASH_FOLDER", "LocalFolder", "file_version"]

#: The folder, inside a backend's root, that holds trashed logs.
TRASH_FOLDER = ".trash"
_SUFFIX = ".jsonl"
#: Keys whose paths a backend remembers (every call on a log names its path several times).
_REMEMBERED = 64


def file_version(dev: int, ino: int, mtime_ns: int, ctime_ns: int) -> str:
    """The version stamp of a local file: any write, ``chmod``, ``touch`` or replacement
    changes it (the change time cannot be set by programs)."""
    return f"{dev}:{ino}:{mtime_ns}:{ctime_ns}"


def _version(info: os.stat_result) -> str:
    return file_version(info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


class LocalFolder:
    """Session logs as files under ``root``.

    The writer's code (:mod:`sesslog.backends.local_writer`) is imported when a writer is first
    made, so reading sessions never imports it.

    Args:
        root: The folder (created, mode 0700, when a log is first created in it).
        ops: The OS calls writers make (default: the real ones; tests pass recording or
            failing ones).

    Attributes:
        root: The folder.
        ops: The OS calls writers make (``None``: the real ones).
    """

    kind = "jsonl"

    def __init__(self, root: str | os.PathLike[str], *, ops: FileOps | None = None) -> None:
        self.root = Path(root)
        self.ops = ops
        self._paths: dict[str, Path] = {}  # keys checked and joined lately (a few)

    @classmethod
    def for_file(cls, path: str | os.PathLike[str]) -> tuple[LocalFolder, str]:
        """The backend of the folder holding ``path``, and the file's key in it."""
        file = Path(path)
        backend = cls(file.parent)
        backend._paths[file.name] = file
        return backend, file.name

    def __repr__(self) -> str:
        return f"LocalFolder({str(self.root)!r})"

    # ------------------------------------------------------------------ naming

    def path(self, key: str) -> Path:
        """The file of ``key``.

        Raises:
            ValueError: The key is empty, absolute, or climbs out of the folder.
        """
        found = self._paths.get(key)
        if found is None:
            if len(self._paths) >= _REMEMBERED:
                self._paths.clear()
            found = self._paths[key] = self.root.joinpath(*key_parts(key))
        return found

    def describe(self, key: str) -> str:
        """The file's path."""
        return str(self.path(key))

    def local_path(self, key: str) -> Path:
        """The file's path."""
        return self.path(key)

    # ------------------------------------------------------------------ writing

    def create(self, key: str, content: bytes) -> SessionWriter:
        """Create the file holding ``content`` (see :class:`SessionWriter`)."""
        from sesslog.backends.local_writer import SessionWriter

        return SessionWriter(self.path(key), header=content, ops=self.ops, key=key)

    def open_writer(self, key: str, *, wait: float | None = None) -> SessionWriter:
        """Lock the file and repair its tail (see :class:`SessionWriter`)."""
        from sesslog.backends.local_writer import SessionWriter

        return SessionWriter(self.path(key), wait=wait, ops=self.ops, key=key)

    @contextlib.contextmanager
    def lock(self, key: str, *, wait: float | None = None) -> Iterator[None]:
        """Hold the file's writer lock (the lease every writer takes) without writing, while
        the file is replaced whole, moved or removed: no writer appends meanwhile, and a live
        writer makes the caller refuse rather than cut its entries off.

        Args:
            key: The log.
            wait: Seconds to wait for a live writer (``None``: refuse after a moment).

        Raises:
            SessionLockedError: A writer holds the lock (its pid named when the OS tells).
            FileNotFoundError: No such file.
        """
        from sesslog.backends.fileops import open_locked

        fd = open_locked(str(self.path(key)), wait)
        try:
            yield
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ reading

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of the file (following a symlink, as any reader would)."""
        path = self.path(key)
        if offset == 0 and length is None:
            return path.read_bytes()
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            if length is None:
                length = max(0, os.fstat(fd).st_size - offset)
            return os.pread(fd, length, offset)
        finally:
            os.close(fd)

    def stat(self, key: str) -> LogInfo:
        """The file's size and modification time."""
        info = os.stat(self.path(key))
        return LogInfo(key, info.st_size, info.st_mtime_ns)

    def fingerprint(self, key: str) -> Fingerprint:
        """Size, edges hash and identity, from one ``fstat`` and two reads of 64 KiB."""
        fd = os.open(self.path(key), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(fd)
            edges = edges_of_descriptor(fd, info.st_size)
        finally:
            os.close(fd)
        return Fingerprint(info.st_size, edges or "", _version(info))

    def prefix_matches(self, key: str, fingerprint: Fingerprint) -> bool:
        """Whether the edges of the file's first ``fingerprint.size`` bytes are unchanged."""
        try:
            return edges_of_file(self.path(key), fingerprint.size) == fingerprint.prefix
        except FileNotFoundError:
            return False

    def list(self, *, trash: bool = False) -> list[LogInfo]:
        """Every ``*.jsonl`` file under the folder (hidden names and symlinks left out), or
        every trashed one, sorted by key."""
        base = self.root / TRASH_FOLDER if trash else self.root
        found = []
        for folder, subfolders, names in os.walk(base):
            subfolders[:] = sorted(d for d in subfolders if trash or not d.startswith("."))
            for name in names:
                if name.startswith(".") or not name.endswith(_SUFFIX):
                    continue
                path = Path(folder, name)
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode):
                    key = path.relative_to(self.root).as_posix()
                    found.append(LogInfo(key, info.st_size, info.st_mtime_ns))
        return sorted(found, key=lambda info: info.key)

    def active_writer(self, key: str) -> LeaseHolder | None:
        """Who holds the file's lock (the pid where ``/proc/locks`` tells)."""
        return lock_holder(self.path(key))

    # ------------------------------------------------------------------ trash

    def trash(self, key: str) -> str:
        """Move the file to ``.trash/<time>-<random>/<key>``, holding its lock meanwhile."""
        bucket = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.urandom(4).hex()}"
        trash_key = f"{TRASH_FOLDER}/{bucket}/{key}"
        with self.lock(key):
            self._move(key, trash_key)
        return trash_key

    def restore(self, trash_key: str) -> str:
        """Move a trashed file back to its key (never over another file)."""
        parts = key_parts(trash_key)
        if len(parts) < 3 or parts[0] != TRASH_FOLDER:
            raise ValueError(f"{trash_key!r}: not a key in {self.root / TRASH_FOLDER}")
        key = "/".join(parts[2:])
        self._move(trash_key, key)
        bucket = self.path("/".join(parts[:2]))
        folder = self.path(trash_key).parent
        while True:  # the bucket's folders, now empty, deepest first
            with contextlib.suppress(OSError):
                os.rmdir(folder)
            if folder == bucket:
                break
            folder = folder.parent
        return key

    def delete(self, key: str) -> None:
        """Remove the file, holding its lock meanwhile, and sync its folder."""
        path = self.path(key)
        with self.lock(key):
            os.unlink(path)
        fsync_folder(path.parent)

    def _move(self, source_key: str, target_key: str) -> None:
        """Give the file its new name (failing when it is taken), drop the old one, and sync
        both folders."""
        source, target = self.path(source_key), self.path(target_key)
        folder = ensure_folder(target.parent)
        move_to_new_name(source, target)
        fsync_folder(folder)
        fsync_folder(source.parent)
