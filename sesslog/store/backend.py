"""Where a store's sessions live: a folder in pi's layout, or memory.

This small adapter is all the store knows of storage: list the session files with their
fingerprints, read bytes from an offset, create and open sessions, move one to the trash and
back, delete from the trash for good. :class:`FolderFiles` is a pi sessions folder
(``--<cwd>--/<timestamp>_<id>.jsonl``, format contract section 8); :class:`MemoryFiles` keeps
sessions in memory for tests and for callers that persist elsewhere.

The trash is ``.sesslog/trash/<deleted-at-ms>/<folder>/<file>`` inside the store root (pi lists
only the ``--<cwd>--`` folders, so it never sees it); a session's V2 sidecar moves with it.
"""

from __future__ import annotations

import os
import stat as stat_mode
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from sesslog.backends.fs import ensure_folder, fsync_folder
from sesslog.backends.layout import folder_for_cwd, session_file_name
from sesslog.catalog.files import FileStat, FolderStat, SessionFiles, file_id
from sesslog.errors import SessionNotFoundError, UnsafeSessionFileError
from sesslog.format.timestamps import ms_to_iso
from sesslog.projections.sidecar import STATE_FOLDER
from sesslog.write.modes import Durability

if TYPE_CHECKING:
    from sesslog.session import Session

__all__ = [
    "STATE_FOLDER",
    "FolderFiles",
    "StoreBackend",
    "TrashItem",
    "check_regular_file",
    "key_for",
]

_SYMLINK = "a symlink (not followed)"
_FORMAT = stat_mode.S_IFMT(0o177777)
_REGULAR = stat_mode.S_IFREG
_NOFOLLOW = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class TrashItem(msgspec.Struct, kw_only=True):
    """A session in the trash.

    Attributes:
        trash_key: Names it in the trash (``<deleted-at-ms>/<key>``).
        key: Where it goes back to.
        id: The session id its file name carries.
        location: Where it is now.
        deleted: When it was moved to the trash (ISO 8601).
        bytes: Its size.
    """

    trash_key: str
    key: str
    id: str
    location: str
    deleted: str
    bytes: int


class StoreBackend(SessionFiles, Protocol):
    """The storage a :class:`~sesslog.store.SessionStore` works over."""

    def local_path(self, key: str) -> Path | None:
        """The file of a session (``None`` in memory)."""
        ...

    def key_of(self, path: Path) -> str | None:
        """The key of a session file inside the store, or ``None``."""
        ...

    def create(
        self, *, cwd: str, session_id: str | None, parent: str | None
    ) -> tuple[str, Session]:
        """Create a new session; its key and the open session."""
        ...

    def write_new(self, cwd: str, session_id: str, timestamp: str, data: bytes) -> str:
        """Create a session from whole bytes (header and entries); its key."""
        ...

    def open(self, key: str, *, read_only: bool = False) -> Session:
        """Open a session of the store."""
        ...

    def release(self, session: Session) -> None:
        """Done with a session opened for a store operation."""
        ...

    def trash(self, key: str, when_ms: int) -> TrashItem:
        """Move a session to the trash."""
        ...

    def list_trash(self) -> list[TrashItem]:
        """Everything in the trash, oldest deletion first."""
        ...

    def restore(self, item: TrashItem) -> str:
        """Move a session back from the trash; its key."""
        ...

    def delete(self, item: TrashItem) -> None:
        """Delete a trashed session for good."""
        ...


