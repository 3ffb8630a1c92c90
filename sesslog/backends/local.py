"""The local backend: sessions as JSONL files in a folder on this machine.

A key is a ``/``-separated path relative to the folder (``--home-me-app--/2026-..._id.jsonl``
in pi's layout, or a bare file name). The writer is
:class:`~sesslog.backends.local_writer.SessionWriter`: its lease is an exclusive ``flock`` on the
file, new files are born complete (written beside, then linked into place), files get mode 0600
and folders 0700, torn tails are moved aside before appending, and no write follows a symlink.

The folder is laid out as pi lays out its sessions folder (format contract, section 8): logs in
the root and in its folders, one level deep (``--<cwd>--/<timestamp>_<id>.jsonl``); names
starting with ``.`` in the root are sesslog's own (``.sesslog/``: a store's catalog and trash).

**Symlinks.** A folder of sessions never follows a symlink: a session file that is a symlink
is listed with its ``problem`` and reading, fingerprinting, trashing or appending to it raises
:class:`~sesslog.errors.UnsafeSessionFileError`; a log is never created through a session
folder that is a symlink. Only :meth:`LocalFolder.for_file` (one file a person named, opened by
``Session.open(path)``) reads through a symlink, as any reader would; writes never follow one.

**Mapped reads.** :meth:`LocalFolder.map` gives a large file that ends with a complete line as a
read-only mapping instead of a copy (copying 100 MB costs about 100 ms on a small machine; a
mapping is read from the page cache in place). Bytes past the end of a file that shrank cannot be
read: a process touching a mapped page that another program truncated away is stopped by the
system (``SIGBUS``). Only a file ending in a complete line is mapped, so the one cut sesslog
makes in place (a writer moving a torn tail aside) is always past the mapping; sesslog replaces
files whole by renaming, which leaves a mapping intact. A program rewriting the file in place
during the read remains the risk (pi does so only when it upgrades a legacy file, which the
reader never keeps mapped); hence a mapping is asked for, not given by default: the short-lived
``sesslog`` commands ask (``SESSLOG_NO_MMAP=1`` stops them), and
``Session.open(..., map_file=True)``.

A log's fingerprint is its size, the hash of the first and last 64 KiB, and its identity
(device, inode, modification and change times) as the version. Trashed logs go to
``.sesslog/trash/<deleted-at-ms>/<key>`` inside the folder (the layout of a session store's
trash; the first free millisecond is taken, so a name is never reused), with the log's V2
sidecar folder (``<name>.v2/``) beside it; every move gives the file its new name with a hard
link, which fails when the name is taken, so nothing is ever moved over another file.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sesslog.backends.fingerprints import edges_of_descriptor, edges_of_file
from sesslog.backends.fs import ensure_folder, fsync_folder, move_to_new_name
from sesslog.backends.local_listing import (
    SUFFIX,
    SYMLINK_PROBLEM,
    list_folder_logs,
    log_info,
    rekey,
    subfolders,
)
from sesslog.backends.locks import lock_holder
from sesslog.backends.protocol import Fingerprint, FolderInfo, LeaseHolder, LogInfo, key_parts
from sesslog.errors import UnsafeSessionFileError

if TYPE_CHECKING:
    from mmap import mmap

    from sesslog.backends.fileops import FileOps
    from sesslog.backends.local_writer import SessionWriter

__all__ = ["MAP_MIN", "SYMLINK_PROBLEM", "TRASH_FOLDER", "LocalFolder", "file_version"]

#: The folder, inside a backend's root, that holds trashed logs (a store's trash).
TRASH_FOLDER = ".sesslog/trash"
#: Files smaller than this are copied by :meth:`LocalFolder.map` (mapping saves little below).
MAP_MIN = 1 << 20
_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = _READ | getattr(os, "O_NOFOLLOW", 0)
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
        follow_symlinks: Read a log that is a symlink (only for one file a person named, see
            :meth:`for_file`); writes never follow one.

    Attributes:
        root: The folder.
        ops: The OS calls writers make (``None``: the real ones).
    """

    kind = "jsonl"
    trash_folder = TRASH_FOLDER

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        ops: FileOps | None = None,
        follow_symlinks: bool = False,
    ) -> None:
        self.root = Path(root)
        self.ops = ops
        self._follow = follow_symlinks
        self._base = os.path.join(self.root, "")
        self._paths: dict[str, Path] = {}  # keys checked and joined lately (a few)

    @classmethod
    def for_file(cls, path: str | os.PathLike[str]) -> tuple[LocalFolder, str]:
        """The backend of the folder holding ``path``, and the file's key in it (a symlink
        named here is read through; writes still refuse it)."""
        file = Path(path)
        backend = cls(file.parent, follow_symlinks=True)
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

    def _file(self, key: str) -> str:
        """The file of ``key`` as text, for the calls a catalog makes per session (a
        ``stat``, a read): checked as :meth:`path` checks it, without making a ``Path``."""
        if not key or key[0] == "/" or key == "." or "\x00" in key or ".." in key.split("/"):
            key_parts(key)  # raises the ValueError
        return self._base + key

    def describe(self, key: str) -> str:
        """The file's path."""
        return str(self.path(key))

    def local_path(self, key: str) -> Path:
        """The file's path."""
        return self.path(key)

    # ------------------------------------------------------------------ writing

    def create(self, key: str, content: bytes) -> SessionWriter:
        """Create the file holding ``content`` (see :class:`SessionWriter`).

        Raises:
            UnsafeSessionFileError: A folder on the way is a symlink or not a folder.
        """
        from sesslog.backends.local_writer import SessionWriter

        path = self.path(key)
        self._check_folders(path.parent)
        return SessionWriter(path, header=content, ops=self.ops, key=key)

    def _check_folders(self, folder: Path) -> None:
        """Refuse a folder between the root and a new file that is a symlink or not a folder
        (missing ones are created by the writer, mode 0700)."""
        while folder != self.root and self.root in folder.parents:
            try:
                mode = os.lstat(folder).st_mode
            except FileNotFoundError:
                folder = folder.parent
                continue
            if not stat.S_ISDIR(mode):
                raise UnsafeSessionFileError(
                    f"{folder}: the session folder is a symlink or not a folder; nothing written"
                )
            folder = folder.parent

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
            UnsafeSessionFileError: The file is a symlink.
        """
        from sesslog.backends.fileops import open_locked

        path = self.path(key)
        try:
            fd = open_locked(str(path), wait)
        except OSError as exc:
            raise self._unsafe(path, exc) from exc
        try:
            yield
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ reading

    def _open(self, path: str) -> int:
        """A descriptor to read ``path`` (never through a symlink, unless following)."""
        try:
            return os.open(path, _READ if self._follow else _NOFOLLOW)
        except OSError as exc:
            raise self._unsafe(path, exc) from exc

    @staticmethod
    def _unsafe(path: str | Path, error: OSError) -> OSError:
        """``error`` as raised, or :class:`UnsafeSessionFileError` when the file is a symlink
        that was not followed."""
        if error.errno == errno.ELOOP:
            return UnsafeSessionFileError(
                errno.ELOOP, f"{path}: the session file is a symlink; not followed", str(path)
            )
        return error

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of the file (through a symlink only for :meth:`for_file`).

        Raises:
            FileNotFoundError: No such file.
            UnsafeSessionFileError: The file is a symlink (not followed).
        """
        fd = self._open(self._file(key))
        try:
            if length is None:
                length = max(0, os.fstat(fd).st_size - offset)
            parts = []
            while length > 0:
                part = os.pread(fd, length, offset)
                if not part:
                    break
                parts.append(part)
                offset += len(part)
                length -= len(part)
            return b"".join(parts)
        finally:
            os.close(fd)

    def map(self, key: str) -> mmap | None:
        """A read-only mapping of the whole file, or ``None`` when it is better read (see the
        module's note): smaller than :data:`MAP_MIN`, not ending with ``\n``, not a regular
        file, or not mappable here.

        Raises:
            FileNotFoundError: No such file.
            UnsafeSessionFileError: The file is a symlink (not followed).
        """
        fd = self._open(self._file(key))
        try:
            info = os.fstat(fd)
            size = info.st_size
            if size < MAP_MIN or not stat.S_ISREG(info.st_mode):
                return None
            if os.pread(fd, 1, size - 1) != b"\n":
                return None
            import mmap as mmap_module  # only a command reading a large file needs it

            return mmap_module.mmap(fd, size, access=mmap_module.ACCESS_READ)
        except (OSError, ValueError):
            return None
        finally:
            os.close(fd)

    def stat(self, key: str) -> LogInfo:
        """The file's size, times and inode; a symlink (not followed) is given with its
        ``problem``.

        Raises:
            FileNotFoundError: No such file, or not a file (a folder, a device).
        """
        path = self._file(key)
        try:
            info = os.stat(path, follow_symlinks=self._follow)
        except NotADirectoryError as exc:
            raise FileNotFoundError(errno.ENOENT, "no such session file", path) from exc
        found = log_info(key, info)
        if found is None:
            raise FileNotFoundError(errno.ENOENT, "not a session file", path)
        return found

    def fingerprint(self, key: str) -> Fingerprint:
        """Size, edges hash and identity, from one ``fstat`` and two reads of 64 KiB."""
        fd = self._open(self._file(key))
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
        """Every ``*.jsonl`` file in the root and its folders (pi's layout; hidden names left
        out, symlinks listed with their problem), or every trashed one, sorted by key."""
        if trash:
            return self._list_trash()
        found: builtins.list[LogInfo] = []
        for folder in self.folders():
            found += self.list_folder(folder.name)
        return sorted(found, key=lambda info: info.key)

    def folders(self) -> builtins.list[FolderInfo]:
        """The root (``""``) and its folders (not the hidden ones, not symlinks), with their
        modification times and inodes (no root: none)."""
        try:
            info = os.stat(self.root)
        except (FileNotFoundError, NotADirectoryError):
            return []
        out = [FolderInfo("", info.st_mtime_ns, info.st_ino)]
        try:
            top = os.scandir(self.root)
        except OSError:
            return out
        with top:
            for entry in top:
                if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                out.append(FolderInfo(entry.name, info.st_mtime_ns, info.st_ino))
        return out

    def list_folder(self, name: str) -> builtins.list[LogInfo]:
        """The ``*.jsonl`` files directly in folder ``name`` (``""``: the root; hidden names
        there left out), symlinks listed with their problem, in no particular order."""
        return list_folder_logs(self.root, name, hidden=bool(name))

    def _list_trash(self) -> builtins.list[LogInfo]:
        """Every trashed log: ``<bucket>/<file>`` or ``<bucket>/<folder>/<file>`` under the
        trash folder (symlinks left out)."""
        trash = self.root.joinpath(*TRASH_FOLDER.split("/"))
        found: builtins.list[LogInfo] = []
        for bucket in subfolders(trash)[1:]:
            base = f"{TRASH_FOLDER}/{bucket}"
            for folder in subfolders(self.root / base):
                for info in list_folder_logs(self.root / base, folder, hidden=True):
                    if info.problem is None:
                        found.append(rekey(info, f"{base}/{info.key}"))
        return sorted(found, key=lambda info: info.key)

    def active_writer(self, key: str) -> LeaseHolder | None:
        """Who holds the file's lock (the pid where ``/proc/locks`` tells)."""
        return lock_holder(self.path(key))

    # ------------------------------------------------------------------ trash

    def trash(self, key: str, *, deleted_ms: int | None = None) -> str:
        """Move the file (and its V2 sidecar) to ``.sesslog/trash/<deleted-at-ms>/<key>``,
        holding its lock meanwhile; the first free millisecond from ``deleted_ms`` (default:
        now) names the bucket.

        Raises:
            SessionLockedError: A writer holds the file.
            FileNotFoundError: No such file.
            UnsafeSessionFileError: The file is a symlink.
        """
        when = time.time_ns() // 1_000_000 if deleted_ms is None else deleted_ms
        with self.lock(key):
            while True:
                trash_key = f"{TRASH_FOLDER}/{when}/{key}"
                try:
                    self._move(key, trash_key)
                except FileExistsError:
                    when += 1  # that bucket holds this key already: never over it
                    continue
                return trash_key

    def restore(self, trash_key: str) -> str:
        """Move a trashed file (and its V2 sidecar) back to its key, never over another file.

        Raises:
            FileExistsError: A file is in its place.
            FileNotFoundError: No such trashed file.
        """
        key = self._untrashed(trash_key)
        self._move(trash_key, key)
        self._drop_empty(self.path(trash_key).parent)
        return key

    def _untrashed(self, trash_key: str) -> str:
        """The key a trashed log goes back to."""
        prefix = TRASH_FOLDER.split("/")
        parts = key_parts(trash_key)
        if len(parts) < len(prefix) + 2 or list(parts[: len(prefix)]) != prefix:
            raise ValueError(f"{trash_key!r}: not a key in {self.root / TRASH_FOLDER}")
        return "/".join(parts[len(prefix) + 1 :])

    def delete(self, key: str) -> None:
        """Remove the file (and its V2 sidecar), holding its lock meanwhile, and sync its
        folder; a trashed file's emptied trash folders are removed too."""
        path = self.path(key)
        with self.lock(key):
            os.unlink(path)
        sidecar = _sidecar(path)
        if sidecar.is_dir() and not sidecar.is_symlink():
            import shutil

            shutil.rmtree(sidecar)
        fsync_folder(path.parent)
        if key.startswith(TRASH_FOLDER + "/"):
            self._drop_empty(path.parent)

    def _move(self, source_key: str, target_key: str) -> None:
        """Give the file its new name (failing when it is taken), drop the old one, move its
        V2 sidecar along, and sync both folders."""
        source, target = self.path(source_key), self.path(target_key)
        folder = ensure_folder(target.parent)
        move_to_new_name(source, target)
        sidecar = _sidecar(source)
        if sidecar.is_dir() and not sidecar.is_symlink():
            with contextlib.suppress(OSError):  # a sidecar is rebuilt when missing
                os.rename(sidecar, _sidecar(target))
        fsync_folder(folder)
        fsync_folder(source.parent)

    def _drop_empty(self, folder: Path) -> None:
        """Remove emptied folders of the trash, deepest first, up to the trash folder."""
        trash = self.root.joinpath(*TRASH_FOLDER.split("/"))
        while folder != trash and trash in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


def _sidecar(path: Path) -> Path:
    """The V2 sidecar folder beside a session file (``<name>.v2``), which moves with it."""
    stem = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.name
    return path.with_name(stem + ".v2")
