"""SQL of the PostgreSQL catalog's queries: listing filters and order, search, statistics.

The meaning of every filter is that of :mod:`sesslog.catalog.query` (the SQLite catalog says
the same in its own dialect, :mod:`sesslog.catalog.sql`). Text is compared and sorted byte by
byte (``COLLATE "C"``) whatever the database's locale, and only ASCII letters are folded in a
title filter, as SQLite's ``lower()`` does. Trashed sessions are left out of everything.
"""

from __future__ import annotations

from typing import Any

from sesslog.catalog.query import ascii_lower
from sesslog.catalog.types import ListQuery, SearchQuery

__all__ = [
    "DAYS_SQL",
    "LIVE",
    "MODELS_SQL",
    "TOOLS_SQL",
    "TOTALS_SQL",
    "USAGE_SQL",
    "list_sql",
    "search_sql",
    "where",
    "window_sql",
]

#: The condition of a session that is not in the trash.
LIVE = "trashed_at IS NULL"

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORDER = {
    "updated": "updated_ms",
    "created": "created_ms",
    "bytes": "bytes",
    "cost": "cost",
    "entries": "entries",
    "title": "coalesce(title, '') COLLATE \"C\"",
    "id": 'id COLLATE "C"',
}


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def where(query: ListQuery) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause and its parameters for ``query``'s filters (live sessions)."""
    q = query
    parts: list[str] = [LIVE]
    params: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        parts.append(sql)
        params.extend(values)

    if q.cwd is not None:
        add("cwd = %s", q.cwd)
    if q.title is not None:
        add(
            f"strpos(translate(title, '{_UPPER}', '{_UPPER.lower()}'), %s) > 0",
            ascii_lower(q.title),
        )
    if q.tags:
        add("tags @> %s::text[]", list(q.tags))
    if q.status is not None:
        add("status = %s", q.status)
    if q.model is not None:
        add("models @> ARRAY[%s]::text[]", q.model)
    if q.user is not None:
        add('"user" = %s', q.user)
    if q.id_prefix is not None:
        add("id LIKE %s", _like_prefix(q.id_prefix))
    if q.parent is not None:
        suffix = f"_{q.parent}.jsonl"
        add("(parent = %s OR right(parent, %s) = %s)", q.parent, len(suffix), suffix)
    if q.has_errors is not None:
        parts.append("errors > 0" if q.has_errors else "errors = 0")
    for column, after, before in (
        ("created_ms", q.created_after, q.created_before),
        ("updated_ms", q.updated_after, q.updated_before),
    ):
        if after is not None:
            add(f"{column} >= %s", after)
        if before is not None:
            add(f"{column} < %s", before)
    return " WHERE " + " AND ".join(parts), params


def list_sql(query: ListQuery, columns: str) -> tuple[str, list[Any]]:
    """``SELECT columns FROM sessions`` filtered, ordered and paged as ``query`` says."""
    clause, params = where(query)
    direction = "DESC" if query.descending else "ASC"
    sql = (
        f"SELECT {columns} FROM sessions{clause} "
        f'ORDER BY {_ORDER[query.order]} {direction}, key COLLATE "C"'
    )
    if query.limit is not None:
        sql += " LIMIT %s"
        params.append(query.limit)
    if query.offset:
        sql += " OFFSET %s"
        params.append(query.offset)
    return sql, params


def _scope(query: SearchQuery) -> tuple[str, list[Any]]:
    """The conditions that keep a search within ``query``'s folder and session."""
    sql, params = f" AND s.{LIVE}", []
    if query.cwd is not None:
        sql += " AND s.cwd = %s"
        params.append(query.cwd)
    if query.key is not None:
        sql += " AND s.key = %s"
        params.append(query.key)
    return sql, params


