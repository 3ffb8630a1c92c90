"""The catalog of a fleet's sessions in PostgreSQL: the Catalog interface over shared tables.

Many agents on many machines write into one database and many readers query it at once:

* **What it indexes.** A catalog is handed the sessions of one *source* (a
  :class:`~sesslog.catalog.files.SessionFiles`: a local folder, or any storage backend through
  :class:`~sesslog.catalog.backend_files.BackendFiles`, such as a bucket) and a name for it.
  :meth:`PostgresCatalog.refresh` folds what changed in that source, with the same code and
  the same rules as the SQLite catalog (:mod:`sesslog.catalog.refresh`): a session that grew
  is caught up from where the catalog stopped, a rewritten one is read again. ``refresh(keys)``
  is the upsert of a writer that knows what it changed (after a push). Sessions gone from the
  source are moved to the catalog's trash (kept until :meth:`PostgresCatalog.purge`); other
  sources' sessions are never touched. Queries answer over every source. A catalog opened
  without a source only reads.
* **Many writers.** Each batch of a refresh is one transaction; inside it every session is
  re-checked under a transaction-level advisory lock on its key, so two processes never fold
  the same bytes twice, and a session is either wholly folded or untouched.
* **Faults.** A connection lost in the middle of a refresh or a query (the server restarted)
  makes the operation run again (:func:`~sesslog.catalog.postgres.connect.retrying`): what
  committed stays, what did not left nothing. A server that refuses or stays away gives one
  :class:`~sesslog.catalog.postgres.connect.CatalogConnectionError`.
* **Search.** ``docs.tsv`` is a ``tsvector`` built from the shared tokenizer
  (:mod:`sesslog.catalog.postgres.text`) with a GIN index; hits are ranked by ``ts_rank``
  (not BM25: the order of equally good hits may differ from the SQLite catalog's) and their
  snippets made by the same code as the scanning catalog's. When more documents match than
  the query's ``bound``, only the newest ``bound`` are ranked (``search_sql``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import msgspec
import psycopg
import psycopg.errors

from sesslog.catalog.facts import Fold, FoldState
from sesslog.catalog.files import FileStat, SessionFiles
from sesslog.catalog.postgres import sql as q
from sesslog.catalog.postgres.connect import ATTEMPTS, open_pool, redact, retrying
from sesslog.catalog.postgres.migrations import (
    MIGRATIONS,
    SchemaTooNewError,
    current_version,
    migrate,
)
from sesslog.catalog.postgres.rows import (
    delete_rows,
    pg_text,
    session_values,
    store_rows,
    upsert_session,
)
from sesslog.catalog.postgres.text import tsquery
from sesslog.catalog.query import phrases
from sesslog.catalog.rank import snippet
from sesslog.catalog.refresh import Position, listing, refresh
from sesslog.catalog.stats import TOP, Aggregates, assemble
from sesslog.catalog.types import (
    MARK_CLOSE,
    MARK_OPEN,
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

__all__ = ["PostgresCatalog"]

_T = TypeVar("_T")
_info = msgspec.json.Decoder(SessionInfo)
_state = msgspec.msgpack.Decoder(FoldState)
_position = msgspec.msgpack.Decoder(Position)
_stat = msgspec.msgpack.Decoder(FileStat)
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"


class PostgresCatalog:
    """The catalog of a fleet's sessions in a PostgreSQL database.

    Args:
        url: ``postgresql://user:password@host:port/database`` (libpq's URL or its
            ``key=value`` form; ``PG*`` environment variables fill in what it leaves out).
        files: The sessions this catalog indexes, or ``None`` for a catalog that only reads.
        source: Names where ``files`` live (a folder, a bucket URL); the sessions of a source
            are refreshed and removed together.
        max_connections: Size of the connection pool.
        timeout: Seconds to wait for a connection.
        attempts: Tries of an operation whose connection was lost.

    Raises:
        CatalogConnectionError: The server refuses or cannot be reached.
        CatalogError: The database was migrated by a newer sesslog.
    """

    kind = "postgresql"

    def __init__(
        self,
        url: str,
        files: SessionFiles | None = None,
        *,
        source: str = "",
        max_connections: int = 8,
        timeout: float = 10.0,
        attempts: int = ATTEMPTS,
    ) -> None:
        self._url = url
        self._files = files
        self._source = source
        self._attempts = attempts
        self._write_lock = threading.Lock()
        self._conn: Any = None
        self._scope: list[str] | None = None
        self._pool = open_pool(url, max_size=max_connections, timeout=timeout)
        try:
            self._retry(lambda: self._with(_prepare))
        except SchemaTooNewError as exc:
            self._pool.close()
            raise CatalogError(f"{redact(url)}: {exc}") from None
        except BaseException:
            self._pool.close()
            raise

    # ------------------------------------------------------------------ connections

    def _retry(self, work: Callable[[], _T]) -> _T:
        return retrying(self._url, work, attempts=self._attempts)

    def _with(self, work: Callable[[Any], _T]) -> _T:
        with self._pool.connection() as conn:
            return work(conn)

    def _read(self, work: Callable[[Any], _T]) -> _T:
        return self._retry(lambda: self._with(work))

    # ------------------------------------------------------------------ the fold sink

    def fingerprints(self) -> Mapping[str, FileStat]:
        """The fingerprint of every live session of this source (of the keys being
        refreshed, during ``refresh(keys)``)."""
        sql = "SELECT key, fingerprint FROM sessions WHERE source = %s AND " + q.LIVE
        params: list[Any] = [self._source]
        if self._scope is not None:
            sql += " AND key = ANY(%s)"
            params.append(self._scope)

        def work(conn: Any) -> dict[str, FileStat]:
            return {key: _stat.decode(fp) for key, fp in conn.execute(sql, params)}

        return self._with(work)

    @contextmanager
    def writing(self) -> Iterator[Callable[[str], Position | None]]:
        """One write transaction on a connection of the pool."""
        with self._pool.connection() as conn, conn.transaction():
            self._conn = conn
            try:
                yield self._position_of
            finally:
                self._conn = None

    def _position_of(self, key: str) -> Position | None:
        """The position of a live session, with the session locked until the transaction
        ends (a trashed session is read again whole)."""
        self._conn.execute(_LOCK, (key,))
        row = self._conn.execute(
            f"SELECT position FROM sessions WHERE key = %s AND {q.LIVE}", (key,)
        ).fetchone()
        return None if row is None else _position.decode(row[0])

    def state(self, key: str) -> FoldState:
        """The fold state of a session held."""
        row = self._conn.execute("SELECT state FROM sessions WHERE key = %s", (key,)).fetchone()
        return FoldState() if row is None else _state.decode(row[0])

    def seen(self, key: str) -> Callable[[str], bool]:
        """Asks whether a session already holds an id."""
        conn = self._conn
        row = conn.execute("SELECT sid FROM sessions WHERE key = %s", (key,)).fetchone()
        sid = None if row is None else int(row[0])

        def lookup(item: str) -> bool:
            sql = "SELECT 1 FROM seen WHERE sid = %s AND key = %s"
            found = sid is not None and conn.execute(sql, (sid, pg_text(item))).fetchone()
            return bool(found)

        return lookup

    def put(self, key: str, position: Position, fold: Fold, *, whole: bool) -> None:
        """Store a fold of one session (out of the trash, when it was there)."""
        assert self._files is not None
        info = listing(self._files, key, position, fold.state)
        values = session_values(self._source, info, fold.state, position)
        sid = upsert_session(self._conn, key, values)
        if whole:
            delete_rows(self._conn, sid)
        store_rows(self._conn, sid, fold)

    def drop(self, key: str) -> None:
        """Move a session gone from the source to the trash (its rows are kept)."""
        self._conn.execute(
            f"UPDATE sessions SET trashed_at = now() WHERE key = %s AND source = %s AND {q.LIVE}",
            (key, self._source),
        )

    # ------------------------------------------------------------------ keeping current

    def refresh(self, keys: Collection[str] | None = None, *, full: bool = False) -> RefreshReport:
        """Fold what changed in this catalog's source since the last look (in ``keys`` only,
        when given: the upsert after a push). Every session of the source is looked at, so
        ``full`` changes nothing. Nothing to do without a source."""
        files = self._files
        if files is None:
            return RefreshReport()
        scope = None if keys is None else sorted(set(keys))

        def work() -> RefreshReport:
            self._scope = scope
            try:
                return refresh(files, self, scope)
            finally:
                self._scope = None

        with self._write_lock:
            return self._retry(work)

    def watch(self, key: str) -> None:
        """Nothing to do: every refresh looks at every session of the source."""

    def rebuild(self) -> RefreshReport:
        """Forget this source's sessions (their trash too) and read every one again."""
        if self._files is None:
            return RefreshReport()

        def forget(conn: Any) -> None:
            conn.execute("DELETE FROM sessions WHERE source = %s", (self._source,))

        with self._write_lock:
            self._read(forget)
        return self.refresh()

    def purge(self, older_than_s: float = 0.0) -> int:
        """Delete for good the sessions in the trash for more than ``older_than_s`` seconds;
        how many."""

        def work(conn: Any) -> int:
            cur = conn.execute(
                "DELETE FROM sessions WHERE trashed_at < now() - %s * interval '1 second'",
                (older_than_s,),
            )
            return int(cur.rowcount)

        return self._read(work)

    def trashed(self) -> SessionList:
        """The sessions in the catalog's trash, most recently trashed first."""
        sql = "SELECT summary FROM sessions WHERE trashed_at IS NOT NULL ORDER BY trashed_at DESC"
        return self._read(lambda conn: SessionList(rows=[r[0] for r in conn.execute(sql)]))

    # ------------------------------------------------------------------ queries

    def list_sessions(self, query: ListQuery | None = None) -> SessionList:
        """Sessions matching ``query``."""
        sql, params = q.list_sql(query or ListQuery(), "summary")
        return self._read(lambda conn: SessionList(rows=[r[0] for r in conn.execute(sql, params)]))

    def count(self, query: ListQuery | None = None) -> int:
        """How many sessions match ``query``."""
        clause, params = q.where(query or ListQuery())
        sql = f"SELECT count(*) FROM sessions{clause}"
        return self._read(lambda conn: int(conn.execute(sql, params).fetchone()[0]))

    def get(self, key: str) -> SessionInfo | None:
        """The live session with this key."""
        sql = f"SELECT summary FROM sessions WHERE key = %s AND {q.LIVE}"

        def work(conn: Any) -> SessionInfo | None:
            row = conn.execute(sql, (key,)).fetchone()
            return None if row is None else _info.decode(row[0])

        return self._read(work)

    def details(self, key: str) -> SessionDetails | None:
        """Files touched and tool executions of one live session."""

        def work(conn: Any) -> SessionDetails | None:
            row = conn.execute(
                f"SELECT sid, summary, state FROM sessions WHERE key = %s AND {q.LIVE}", (key,)
            ).fetchone()
            if row is None:
                return None
            tools = [
                ToolExecution.from_row(tool)
                for tool in conn.execute(
                    "SELECT call_id, tool, summary, entry, ok, started_ms, duration_ms "
                    "FROM tools WHERE sid = %s ORDER BY seq",
                    (row[0],),
                )
            ]
            files = _state.decode(row[2]).files
            return SessionDetails(info=_info.decode(row[1]), files=files, tools=tools)

        return self._read(work)

    def search(self, query: SearchQuery) -> SearchHits[SearchHit]:
        """Entries matching ``query``, best first (``raw``: PostgreSQL ``tsquery`` syntax; the
        newest ``query.bound`` of more)."""
        text = query.text if query.raw else tsquery(query.text)
        if not text.strip():
            return SearchHits()
        sql, params = q.search_sql(query, text, query.raw)
        wanted = phrases(query.text)

        def work(conn: Any) -> SearchHits[SearchHit]:
            try:
                rows = conn.execute(sql, params).fetchall()
                recent = rows[0][6] if rows and query.bound is not None else 0
                if not rows and query.offset and query.bound is not None:
                    recent = conn.execute(*q.window_sql(query, text, query.raw)).fetchone()[0]
            except (psycopg.errors.SyntaxError, psycopg.errors.InvalidTextRepresentation) as exc:
                raise InvalidQueryError(f"cannot read search {query.text!r}: {exc}") from None
            bounded = query.bound if query.bound is not None and recent > query.bound else None
            return SearchHits(
                (
                    SearchHit(
                        session=_info.decode(row[5]),
                        entry=row[0],
                        kind=row[1],
                        line=row[2],
                        snippet=snippet(row[3], wanted, MARK_OPEN, MARK_CLOSE),
                        score=float(row[4]),
                    )
                    for row in rows
                ),
                bounded=bounded,
            )

        return self._read(work)

    def stats(self) -> StoreStats:
        """Store-wide statistics (every source)."""
        agg = self._read(_aggregates)
        largest = self.list_sessions(ListQuery(order="bytes", limit=TOP))
        costliest = self.list_sessions(ListQuery(order="cost", limit=TOP))
        return assemble(agg, largest, costliest)

    def status(self) -> CatalogStatus:
        """Kind, server (without its password), live sessions, database size, schema."""

        def work(conn: Any) -> CatalogStatus:
            count = conn.execute(f"SELECT count(*) FROM sessions WHERE {q.LIVE}").fetchone()[0]
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            return CatalogStatus(
                kind=self.kind,
                location=redact(self._url),
                sessions=int(count),
                bytes=int(size),
                schema=current_version(conn),
            )

        return self._read(work)

    def close(self) -> None:
        """Close the connection pool."""
        self._pool.close()


