"""Writing one session's fold into the SQLite catalog's tables."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import msgspec

from sesslog.catalog.refresh import Position
from sesslog.catalog.sqlite_schema import (
    IN_ORDER,
    LISTING_COLUMNS,
    LISTING_ORDER,
    listing_in_order,
)
from sesslog.catalog.types import SessionInfo
from sesslog.render.escape import escape_json

if TYPE_CHECKING:
    from sesslog.catalog.facts import Fold, FoldState

__all__ = [
    "delete_rows",
    "insert_session",
    "order_listing",
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
#: The listing facts: the values of ``_COLUMNS`` up to ``summary``.
_FACTS = _COLUMNS.index("summary") + 1
_LIST = f"INSERT INTO listing ({LISTING_COLUMNS}) VALUES (?, ?, {', '.join('?' * _FACTS)})"
#: Whether the row before ``n`` (in ``n`` order) comes before the row given, in the order
#: ``listing`` keeps (:data:`~sesslog.catalog.sqlite_schema.LISTING_ORDER`).
_AFTER_PREVIOUS = (
    "SELECT updated < :updated OR (updated = :updated AND key > :key) FROM listing "
    "WHERE n < :n ORDER BY n DESC LIMIT 1"
)
_OUT_OF_ORDER = "UPDATE meta SET value = '0' WHERE name = 'listing_in_order'"
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
    rowid = int(cursor.lastrowid or 0)
    _list(con, rowid, key, values)
    return rowid


def update_session(con: sqlite3.Connection, rowid: int, key: str, values: tuple[Any, ...]) -> None:
    """Replace a session's row (its listing row goes after every other)."""
    con.execute(_UPDATE, (*values, rowid))
    con.execute("DELETE FROM listing WHERE session = ?", (rowid,))
    _list(con, rowid, key, values)


def _list(con: sqlite3.Connection, rowid: int, key: str, values: tuple[Any, ...]) -> None:
    """Add a session's listing row after every other, and note when that breaks the order
    (a session whose newest entry is older than another's: an import, a restore)."""
    n = con.execute(_LIST, (rowid, key, *values[:_FACTS])).lastrowid
    updated = values[_COLUMNS.index("updated")]
    row = con.execute(_AFTER_PREVIOUS, {"updated": updated, "key": key, "n": n}).fetchone()
    if row is not None and not row[0]:
        con.execute(_OUT_OF_ORDER)


def order_listing(con: sqlite3.Connection) -> bool:
    """Write ``listing`` again in its order when a row broke it (inside the caller's write
    transaction).

    Returns:
        Whether it was written again.
    """
    if listing_in_order(con):
        return False
    last = con.execute("SELECT coalesce(max(n), 0) FROM listing").fetchone()[0]
    con.execute(
        f"INSERT INTO listing ({LISTING_COLUMNS}) SELECT {LISTING_COLUMNS} FROM listing "
        f"WHERE n <= ? ORDER BY {LISTING_ORDER}",
        (last,),
    )
    con.execute("DELETE FROM listing WHERE n <= ?", (last,))
    con.execute(IN_ORDER)
    return True


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
