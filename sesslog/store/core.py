"""The core of the session store: finding, listing, searching and counting sessions in pi's
folder layout through the catalog, creating and opening them.

See :mod:`sesslog.store.store` for an example. Every operation first brings the catalog up to
date with the files (reading only what was appended since it last looked).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sesslog._closing import Closing
from sesslog.backends.fs import ensure_folder
from sesslog.backends.layout import default_sessions_root
from sesslog.backends.local import LocalFolder
from sesslog.catalog.files import SessionFiles
from sesslog.catalog.protocol import Catalog
from sesslog.catalog.queries import SEARCH_BOUND, SearchHits, TimeLike, list_query
from sesslog.catalog.types import (
    CatalogStatus,
    ListQuery,
    Order,
    RefreshReport,
    SearchHit,
    SearchQuery,
    SessionDetails,
    SessionInfo,
    SessionList,
    StoreStats,
)
from sesslog.errors import (
    AmbiguousSessionError,
    InvalidIdError,
    ProjectionError,
    SessionNotFoundError,
    StoreRootError,
)
from sesslog.format.ids import check_id
from sesslog.format.timestamps import now_ms
from sesslog.projections import registry
from sesslog.store.backend import (
    STATE_FOLDER,
    FolderFiles,
    StoreBackend,
    check_log,
)
from sesslog.write.modes import AutosaveDurabilityMode, Durability

if TYPE_CHECKING:
    from sesslog.catalog.projection import CatalogProjection
    from sesslog.session import Session

__all__ = ["StoreCore", "TimeLike"]

_S = TypeVar("_S", bound="StoreCore")


def _catalog_projection() -> CatalogProjection:
    """The catalog, as registered with the projection registry under ``catalog``."""
    found = registry.store_projection("catalog")
    if not callable(getattr(found, "open", None)):
        raise ProjectionError(
            "the projection registered as 'catalog' cannot open a store's catalog"
        )
    return cast("CatalogProjection", found)


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith(".jsonl") or ref in (".", "..")


class StoreCore(Closing):
    """Many sessions in one folder (pi's layout), with a catalog: finding, listing,
    searching, creating and opening (:class:`~sesslog.store.SessionStore` adds the rest).

    Args:
        root: The sessions folder (default: pi's, ``~/.pi/agent/sessions``); created when
            missing. Its catalog and trash live in ``<root>/.sesslog/``.
        durability: How the store's own appends (metadata, snapshots) reach the disk, and
            the default for sessions it creates and opens.
        lock_wait: Seconds to wait for another writer's lock on a session.
        catalog: Keep an SQLite catalog (``False``: scan the files every time).
        clock: Unix milliseconds (for tests and replays).

    Raises:
        StoreRootError: ``root`` is not a folder.
    """

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        durability: Durability = AutosaveDurabilityMode.BALANCED,
        lock_wait: float | None = 5.0,
        catalog: bool = True,
        clock: Any = now_ms,
    ) -> None:
        base = Path(root).expanduser() if root is not None else default_sessions_root()
        if base.exists() and not base.is_dir():
            raise StoreRootError(f"{base}: the store root is not a folder")
        try:
            ensure_folder(base)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StoreRootError(f"{base}: the store root is not a folder") from exc
        except OSError:
            pass  # a read-only parent: the store reads what there is
        backend = FolderFiles(base, durability=durability, clock=clock, lock_wait=lock_wait)
        found: Catalog
        if catalog:
            found = _catalog_projection().open(
                backend, base / STATE_FOLDER, root=str(base.resolve())
            )
        else:
            from sesslog.catalog.scan import ScanCatalog

            found = ScanCatalog(backend, reason="catalog turned off")
        self._setup(base, backend, found, clock)

    @classmethod
    def in_memory(cls: type[_S], *, clock: Any = now_ms) -> _S:
        """A store whose sessions live in memory, with an in-memory SQLite catalog."""
        from sesslog.store.memory import MemoryFiles

        store = cls.__new__(cls)
        backend = MemoryFiles(clock=clock)
        catalog = _catalog_projection().open(backend, None, root="memory")
        store._setup(None, backend, catalog, clock)
        return store

    @classmethod
    def over_catalog(cls: type[_S], catalog: Catalog, *, clock: Any = now_ms) -> _S:
        """A store that reads a catalog kept by others (a fleet's PostgreSQL catalog, fed by
        the machines that hold the sessions): listing, search, statistics and facts, with no
        session file here. Refreshing it does nothing: its catalog has no source."""
        from sesslog.store.memory import MemoryFiles

        store = cls.__new__(cls)
        store._setup(None, MemoryFiles(clock=clock), catalog, clock)
        return store

    def _setup(
        self, root: Path | None, backend: StoreBackend, catalog: Catalog, clock: Any
    ) -> None:
        #: The sessions folder (``None`` for a store in memory).
        self.root = root
        self._backend = backend
        self._catalog = catalog
        self._clock = clock

    @property
    def files(self) -> SessionFiles:
        """The store's session files, as its catalog reads them."""
        return self._backend

    @property
    def catalog(self) -> Catalog:
        """The store's catalog (callers refresh it themselves)."""
        return self._catalog

    # ------------------------------------------------------------------ catalog

    def refresh(self, *, full: bool = False) -> RefreshReport:
        """Bring the catalog up to date with the files (every operation does this first).

        Args:
            full: Look at every session file's fingerprint, rather than at the folders, the
                sessions modified in the last 15 minutes and, every few seconds, everything
                (see :mod:`sesslog.catalog.detect`).
        """
        return self._catalog.refresh(full=full)

    def rebuild_catalog(self, progress: Callable[[int, int], None] | None = None) -> RefreshReport:
        """Throw the catalog away and read every session again.

        Args:
            progress: Called with ``(bytes read, bytes in all sessions)`` as the files are
                read (a store in a folder only).
        """
        backend = self._backend
        if progress is None or not isinstance(backend, FolderFiles):
            return self._catalog.rebuild()
        total = sum(stat.size for stat in backend.scan())
        done = 0

        def count(size: int) -> None:
            nonlocal done
            done += size
            progress(min(done, total), total)

        backend.on_read = count
        try:
            return self._catalog.rebuild()
        finally:
            backend.on_read = None

    def catalog_status(self) -> CatalogStatus:
        """The catalog's kind, file, size, sessions held, and why it fell back if it did
        (after a full look at every session file)."""
        self.refresh(full=True)
        return self._catalog.status()

    # ------------------------------------------------------------------ finding sessions

    def resolve(self, ref: str) -> SessionInfo:
        """The session ``ref`` names: a path, an id, a unique id prefix, or a unique title.

        Raises:
            InvalidIdError: ``ref`` holds a path separator or ``..`` but no such file is in
                the store.
            SessionNotFoundError: Nothing matches.
            AmbiguousSessionError: Several sessions match.
        """
        self.refresh()
        return self._resolve(ref)

    def _resolve(self, ref: str) -> SessionInfo:
        if not isinstance(ref, str) or not ref.strip():
            raise InvalidIdError(ref, "session reference", "empty")
        if _looks_like_path(ref):
            return self._by_path(ref)
        candidates = self._catalog.list_sessions(ListQuery(id_prefix=ref))
        exact = [info for info in candidates if info.id == ref]
        for group in (exact, candidates):
            if len(group) == 1:
                return group[0]
            if group:
                raise AmbiguousSessionError(ref, [info.path for info in group])
        titled = [i for i in self._catalog.list_sessions(ListQuery(title=ref)) if i.title == ref]
        if len(titled) == 1:
            return titled[0]
        if titled:
            raise AmbiguousSessionError(ref, [info.path for info in titled])
        raise SessionNotFoundError(f"no session with the id, id prefix or title {ref!r}")

    def _by_path(self, ref: str) -> SessionInfo:
        held = self._catalog.get(ref)  # a store key, ``<folder>/<file>``
        if held is not None:
            return held
        key = self._backend.key_of(Path(ref).expanduser())
        info = None if key is None else self._catalog.get(key)
        if info is not None:
            return info
        path = Path(ref).expanduser()
        if path.suffix == ".jsonl" and path.is_file():
            raise SessionNotFoundError(f"{ref}: not a session file of the store {self.root}")
        raise InvalidIdError(
            ref,
            "session reference",
            "not a session id (it holds a path separator or '..') and no such session file exists",
        )

    def exists(self, ref: str) -> bool:
        """Whether ``ref`` names a session (or several) of the store."""
        try:
            self.resolve(ref)
        except SessionNotFoundError:
            return False
        except AmbiguousSessionError:
            return True
        return True

    def info(self, ref: str) -> SessionDetails:
        """Everything the catalog knows of one session: its facts, the files the agent
        touched and its tool executions."""
        key = self.resolve(ref).key
        details = self._catalog.details(key)
        if details is None:  # pragma: no cover - removed between resolving and reading
            raise SessionNotFoundError(f"{ref}: the session is gone")
        return details

    def latest(self, cwd: str | None = None) -> SessionInfo | None:
        """The most recently updated session (of ``cwd``, when given)."""
        self.refresh()
        found = self._catalog.list_sessions(ListQuery(cwd=cwd, limit=1))
        return found[0] if found else None

    def list(
        self,
        *,
        cwd: str | None = None,
        title: str | None = None,
        tags: Iterable[str] = (),
        status: str | None = None,
        model: str | None = None,
        user: str | None = None,
        parent: str | None = None,
        has_errors: bool | None = None,
        created_after: TimeLike | None = None,
        created_before: TimeLike | None = None,
        updated_after: TimeLike | None = None,
        updated_before: TimeLike | None = None,
        order: Order = "updated",
        descending: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> SessionList:
        """Sessions matching every filter given (see :class:`~sesslog.catalog.ListQuery`),
        newest first by default. Unreadable sessions are listed too, with their ``error``."""
        self.refresh()
        query = list_query(
            cwd=cwd,
            title=title,
            tags=tags,
            status=status,
            model=model,
            user=user,
            parent=parent,
            has_errors=has_errors,
            created_after=created_after,
            created_before=created_before,
            updated_after=updated_after,
            updated_before=updated_before,
            order=order,
            descending=descending,
            limit=limit,
            offset=offset,
        )
        return self._catalog.list_sessions(query)

    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        offset: int = 0,
        cwd: str | None = None,
        session: str | None = None,
        raw: bool = False,
        bound: int | None = SEARCH_BOUND,
    ) -> SearchHits[SearchHit]:
        """Entries whose text, tool calls, commands or paths match ``text``, best first,
        each with a snippet marking the match (see :class:`~sesslog.catalog.SearchQuery`).

        Args:
            text: Words that must all occur (or FTS5 syntax with ``raw``).
            limit: At most this many hits.
            offset: Skip this many first.
            cwd: Only sessions of this working directory.
            session: Only this session (any reference :meth:`resolve` takes).
            raw: Pass ``text`` to the full-text engine as written.
            bound: When more entries than this match, rank only the newest this many (the
                hits' ``bounded`` says so); ``None`` ranks every match.

        Raises:
            ValueError: A bound below 1.
        """
        self.refresh()
        key = None if session is None else self._resolve(session).key
        query = SearchQuery(
            text=text, raw=raw, cwd=cwd, key=key, limit=limit, offset=offset, bound=bound
        )
        return self._catalog.search(query)

    def stats(self) -> StoreStats:
        """Store-wide totals, activity per day, usage per model and tool, and the largest and
        costliest sessions."""
        self.refresh()
        return self._catalog.stats()

    # ------------------------------------------------------------------ sessions

    def create(
        self,
        cwd: str | None = None,
        *,
        session_id: str | None = None,
        title: str | None = None,
        parent: str | None = None,
        **metadata: Any,
    ) -> Session:
        """Create a session in pi's layout and return it open (close it when done).

        Args:
            cwd: The agent's working directory (default: the current one).
            session_id: The id (default: a new UUIDv7); checked, as it names the file.
            title: The session's name.
            parent: The session this one continues (any reference :meth:`resolve` takes);
                its path goes in the header's ``parentSession``.
            **metadata: ``tags``, ``status``, ``purpose``, ``user``, ``agents``, ``custom``.

        Raises:
            InvalidIdError, InvalidMetadataError: Bad input; nothing is created.
        """
        if session_id is not None:
            check_id(session_id)
        from sesslog.store import metadata as meta
        from sesslog.store.validate import check_name

        name = None if title is None else check_name("title", title)
        data = meta.meta_data(**metadata)
        parent_path = None if parent is None else self.resolve(parent).path
        _, session = self._backend.create(
            cwd=cwd if cwd is not None else os.getcwd(), session_id=session_id, parent=parent_path
        )
        if name is not None:
            session.set_name(name)
        if data:
            meta.update_metadata(session, **metadata)
        return session

    def write_session(self, data: bytes, *, cwd: str, session_id: str, timestamp: str) -> str:
        """Add a session from whole bytes (its header line and entries, kept byte for byte) in
        the store's layout, ``<folder of cwd>/<timestamp>_<id>.jsonl`` (imports, unshared
        bundles). The file is born complete and never replaces another; a session folder that
        is a symbolic link is refused. The catalog reads the session on its next refresh
        (every store operation refreshes first). Safe to call from several threads at once.

        Args:
            data: The session's bytes.
            cwd: The working directory of its header (names its folder).
            session_id: The id of its header (names its file; the id rule applies).
            timestamp: The timestamp of its header (names its file).

        Returns:
            The new session's key.

        Raises:
            InvalidIdError: The id, the timestamp or the folder name breaks the id rule.
            UnsafeSessionFileError: The session's folder is a symbolic link or not a folder.
            FileExistsError: The store holds that session file already.
        """
        return self._backend.write_new(cwd, check_id(session_id), timestamp, data)

    def open(self, ref: str, *, read_only: bool = False) -> Session:
        """Open the session ``ref`` names (see :meth:`resolve`); a path outside the store
        opens that file. Close it when done."""
        if _looks_like_path(ref) and self.root is not None:
            path = Path(ref).expanduser()
            if self._backend.key_of(path) is None and path.suffix == ".jsonl" and path.is_file():
                from sesslog.session import Session

                check_log(LocalFolder(path.parent), path.name)
                return Session.open(path, read_only=read_only)
        return self._open_key(self.resolve(ref).key, read_only=read_only)

    def open_latest(self, cwd: str | None = None, *, read_only: bool = False) -> Session:
        """Open the most recently updated session (of ``cwd``, when given).

        Raises:
            SessionNotFoundError: The store has no session (there).
        """
        info = self.latest(cwd)
        if info is None:
            where = f" for {cwd}" if cwd is not None else ""
            raise SessionNotFoundError(f"no session{where} in {self.root or 'memory'}")
        return self._open_key(info.key, read_only=read_only)

    def _open_key(self, key: str, *, read_only: bool) -> Session:
        """Open a session of the store; one opened to write is watched by the catalog (its
        appends are seen on the next refresh, however long it was idle)."""
        if not read_only:
            self._catalog.watch(key)
        return self._backend.open(key, read_only=read_only)

    @contextmanager
    def _writing(self, ref: str) -> Iterator[Session]:
        session = self._open_key(self.resolve(ref).key, read_only=False)
        try:
            yield session
        finally:
            self._backend.release(session)

    def close(self) -> None:
        """Close the catalog."""
        self._catalog.close()

    def __repr__(self) -> str:
        return f"SessionStore({str(self.root) if self.root else 'memory'!r})"