def _prepare(conn: Any) -> None:
    """Migrate the schema when it is behind (a reader with no right to change the schema opens
    a current one without trying)."""
    if current_version(conn) != len(MIGRATIONS):
        migrate(conn)


def _aggregates(conn: Any) -> Aggregates:
    run = conn.execute
    agg = Aggregates()
    agg.sessions, agg.unreadable, entries, messages, size = run(q.TOTALS_SQL).fetchone()
    agg.entries, agg.messages, agg.bytes = int(entries), int(messages), int(size)
    count, *tokens, cost = run(q.USAGE_SQL).fetchone()
    agg.responses, agg.tokens, agg.cost = count, Tokens(*map(int, tokens)), cost
    for model, count, *tokens, cost in run(q.MODELS_SQL):
        agg.models[model] = (count, Tokens(*map(int, tokens)), cost)
    agg.day_sessions = {day: n for day, n in run(q.DAYS_SQL["sessions"])}
    agg.day_messages = {day: int(n) for day, n in run(q.DAYS_SQL["messages"])}
    agg.day_responses = {day: (n, int(t), c) for day, n, t, c in run(q.DAYS_SQL["responses"])}
    agg.tools = {
        tool: (n, int(e), None if mean is None else float(mean))
        for tool, n, e, mean in run(q.TOOLS_SQL)
    }
    return agg