class FolderFiles:
    """A folder of session files in pi's layout.

    Args:
        root: The sessions root.
        durability: How sessions opened for the store's writes reach the disk.
        clock: Unix milliseconds, for new sessions' headers.
        lock_wait: Seconds to wait for another writer's lock.
    """

    def __init__(
        self,
        root: Path,
        *,
        durability: Durability,
        clock: Callable[[], int],
        lock_wait: float | None = 5.0,
    ) -> None:
        self.root = root
        self._durability = durability
        self._clock = clock
        self._lock_wait = lock_wait
        #: Called with the size of every read (the progress of a catalog rebuild).
        self.on_read: Callable[[int], None] | None = None

    # ------------------------------------------------------------------ reading

    def scan(self) -> list[FileStat]:
        """Every ``*.jsonl`` file in the root and its folders (not the hidden ones)."""
        out: list[FileStat] = []
        for folder in self.folders():
            out += self.scan_folder(folder.name)
        return out

    def folders(self) -> list[FolderStat]:
        """The root (``""``) and its folders (not the hidden ones), with their times."""
        try:
            info = os.stat(self.root)
        except (FileNotFoundError, NotADirectoryError):
            return []
        out = [FolderStat("", info.st_mtime_ns, info.st_ino)]
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
                out.append(FolderStat(entry.name, info.st_mtime_ns, info.st_ino))
        return out

    def scan_folder(self, name: str) -> list[FileStat]:
        """The ``*.jsonl`` files of one folder (``""``: those directly in the root)."""
        out: list[FileStat] = []
        # The hot loop of a full look (one ``stat`` per session file): kept lean.
        try:
            fd = os.open(self.root / name, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return out
        try:
            prefix = name + "/" if name else ""
            stat = os.stat
            append = out.append
            for entry in os.listdir(fd):
                if not entry.endswith(".jsonl") or (not name and entry.startswith(".")):
                    continue
                try:
                    info = stat(entry, dir_fd=fd, follow_symlinks=False)
                except OSError:
                    continue
                if info.st_mode & _FORMAT == _REGULAR:
                    append(
                        FileStat(
                            prefix + entry,
                            info.st_size,
                            info.st_mtime_ns,
                            info.st_ino,
                            info.st_ctime_ns,
                        )
                    )
                else:
                    self._add(out, prefix + entry, info)
        finally:
            os.close(fd)
        return out

    @staticmethod
    def _add(out: list[FileStat], key: str, info: os.stat_result) -> None:
        mode = info.st_mode
        if stat_mode.S_ISREG(mode):
            problem = None
        elif stat_mode.S_ISLNK(mode):
            problem = _SYMLINK
        else:
            return
        out.append(
            FileStat(key, info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns, problem)
        )

    def stat(self, key: str) -> FileStat | None:
        """One session file's fingerprint, or ``None`` when it is gone."""
        try:
            info = os.stat(self.root / key, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return None
        found: list[FileStat] = []
        self._add(found, key, info)
        return found[0] if found else None

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of a session file from ``offset`` (never through a symlink)."""
        fd = os.open(self.root / key, _NOFOLLOW)
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
            data = b"".join(parts)
            if self.on_read is not None:
                self.on_read(len(data))
            return data
        finally:
            os.close(fd)

    def describe(self, key: str) -> str:
        """The session file's path."""
        return str(self.root / key)

    def local_path(self, key: str) -> Path | None:
        """The session file's path."""
        return self.root / key

    def key_of(self, path: Path) -> str | None:
        """The key of ``path`` when it is a session file of this store."""
        try:
            relative = path.absolute().parent.resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        parts = relative.parts
        if len(parts) > 1 or (parts and parts[0].startswith(".")) or path.suffix != ".jsonl":
            return None
        return f"{parts[0]}/{path.name}" if parts else path.name

    # ------------------------------------------------------------------ sessions

    def create(
        self, *, cwd: str, session_id: str | None, parent: str | None
    ) -> tuple[str, Session]:
        """Create a session file in pi's layout."""
        from sesslog.session import Session

        session = Session.create(
            cwd=cwd,
            root=self.root,
            session_id=session_id,
            parent_session=parent,
            clock=self._clock,
            durability=self._durability,
        )
        assert session.path is not None
        return f"{session.path.parent.name}/{session.path.name}", session

    def write_new(self, cwd: str, session_id: str, timestamp: str, data: bytes) -> str:
        """Create a session file from whole bytes (born complete, never over another file,
        never through a folder that is a symbolic link)."""
        from sesslog.backends.local import LocalFolder

        key = key_for(cwd, timestamp, session_id)
        folder = self.root / key.split("/", 1)[0]
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise UnsafeSessionFileError(
                f"{folder}: the session folder is a symlink or not a folder; nothing written"
            )
        LocalFolder(self.root).create(key, data).close()
        return key

    def open(self, key: str, *, read_only: bool = False) -> Session:
        """Open a session file (never through a symlink)."""
        from sesslog.session import Session

        path = self.root / key
        check_regular_file(path)
        return Session.open(
            path,
            read_only=read_only,
            lock_wait=self._lock_wait,
            clock=self._clock,
            durability=self._durability,
        )

    def release(self, session: Session) -> None:
        """Write, sync and unlock what the store appended."""
        session.close()

    # ------------------------------------------------------------------ trash

    def _trash_root(self) -> Path:
        return self.root / STATE_FOLDER / "trash"

    def trash(self, key: str, when_ms: int) -> TrashItem:
        """Move a session file (and its V2 sidecar) to the trash."""
        source = self.root / key
        check_regular_file(source)
        target = self._trash_root() / str(when_ms) / key
        ensure_folder(target.parent)
        size = source.stat().st_size
        _move_with_sidecar(source, target)
        return self._item(f"{when_ms}/{key}", size)

    def _item(self, trash_key: str, size: int) -> TrashItem:
        when, key = trash_key.split("/", 1)
        return TrashItem(
            trash_key=trash_key,
            key=key,
            id=file_id(key),
            location=str(self._trash_root() / trash_key),
            deleted=ms_to_iso(int(when)),
            bytes=size,
        )

    def list_trash(self) -> list[TrashItem]:
        """Everything in the trash, oldest deletion first."""
        items: list[TrashItem] = []
        trash = self._trash_root()
        if not trash.is_dir():
            return items
        for when in sorted(trash.iterdir(), key=lambda p: (len(p.name), p.name)):
            if not when.name.isdigit():
                continue
            for file in sorted(when.rglob("*.jsonl")):
                relative = file.relative_to(when).as_posix()
                if relative.count("/") <= 1 and not file.is_symlink():
                    items.append(self._item(f"{when.name}/{relative}", file.stat().st_size))
        return items

    def restore(self, item: TrashItem) -> str:
        """Move a session back where it was.

        Raises:
            FileExistsError: A session file is there again.
        """
        source = self._trash_root() / item.trash_key
        target = self.root / item.key
        if target.exists() or target.is_symlink():
            raise FileExistsError(f"{target}: a session file is already there")
        ensure_folder(target.parent)
        _move_with_sidecar(source, target)
        _remove_empty(source.parent, self._trash_root())
        return item.key

    def delete(self, item: TrashItem) -> None:
        """Delete a trashed session (and its sidecar) for good."""
        source = self._trash_root() / item.trash_key
        sidecar = _sidecar(source)
        if sidecar.is_dir():
            for part in sorted(sidecar.rglob("*"), reverse=True):
                part.rmdir() if part.is_dir() else part.unlink()
            sidecar.rmdir()
        source.unlink()
        fsync_folder(source.parent)
        _remove_empty(source.parent, self._trash_root())


def key_for(cwd: str, timestamp: str, session_id: str) -> str:
    """The key of a session in pi's layout: ``--<cwd>--/<timestamp>_<id>.jsonl``."""
    return f"{folder_for_cwd(cwd)}/{session_file_name(timestamp, session_id)}"


def check_regular_file(path: Path) -> None:
    """Refuse a session file that is a symlink or not a regular file.

    Raises:
        SessionNotFoundError: No such file.
        UnsafeSessionFileError: A symlink, a folder, a device.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError as exc:
        raise SessionNotFoundError(f"{path}: no such session file") from exc
    if stat_mode.S_ISLNK(mode):
        raise UnsafeSessionFileError(f"{path}: the session file is a symlink; not followed")
    if not stat_mode.S_ISREG(mode):
        raise UnsafeSessionFileError(f"{path}: not a regular file")


def _sidecar(path: Path) -> Path:
    """The V2 sidecar folder beside a session file (``<name>.v2``)."""
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.name
    return path.with_name(stem + ".v2")


def _move_with_sidecar(source: Path, target: Path) -> None:
    sidecar = _sidecar(source)
    os.rename(source, target)
    if sidecar.is_dir():
        os.rename(sidecar, _sidecar(target))
    fsync_folder(source.parent)
    fsync_folder(target.parent)


def _remove_empty(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
