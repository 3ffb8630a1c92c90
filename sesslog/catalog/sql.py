"""SQL of the SQLite catalog's queries: listing filters and order, search, statistics.

The meaning of every filter is that of :mod:`sesslog.catalog.query`; this module only says it
in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sesslog.catalog.queries import ListQuery, SearchHits, SearchQuery, marked
from sesslog.catalog.query import ascii_lower

__all__ = [
    "DAYS_SQL",
    "MODELS_SQL",
    "TOOLS_SQL",
    "TOTALS_SQL",
    "USAGE_SQL",
    "list_sql",
    "search_hits",
    "search_rows",
    "search_sql",
    "where",
    "window_sql",
]

_ORDER = {
    "updated": "updated",
    "created": "created",
    "bytes": "bytes",
    "cost": "cost",
    "entries": "entries",
    "title": "coalesce(title, '')",
    "id": "id",
}


def where(query: ListQuery) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause (possibly empty) and its parameters for ``query``'s filters."""
    q = query
    parts: list[str] = []
    params: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        parts.append(sql)
        params.extend(values)

    if q.cwd is not None:
        add("cwd = ?", q.cwd)
    if q.title is not None:
        add("title IS NOT NULL AND instr(lower(title), ?) > 0", ascii_lower(q.title))
    for tag in q.tags:
        add("EXISTS (SELECT 1 FROM json_each(sessions.tags) WHERE value = ?)", tag)
    if q.status is not None:
        add("status = ?", q.status)
    if q.model is not None:
        add("EXISTS (SELECT 1 FROM json_each(sessions.models) WHERE value = ?)", q.model)
    if q.user is not None:
        add("user = ?", q.user)
    if q.id_prefix is not None:
        add("substr(id, 1, ?) = ?", len(q.id_prefix), q.id_prefix)
    if q.parent is not None:
        suffix = f"_{q.parent}.jsonl"
        add("(parent = ? OR substr(parent, -?) = ?)", q.parent, len(suffix), suffix)
    if q.has_errors is not None:
        add("errors > 0" if q.has_errors else "errors = 0")
    for column, after, before in (
        ("created", q.created_after, q.created_before),
        ("updated", q.updated_after, q.updated_before),
    ):
        if after is not None:
            add(f"{column} >= ?", after)
        if before is not None:
            add(f"{column} < ?", before)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params


def list_sql(query: ListQuery, columns: str) -> tuple[str, list[Any]]:
    """``SELECT columns FROM sessions`` filtered, ordered and paged as ``query`` says."""
    clause, params = where(query)
    direction = "DESC" if query.descending else "ASC"
    sql = f"SELECT {columns} FROM sessions{clause} ORDER BY {_ORDER[query.order]} {direction}, key"
    if query.limit is not None or query.offset:
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if query.limit is None else query.limit, query.offset]
    return sql, params


_H = TypeVar("_H")


def search_hits(
    rows: list[Any],
    session: Callable[[bytes], Any],
    hit: Callable[..., _H],
    bounded: int | None = None,
) -> SearchHits[_H]:
    """The hits of :func:`search_sql`'s rows, each made by ``hit`` with the keywords of a
    :class:`~sesslog.catalog.types.SearchHit` (``session`` decodes a session's JSON);
    ``bounded`` as :func:`search_rows` says."""
    return SearchHits(
        (
            hit(
                session=session(summary),
                entry=entry,
                kind=kind,
                line=line,
                snippet=marked(snippet),
                score=-float(rank),
            )
            for entry, kind, line, snippet, rank, summary in rows
        ),
        bounded=bounded,
    )


def _scope(query: SearchQuery) -> tuple[str, str, list[Any]]:
    """The join and conditions that keep a search within ``query``'s folder and session."""
    sql, params = "", []
    if query.cwd is not None:
        sql += " AND s.cwd = ?"
        params.append(query.cwd)
    if query.key is not None:
        sql += " AND s.key = ?"
        params.append(query.key)
    join = " JOIN sessions s ON s.rowid = (d.rowid >> 32)" if params else ""
    return join, sql, params


