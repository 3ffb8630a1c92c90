"""The session facade: create or open a session, append typed entries, branch, fork, context.

A session's bytes live in a log of a :class:`~sesslog.backends.protocol.LogBackend` (a file of
the local folder backend unless said otherwise); opening asks the registered projections
(:mod:`sesslog.projections.registry`, the V2 sidecar) before reading the log; appending goes
through the write layer (:mod:`sesslog.write`), imported on the first append.

>>> import tempfile
>>> from sesslog import Session
>>> folder = tempfile.mkdtemp()
>>> s = Session.create(cwd="/home/me/app", root=folder)
>>> first = s.append_user_message("Hello")
>>> s.context().messages[0]["content"]
'Hello'
>>> s.close()
"""

from __future__ import annotations

import os
from _thread import allocate_lock
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import msgspec

from sesslog._closing import Closing
from sesslog._leaf import AT_LEAF, AtLeaf
from sesslog.backends.local import LocalFolder
from sesslog.backends.protocol import LogBackend
from sesslog.errors import ReadOnlySessionError
from sesslog.format import entries as E
from sesslog.format.codec import encode_line
from sesslog.format.reader import ReadMode, SessionData, raise_if_strict
from sesslog.format.records import Record
from sesslog.format.timestamps import now_ms
from sesslog.opening import (
    layout_key,
    locate,
    new_file,
    new_header,
    read_log,
    read_only_reason,
    scope_of,
    store_kind_of,
)
from sesslog.projections import registry
from sesslog.projections.protocol import FULL, Loaded, OpenScope, SessionStoreKind
from sesslog.session_view import SessionView
from sesslog.tree.index import SessionTree
from sesslog.tree.snapshot import SessionSnapshot
from sesslog.typed_appends import LEAF_CUSTOM_TYPE, TypedAppends

if TYPE_CHECKING:
    from sesslog.write.appender import SessionHandle
    from sesslog.write.modes import AutosaveDurabilityMode, AutosaveQueueMetrics, Durability

__all__ = ["LEAF_CUSTOM_TYPE", "Session"]

#: Guards the creation of sessions' append handles (two first appends at once make one).
_HANDLE_LOCK = allocate_lock()


