"""The catalog's ``listing`` table: kept in the listing order, written again in order after a
refresh that wrote many rows, and made from ``sessions`` when a catalog of the schema before
is opened (nothing read again)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from store_builders import SessionFile
from test_incremental import CountingFolder

from sesslog.catalog.sqlite import SQLiteCatalog
from sesslog.catalog.sqlite_schema import MIGRATED, SCHEMA_VERSION


def _store(root: Path, count: int) -> list[SessionFile]:
    sessions = []
    for n in range(count):
        # updated times out of step with the files' order: the build writes rows unordered
        s = SessionFile(root, f"/home/dev/p{n % 4}", start=36000 + (n * 7919) % 1000)
        s.user(f"task number {n}")
        sessions.append(s)
    return sessions


def _physical(path: Path) -> list[str]:
    """The listing's keys in the order its rows lie (``n``), newest first."""
    con = sqlite3.connect(path)
    try:
        return [key for (key,) in con.execute("SELECT key FROM listing ORDER BY n DESC")]
    finally:
        con.close()


def test_rows_lie_in_the_listing_order(tmp_path: Path) -> None:
    sessions = _store(tmp_path / "store", 80)
    path = tmp_path / "catalog.sqlite"
    catalog = SQLiteCatalog(CountingFolder(tmp_path / "store"), str(path), root="r")
    catalog.refresh()
    listed = [info.key for info in catalog.list_sessions()]
    assert len(listed) == 80
    assert _physical(path) == listed  # written again in order after the build

    target = next(s for s in sessions if s.key == listed[-1])
    target.user("one more question, much later", at=90000)
    assert catalog.refresh().caught_up == 1
    listed = [info.key for info in catalog.list_sessions()]
    assert listed[0] == target.key
    assert _physical(path) == listed  # the row written again went after every other
    catalog.close()


def test_a_catalog_of_the_schema_before_is_migrated_without_reading(tmp_path: Path) -> None:
    root = tmp_path / "store"
    _store(root, 30)
    path = tmp_path / "catalog.sqlite"
    folder = CountingFolder(root)
    catalog = SQLiteCatalog(folder, str(path), root="r")
    catalog.refresh()
    before = catalog.list_sessions().json()
    catalog.close()

    con = sqlite3.connect(path, isolation_level=None)  # as the schema before left it
    con.execute("DROP TABLE listing")
    con.execute("CREATE INDEX sessions_updated ON sessions (updated DESC, key)")
    con.execute(f"PRAGMA user_version = {MIGRATED}")
    con.close()

    folder.reads.clear()
    catalog = SQLiteCatalog(folder, str(path), root="r")
    assert catalog.status().schema == SCHEMA_VERSION
    assert catalog.refresh().changed is False
    assert catalog.list_sessions().json() == before
    assert folder.reads == []
    assert _physical(path) == [info.key for info in catalog.list_sessions()]
    catalog.close()


def test_a_catalog_of_an_older_schema_is_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "store"
    _store(root, 5)
    path = tmp_path / "catalog.sqlite"
    folder = CountingFolder(root)
    SQLiteCatalog(folder, str(path), root="r").close()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"PRAGMA user_version = {MIGRATED - 1}")
    con.close()

    catalog = SQLiteCatalog(folder, str(path), root="r")
    assert catalog.refresh().added == 5
    assert len(catalog.list_sessions()) == 5
    catalog.close()
