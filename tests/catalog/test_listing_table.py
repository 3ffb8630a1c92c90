"""The catalog's ``listing`` table: its rows kept in the listing order (written again in order
after a refresh that broke it), listings right whether or not they are, and the table made from
``sessions`` when a catalog of the schema before is opened (nothing read again)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from store_builders import SessionFile
from test_incremental import CountingFolder

from sesslog.catalog.queries import ListQuery
from sesslog.catalog.sqlite import SQLiteCatalog
from sesslog.catalog.sqlite_schema import MIGRATED, SCHEMA_VERSION, listing_in_order


def _store(root: Path, count: int) -> list[SessionFile]:
    sessions = []
    for n in range(count):
        # updated times out of step with the files' order: the build writes rows unordered
        s = SessionFile(root, f"/home/dev/p{n % 4}", start=36000 + (n * 7919) % 1000)
        s.user(f"task number {n}")
        sessions.append(s)
    return sessions


def _physical(path: Path) -> list[str]:
    """The listing's keys in the order its rows lie (``n``), newest first, once the catalog
    notes that they are in order."""
    con = sqlite3.connect(path)
    try:
        assert listing_in_order(con)
        return [key for (key,) in con.execute("SELECT key FROM listing ORDER BY n DESC")]
    finally:
        con.close()


def _expected(root: Path, catalog: SQLiteCatalog) -> list[str]:
    """Every session's key, newest first (ties by key), from the catalog's facts."""
    infos = [catalog.get(s.relative_to(root).as_posix()) for s in root.glob("*/*.jsonl")]
    return [i.key for i in sorted(infos, key=lambda i: (-_ms(i.updated), i.key)) if i]


def _ms(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


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

    older = SessionFile(tmp_path / "store", "/home/dev/p9", start=100)  # older than any
    older.user("an imported session")
    assert catalog.refresh().added == 1
    listed = [info.key for info in catalog.list_sessions()]
    assert listed[-1] == older.key and listed == _expected(tmp_path / "store", catalog)
    assert _physical(path) == listed  # written again in order after the refresh
    catalog.close()


def _built(tmp_path: Path, count: int) -> tuple[Path, Path, CountingFolder]:
    """A store of ``count`` sessions and its catalog, built and closed: root, file, folder."""
    root = tmp_path / "store"
    _store(root, count)
    path = tmp_path / "catalog.sqlite"
    folder = CountingFolder(root)
    catalog = SQLiteCatalog(folder, str(path), root="r")
    catalog.refresh()
    catalog.close()
    return root, path, folder


def _alter(path: Path, *statements: str) -> None:
    """Change the catalog file behind the catalog's back."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def test_a_listing_out_of_order_is_still_right(tmp_path: Path) -> None:
    root, path, folder = _built(tmp_path, 20)
    # the rows in reverse, and the note saying they are not in order
    _alter(
        path,
        "UPDATE listing SET n = -n",
        "UPDATE meta SET value = '0' WHERE name = 'listing_in_order'",
    )
    catalog = SQLiteCatalog(folder, str(path), root="r")
    expected = _expected(root, catalog)
    assert [info.key for info in catalog.list_sessions()] == expected
    assert [info.key for info in catalog.list_sessions(ListQuery(limit=3))] == expected[:3]
    catalog.close()


def test_a_catalog_of_the_schema_before_is_migrated_without_reading(tmp_path: Path) -> None:
    _, path, folder = _built(tmp_path, 30)
    catalog = SQLiteCatalog(folder, str(path), root="r")
    before = catalog.list_sessions().json()
    catalog.close()
    _alter(  # as the schema before left it
        path,
        "DROP TABLE listing",
        "CREATE INDEX sessions_updated ON sessions (updated DESC, key)",
        f"PRAGMA user_version = {MIGRATED}",
    )

    folder.reads.clear()
    catalog = SQLiteCatalog(folder, str(path), root="r")
    assert catalog.status().schema == SCHEMA_VERSION
    assert catalog.refresh().changed is False
    assert catalog.list_sessions().json() == before
    assert folder.reads == []
    assert _physical(path) == [info.key for info in catalog.list_sessions()]
    catalog.close()


def test_a_catalog_of_an_older_schema_is_rebuilt(tmp_path: Path) -> None:
    _, path, folder = _built(tmp_path, 5)
    _alter(path, f"PRAGMA user_version = {MIGRATED - 1}")

    catalog = SQLiteCatalog(folder, str(path), root="r")
    assert catalog.refresh().added == 5
    assert len(catalog.list_sessions()) == 5
    catalog.close()
