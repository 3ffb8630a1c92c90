"""Writing one session's fold into the SQLite catalog's tables."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import msgspec

from sesslog.catalog.refresh import Position
from sesslog.catalog.types import SessionInfo
from sesslog.render.escape import escape_json

if TYPE_CHECKING:
    from sesslog.catalog.facts import Fold, FoldState

__all__ = [
    "delete_rows",
    "insert_session",
    "session_values",
    "store_fold",
    "store_rows",
    "update_session",
]

_COLUMNS = [
    "id",
    "cwd",
    "title",
    "status",
    "user",
    "parent",
    "tags",
    "models",
    "created",
    "updated",
    "entries",
    "messages",
    "bytes",
    "cost",
    "errors",
    "error",
    "summary",
    "size",
    "mtime_ns",
    "ino",
    "ctime_ns",
    "problem",
]
_INSERT = f"INSERT INTO sessions VALUES (NULL, ?, {', '.join('?' for _ in _COLUMNS)})"
_UPDATE = f"UPDATE sessions SET {', '.join(f'{c} = ?' for c in _COLUMNS)} WHERE rowid = ?"
_json = msgspec.json.Encoder()
_pack = msgspec.msgpack.Encoder()


def session_values(info: SessionInfo, state: FoldState, position: Position) -> tuple[Any, ...]:
    """The ``sessions`` row of a session, after its key."""
    stat = position.stat
    return (
        info.id,
        info.cwd,
        info.title,
        info.status,
        info.user,
        info.parent,
        _json.encode(info.tags).decode(),
        _json.encode(info.models).decode(),
        state.created_ms,
        state.updated_ms,
        info.entries,
        info.messages,
        info.bytes,
        info.cost,
        info.errors,
        info.error,
        escape_json(_json.encode(info).decode()).encode(),
        stat.size,
        stat.mtime_ns,
        stat.ino,
        stat.ctime_ns,
        stat.problem,
    )


def store_fold(con: sqlite3.Connection, rowid: int, state: FoldState, position: Position) -> None:
    """Keep a session's fold state and position (for the next catch-up)."""
    con.execute(
        "INSERT OR REPLACE INTO folds VALUES (?, ?, ?)",
        (rowid, _pack.encode(state), _pack.encode(position)),
    )


def insert_session(con: sqlite3.Connection, key: str, values: tuple[Any, ...]) -> int:
    """Add a session's row; returns its rowid."""
    cursor = con.execute(_INSERT, (key, *values))
    return int(cursor.lastrowid or 0)


def update_session(con: sqlite3.Connection, rowid: int, values: tuple[Any, ...]) -> None:
    """Replace a session's row."""
    con.execute(_UPDATE, (*values, rowid))


def delete_rows(con: sqlite3.Connection, rowid: int) -> None:
    """Remove a session's rows from every side table (its ``sessions`` row stays)."""
    con.execute("DELETE FROM folds WHERE session = ?", (rowid,))
    for table in ("seen", "tools", "responses", "activity"):
        con.execute(f"DELETE FROM {table} WHERE session = ?", (rowid,))
    con.execute(
        "DELETE FROM docs WHERE rowid BETWEEN ? AND ?", (rowid << 32, (rowid << 32) | 0xFFFFFFFF)
    )


def store_rows(con: sqlite3.Connection, rowid: int, fold: Fold) -> None:
    """Add a fold's side-table rows: ids seen, documents, tool calls and results, responses
    and messages per day."""
    if fold.seen.new:
        con.executemany(
            "INSERT OR IGNORE INTO seen VALUES (?, ?)", [(rowid, k) for k in fold.seen.new]
        )
    base = rowid << 32
    if fold.docs:
        con.executemany(
            "INSERT INTO docs (rowid, text, entry, kind, line) VALUES (?, ?, ?, ?, ?)",
            [(base | d.seq, d.text, d.entry, d.kind, d.line) for d in fold.docs],
        )
    if fold.calls:
        con.executemany(
            "INSERT OR REPLACE INTO tools VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
            [
                (rowid, c.seq, c.call_id, c.tool, c.summary, c.entry, c.started_ms)
                for c in fold.calls
            ],
        )
    for result in fold.results:
        con.execute(
            "UPDATE tools SET ok = ?, duration = CASE WHEN started IS NULL OR ? IS NULL "
            "THEN NULL ELSE ? - started END WHERE session = ? AND seq = (SELECT min(seq) "
            "FROM tools WHERE session = ? AND call_id = ? AND ok IS NULL)",
            (int(result.ok), result.ended_ms, result.ended_ms, rowid, rowid, result.call_id),
        )
    if fold.responses:
        con.executemany(
            "INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(rowid, *msgspec.structs.astuple(r)) for r in fold.responses],
        )
    if fold.activity:
        con.executemany(
            "INSERT INTO activity VALUES (?, ?, ?) ON CONFLICT (session, day) "
            "DO UPDATE SET messages = messages + excluded.messages",
            [(rowid, day, count) for day, count in fold.activity.items()],
        )
