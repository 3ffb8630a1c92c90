"""The session facade: create or open a session, append typed entries, branch, fork, context.

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

import enum
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from msgspec import UNSET

from sesslog._closing import Closing
from sesslog.backends.layout import default_sessions_root, session_path
from sesslog.backends.locks import writer_active
from sesslog.errors import ReadOnlySessionError, SessionNotFoundError
from sesslog.format import entries as E
from sesslog.format.codec import encode_line
from sesslog.format.diagnostics import SessionOpenDiagnostics
from sesslog.format.ids import check_id, new_session_id
from sesslog.format.reader import ReadMode, SessionData, raise_if_strict, read_file
from sesslog.format.records import Record
from sesslog.format.timestamps import ms_to_iso, now_ms
from sesslog.tree.context import SessionContext, build_context
from sesslog.tree.index import BranchInfo, ForkPlan, SessionTree, SiblingBranch
from sesslog.typed_appends import LEAF_CUSTOM_TYPE, TypedAppends
from sesslog.write.appender import AT_LEAF, AtLeaf, SessionHandle
from sesslog.write.files import write_new_session_file
from sesslog.write.modes import AutosaveDurabilityMode, AutosaveQueueMetrics, Durability
from sesslog.write.snapshot import SessionSnapshot

__all__ = ["LEAF_CUSTOM_TYPE", "Session", "SessionStoreKind", "sidecar_folder"]


class SessionStoreKind(str, enum.Enum):
    """Which store a session's entries were read from."""

    JSONL = "jsonl"
    V2_SIDECAR = "v2_sidecar"
    MEMORY = "memory"


def sidecar_folder(path: str | os.PathLike[str]) -> Path:
    """The V2 sidecar folder of a session file: ``<name>.v2`` beside ``<name>.jsonl``."""
    file = Path(path)
    stem = file.name[: -len(".jsonl")] if file.name.endswith(".jsonl") else file.name
    return file.with_name(stem + ".v2")


