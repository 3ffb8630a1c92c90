"""Sessions kept in memory, for tests and for callers that persist elsewhere.

Every byte lives in a :class:`~sesslog.backends.memory.MemoryBackend` (the storage seam's
in-memory backend): sessions are created, opened, appended to, trashed, restored and deleted
through it, and the catalog reads their bytes from it, as a folder store does through its
files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sesslog.backends.memory import MemoryBackend
from sesslog.catalog.backend_files import BackendFiles
from sesslog.catalog.files import file_id
from sesslog.errors import SessionNotFoundError
from sesslog.format.timestamps import ms_to_iso
from sesslog.session import Session
from sesslog.store.backend import TrashItem, key_for

__all__ = ["MemoryFiles"]


class MemoryFiles(BackendFiles):
    """Sessions in a memory backend, in pi's layout of keys (read as any backend's logs,
    :class:`~sesslog.catalog.backend_files.BackendFiles`).

    Args:
        clock: Unix milliseconds, for new sessions' headers.
        backend: The memory backend (default: a new one).

    Attributes:
        backend: Where the sessions' bytes live.
    """

    def __init__(self, *, clock: Callable[[], int], backend: MemoryBackend | None = None) -> None:
        super().__init__(backend if backend is not None else MemoryBackend())
        self._clock = clock
        self._trash: dict[str, tuple[TrashItem, str]] = {}  # trash key: item, backend's key

    def describe(self, key: str) -> str:
        """The key itself."""
        return key

    def local_path(self, key: str) -> Path | None:
        """Sessions in memory have no file."""
        return None

    def key_of(self, path: Path) -> str | None:
        """The key a path-like reference names, when it is a session here."""
        return path.as_posix() if self.stat(path.as_posix()) is not None else None

    def create(
        self, *, cwd: str, session_id: str | None, parent: str | None
    ) -> tuple[str, Session]:
        """Create a session in the memory backend (each append is there when it returns)."""
        session = Session.create(
            cwd=cwd,
            session_id=session_id,
            parent_session=parent,
            clock=self._clock,
            durability="strict",
            backend=self.backend,
        )
        return session.key, session

    def write_new(self, cwd: str, session_id: str, timestamp: str, data: bytes) -> str:
        """Create a session from whole bytes."""
        key = key_for(cwd, timestamp, session_id)
        self.backend.create(key, data).close()
        return key

    def open(self, key: str, *, read_only: bool = False) -> Session:
        """Open a session of the backend."""
        if self.stat(key) is None:
            raise SessionNotFoundError(f"{key}: no such session")
        return Session.open(
            key,
            backend=self.backend,
            read_only=read_only,
            clock=self._clock,
            durability="strict",
        )

    def release(self, session: Session) -> None:
        """Close a session opened for a store operation."""
        session.close()

    def trash(self, key: str, when_ms: int) -> TrashItem:
        """Move a session to the trash (refused while a writer holds it)."""
        size = self.backend.stat(key).size
        moved = self.backend.trash(key)
        trash_key = f"{when_ms}/{key}"
        item = TrashItem(
            trash_key=trash_key,
            key=key,
            id=file_id(key),
            location=moved,
            deleted=ms_to_iso(when_ms),
            bytes=size,
        )
        self._trash[trash_key] = (item, moved)
        return item

    def list_trash(self) -> list[TrashItem]:
        """Everything in the trash, oldest deletion first."""
        items = [item for item, _ in self._trash.values()]
        return sorted(items, key=lambda i: (int(i.trash_key.split("/", 1)[0]), i.trash_key))

    def restore(self, item: TrashItem) -> str:
        """Move a session back.

        Raises:
            FileExistsError: A session is back in its place.
        """
        _, moved = self._trash[item.trash_key]
        key = self.backend.restore(moved)
        del self._trash[item.trash_key]
        return key

    def delete(self, item: TrashItem) -> None:
        """Delete a trashed session for good."""
        _, moved = self._trash.pop(item.trash_key)
        self.backend.delete(moved)
