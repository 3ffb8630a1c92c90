"""A store's SQLite catalog read as it is, when nothing changed since it was last refreshed.

``sesslog ls`` and ``sesslog search`` spend most of a whole process starting up: the store, the
fold code and msgspec cost more than the query. When every session file of the store has the
fingerprint the catalog holds for it (size, modification and status-change times, inode; no
file added, none gone, none a symlink), a refresh would fold nothing, so the answer is the
catalog's as it stands. :meth:`FreshCatalog.open` checks exactly that (one ``stat`` per session
file: the full look of :mod:`sesslog.catalog.detect`, which finds nothing to do) using only
``sqlite3``, and answers with the same SQL (:mod:`sesslog.catalog.sql`) as the SQLite catalog;
anything else (a change, a catalog of another schema or root, a catalog that cannot be
opened) makes it return ``None``, and the caller opens the store, which refreshes; a query
that fails raises :class:`NotFresh`, and the store answers (and reports) it.

The sessions come back as the catalog keeps them: each one's JSON (terminal-safe, as
:class:`~sesslog.catalog.types.SessionList` gives it), decoded by the standard library into
objects with the attributes of a :class:`~sesslog.catalog.types.SessionInfo`.
"""

from __future__ import annotations

import builtins
import json
import os
import sqlite3
import stat as stat_mode
import time
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

from sesslog.catalog.detect import HOT_NS, changed_folders, full_look_due, stamps_of
from sesslog.catalog.queries import SearchHits, SearchQuery, list_query
from sesslog.catalog.query import fts_match
from sesslog.catalog.sql import list_sql, search_hits, search_rows
from sesslog.catalog.sqlite_looks import FINGERPRINTS_SQL, known_rows, looked, record_look
from sesslog.catalog.sqlite_schema import SCHEMA_VERSION, connect

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["FreshCatalog", "FreshHit", "FreshList", "NotFresh"]

#: The catalog file, relative to the store root.
_CATALOG = Path(".sesslog") / "catalog.sqlite"
#: A session's fingerprint: size, modification time, inode, status-change time.
_Print = tuple[int, int, int, int]


def _decode(row: bytes | str) -> Any:
    return json.loads(row, object_hook=lambda fields: SimpleNamespace(**fields))


