"""The SQL of the SQLite catalog's looks (see :mod:`sesslog.catalog.detect`): the fingerprints
it holds, the folder stamps and time of the last full look, and the sessions each look checks.

Plain functions over a connection, shared by :class:`~sesslog.catalog.sqlite.SQLiteCatalog`
and :class:`~sesslog.catalog.fresh.FreshCatalog` (which must not load msgspec); rows come
back as tuples of ``key, size, mtime_ns, ino, ctime_ns, problem``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping

from sesslog.catalog.detect import Stamp

__all__ = ["FINGERPRINTS_SQL", "known_rows", "looked", "record_look"]

#: Every session's fingerprint.
FINGERPRINTS_SQL = "SELECT key, size, mtime_ns, ino, ctime_ns, problem FROM sessions"

#: A session's fingerprint row.
Row = tuple[str, int, int, int, int, "str | None"]


def looked(con: sqlite3.Connection) -> tuple[int | None, dict[str, Stamp]]:
    """When the last full look started (Unix nanoseconds), and each folder's stamp."""
    row = con.execute("SELECT value FROM meta WHERE name = 'full_look'").fetchone()
    stamps = {name: (mtime, ino) for name, mtime, ino in con.execute("SELECT * FROM folders")}
    return (None if row is None else int(row[0])), stamps


def known_rows(con: sqlite3.Connection, folders: Collection[str], hot_since: int) -> list[Row]:
    """Fingerprints of the sessions in ``folders``, of those modified or watched at or after
    ``hot_since``, and of those that could not be read (some more than once)."""
    run = con.execute
    rows: list[Row] = run(f"{FINGERPRINTS_SQL} WHERE mtime_ns >= ?", (hot_since,)).fetchall()
    rows += run(
        f"{FINGERPRINTS_SQL} INDEXED BY sessions_trouble "
        "WHERE error IS NOT NULL OR problem IS NOT NULL"
    ).fetchall()
    rows += run(
        f"{FINGERPRINTS_SQL} WHERE key IN (SELECT key FROM watched WHERE since >= ?)",
        (hot_since,),
    ).fetchall()
    for name in folders:
        if name:
            rows += run(f"{FINGERPRINTS_SQL} WHERE key >= ? AND key < ?", (name + "/", name + "0"))
        else:
            rows += run(f"{FINGERPRINTS_SQL} WHERE instr(key, '/') = 0")
    return rows


def record_look(
    con: sqlite3.Connection,
    stamps: Mapping[str, Stamp],
    forget: Collection[str],
    full_at: int | None,
) -> None:
    """Keep folder stamps, forget those of folders gone, and the time of a full look (inside
    the caller's write transaction)."""
    con.executemany(
        "INSERT OR REPLACE INTO folders VALUES (?, ?, ?)",
        [(name, mtime, ino) for name, (mtime, ino) in stamps.items()],
    )
    con.executemany("DELETE FROM folders WHERE name = ?", [(n,) for n in forget])
    if full_at is not None:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('full_look', ?)", (str(full_at),))