def window_sql(query: SearchQuery, match: str, size: int) -> tuple[str, list[Any]]:
    """The rowids of the newest ``size`` matching documents, newest first: a document's rowid
    is its session's rowid (the order the catalog took sessions in) then its place in the
    session, and FTS5 walks the matches in that order and stops."""
    join, scope, params = _scope(query)
    sql = (
        f"SELECT d.rowid FROM docs d{join} WHERE docs MATCH ?{scope} ORDER BY d.rowid DESC LIMIT ?"
    )
    return sql, [match, *params, size]


def search_sql(query: SearchQuery, match: str, since: int | None = None) -> tuple[str, list[Any]]:
    """Matching documents with their session, best first (BM25; ties by session key and
    document order); with ``since``, only documents from that rowid on. The snippet marks
    matches with ``\\x02`` and ``\\x03``."""
    sql = (
        "SELECT d.entry, d.kind, d.line, "
        "snippet(docs, 0, char(2), char(3), '…', 16), bm25(docs) AS rank, s.summary "
        "FROM docs d JOIN sessions s ON s.rowid = (d.rowid >> 32) WHERE docs MATCH ?"
    )
    _, scope, params = _scope(query)
    sql += scope
    if since is not None:
        sql += " AND d.rowid >= ?"
        params.append(since)
    sql += " ORDER BY rank, s.key, d.rowid LIMIT ? OFFSET ?"
    return sql, [match, *params, query.limit, query.offset]


def search_rows(
    run: Callable[[str, list[Any]], list[Any]], query: SearchQuery, match: str
) -> tuple[list[Any], int | None]:
    """The rows of a search (see :func:`search_sql`) and the bound it was held to (``None``
    when every match was ranked): when more than ``query.bound`` documents match, only the
    newest ``query.bound`` are ranked. ``run`` executes SQL with parameters.
    """
    since = None
    bound = query.bound
    if bound is not None:
        newest = run(*window_sql(query, match, bound + 1))
        if len(newest) > bound:
            since = int(newest[bound - 1][0])
    return run(*search_sql(query, match, since)), None if since is None else bound


TOTALS_SQL = (
    "SELECT count(*), count(error), coalesce(sum(entries), 0), coalesce(sum(messages), 0), "
    "coalesce(sum(bytes), 0) FROM sessions"
)

# Each response once across the store: rows of one key in several sessions are copies.
_DISTINCT_RESPONSES = (
    "SELECT key, max(model) AS model, max(day) AS day, max(input) AS input, "
    "max(output) AS output, max(cache_read) AS cache_read, max(cache_write) AS cache_write, "
    "max(total) AS total, max(cost) AS cost FROM responses GROUP BY key"
)

USAGE_SQL = (
    "SELECT count(*), coalesce(sum(input), 0), coalesce(sum(output), 0), "
    "coalesce(sum(cache_read), 0), coalesce(sum(cache_write), 0), coalesce(sum(total), 0), "
    f"coalesce(sum(cost), 0.0) FROM ({_DISTINCT_RESPONSES})"
)

MODELS_SQL = (
    "SELECT model, count(*), sum(input), sum(output), sum(cache_read), sum(cache_write), "
    f"sum(total), sum(cost) FROM ({_DISTINCT_RESPONSES}) GROUP BY model"
)

DAYS_SQL = {
    "responses": (
        f"SELECT day, count(*), sum(total), sum(cost) FROM ({_DISTINCT_RESPONSES}) "
        "WHERE day != '' GROUP BY day"
    ),
    "messages": "SELECT day, sum(messages) FROM activity GROUP BY day",
    "sessions": (
        "SELECT strftime('%Y-%m-%d', created / 1000, 'unixepoch'), count(*) FROM sessions "
        "WHERE created > 0 GROUP BY 1"
    ),
}

# Each tool call once across the store: a fork copies a call with its entry's id.
TOOLS_SQL = (
    "SELECT tool, count(*), coalesce(sum(failed), 0), avg(duration) FROM ("
    "SELECT max(tool) AS tool, max(ok = 0) AS failed, max(duration) AS duration "
    "FROM tools GROUP BY call_id, entry) GROUP BY tool"
)