class FreshList:
    """Sessions of a listing as the catalog keeps them (each one's JSON)."""

    def __init__(self, rows: list[bytes]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return (_decode(row) for row in self._rows)

    def json_parts(self) -> list[bytes]:
        """The sessions as a JSON array, in pieces (as
        :meth:`~sesslog.catalog.types.SessionList.json_parts`)."""
        rows = self._rows
        parts = [b","] * (2 * len(rows) - 1) if rows else []
        parts[::2] = rows
        return [b"[", *parts, b"]"]


class FreshHit(SimpleNamespace):
    """A search hit with the attributes of a :class:`~sesslog.catalog.types.SearchHit`."""


class NotFresh(Exception):
    """The fresh catalog cannot answer (the query failed); the store answers instead."""


class FreshCatalog:
    """The SQLite catalog of a store whose files have not changed since its last refresh.

    Use :meth:`open`; its methods take the arguments of the store's ``list`` and ``search``.
    """

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    @classmethod
    def open(cls, root: str | os.PathLike[str]) -> FreshCatalog | None:
        """The catalog of the store at ``root`` when it is fresh, else ``None``."""
        base = Path(root).expanduser()
        path = base / _CATALOG
        try:
            if not path.is_file():
                return None
            con = connect(str(path), timeout=1.0)
        except (OSError, sqlite3.Error):
            return None
        try:
            con.execute("BEGIN")  # one snapshot for the check and the answers
            if _fresh(con, base):
                return cls(con)
        except (OSError, sqlite3.Error):
            pass
        con.close()
        return None

    def list(self, **filters: Any) -> FreshList:
        """Sessions matching the filters of :meth:`~sesslog.store.SessionStore.list`."""
        rows = self._rows(*list_sql(list_query(**filters), "summary"))
        return FreshList([row[0] for row in rows])

    def search(self, text: str, *, session: None = None, **options: Any) -> SearchHits[FreshHit]:
        """Entries matching ``text``, best first: :meth:`~sesslog.store.SessionStore.search`
        with its options (``raw``, ``cwd``, ``limit``, ``offset``, ``bound``); a search in one session
        resolves its reference through the store, so ``session`` is always ``None`` here."""
        query = SearchQuery(text=text, **options)
        match = text if query.raw else fts_match(text)
        if not match.strip():
            return SearchHits()
        rows, bounded = search_rows(self._rows, query, match)
        return search_hits(rows, _decode, FreshHit, bounded)

    def _rows(self, sql: str, params: builtins.list[Any]) -> builtins.list[Any]:
        try:
            return self._con.execute(sql, params).fetchall()
        except sqlite3.Error as exc:  # a bad search, a damaged file: the store says what
            raise NotFresh(str(exc)) from exc

    def close(self) -> None:
        """End the read and close the database."""
        self._con.close()


class _Folder(NamedTuple):
    """A folder of the store as listed (the attributes of a
    :class:`~sesslog.catalog.files.FolderStat`)."""

    name: str
    mtime_ns: int
    ino: int


def _fresh(con: sqlite3.Connection, base: Path) -> bool:
    """Whether the catalog in ``con`` is of this schema and root and a refresh of it would
    find nothing to fold: as :func:`~sesslog.catalog.detect.look` looks, no folder changed and
    every session it checks has the fingerprint held (every session, when a full look is due;
    a full look finding nothing is then recorded, as a refresh records it)."""
    if con.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        return False
    row = con.execute("SELECT value FROM meta WHERE name = 'root'").fetchone()
    if row is None or row[0] != str(base.resolve()):
        return False
    now = time.time_ns()
    last_full, stamps = looked(con)
    folders = _folders(base)
    current = {f.name: f for f in folders}
    if changed_folders(current, stamps):
        return False
    if not full_look_due(last_full, now):
        return all(
            problem is None and _fingerprint(base, key) == (size, mtime, ino, ctime)
            for key, size, mtime, ino, ctime, problem in known_rows(con, (), now - HOT_NS)
        )
    # a session held with a problem (a symlink) never matches: the store says what it is now
    held = {
        key: (size, mtime, ino, ctime) if problem is None else None
        for key, size, mtime, ino, ctime, problem in con.execute(FINGERPRINTS_SQL)
    }
    if _fingerprints(base, current) != held:
        return False
    con.execute("COMMIT")
    try:
        con.execute("BEGIN IMMEDIATE")
        record_look(con, stamps_of(folders, now), (), now)
        con.execute("COMMIT")
    except sqlite3.Error:  # a read-only catalog: the next look is a full one again
        if con.in_transaction:
            con.execute("ROLLBACK")
    con.execute("BEGIN")
    return True


def _folders(base: Path) -> list[_Folder]:
    """The root (``""``) and its folders (not the hidden ones), with their times."""
    info = os.stat(base)
    out = [_Folder("", info.st_mtime_ns, info.st_ino)]
    with os.scandir(base) as top:
        for entry in top:
            if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                out.append(_Folder(entry.name, info.st_mtime_ns, info.st_ino))
    return out


def _fingerprint(base: Path, key: str) -> _Print | None:
    """One session file's fingerprint (``None``: gone, or not a regular file)."""
    try:
        info = os.stat(base / key, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat_mode.S_ISREG(info.st_mode):
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)


def _fingerprints(base: Path, folders: Iterable[str]) -> dict[str, _Print | None] | None:
    """Every session file in ``folders`` with its fingerprint, or ``None`` when one is not a
    regular file (the store's refresh says what it is)."""
    found: dict[str, _Print | None] = {}
    for name in folders:
        fd = os.open(base / name, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            prefix = name + "/" if name else ""
            for file in os.listdir(fd):
                if not file.endswith(".jsonl") or (not name and file.startswith(".")):
                    continue
                info = os.stat(file, dir_fd=fd, follow_symlinks=False)
                if not stat_mode.S_ISREG(info.st_mode):
                    return None
                found[prefix + file] = (
                    info.st_size,
                    info.st_mtime_ns,
                    info.st_ino,
                    info.st_ctime_ns,
                )
        finally:
            os.close(fd)
    return found
