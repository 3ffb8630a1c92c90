"""The SQLite catalog's file: schema, opening in WAL mode, and starting over when damaged.

Tables: ``sessions`` (one row per session: filter columns, the listing facts as JSON and the
file's fingerprint, which a covering index gives every refresh without reading the rows),
``listing`` (the same facts again, alone, for listings: see below), ``folds`` (the fold state
and the file position of each session, as msgpack, read only to catch up), ``seen`` (entry
and response ids per session, so appended duplicates are not counted twice), ``tools`` (tool
executions), ``responses`` (assistant usage, keyed to count a response once across the
store), ``activity`` (messages per session and day), ``watched`` (sessions opened to write),
``folders`` (each folder's time at the last look, see :mod:`sesslog.catalog.detect`) and
``docs``, the FTS5 full-text index.

A listing reads every session's facts. In ``sessions`` those rows lie on pages scattered
through the whole file (a build writes them between the full-text index's pages) and are
visited, through an index, in an order unrelated to where they lie. ``listing`` holds the facts
alone, in rows whose ``n`` follows :data:`LISTING_ORDER` (the newest last): a row written again
gets the next ``n``, which keeps the order whenever that session is now the newest (an append);
a row that breaks it (an import, a restore: a session older than the newest) clears the
``listing_in_order`` note in ``meta``, and the refresh that wrote it then writes the table
again in order (:func:`~sesslog.catalog.sqlite_rows.order_listing`) and sets the note. While
the note is set, the newest-first listing reads the rows backwards by ``n`` (about 10 MB for
10,000 sessions, no index, no sort); otherwise, and for every other order, the index on
``updated`` or a sort. The note and the rows are read in one transaction, so the answer never
depends on the layout.

The full-text tokenizer is ``unicode61`` with ``remove_diacritics 2`` and ``_`` as a token
character. Words of prose, identifiers (``snake_case`` stays one token) and every part of a
path or dotted name (``src/app/main.py`` gives ``src``, ``app``, ``main``, ``py``) are
indexed; a path or command searched as a phrase matches its parts in order. BM25 ranks by
real words. ``trigram`` would also find substrings inside words, but it makes the index about
three times larger and slower to build, ranks by character triples rather than words, and
cannot use the index for terms under three characters; keeping ``-``, ``.`` and ``/`` as
token characters would make ``main.py`` unfindable inside ``src/app/main.py``.

Each document's rowid is ``session_rowid << 32 | n`` (``n`` numbers the session's documents),
so a session's documents are removed by a rowid range.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = [
    "IN_ORDER",
    "LISTING_COLUMNS",
    "LISTING_ORDER",
    "MIGRATED",
    "MMAP_BYTES",
    "SCHEMA_VERSION",
    "TOKENIZER",
    "connect",
    "create_schema",
    "database_size",
    "listing_in_order",
    "remove_database",
]

#: Bumped whenever the tables change; a catalog of :data:`MIGRATED` is migrated, one of any
#: other version rebuilt.
SCHEMA_VERSION = 6
#: The version before, which gains its ``listing`` table from ``sessions`` in place.
MIGRATED = 5
#: Bytes of the catalog file read through a memory map.
MMAP_BYTES = 1 << 30
#: The FTS5 tokenizer (see the module docstring).
TOKENIZER = "unicode61 remove_diacritics 2 tokenchars '_'"

#: The listing facts: the columns ``sessions`` and ``listing`` share, and their names.
_FACT_COLUMNS = """    key TEXT NOT NULL,
    id TEXT NOT NULL,
    cwd TEXT NOT NULL,
    title TEXT,
    status TEXT NOT NULL,
    user TEXT,
    parent TEXT,
    tags TEXT NOT NULL,
    models TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    cost REAL NOT NULL,
    errors INTEGER NOT NULL,
    error TEXT,
    summary BLOB NOT NULL"""
_FACTS = ", ".join(line.split()[0] for line in _FACT_COLUMNS.splitlines())
#: The columns of ``listing`` after ``n``.
LISTING_COLUMNS = f"session, {_FACTS}"
#: The order ``listing`` keeps its rows in (``n`` ascending), the reverse of a listing's.
LISTING_ORDER = "updated, key DESC"
#: Records that ``listing``'s rows are in :data:`LISTING_ORDER` (inside a write transaction).
IN_ORDER = "INSERT OR REPLACE INTO meta VALUES ('listing_in_order', '1')"

_LISTING = f"""
CREATE TABLE listing (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    session INTEGER NOT NULL,
{_FACT_COLUMNS}
);
CREATE INDEX listing_session ON listing (session);
CREATE INDEX listing_updated ON listing (updated DESC, key);
CREATE INDEX listing_cwd ON listing (cwd, updated);
"""

_TABLES = f"""
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (
    rowid INTEGER PRIMARY KEY,
{_FACT_COLUMNS},
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    problem TEXT,
    UNIQUE (key)
);
CREATE TABLE folds (
    session INTEGER PRIMARY KEY, state BLOB NOT NULL, position BLOB NOT NULL
);
CREATE INDEX sessions_cwd ON sessions (cwd, updated);
CREATE INDEX sessions_id ON sessions (id);
CREATE INDEX sessions_fingerprint ON sessions (key, size, mtime_ns, ino, ctime_ns, problem);
CREATE INDEX sessions_mtime ON sessions (mtime_ns);
CREATE INDEX sessions_trouble ON sessions (key) WHERE error IS NOT NULL OR problem IS NOT NULL;
CREATE TABLE watched (key TEXT PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE folders (name TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE seen (
    session INTEGER NOT NULL, key TEXT NOT NULL, PRIMARY KEY (session, key)
) WITHOUT ROWID;
CREATE TABLE tools (
    session INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    summary TEXT NOT NULL,
    entry TEXT NOT NULL,
    ok INTEGER,
    started INTEGER,
    duration INTEGER,
    PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE INDEX tools_call ON tools (session, call_id);
CREATE TABLE responses (
    session INTEGER NOT NULL,
    key TEXT NOT NULL,
    model TEXT NOT NULL,
    day TEXT NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write INTEGER NOT NULL,
    total INTEGER NOT NULL,
    cost REAL NOT NULL,
    PRIMARY KEY (session, key)
) WITHOUT ROWID;
CREATE TABLE activity (
    session INTEGER NOT NULL, day TEXT NOT NULL, messages INTEGER NOT NULL,
    PRIMARY KEY (session, day)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE docs USING fts5 (
    text, entry UNINDEXED, kind UNINDEXED, line UNINDEXED, tokenize = "{TOKENIZER}"
);
{_LISTING}"""


def connect(path: str, *, timeout: float) -> sqlite3.Connection:
    """Open the catalog database in autocommit mode (transactions are explicit), WAL
    journal for a file.

    Raises:
        sqlite3.Error: The file cannot be opened or set up.
    """
    con = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        if path != ":memory:":
            mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot use WAL mode ({mode})")
        con.execute("PRAGMA synchronous=NORMAL")
        # Reads straight from the page cache of the operating system: a listing visits
        # every session's row, scattered through the file, without a read call per page.
        con.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    except BaseException:
        con.close()
        raise
    return con


def create_schema(con: sqlite3.Connection, root: str) -> bool:
    """Create the tables unless a catalog of this schema and root is there; a catalog of
    :data:`MIGRATED` and this root is migrated instead (see :func:`_migrate`).

    Returns:
        True when the tables were (re)created (the catalog is empty).
    """
    con.execute("BEGIN IMMEDIATE")
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version in (SCHEMA_VERSION, MIGRATED):
            row = con.execute("SELECT value FROM meta WHERE name = 'root'").fetchone()
            if row is not None and row[0] == root:
                if version == MIGRATED:
                    _migrate(con)
                con.execute("COMMIT")
                return False
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'docs_%'"
        ).fetchall():
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
        _run(con, _TABLES)
        con.execute("INSERT INTO meta VALUES ('root', ?)", (root,))
        con.execute(IN_ORDER)
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return True


def _migrate(con: sqlite3.Connection) -> None:
    """Give a catalog of :data:`MIGRATED` its ``listing`` table, filled from ``sessions``
    (which holds every listing fact), in order; the folds, the full-text index and the
    fingerprints stay, so nothing is read again."""
    con.execute("DROP INDEX IF EXISTS sessions_updated")
    _run(con, _LISTING)
    con.execute(
        f"INSERT INTO listing ({LISTING_COLUMNS}) SELECT rowid, {_FACTS} FROM sessions "
        f"ORDER BY {LISTING_ORDER}"
    )
    con.execute(IN_ORDER)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def listing_in_order(con: sqlite3.Connection) -> bool:
    """Whether ``listing``'s rows are in :data:`LISTING_ORDER` (``n`` ascending), so that the
    newest-first listing is its rows read backwards (as of the caller's transaction)."""
    row = con.execute("SELECT value FROM meta WHERE name = 'listing_in_order'").fetchone()
    return row is not None and row[0] == "1"


def _run(con: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            con.execute(statement)


def remove_database(path: str) -> None:
    """Delete a catalog file and its WAL and shared-memory files (missing ones are fine)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            continue


def database_size(path: str) -> int:
    """Bytes of the catalog file and its WAL."""
    total = 0
    for suffix in ("", "-wal"):
        try:
            total += Path(path + suffix).stat().st_size
        except OSError:
            continue
    return total
