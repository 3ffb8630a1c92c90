"""What an import sees of the session store it writes to: finding a session by id, reading what
an earlier import wrote, creating sessions and appending to them.

Everything goes through :class:`~sesslog.store.SessionStore`: its layout and id rule place new
sessions (:meth:`~sesslog.store.SessionStore.write_session`), its file listing finds the ones
already there (sessions in its trash are not), and its catalog reads the new sessions on its
next refresh, which every store operation does first, so they are listed and searchable at
once. New sessions are written by a few background threads while the import converts the next
source (each file born complete and synced on its own); a session looked up again is waited
for first, and :meth:`ImportTarget.close` waits for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import msgspec

from sesslog._closing import Closing
from sesslog.backends.local import LocalFolder
from sesslog.catalog.files import file_id
from sesslog.format.codec import encode_line
from sesslog.format.reader import ReadMode, read_bytes
from sesslog.interop.entries import encode_entry
from sesslog.store.backend import key_for
from sesslog.tree.index import SessionTree

if TYPE_CHECKING:
    from sesslog.store import SessionStore

__all__ = ["ExistingSession", "ImportTarget"]

_THREADS = 4


class _Provenance(msgspec.Struct):
    source_records: list[msgspec.Raw] = msgspec.field(default_factory=list, name="sourceRecords")


_PROVENANCE = msgspec.json.Decoder(_Provenance)
_MARK = b'"sourceRecords"'


class ExistingSession:
    """What an earlier import left in a session: its entry ids and the source records taken.

    Attributes:
        key: The session's key in the store.
        path: Its file.
        ids: Every entry id.
        keys: Keys of the source records held in ``sourceRecords`` fields.
        leaf_id: The session's leaf.
    """

    __slots__ = ("ids", "key", "keys", "leaf_id", "path")

    def __init__(
        self, key: str, path: str, ids: set[str], keys: set[str], leaf_id: str | None
    ) -> None:
        self.key = key
        self.path = path
        self.ids = ids
        self.keys = keys
        self.leaf_id = leaf_id

    def covers(self, key: str) -> bool:
        """True when the record with this key was imported before."""
        return key in self.ids or key in self.keys


class ImportTarget(Closing):
    """A session store, as importers use it.

    Args:
        store: The store (in a folder: appends go to its files).

    Raises:
        ValueError: The store lives in memory.
    """

    def __init__(self, store: SessionStore) -> None:
        if store.root is None:
            raise ValueError("imports go into a store in a folder, not one in memory")
        self.store = store
        self._folder = LocalFolder(store.root)
        self._keys = {file_id(found.key): found.key for found in store.files.scan()}
        self._pending: dict[str, Future[str]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def find(self, session_id: str) -> str | None:
        """The key of the session with this id, if the store holds one (one being written by
        this import is waited for)."""
        pending = self._pending.pop(session_id, None)
        if pending is not None:
            self._keys[session_id] = pending.result()
        return self._keys.get(session_id)

    def path_of(self, key: str) -> str:
        """The file of a session of the store."""
        return self.store.files.describe(key)

    def load(self, key: str, key_of: Callable[[bytes], str] | None = None) -> ExistingSession:
        """Read a session an earlier import wrote (in salvage mode: glued records count).

        Args:
            key: The session's key.
            key_of: The key of a source record, from its bytes (``None``: keys not wanted).
        """
        path = self.path_of(key)
        read = read_bytes(self.store.files.read(key), ReadMode.SALVAGE, path=path)
        tree = SessionTree(read.records, read.diagnostics)
        ids: set[str] = set()
        keys: set[str] = set()
        for rec in tree:
            ids.add(rec.id)
            if key_of is not None and _MARK in rec.raw:
                try:
                    held = _PROVENANCE.decode(rec.raw).source_records
                except (msgspec.DecodeError, UnicodeDecodeError):
                    continue
                keys.update(key_of(bytes(raw)) for raw in held)
        return ExistingSession(key, path, ids, keys, tree.leaf_id)

    def create(self, header: dict[str, Any], entries: Iterable[dict[str, Any]]) -> str:
        """Start writing a new session holding ``entries``; its key.

        Raises:
            InvalidIdError: The header's id, timestamp or folder breaks the id rule.
            FileExistsError: The store holds that session already.
        """
        lines = [encode_line(header)[:-1]]
        lines.extend(encode_entry(e) for e in entries)
        lines.append(b"")
        return self.create_raw(header, b"\n".join(lines))

    def create_raw(self, header: dict[str, Any], data: bytes) -> str:
        """Start writing a new session holding ``data`` as it is (``header`` is its first
        line, decoded); its key. The file appears whole, or not at all.

        Raises:
            InvalidIdError: The header's id, timestamp or folder breaks the id rule.
            FileExistsError: The store holds that session already.
        """
        session_id = header["id"]
        key = key_for(header["cwd"], header["timestamp"], session_id)
        if session_id in self._pending or session_id in self._keys:
            raise FileExistsError(f"{self.path_of(key)}: the store holds this session already")
        if self._pool is None:
            self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="sesslog-import")
        self._pending[session_id] = self._pool.submit(
            self.store.write_session,
            data,
            cwd=header["cwd"],
            session_id=session_id,
            timestamp=header["timestamp"],
        )
        return key

    def commit(self) -> None:
        """Wait until every session created so far is written.

        Raises:
            OSError, SesslogError: A write failed (the first failure; the others are written).
        """
        pending, self._pending = self._pending, {}
        failure: BaseException | None = None
        for session_id, done in pending.items():
            try:
                self._keys[session_id] = done.result()
            except BaseException as exc:  # re-raised below, once the others are written
                failure = failure or exc
        if failure is not None:
            raise failure

    def close(self) -> None:
        """Wait for what is being written and stop the writing threads."""
        try:
            self.commit()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None

    def append_lines(self, key: str, lines: list[bytes]) -> None:
        """Append lines byte for byte (each without its ending), synced, as one write.

        Raises:
            SessionLockedError: Another writer holds the session.
        """
        self.find(file_id(key))
        with self._folder.open_writer(key) as writer:
            writer.write_lines(b"\n".join(lines), sync=True)

    def append(self, key: str, entries: Iterable[dict[str, Any]]) -> None:
        """Append entries to a session, each with the parent it names (the caller checks
        that the parents are there and the ids are not), synced, as one write.

        Raises:
            SessionLockedError: Another writer holds the session.
        """
        self.append_lines(key, [encode_entry(e) for e in entries])