class Session(SessionView, TypedAppends, Closing):
    """One session: its header, its tree of entries, and the log that holds them.

    Use :meth:`create`, :meth:`open` or :meth:`in_memory` rather than the constructor.
    Appends are safe from many threads (see :class:`~sesslog.write.appender.SessionHandle`) and
    reach the log as the ``durability`` mode promises (see ``docs/durability.md``); the first
    append takes the log's writer lease (the file's lock) and keeps it until :meth:`close`. A
    session dropped without :meth:`close` is closed when it is collected (and at exit): what
    it acknowledged is written and synced, and its lease released.

    Attributes:
        backend: Where the log lives.
        key: The log's key in ``backend``.
        path: The log's file, or ``None`` when it is not a local file.
        store_kind: Where the entries were read from: the backend (``jsonl``, ``memory``) or a
            projection (``v2_sidecar``).
        read_only_reason: Why appends are refused, or ``None``.
    """

    def __init__(
        self,
        *,
        backend: LogBackend | None,
        key: str,
        header: dict[str, Any],
        header_raw: bytes,
        tree: SessionTree,
        file_version: int = E.SESSION_VERSION,
        read_only: str | None = None,
        clock: Callable[[], int] = now_ms,
        lock_wait: float | None = None,
        durability: Durability = "balanced",
        store_kind: SessionStoreKind | str | None = None,
        read_size: int | None = None,
    ) -> None:
        SessionView.__init__(self, header, header_raw, tree, file_version)
        TypedAppends.__init__(self, clock)
        #: A session without a backend keeps its log in a memory backend of its own, made
        #: from its entries on the first append.
        self._detached = backend is None
        if backend is None:
            from sesslog.backends.memory import MemoryBackend

            backend = MemoryBackend()
        self.backend: LogBackend = backend
        self.key = key
        self.path = self.backend.local_path(key)
        self.store_kind = store_kind_of(store_kind or self.backend.kind)
        self.read_only_reason = read_only
        self._lock_wait = lock_wait
        self._durability = durability
        self._read_size = read_size
        self._handle: SessionHandle | None = None

    # ------------------------------------------------------------------ construction

    @classmethod
    def create(
        cls,
        *,
        cwd: str | None = None,
        root: str | os.PathLike[str] | None = None,
        path: str | os.PathLike[str] | None = None,
        session_id: str | None = None,
        parent_session: str | None = None,
        clock: Callable[[], int] = now_ms,
        durability: Durability = "balanced",
        backend: LogBackend | None = None,
    ) -> Session:
        """Create a new session log (header written and synced at once).

        Args:
            cwd: The agent's working directory (default: the current one).
            root: The sessions root (default: pi's, see :mod:`sesslog.backends.layout`).
            path: An explicit file path, instead of pi's layout under ``root`` (with
                ``backend``: the key).
            session_id: The session id (default: a new UUIDv7).
            parent_session: Path of the session this one was forked from.
            clock: Returns the current Unix time in milliseconds (for tests and replays).
            durability: ``strict``, ``balanced`` (default) or ``throughput``, or an
                :class:`~sesslog.write.modes.AutosaveConfig` (``write_behind=False`` writes each
                append in the caller's thread).
            backend: Create the log in this backend (the key is ``path``, or pi's layout)
                instead of a local folder.

        Raises:
            FileExistsError: The log already exists.
            InvalidIdError: ``session_id`` breaks the id rule (``docs/format-decisions.md``).
        """
        cwd = cwd if cwd is not None else os.getcwd()
        header = new_header(cwd, session_id, parent_session, clock)
        if backend is not None:
            key = os.fspath(path) if path is not None else layout_key(header)
        else:
            backend, key = LocalFolder.for_file(new_file(header, path, root))
        header_line = encode_line(header)
        session = cls(
            backend=backend,
            key=key,
            header=msgspec.to_builtins(header),
            header_raw=header_line[:-1],
            tree=SessionTree(),
            clock=clock,
            durability=durability,
        )
        session.handle.create(header_line)
        return session

    @classmethod
    def in_memory(
        cls,
        *,
        cwd: str = "/",
        session_id: str | None = None,
        clock: Callable[[], int] = now_ms,
        durability: Durability = "strict",
    ) -> Session:
        """A session kept in memory (a :class:`~sesslog.backends.memory.MemoryBackend` of its
        own), for tests and callers that persist elsewhere. Its appends are ``strict`` unless
        said otherwise: each is in the memory log when it returns, and no thread is used."""
        header = new_header(cwd, session_id, None, clock)
        return cls(
            backend=None,
            key=f"{header.id}.jsonl",
            header=msgspec.to_builtins(header),
            header_raw=encode_line(header)[:-1],
            tree=SessionTree(),
            clock=clock,
            durability=durability,
        )

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        mode: ReadMode | str = ReadMode.TOLERANT,
        read_only: bool = False,
        lock_wait: float | None = None,
        clock: Callable[[], int] = now_ms,
        durability: Durability = "balanced",
        sidecar: bool = True,
        scope: OpenScope | str = FULL,
        backend: LogBackend | None = None,
        map_file: bool = False,
    ) -> Session:
        """Open a session.

        Args:
            path: The ``.jsonl`` file (with ``backend``: the log's key).
            mode: ``strict``, ``tolerant`` (default) or ``salvage``; see
                :mod:`sesslog.format.reader`.
            read_only: Refuse appends.
            lock_wait: Seconds to wait for another writer's lock on the first append.
            clock: Returns the current Unix time in milliseconds.
            durability: How appends reach the disk; see :meth:`create`.
            sidecar: Read the entries from a registered projection (the V2 sidecar,
                ``<name>.v2/``) when one exists and matches the log byte for byte;
                :attr:`store_kind` tells which store was read.
            scope: How much to load from a projection that can load part of a session
                (``full``, ``active_path``, ``tail:N`` or an
                :class:`~sesslog.projections.protocol.OpenScope`); a partly loaded session is
                read-only. A session read from its log is always whole.
            backend: Open the log ``path`` of this backend instead of a local file.
            map_file: Read a local file of 1 MiB or more ending with a complete line through a
                read-only mapping, not a copy: faster, for short-lived readers only (another
                program cutting the file short meanwhile stops the process with ``SIGBUS``).

        An unterminated final line in a log whose lease another writer holds is reported as
        ``in_progress`` (a write under way), not as a torn tail.

        Raises:
            SessionNotFoundError: No such log.
            FormatError: In strict mode, for the first anomaly (file, line and offset named).
        """
        mode = ReadMode(mode)
        store, key = locate(path, backend)
        loaded = registry.load_session(store, key, scope_of(scope), mode) if sidecar else None
        if loaded is None:
            loaded = read_log(store, key, mode, mapped=map_file)
        options = {"lock_wait": lock_wait, "clock": clock, "durability": durability}
        return cls._wrap(loaded, read_only, backend=store, key=key, mode=mode, **options)

    @classmethod
    def open_projection(
        cls,
        path: str | os.PathLike[str],
        *,
        projection: str = SessionStoreKind.V2_SIDECAR.value,
        scope: OpenScope | str = FULL,
        mode: ReadMode | str = ReadMode.TOLERANT,
        read_only: bool = False,
        lock_wait: float | None = None,
        clock: Callable[[], int] = now_ms,
        durability: Durability = "balanced",
        backend: LogBackend | None = None,
    ) -> Session:
        """Open a session from one projection only (no falling back to the log).

        Arguments as for :meth:`open`; ``projection`` names the registered projection.

        Raises:
            ProjectionError: The projection is missing, not fresh, or damaged (for the V2
                sidecar, a :class:`~sesslog.errors.SidecarError`).
            FormatError: In strict mode, for the first anomaly of the session.
        """
        mode = ReadMode(mode)
        store, key = locate(path, backend)
        found = registry.session_projection(projection)
        loaded = found.load(store, key, scope_of(scope), mode)
        options = {"lock_wait": lock_wait, "clock": clock, "durability": durability}
        return cls._wrap(loaded, read_only, backend=store, key=key, mode=mode, **options)

    @classmethod
    def _wrap(cls, loaded: Loaded, read_only: bool | str, **options: Any) -> Session:
        """The session a projection or the log loaded (``options`` as for :meth:`from_data`)."""
        if loaded.partial is not None:
            read_only = f"opened partially from the {loaded.source}; open it in full to append"
        return cls.from_data(
            loaded.data,
            read_only=read_only,
            store_kind=loaded.source,
            tree=loaded.partial,
            **options,
        )

    @classmethod
    def from_data(
        cls,
        data: SessionData,
        *,
        path: str | os.PathLike[str] | None = None,
        backend: LogBackend | None = None,
        key: str | None = None,
        mode: ReadMode = ReadMode.TOLERANT,
        read_only: bool | str = False,
        lock_wait: float | None = None,
        clock: Callable[[], int] = now_ms,
        durability: Durability = "balanced",
        store_kind: SessionStoreKind | str | None = None,
        tree: SessionTree | None = None,
    ) -> Session:
        """Build a session from a read's result (used by :meth:`open` and other stores).

        The log is the file ``path``, or ``key`` of ``backend``; with neither, appends go to a
        memory log of the session's own. ``read_only`` may be the reason as a string; ``tree``
        replaces the tree that would be built from ``data.records`` (a projection that loaded
        part of a session brings its own).
        """
        if tree is None:
            # The tree's own checks wait for first use, except in strict mode, which raises
            # for the first anomaly now (the diagnostics are the same either way).
            tree = SessionTree(data.records, data.diagnostics, deferred=mode is not ReadMode.STRICT)
        data.diagnostics.sort()
        raise_if_strict(data, mode)
        header = data.header if data.header is not None else {"type": "session"}
        if backend is None and path is not None:
            backend, key = LocalFolder.for_file(path)
        return cls(
            backend=backend,
            key=key if key is not None else f"{header.get('id') or 'session'}.jsonl",
            header=header,
            header_raw=data.header_raw or b"",
            tree=tree,
            file_version=data.file_version,
            read_only=read_only_reason(data, read_only),
            clock=clock,
            lock_wait=lock_wait,
            durability=durability,
            store_kind=store_kind,
            read_size=data.size if backend is not None else None,
        )

    @property
    def read_only(self) -> bool:
        """True when appends are refused (see :attr:`read_only_reason`)."""
        return self.read_only_reason is not None

    # ------------------------------------------------------------------ appending

    @property
    def handle(self) -> SessionHandle:
        """The append path (made, and the write layer imported, on first use)."""
        handle = self._handle
        return handle if handle is not None else self._start_handle()

    def _start_handle(self) -> SessionHandle:
        from sesslog.write.appender import SessionHandle, close_collected

        with _HANDLE_LOCK:
            if self._handle is None:
                handle = SessionHandle(
                    self.tree,
                    self.backend,
                    self.key,
                    durability=self._durability,
                    lock_wait=self._lock_wait,
                    clock=self._clock,
                    read_size=self._read_size,
                )
                if self._detached:
                    handle.create(self.export_jsonl())
                    self._detached = False
                import weakref  # only for a writing session

                weakref.finalize(self, close_collected, handle)
                self._handle = handle
            return self._handle

    def append_entry(self, entry: E.Entry | dict[str, Any]) -> Record:
        """Append an entry built by the caller (a typed Struct or a plain object).

        The entry's ``parentId`` is taken as given: use the typed helpers to attach to the
        leaf. A plain object may be of any type (unknown types are kept as they are).

        Returns:
            The stored record.

        Raises:
            ReadOnlySessionError: The session is read-only.
            ValueError: Duplicate id, or a parent that is not in the session.
            WriterFailedError: The log's writer failed (see :meth:`pending_entries`).
        """
        if self.read_only_reason is not None:
            raise self._read_only_error()
        handle = self._handle
        if handle is None:
            handle = self._start_handle()
        return handle.append(entry)

    def _read_only_error(self) -> ReadOnlySessionError:
        where = self.path or self.backend.describe(self.key)
        return ReadOnlySessionError(f"{where}: {self.read_only_reason}")

    def _append(self, entry: E.Entry, parent_id: str | AtLeaf | None = AT_LEAF) -> Record:
        """Append ``entry``, stamped with a new id, the time and its parent atomically."""
        if self.read_only_reason is not None:
            raise self._read_only_error()
        handle = self._handle
        if handle is None:
            handle = self._start_handle()
        return handle.append_new(entry, parent_id)

    def _atomic(self) -> AbstractContextManager[object]:
        return self.handle.lock

    # ------------------------------------------------------------------ copies

    def fork(
        self,
        entry_id: str | None = None,
        *,
        whole_tree: bool = False,
        path: str | os.PathLike[str] | None = None,
        root: str | os.PathLike[str] | None = None,
    ) -> Session:
        """Write a new session holding the path to ``entry_id`` (default: the leaf).

        Lines are copied byte for byte; the new header names this session in
        ``parentSession``. The new file is born complete (never over an existing one).

        Args:
            entry_id: The last entry to copy; ignored with ``whole_tree``.
            whole_tree: Copy every entry instead of one path.
            path: The new file (default: pi's layout beside this session, or under ``root``).
            root: The sessions root for the new file when ``path`` is not given.

        Raises:
            FileExistsError: ``path`` exists.
        """
        records = list(self.tree) if whole_tree else self.tree.path(entry_id)
        parent = str(self.path) if self.path else None
        header = new_header(self.cwd or "/", None, parent, self._clock)
        target = new_file(header, path, root, self.path)
        backend, key = LocalFolder.for_file(target)
        content = encode_line(header) + b"".join(rec.raw + b"\n" for rec in records)
        backend.create(key, content).close()
        return Session.open(target, clock=self._clock)

    def export_jsonl(self) -> bytes:
        """The whole session as JSONL bytes: header and every entry, each line as stored."""
        return self.export_snapshot().export_jsonl()

    # ------------------------------------------------------------------ lifecycle

    @property
    def durability(self) -> AutosaveDurabilityMode:
        """How appends reach the log (see ``docs/durability.md``)."""
        handle = self._handle
        if handle is not None:
            return handle.durability
        from sesslog.write.modes import autosave_config

        return autosave_config(self._durability).mode

    @property
    def metrics(self) -> AutosaveQueueMetrics | None:
        """The autosave queue's counters (``None`` until the log is opened for writing)."""
        handle = self._handle
        return handle.metrics if handle is not None else None

    def flush(self, sync: bool | None = None) -> None:
        """Barrier: when it returns, every entry appended before it is written, and synced
        unless ``sync`` is false (default: synced, except in ``throughput`` mode).

        Raises:
            WriterFailedError: The writer failed (see :meth:`pending_entries`).
        """
        if self._handle is not None:
            self._handle.flush(sync)

    def pending_entries(self) -> list[Record]:
        """Entries appended but not known to be durable: after a writer failure, these are
        the ones a crash could have lost (the caller may write them elsewhere)."""
        return self._handle.pending_entries() if self._handle is not None else []

    def export_snapshot(self) -> SessionSnapshot:
        """An immutable snapshot to export or render while other threads keep appending."""
        if self._handle is not None:
            return self._handle.export_snapshot(self.header_raw)
        where = str(self.path) if self.path is not None else None
        return SessionSnapshot(where, self.header_raw, tuple(self.tree.entries))

    def close(self) -> None:
        """Write and sync everything and release the log (the session stays readable in
        memory; a later append opens the log again).

        Raises:
            WriterFailedError: The writer failed; see :meth:`pending_entries`.
        """
        if self._handle is not None:
            self._handle.close()

    def __repr__(self) -> str:
        where = str(self.path) if self.path else self.backend.describe(self.key)
        return f"Session({where!r}, entries={len(self.tree)}, leaf={self.leaf_id!r})"
