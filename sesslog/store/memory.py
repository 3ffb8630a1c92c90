"""Sessions kept in memory, for tests and for callers that persist elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from msgspec import UNSET

from sesslog.catalog.files import FileStat, file_id, in_folder
from sesslog.errors import SessionNotFoundError
from sesslog.format import entries as E
from sesslog.format.codec import encode_line
from sesslog.format.ids import new_session_id
from sesslog.format.reader import read_bytes
from sesslog.format.timestamps import ms_to_iso
from sesslog.projections.protocol import SessionStoreKind
from sesslog.session import Session
from sesslog.store.backend import TrashItem, key_for

__all__ = ["MemoryFiles"]


class MemoryFiles:
    """Sessions kept in memory, in pi's layout of keys.

    Sessions opened from it are shared: what a caller appends to one is what the store lists.
    """

    def __init__(self, *, clock: Callable[[], int]) -> None:
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._trash: dict[str, tuple[TrashItem, Session]] = {}

    def scan(self) -> list[FileStat]:
        """Every session, its size as its fingerprint."""
        return [FileStat(key, len(s.export_jsonl()), 0) for key, s in self._sessions.items()]

    def folders(self) -> None:
        """Memory cannot tell which folders changed: every look lists every session."""
        return None

    def scan_folder(self, name: str) -> list[FileStat]:
        """The sessions whose key is in folder ``name``."""
        return in_folder(self.scan(), name)

    def stat(self, key: str) -> FileStat | None:
        """A session's size as its fingerprint, or ``None`` when it is gone."""
        session = self._sessions.get(key)
        return None if session is None else FileStat(key, len(session.export_jsonl()), 0)

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """A session's bytes from ``offset``."""
        try:
            data = self._sessions[key].export_jsonl()
        except KeyError:
            raise FileNotFoundError(f"{key}: no such session") from None
        return data[offset:] if length is None else data[offset : offset + length]

    def describe(self, key: str) -> str:
        """The key itself."""
        return key

    def local_path(self, key: str) -> Path | None:
        """Sessions in memory have no file."""
        return None

    def key_of(self, path: Path) -> str | None:
        """The key a path-like reference names, when it is a session here."""
        text = path.as_posix()
        return text if text in self._sessions else None

    def create(
        self, *, cwd: str, session_id: str | None, parent: str | None
    ) -> tuple[str, Session]:
        """Create a session in memory."""
        header = E.SessionHeader(
            version=E.SESSION_VERSION,
            id=session_id or new_session_id(),
            timestamp=ms_to_iso(self._clock()),
            cwd=cwd,
            parent_session=parent if parent is not None else UNSET,
        )
        key = key_for(cwd, str(header.timestamp), str(header.id))
        if key in self._sessions:
            raise FileExistsError(f"{key}: session already exists")
        session = self._session(encode_line(header))
        self._sessions[key] = session
        return key, session

    def write_new(self, cwd: str, session_id: str, timestamp: str, data: bytes) -> str:
        """Create a session from whole bytes."""
        key = key_for(cwd, timestamp, session_id)
        if key in self._sessions:
            raise FileExistsError(f"{key}: session already exists")
        self._sessions[key] = self._session(data)
        return key

    def _session(self, data: bytes) -> Session:
        return Session.from_data(
            read_bytes(data), path=None, clock=self._clock, store_kind=SessionStoreKind.MEMORY
        )

    def open(self, key: str, *, read_only: bool = False) -> Session:
        """The session itself (shared)."""
        try:
            return self._sessions[key]
        except KeyError:
            raise SessionNotFoundError(f"{key}: no such session") from None

    def release(self, session: Session) -> None:
        """Nothing to release in memory."""

    def trash(self, key: str, when_ms: int) -> TrashItem:
        """Move a session to the trash."""
        session = self.open(key)
        trash_key = f"{when_ms}/{key}"
        item = TrashItem(
            trash_key=trash_key,
            key=key,
            id=file_id(key),
            location=trash_key,
            deleted=ms_to_iso(when_ms),
            bytes=len(session.export_jsonl()),
        )
        self._trash[trash_key] = (item, self._sessions.pop(key))
        return item

    def list_trash(self) -> list[TrashItem]:
        """Everything in the trash, oldest deletion first."""
        items = [item for item, _ in self._trash.values()]
        return sorted(items, key=lambda i: (int(i.trash_key.split("/", 1)[0]), i.trash_key))

    def restore(self, item: TrashItem) -> str:
        """Move a session back."""
        if item.key in self._sessions:
            raise FileExistsError(f"{item.key}: a session is already there")
        _, session = self._trash.pop(item.trash_key)
        self._sessions[item.key] = session
        return item.key

    def delete(self, item: TrashItem) -> None:
        """Forget a trashed session."""
        del self._trash[item.trash_key]
