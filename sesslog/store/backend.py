"""Where a store's sessions live: a folder in pi's layout, or memory.

This small adapter is all the store knows of storage: list the session files with their
fingerprints, read bytes from an offset, create and open sessions, move one to the trash and
back, delete from the trash for good. Each is a session store's view of one backend of the
storage seam, which does every byte of I/O: :class:`FolderFiles` is a pi sessions folder
(``--<cwd>--/<timestamp>_<id>.jsonl``, format contract section 8) through
:class:`~sesslog.backends.local.LocalFolder`; :class:`~sesslog.store.memory.MemoryFiles` keeps
sessions in a :class:`~sesslog.backends.memory.MemoryBackend` for tests and for callers that
persist elsewhere.

The trash is ``.sesslog/trash/<deleted-at-ms>/<folder>/<file>`` inside the store root (pi lists
only the ``--<cwd>--`` folders, so it never sees it), the local folder's trash layout; a
session's V2 sidecar moves with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from sesslog.backends.layout import folder_for_cwd, session_file_name
from sesslog.backends.local import LocalFolder
from sesslog.backends.protocol import LogBackend
from sesslog.catalog.backend_files import BackendFiles
from sesslog.catalog.files import SessionFiles, file_id
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
    "StoreFiles",
    "TrashItem",
    "check_log",
    "key_for",
]


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


class StoreFiles(BackendFiles):
    """The sessions of a store in any backend of the storage seam, in pi's layout of keys
    (listed and read as any backend's logs,
    :class:`~sesslog.catalog.backend_files.BackendFiles`).

    Args:
        backend: Where every byte lives.
        root: The store's folder, when its backend is one on this machine (paths given as
            references are matched against it), else ``None``.
        durability: How sessions opened for the store's writes reach the storage.
        clock: Unix milliseconds, for new sessions' headers and deletion times.
        lock_wait: Seconds to wait for another writer's lease.

    Attributes:
        backend: Where every byte lives.
    """

    def __init__(
        self,
        backend: LogBackend,
        *,
        root: Path | None,
        durability: Durability,
        clock: Callable[[], int],
        lock_wait: float | None,
    ) -> None:
        super().__init__(backend)
        self.root = root
        self._durability = durability
        self._clock = clock
        self._lock_wait = lock_wait
        #: Called with the size of every read (the progress of a catalog rebuild).
        self.on_read: Callable[[int], None] | None = None

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of a session from ``offset`` (counted by :attr:`on_read`)."""
        data = self.backend.read(key, offset, length)
        if self.on_read is not None:
            self.on_read(len(data))
        return data

    def local_path(self, key: str) -> Path | None:
        """The session's file, when it is one on this machine."""
        return self.backend.local_path(key)

    def key_of(self, path: Path) -> str | None:
        """The key of ``path`` when it names a session of this store (a file in the store's
        folder; for a store without one, a key)."""
        if self.root is None:
            key = path.as_posix()
            return key if self.stat(key) is not None else None
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
        """Create a session in pi's layout of keys."""
        from sesslog.session import Session

        session = Session.create(
            cwd=cwd,
            session_id=session_id,
            parent_session=parent,
            clock=self._clock,
            durability=self._durability,
            backend=self.backend,
        )
        return session.key, session

    def write_new(self, cwd: str, session_id: str, timestamp: str, data: bytes) -> str:
        """Create a session from whole bytes (born complete, never over another session;
        a local folder never writes through a session folder that is a symbolic link)."""
        key = key_for(cwd, timestamp, session_id)
        self.backend.create(key, data).close()
        return key

    def open(self, key: str, *, read_only: bool = False) -> Session:
        """Open a session of the store (never through a symlink).

        Raises:
            SessionNotFoundError: No such session.
            UnsafeSessionFileError: The session file is a symlink.
        """
        from sesslog.session import Session

        check_log(self.backend, key)
        return Session.open(
            key,
            backend=self.backend,
            read_only=read_only,
            lock_wait=self._lock_wait,
            clock=self._clock,
            durability=self._durability,
        )

    def release(self, session: Session) -> None:
        """Write, sync and release what the store appended."""
        session.close()

    # ------------------------------------------------------------------ trash

    def trash(self, key: str, when_ms: int) -> TrashItem:
        """Move a session (and, in a folder, its V2 sidecar) to the backend's trash.

        Raises:
            SessionLockedError: A writer holds it.
        """
        size = self.backend.stat(key).size
        return self._item(self.backend.trash(key, deleted_ms=when_ms), size)

    def _item(self, trashed: str, size: int) -> TrashItem:
        trash_key = trashed[len(self.backend.trash_folder) + 1 :]
        when, key = trash_key.split("/", 1)
        return TrashItem(
            trash_key=trash_key,
            key=key,
            id=file_id(key),
            location=self.describe(trashed),
            deleted=ms_to_iso(int(when)),
            bytes=size,
        )

    def list_trash(self) -> list[TrashItem]:
        """Everything in the trash, oldest deletion first."""
        skip = len(self.backend.trash_folder) + 1
        items = [
            self._item(info.key, info.size)
            for info in self.backend.list(trash=True)
            if info.key[skip:].split("/", 1)[0].isdigit()
        ]
        return sorted(items, key=lambda i: (int(i.trash_key.split("/", 1)[0]), i.trash_key))

    def restore(self, item: TrashItem) -> str:
        """Move a session back where it was.

        Raises:
            FileExistsError: A session is there again.
        """
        return self.backend.restore(f"{self.backend.trash_folder}/{item.trash_key}")

    def delete(self, item: TrashItem) -> None:
        """Delete a trashed session (and its sidecar) for good."""
        self.backend.delete(f"{self.backend.trash_folder}/{item.trash_key}")


class FolderFiles(StoreFiles):
    """A folder of session files in pi's layout, through a
    :class:`~sesslog.backends.local.LocalFolder`.

    Args:
        root: The sessions root.
        durability: How sessions opened for the store's writes reach the disk.
        clock: Unix milliseconds, for new sessions' headers and deletion times.
        lock_wait: Seconds to wait for another writer's lock.
    """

    backend: LocalFolder

    def __init__(
        self,
        root: Path,
        *,
        durability: Durability,
        clock: Callable[[], int],
        lock_wait: float | None = 5.0,
    ) -> None:
        super().__init__(
            LocalFolder(root), root=root, durability=durability, clock=clock, lock_wait=lock_wait
        )


def key_for(cwd: str, timestamp: str, session_id: str) -> str:
    """The key of a session in pi's layout: ``--<cwd>--/<timestamp>_<id>.jsonl``."""
    return f"{folder_for_cwd(cwd)}/{session_file_name(timestamp, session_id)}"


def check_log(backend: LogBackend, key: str) -> None:
    """Refuse a session that is missing or that its backend lists with a problem (a session
    file that is a symlink).

    Raises:
        SessionNotFoundError: No such session.
        UnsafeSessionFileError: The backend will not read it.
    """
    try:
        problem = backend.stat(key).problem
    except FileNotFoundError as exc:
        raise SessionNotFoundError(f"{backend.describe(key)}: no such session file") from exc
    if problem is not None:
        raise UnsafeSessionFileError(f"{backend.describe(key)}: the session file is {problem}")