def search_sql(query: SearchQuery, text: str, raw: bool) -> tuple[str, list[Any]]:
    """Matching documents with their session, best first (``ts_rank`` with the document
    length's logarithm as normalisation; ties by session key and document order).

    With ``query.bound``, only the newest ``bound`` matching documents are ranked: a
    window of the newest ``bound + 1`` (sessions by ``sid``, the order the catalog took
    them in, then documents by place; PostgreSQL walks the primary key backwards and stops,
    or sorts the few matches of a rare word), and each row's last column is the window's
    size: more than ``bound`` says the ranking was bounded.

    ``text`` is a ``tsquery`` literal, or text for ``to_tsquery`` when ``raw``.
    """
    parse = "to_tsquery('simple', %s)" if raw else "%s::tsquery"
    scope, params = _scope(query)
    if query.bound is None:
        sql = (
            "SELECT d.entry, d.kind, d.line, d.text, ts_rank(d.tsv, q.q, 1) AS rank, s.summary "
            f"FROM (SELECT {parse} AS q) q, docs d "
            f"JOIN sessions s ON s.sid = d.sid WHERE d.tsv @@ q.q{scope}"
            ' ORDER BY rank DESC, s.key COLLATE "C", d.n LIMIT %s OFFSET %s'
        )
        return sql, [text, *params, query.limit, query.offset]
    sql = (
        "WITH recent AS MATERIALIZED (SELECT d.sid, d.n, s.key, "
        f"ts_rank(d.tsv, {parse}, 1) AS rank FROM docs d "
        f"JOIN sessions s ON s.sid = d.sid WHERE d.tsv @@ {parse}{scope} "
        "ORDER BY d.sid DESC, d.n DESC LIMIT %s), "
        "best AS (SELECT * FROM (SELECT * FROM recent ORDER BY sid DESC, n DESC LIMIT %s) w "
        'ORDER BY rank DESC, key COLLATE "C", n LIMIT %s OFFSET %s) '
        "SELECT d.entry, d.kind, d.line, d.text, b.rank, s.summary, "
        "(SELECT count(*) FROM recent) FROM best b JOIN docs d ON d.sid = b.sid AND d.n = b.n "
        'JOIN sessions s ON s.sid = b.sid ORDER BY b.rank DESC, b.key COLLATE "C", b.n'
    )
    bound = query.bound
    return sql, [text, text, *params, bound + 1, bound, query.limit, query.offset]


def window_sql(query: SearchQuery, text: str, raw: bool) -> tuple[str, list[Any]]:
    """How many documents the window of :func:`search_sql` holds (at most ``bound + 1``),
    for a page past the last hit."""
    parse = "to_tsquery('simple', %s)" if raw else "%s::tsquery"
    scope, params = _scope(query)
    sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM docs d JOIN sessions s ON s.sid = d.sid "
        f"WHERE d.tsv @@ {parse}{scope} LIMIT %s) w"
    )
    return sql, [text, *params, (query.bound or 0) + 1]


_LIVE_SIDS = f"SELECT sid FROM sessions WHERE {LIVE}"

TOTALS_SQL = (
    "SELECT count(*), count(error), coalesce(sum(entries), 0), coalesce(sum(messages), 0), "
    f"coalesce(sum(bytes), 0) FROM sessions WHERE {LIVE}"
)

# Each response once across the store: rows of one key in several sessions are copies.
_DISTINCT_RESPONSES = (
    "SELECT key, max(model) AS model, max(day) AS day, max(input) AS input, "
    "max(output) AS output, max(cache_read) AS cache_read, max(cache_write) AS cache_write, "
    "max(total) AS total, max(cost) AS cost FROM responses "
    f"WHERE sid IN ({_LIVE_SIDS}) GROUP BY key"
)

USAGE_SQL = (
    "SELECT count(*), coalesce(sum(input), 0), coalesce(sum(output), 0), "
    "coalesce(sum(cache_read), 0), coalesce(sum(cache_write), 0), coalesce(sum(total), 0), "
    f"coalesce(sum(cost), 0.0) FROM ({_DISTINCT_RESPONSES}) r"
)

MODELS_SQL = (
    "SELECT model, count(*), sum(input), sum(output), sum(cache_read), sum(cache_write), "
    f"sum(total), sum(cost) FROM ({_DISTINCT_RESPONSES}) r GROUP BY model"
)

DAYS_SQL = {
    "responses": (
        f"SELECT day, count(*), sum(total), sum(cost) FROM ({_DISTINCT_RESPONSES}) r "
        "WHERE day <> '' GROUP BY day"
    ),
    "messages": (
        f"SELECT day, sum(messages) FROM activity WHERE sid IN ({_LIVE_SIDS}) GROUP BY day"
    ),
    "sessions": (
        "SELECT to_char(to_timestamp(created_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
        f"count(*) FROM sessions WHERE created_ms > 0 AND {LIVE} GROUP BY 1"
    ),
}

# Each tool call once across the store: a fork copies a call with its entry's id.
TOOLS_SQL = (
    "SELECT tool, count(*), coalesce(sum(failed), 0), avg(duration) FROM ("
    "SELECT max(tool) AS tool, max(CASE WHEN ok = false THEN 1 ELSE 0 END) AS failed, "
    "max(duration_ms) AS duration FROM tools "
    f"WHERE sid IN ({_LIVE_SIDS}) GROUP BY call_id, entry) t GROUP BY tool"
)