class Session(TypedAppends, Closing):
    """One session: its header, its tree of entries, and (unless in memory) its file.

    Use :meth:`create`, :meth:`open` or :meth:`in_memory` rather than the constructor.
    Appends are safe from many threads (see :class:`~sesslog.write.appender.SessionHandle`) and reach
    the file as the ``durability`` mode promises (see ``docs/durability.md``); the first append
    takes the session's writer lock and keeps it until :meth:`close`.
    """

    def __init__(
        self,
        *,
        path: Path | None,
        header: dict[str, Any],
        header_raw: bytes,
        tree: SessionTree,
        file_version: int = E.SESSION_VERSION,
        read_only: str | None = None,
        clock: Callable[[], int] = now_ms,
        lock_wait: float | None = None,
        durability: Durability = AutosaveDurabilityMode.BALANCED,
        store_kind: SessionStoreKind | None = None,
    ) -> None:
        self.path = path
        #: Where the entries were read from (a file-less session is ``MEMORY``).
        self.store_kind = store_kind or (
            SessionStoreKind.MEMORY if path is None else SessionStoreKind.JSONL
        )
        self.header = header
        self.header_raw = header_raw
        self.tree = tree
        self.file_version = file_version
        self.read_only_reason = read_only
        self._clock = clock
        self.handle = SessionHandle(
            tree, path, durability=durability, lock_wait=lock_wait, clock=clock
        )

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
        durability: Durability = AutosaveDurabilityMode.BALANCED,
    ) -> Session:
        """Create a new session file (header written and synced at once).

        Args:
            cwd: The agent's working directory (default: the current one).
            root: The sessions root (default: pi's, see :mod:`sesslog.backends.layout`).
            path: An explicit file path, instead of pi's layout under ``root``.
            session_id: The session id (default: a new UUIDv7).
            parent_session: Path of the session this one was forked from.
            clock: Returns the current Unix time in milliseconds (for tests and replays).
            durability: ``strict``, ``balanced`` (default) or ``throughput``, or an
                :class:`~sesslog.write.modes.AutosaveConfig` (``write_behind=False`` writes each
                append in the caller's thread).

        Raises:
            FileExistsError: The file already exists.
            InvalidIdError: ``session_id`` breaks the id rule (``docs/format-decisions.md``).
        """
        cwd = cwd if cwd is not None else os.getcwd()
        header = cls._new_header(cwd, session_id, parent_session, clock)
        if path is None:
            base = Path(root) if root is not None else default_sessions_root()
            target = session_path(base, cwd, header.timestamp, header.id)  # type: ignore[arg-type]
        else:
            target = Path(path)
        header_line = encode_line(header)
        session = cls(
            path=target,
            header=msgspec.to_builtins(header),
            header_raw=header_line[:-1],
            tree=SessionTree(),
            clock=clock,
            durability=durability,
        )
        session.handle.create_file(header_line)
        return session

    @classmethod
    def in_memory(
        cls,
        *,
        cwd: str = "/",
        session_id: str | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> Session:
        """A session with no file, for tests and callers that persist elsewhere."""
        header = cls._new_header(cwd, session_id, None, clock)
        return cls(
            path=None,
            header=msgspec.to_builtins(header),
            header_raw=encode_line(header)[:-1],
            tree=SessionTree(),
            clock=clock,
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
        durability: Durability = AutosaveDurabilityMode.BALANCED,
        sidecar: bool = True,
    ) -> Session:
        """Open a session file.

        Args:
            path: The ``.jsonl`` file.
            mode: ``strict``, ``tolerant`` (default) or ``salvage``; see :mod:`sesslog.format.reader`.
            read_only: Refuse appends.
            lock_wait: Seconds to wait for another writer's lock on the first append.
            clock: Returns the current Unix time in milliseconds.
            durability: How appends reach the disk; see :meth:`create`.
            sidecar: Read the entries from the V2 sidecar (``<name>.v2/``) when it exists and
                matches the file byte for byte; :attr:`store_kind` tells which store was read.

        An unterminated final line in a file whose lock another writer holds is reported as
        ``in_progress`` (a write under way), not as a torn tail.

        Raises:
            SessionNotFoundError: No such file.
            FormatError: In strict mode, for the first anomaly (file, line and offset named).
        """
        mode = ReadMode(mode)
        if sidecar and sidecar_folder(path).is_dir():
            from sesslog.v2.opening import open_fresh_sidecar

            opened = open_fresh_sidecar(
                Path(path),
                mode=mode,
                read_only=read_only,
                lock_wait=lock_wait,
                clock=clock,
                durability=durability,
            )
            if opened is not None:
                return opened
        try:
            data = read_file(path, mode, tail_in_progress=writer_active(path))
        except FileNotFoundError as exc:
            raise SessionNotFoundError(f"{path}: no such session file") from exc
        session = cls.from_data(
            data,
            path=Path(path),
            mode=mode,
            read_only=read_only,
            lock_wait=lock_wait,
            clock=clock,
            durability=durability,
        )
        session.handle.read_size = data.size
        return session

    @classmethod
    def from_data(
        cls,
        data: SessionData,
        *,
        path: Path | None,
        mode: ReadMode = ReadMode.TOLERANT,
        read_only: bool | str = False,
        lock_wait: float | None = None,
        clock: Callable[[], int] = now_ms,
        durability: Durability = AutosaveDurabilityMode.BALANCED,
        store_kind: SessionStoreKind = SessionStoreKind.JSONL,
        tree: SessionTree | None = None,
    ) -> Session:
        """Build a session from a read's result (used by :meth:`open` and other stores).

        ``read_only`` may be the reason as a string; ``tree`` replaces the tree that would be
        built from ``data.records`` (a store that loaded part of a session brings its own).
        """
        if tree is None:
            tree = SessionTree(data.records, data.diagnostics)
        data.diagnostics.sort()
        raise_if_strict(data, mode)
        reason = None
        if read_only:
            reason = read_only if isinstance(read_only, str) else "opened read-only"
        elif data.diagnostics.read_only:
            reason = "the file has no header or a newer format version"
        elif data.file_version < E.SESSION_VERSION:
            reason = f"format version {data.file_version}; run 'sesslog upgrade' first"
        header = data.header if data.header is not None else {"type": "session"}
        return cls(
            path=path,
            header=header,
            header_raw=data.header_raw or b"",
            tree=tree,
            file_version=data.file_version,
            read_only=reason,
            clock=clock,
            lock_wait=lock_wait,
            durability=durability,
            store_kind=store_kind,
        )

    @staticmethod
    def _new_header(
        cwd: str, session_id: str | None, parent: str | None, clock: Callable[[], int]
    ) -> E.SessionHeader:
        return E.SessionHeader(
            version=E.SESSION_VERSION,
            id=new_session_id() if session_id is None else check_id(session_id),
            timestamp=ms_to_iso(clock()),
            cwd=cwd,
            parent_session=parent if parent is not None else UNSET,
        )

    # ------------------------------------------------------------------ properties

    @property
    def id(self) -> str:
        """The session id from the header."""
        return str(self.header.get("id", ""))

    @property
    def cwd(self) -> str:
        """The agent's working directory from the header."""
        return str(self.header.get("cwd", ""))

    @property
    def diagnostics(self) -> SessionOpenDiagnostics:
        """What the read (and tree building) reported."""
        return self.tree.diagnostics

    @property
    def read_only(self) -> bool:
        """True when appends are refused (see :attr:`read_only_reason`)."""
        return self.read_only_reason is not None

    @property
    def leaf_id(self) -> str | None:
        """The current position."""
        return self.tree.leaf_id

    @property
    def name(self) -> str | None:
        """The session's name, if one was set."""
        return self.tree.name

    @property
    def labels(self) -> dict[str, str]:
        """Labels by entry id."""
        return self.tree.labels

    def __len__(self) -> int:
        return len(self.tree)

    def get(self, entry_id: str) -> Record:
        """Return the entry with this id (raises ``EntryNotFoundError``)."""
        return self.tree.get(entry_id)

    def path_to(self, entry_id: str | None = None) -> list[Record]:
        """Entries from the root to ``entry_id`` (default: the leaf)."""
        return self.tree.path(entry_id)

    def context(self, leaf_id: str | None = None) -> SessionContext:
        """The model context at ``leaf_id`` (default: the leaf)."""
        return build_context(self.tree, leaf_id)

    def branches(self) -> list[BranchInfo]:
        """Every branch of the tree with its leaf."""
        return self.tree.branches()

    def sibling_branches(self, entry_id: str | None = None) -> list[list[SiblingBranch]]:
        """The branches at each fork point on the path to ``entry_id``."""
        return self.tree.sibling_branches(entry_id)

    def fork_plan(self, message_id: str) -> ForkPlan:
        """Plan re-asking a user message (see :meth:`SessionTree.fork_plan`)."""
        return self.tree.fork_plan(message_id)

    # ------------------------------------------------------------------ appending

    def append_entry(self, entry: E.Entry | dict[str, Any]) -> Record:
        """Append an entry built by the caller (a typed Struct or a plain object).

        The entry's ``parentId`` is taken as given: use the typed helpers to attach to the
        leaf. A plain object may be of any type (unknown types are kept as they are).

        Returns:
            The stored record.

        Raises:
            ReadOnlySessionError: The session is read-only.
            ValueError: Duplicate id, or a parent that is not in the session.
            WriterFailedError: The file's writer failed (see :meth:`pending_entries`).
        """
        if self.read_only_reason is not None:
            raise self._read_only_error()
        return self.handle.append(entry)

    def _read_only_error(self) -> ReadOnlySessionError:
        return ReadOnlySessionError(f"{self.path or '<memory>'}: {self.read_only_reason}")

    def _append(self, entry: E.Entry, parent_id: str | AtLeaf | None = AT_LEAF) -> Record:
        """Append ``entry``, stamped with a new id, the time and its parent atomically."""
        if self.read_only_reason is not None:
            raise self._read_only_error()
        return self.handle.append_new(entry, parent_id)

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
        ``parentSession``.

        Args:
            entry_id: The last entry to copy; ignored with ``whole_tree``.
            whole_tree: Copy every entry instead of one path.
            path: The new file (default: pi's layout beside this session, or under ``root``).
            root: The sessions root for the new file when ``path`` is not given.
        """
        records = list(self.tree) if whole_tree else self.tree.path(entry_id)
        header = self._new_header(
            self.cwd or "/", None, str(self.path) if self.path else None, self._clock
        )
        if path is None:
            if root is None and self.path is not None:
                target = self.path.parent / Path(
                    session_path(".", self.cwd, header.timestamp, header.id).name  # type: ignore[arg-type]
                )
            else:
                base = Path(root) if root is not None else default_sessions_root()
                target = session_path(base, self.cwd or "/", header.timestamp, header.id)  # type: ignore[arg-type]
        else:
            target = Path(path)
        header_line = encode_line(header)
        write_new_session_file(target, header_line, [rec.raw + b"\n" for rec in records])
        return Session.open(target, clock=self._clock)

    def export_jsonl(self) -> bytes:
        """The whole session as JSONL bytes: header and every entry, each line as stored."""
        return self.export_snapshot().export_jsonl()

    # ------------------------------------------------------------------ lifecycle

    @property
    def durability(self) -> AutosaveDurabilityMode:
        """How appends reach the disk (see ``docs/durability.md``)."""
        return self.handle.durability

    @property
    def metrics(self) -> AutosaveQueueMetrics | None:
        """The autosave queue's counters (``None`` until the file is opened for writing)."""
        return self.handle.metrics

    def flush(self, sync: bool | None = None) -> None:
        """Barrier: when it returns, every entry appended before it is written, and synced
        unless ``sync`` is false (default: synced, except in ``throughput`` mode).

        Raises:
            WriterFailedError: The writer failed (see :meth:`pending_entries`).
        """
        self.handle.flush(sync)

    def pending_entries(self) -> list[Record]:
        """Entries appended but not known to be durable: after a writer failure, these are
        the ones a crash could have lost (the caller may write them elsewhere)."""
        return self.handle.pending_entries()

    def export_snapshot(self) -> SessionSnapshot:
        """An immutable snapshot to export or render while other threads keep appending."""
        return self.handle.export_snapshot(self.header_raw)

    def close(self) -> None:
        """Write and sync everything and release the file (the session stays readable in
        memory; a later append opens the file again).

        Raises:
            WriterFailedError: The writer failed; see :meth:`pending_entries`.
        """
        self.handle.close()

    def __repr__(self) -> str:
        where = str(self.path) if self.path else "<memory>"
        return f"Session({where!r}, entries={len(self.tree)}, leaf={self.leaf_id!r})"
