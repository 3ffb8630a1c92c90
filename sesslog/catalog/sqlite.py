"""The SQLite catalog of a store: one file in WAL mode, shared by every process using the store.

It is a cache. A damaged file (garbage bytes, a malformed page) or a deleted one is rebuilt
from the session files on the next use; a file that cannot be written (a read-only folder, a
full disk) raises :class:`~sesslog.errors.CatalogError`, on which the store falls back to
scanning (see :mod:`sesslog.catalog.resilient`). ``sqlite3`` errors never escape.

Several processes can use it at once: readers never wait (WAL); a refresh writes in short
transactions that re-check each session inside the write lock, so two processes never fold
the same bytes twice.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from sesslog.catalog.detect import HOT_NS, Stamp, look
from sesslog.catalog.files import FileStat, SessionFiles
from sesslog.catalog.query import fts_match
from sesslog.catalog.refresh import Position, listing, refresh
from sesslog.catalog.sql import (
    DAYS_SQL,
    MODELS_SQL,
    TOOLS_SQL,
    TOTALS_SQL,
    USAGE_SQL,
    list_sql,
    search_hits,
    search_rows,
    where,
)
from sesslog.catalog.sqlite_looks import FINGERPRINTS_SQL, known_rows, looked, record_look
from sesslog.catalog.sqlite_rows import (
    delete_rows,
    insert_session,
    session_values,
    store_fold,
    store_rows,
    update_session,
)
from sesslog.catalog.sqlite_schema import (
    SCHEMA_VERSION,
    connect,
    create_schema,
    database_size,
    remove_database,
)
from sesslog.catalog.stats import TOP, Aggregates, assemble
from sesslog.catalog.types import (
    CatalogStatus,
    ListQuery,
    RefreshReport,
    SearchHit,
    SearchHits,
    SearchQuery,
    SessionDetails,
    SessionInfo,
    SessionList,
    StoreStats,
    Tokens,
    ToolExecution,
)
from sesslog.errors import CatalogError, InvalidQueryError

if TYPE_CHECKING:
    from sesslog.catalog.facts import Fold, FoldState

__all__ = ["SQLiteCatalog"]

_T = TypeVar("_T")
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

_info = msgspec.json.Decoder(SessionInfo)
_position = msgspec.msgpack.Decoder(Position)


def _fold_state(data: bytes) -> FoldState:
    """A session's fold state, as kept (the fold's code is imported when first needed)."""
    from sesslog.catalog.facts import FoldState

    return msgspec.msgpack.decode(data, type=FoldState)


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text  # pragma: no cover - Python 3.10


class SQLiteCatalog:
    """The catalog of a store in an SQLite file.

    Args:
        files: The store's session files.
        path: The database file, or ``":memory:"``.
        root: Names the store; a catalog file made for another root is rebuilt.
        timeout: Seconds to wait for another process's write transaction.

    Raises:
        CatalogError: The file cannot be opened or created (read-only folder, full disk).
    """

    kind = "sqlite"

    def __init__(self, files: SessionFiles, path: str, *, root: str, timeout: float = 30.0) -> None:
        self._files = files
        self._path = path
        self._root = root
        self._timeout = timeout
        self._lock = threading.RLock()
        self._fp: dict[str, FileStat] | None = None
        self._data_version = -1
        self._ino = 0
        self._con = self._open()

    # ------------------------------------------------------------------ the file

    def _open(self) -> sqlite3.Connection:
        for attempt in (1, 2):
            con: sqlite3.Connection | None = None
            try:
                con = connect(self._path, timeout=self._timeout)
                create_schema(con, self._root)
                self._ino = self._file_ino()
                self._fp = None
                return con
            except sqlite3.DatabaseError as exc:
                if con is not None:
                    con.close()
                if not _corrupt(exc) or attempt == 2:
                    raise CatalogError(f"{self._path}: catalog unusable: {exc}") from exc
                remove_database(self._path)
        raise AssertionError("unreachable")  # pragma: no cover

    def _file_ino(self) -> int:
        if self._path == ":memory:":
            return 0
        try:
            return os.stat(self._path).st_ino
        except OSError:
            return -1

    def _reopen_if_replaced(self) -> None:
        """Another process started the file over (it was damaged): use the new one."""
        if self._path != ":memory:" and self._file_ino() != self._ino:
            self._con.close()
            self._con = self._open()

    def _start_over(self) -> None:
        self._con.close()
        remove_database(self._path)
        self._con = self._open()
        refresh(self._files, self)

    def _guard(self, work: Callable[[], _T]) -> _T:
        with self._lock:
            try:
                self._reopen_if_replaced()
                return work()
            except sqlite3.DatabaseError as exc:
                self._abandon()
                if not _corrupt(exc) or self._path == ":memory:":
                    raise CatalogError(f"{self._path}: catalog unusable: {exc}") from exc
            try:
                self._start_over()
                return work()
            except sqlite3.DatabaseError as exc:
                self._abandon()
                raise CatalogError(f"{self._path}: catalog unusable: {exc}") from exc

    def _abandon(self) -> None:
        self._fp = None
        try:
            if self._con.in_transaction:
                self._con.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # ------------------------------------------------------------------ the fold sink

    def fingerprints(self) -> Mapping[str, FileStat]:
        """The fingerprint of every session held (kept in memory until another process
        commits)."""
        version = self._con.execute("PRAGMA data_version").fetchone()[0]
        if self._fp is None or version != self._data_version:
            rows = self._con.execute(FINGERPRINTS_SQL).fetchall()
            self._fp = {row[0]: FileStat(*row) for row in rows}
            self._data_version = version
        return self._fp

    @contextmanager
    def writing(self) -> Iterator[Callable[[str], Position | None]]:
        """One write transaction."""
        self._con.execute("BEGIN IMMEDIATE")
        try:
            yield self._position_of
        except BaseException:
            self._abandon()
            raise
        self._con.execute("COMMIT")

    def _position_of(self, key: str) -> Position | None:
        row = self._con.execute(
            "SELECT position FROM folds JOIN sessions ON folds.session = sessions.rowid "
            "WHERE key = ?",
            (key,),
        ).fetchone()
        return None if row is None else _position.decode(row[0])

    def state(self, key: str) -> FoldState:
        """The fold state of a session held."""
        from sesslog.catalog.facts import FoldState

        row = self._con.execute(
            "SELECT state FROM folds JOIN sessions ON folds.session = sessions.rowid WHERE key = ?",
            (key,),
        ).fetchone()
        return FoldState() if row is None else _fold_state(row[0])

    def seen(self, key: str) -> Callable[[str], bool]:
        """Asks whether a session already holds an id."""
        rowid = self._rowid(key)
        execute = self._con.execute

        def lookup(item: str) -> bool:
            sql = "SELECT 1 FROM seen WHERE session = ? AND key = ?"
            return execute(sql, (rowid, item)).fetchone() is not None

        return lookup

    def _rowid(self, key: str) -> int | None:
        row = self._con.execute("SELECT rowid FROM sessions WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def put(self, key: str, position: Position, fold: Fold, *, whole: bool) -> None:
        """Store a fold of one session."""
        info = listing(self._files, key, position, fold.state)
        rowid = self._rowid(key)
        values = session_values(info, fold.state, position)
        if rowid is None:
            rowid = insert_session(self._con, key, values)
        else:
            if whole:
                delete_rows(self._con, rowid)
            update_session(self._con, rowid, values)
        store_fold(self._con, rowid, fold.state, position)
        store_rows(self._con, rowid, fold)
        if self._fp is not None:
            self._fp[key] = position.stat

    def drop(self, key: str) -> None:
        """Forget a session."""
        rowid = self._rowid(key)
        if rowid is None:
            return
        delete_rows(self._con, rowid)
        self._con.execute("DELETE FROM sessions WHERE rowid = ?", (rowid,))
        if self._fp is not None:
            self._fp.pop(key, None)

    # ------------------------------------------------------------------ the looks

    def looked(self) -> tuple[int | None, dict[str, Stamp]]:
        """When the last full look started, and each folder's stamp."""
        return looked(self._con)

    def known_in(self, folders: Collection[str], hot_since: int) -> dict[str, FileStat]:
        """Fingerprints of the sessions in ``folders``, the live ones and the unreadable."""
        return {row[0]: FileStat(*row) for row in known_rows(self._con, folders, hot_since)}

    def record_look(
        self, stamps: Mapping[str, Stamp], forget: Collection[str], full_at: int | None
    ) -> None:
        """Keep folder stamps and the time of a full look."""
        with self.writing():
            record_look(self._con, stamps, forget, full_at)

    def watch(self, key: str) -> None:
        """Look at a session on every refresh for the next while (see
        :mod:`sesslog.catalog.detect`), and forget watches that ran out."""

        def work() -> None:
            now = time.time_ns()
            with self.writing():
                self._con.execute("DELETE FROM watched WHERE since < ?", (now - HOT_NS,))
                self._con.execute("INSERT OR REPLACE INTO watched VALUES (?, ?)", (key, now))

        self._guard(work)

    # ------------------------------------------------------------------ the catalog

    def refresh(self, keys: Collection[str] | None = None, *, full: bool = False) -> RefreshReport:
        """Fold what changed since the last look (in ``keys`` only, when given; every session
        file looked at with ``full``, else as :mod:`sesslog.catalog.detect` says)."""
        if keys is not None:
            return self._guard(lambda: refresh(self._files, self, keys))
        return self._guard(lambda: look(self._files, self, full=full))

    def rebuild(self) -> RefreshReport:
        """Empty the catalog and read every session again."""

        def work() -> RefreshReport:
            with self.writing():
                for table in (
                    "sessions",
                    "folds",
                    "seen",
                    "tools",
                    "responses",
                    "activity",
                    "folders",
                    "watched",
                    "docs",
                ):
                    self._con.execute(f"DELETE FROM {table}")
                self._con.execute("DELETE FROM meta WHERE name = 'full_look'")
                self._fp = {}
            return refresh(self._files, self)

        return self._guard(work)

    def list_sessions(self, query: ListQuery | None = None) -> SessionList:
        """Sessions matching ``query``."""
        sql, params = list_sql(query or ListQuery(), "summary")

        def work() -> SessionList:
            return SessionList(rows=[row[0] for row in self._con.execute(sql, params)])

        return self._guard(work)

    def count(self, query: ListQuery | None = None) -> int:
        """How many sessions match ``query``."""
        clause, params = where(query or ListQuery())
        sql = f"SELECT count(*) FROM sessions{clause}"
        return self._guard(lambda: int(self._con.execute(sql, params).fetchone()[0]))

    def get(self, key: str) -> SessionInfo | None:
        """The session with this key."""

        def work() -> SessionInfo | None:
            row = self._con.execute("SELECT summary FROM sessions WHERE key = ?", (key,)).fetchone()
            return None if row is None else _info.decode(row[0])

        return self._guard(work)

    def details(self, key: str) -> SessionDetails | None:
        """Files touched and tool executions of one session."""

        def work() -> SessionDetails | None:
            row = self._con.execute(
                "SELECT sessions.rowid, summary, state FROM sessions JOIN folds ON folds.session = "
                "sessions.rowid WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            tools = [
                ToolExecution.from_row(tool)
                for tool in self._con.execute(
                    "SELECT call_id, tool, summary, entry, ok, started, duration FROM tools "
                    "WHERE session = ? ORDER BY seq",
                    (row[0],),
                )
            ]
            files = _fold_state(row[2]).files
            return SessionDetails(info=_info.decode(row[1]), files=files, tools=tools)

        return self._guard(work)

    def search(self, query: SearchQuery) -> SearchHits[SearchHit]:
        """Entries matching ``query``, best first (the newest ``query.bound`` of more)."""
        match = query.text if query.raw else fts_match(query.text)
        if not match.strip():
            return SearchHits()

        def run(sql: str, params: list[Any]) -> list[Any]:
            return self._con.execute(sql, params).fetchall()

        def work() -> SearchHits[SearchHit]:
            try:
                rows, bounded = search_rows(run, query, match)
            except sqlite3.OperationalError as exc:
                if "fts5" in str(exc) or "no such column" in str(exc):
                    raise InvalidQueryError(f"cannot read search {query.text!r}: {exc}") from exc
                raise
            return search_hits(rows, _info.decode, SearchHit, bounded)

        return self._guard(work)

    def stats(self) -> StoreStats:
        """Store-wide statistics."""
        return self._guard(self._stats)

    def _stats(self) -> StoreStats:
        run = self._con.execute
        agg = Aggregates()
        agg.sessions, agg.unreadable, agg.entries, agg.messages, agg.bytes = run(
            TOTALS_SQL
        ).fetchone()
        count, *tokens, cost = run(USAGE_SQL).fetchone()
        agg.responses, agg.tokens, agg.cost = count, Tokens(*tokens), cost
        for model, count, *tokens, cost in run(MODELS_SQL):
            agg.models[model] = (count, Tokens(*tokens), cost)
        agg.day_sessions = dict(run(DAYS_SQL["sessions"]).fetchall())
        agg.day_messages = dict(run(DAYS_SQL["messages"]).fetchall())
        agg.day_responses = {day: (n, t, c) for day, n, t, c in run(DAYS_SQL["responses"])}
        agg.tools = {tool: (n, e, mean) for tool, n, e, mean in run(TOOLS_SQL)}
        largest = self.list_sessions(ListQuery(order="bytes", limit=TOP))
        costliest = self.list_sessions(ListQuery(order="cost", limit=TOP))
        return assemble(agg, largest, costliest)

    def status(self) -> CatalogStatus:
        """Kind, file, sessions held and size."""

        def work() -> CatalogStatus:
            count = int(self._con.execute("SELECT count(*) FROM sessions").fetchone()[0])
            size = 0 if self._path == ":memory:" else database_size(self._path)
            location = "memory" if self._path == ":memory:" else self._path
            return CatalogStatus(
                kind=self.kind, location=location, sessions=count, bytes=size, schema=SCHEMA_VERSION
            )

        return self._guard(work)

    def close(self) -> None:
        """Close the database."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._con.close()
