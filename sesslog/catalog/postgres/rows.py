"""Writing one session's fold into the PostgreSQL catalog's tables, inside the caller's
transaction (psycopg 3 sends each ``executemany`` as one pipelined batch)."""

from __future__ import annotations

from typing import Any

import msgspec

from sesslog.catalog.facts import Fold, FoldState
from sesslog.catalog.postgres.text import tsvector
from sesslog.catalog.refresh import Position
from sesslog.catalog.types import SessionInfo
from sesslog.render.escape import escape_json

__all__ = [
    "SESSION_COLUMNS",
    "delete_rows",
    "pg_text",
    "session_values",
    "store_rows",
    "upsert_session",
]

#: The ``sessions`` columns :func:`session_values` gives, in order (after ``key``).
SESSION_COLUMNS = (
    "source",
    "id",
    "cwd",
    "title",
    "status",
    '"user"',
    "parent",
    "tags",
    "models",
    "created_ms",
    "updated_ms",
    "entries",
    "messages",
    "bytes",
    "cost",
    "errors",
    "error",
    "summary",
    "fingerprint",
    "state",
    "position",
)
_UPSERT = (
    f"INSERT INTO sessions (key, {', '.join(SESSION_COLUMNS)}) "
    f"VALUES (%s, {', '.join('%s' for _ in SESSION_COLUMNS)}) "
    "ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in SESSION_COLUMNS)
    + ", trashed_at = NULL RETURNING sid"
)
_json = msgspec.json.Encoder()
_pack = msgspec.msgpack.Encoder()

Conn = Any  # psycopg.Connection, kept loose so the module imports no driver types


def pg_text(value: str) -> str:
    """``value`` as PostgreSQL text holds it: a NUL or a lone surrogate (which JSON strings
    may carry) becomes U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    return value


def _opt(value: str | None) -> str | None:
    return None if value is None else pg_text(value)


def session_values(
    source: str, info: SessionInfo, state: FoldState, position: Position
) -> tuple[Any, ...]:
    """The ``sessions`` row of a session, after its key."""
    return (
        source,
        pg_text(info.id),
        pg_text(info.cwd),
        _opt(info.title),
        pg_text(info.status),
        _opt(info.user),
        _opt(info.parent),
        [pg_text(tag) for tag in info.tags],
        [pg_text(model) for model in info.models],
        state.created_ms,
        state.updated_ms,
        info.entries,
        info.messages,
        info.bytes,
        info.cost,
        info.errors,
        _opt(info.error),
        escape_json(_json.encode(info).decode()).encode(),  # as SessionList.json() promises
        _pack.encode(position.stat),
        _pack.encode(state),
        _pack.encode(position),
    )


def upsert_session(conn: Conn, key: str, values: tuple[Any, ...]) -> int:
    """Add or replace a session's row (out of the trash); returns its ``sid``."""
    row = conn.execute(_UPSERT, (key, *values)).fetchone()
    return int(row[0])


def delete_rows(conn: Conn, sid: int) -> None:
    """Remove a session's rows from every side table (its ``sessions`` row stays)."""
    for table in ("seen", "tools", "responses", "activity", "docs"):
        conn.execute(f"DELETE FROM {table} WHERE sid = %s", (sid,))


def store_rows(conn: Conn, sid: int, fold: Fold) -> None:
    """Add a fold's side-table rows: ids seen, documents, tool calls and results, responses
    and messages per day."""
    with conn.cursor() as cur:
        if fold.seen.new:
            cur.executemany(
                "INSERT INTO seen VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(sid, pg_text(key)) for key in fold.seen.new],
            )
        if fold.docs:
            cur.executemany(
                "INSERT INTO docs (sid, n, entry, kind, line, text, tsv) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s::tsvector)",
                [
                    (
                        sid,
                        d.seq,
                        pg_text(d.entry),
                        d.kind,
                        d.line,
                        pg_text(d.text),
                        tsvector(d.text),
                    )
                    for d in fold.docs
                ],
            )
        if fold.calls:
            cur.executemany(
                "INSERT INTO tools (sid, seq, call_id, tool, summary, entry, started_ms) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (sid, seq) DO UPDATE SET "
                "call_id = excluded.call_id, tool = excluded.tool, summary = excluded.summary, "
                "entry = excluded.entry, ok = NULL, started_ms = excluded.started_ms, "
                "duration_ms = NULL",
                [
                    (
                        sid,
                        c.seq,
                        *map(pg_text, (c.call_id, c.tool, c.summary, c.entry)),
                        c.started_ms,
                    )
                    for c in fold.calls
                ],
            )
        for result in fold.results:
            cur.execute(
                "UPDATE tools SET ok = %(ok)s, duration_ms = %(ended)s::bigint - started_ms "
                "WHERE sid = %(sid)s AND seq = (SELECT min(seq) FROM tools WHERE sid = %(sid)s "
                "AND call_id = %(call)s AND ok IS NULL)",
                {
                    "ok": result.ok,
                    "ended": result.ended_ms,
                    "sid": sid,
                    "call": pg_text(result.call_id),
                },
            )
        if fold.responses:
            cur.executemany(
                "INSERT INTO responses VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                [
                    (sid, pg_text(r.key), pg_text(r.model), *msgspec.structs.astuple(r)[2:])
                    for r in fold.responses
                ],
            )
        if fold.activity:
            cur.executemany(
                "INSERT INTO activity AS a VALUES (%s, %s, %s) ON CONFLICT (sid, day) "
                "DO UPDATE SET messages = a.messages + excluded.messages",
                [(sid, day, count) for day, count in fold.activity.items()],
            )
