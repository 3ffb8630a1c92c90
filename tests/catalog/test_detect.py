"""A store-wide refresh looks at the folders and the live sessions, and at every file only
every few seconds (sesslog.catalog.detect): each kind of change is seen when it promises."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from store_builders import SessionFile

from sesslog.catalog.detect import FULL_CHECK_NS, HOT_NS, SETTLED_NS
from sesslog.catalog.files import FileStat
from sesslog.catalog.sqlite import SQLiteCatalog
from sesslog.format.timestamps import now_ms
from sesslog.store.backend import FolderFiles
from sesslog.write.modes import AutosaveDurabilityMode

HOUR_NS = 3600 * 10**9


class CountingFolder(FolderFiles):
    """A local folder that records the sessions and folders it is asked to look at."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)
        self.stats: list[str] = []
        self.listed: list[str] = []

    def stat(self, key: str) -> FileStat | None:
        self.stats.append(key)
        return super().stat(key)

    def scan_folder(self, name: str) -> list[FileStat]:
        self.listed.append(name)
        return super().scan_folder(name)

    def forget(self) -> None:
        self.stats.clear()
        self.listed.clear()


def _age(path: Path, ns: int) -> None:
    """Make a file (or folder) look last written ``ns`` ago."""
    when = os.stat(path).st_mtime_ns - ns
    os.utime(path, ns=(when, when))


@pytest.fixture
def store(tmp_path: Path) -> tuple[CountingFolder, SQLiteCatalog, list[SessionFile]]:
    sessions = []
    for n in range(12):
        s = SessionFile(tmp_path, f"/home/dev/p{n % 3}", start=36000 + n)
        s.user(f"task {n}")
        sessions.append(s)
    for s in sessions[1:]:  # every session but the first has been idle for an hour
        _age(s.path, HOUR_NS)
    for folder in {s.path.parent for s in sessions} | {tmp_path}:
        _age(folder, HOUR_NS)
    (tmp_path / ".sesslog").mkdir()
    _age(tmp_path, HOUR_NS)
    files = CountingFolder(tmp_path)
    catalog = SQLiteCatalog(files, str(tmp_path / ".sesslog/catalog.sqlite"), root=str(tmp_path))
    assert catalog.refresh().added == 12
    files.forget()
    return files, catalog, sessions


def test_a_quiet_look_stats_only_the_live_sessions(store: tuple) -> None:
    files, catalog, sessions = store
    report = catalog.refresh()
    assert report.changed is False
    assert files.stats == [sessions[0].key] and files.listed == []


def test_an_append_to_a_live_session_is_seen_at_once(store: tuple) -> None:
    files, catalog, sessions = store
    sessions[0].user("more")
    report = catalog.refresh()
    assert report.caught_up == 1 and files.listed == []
    assert catalog.get(sessions[0].key).entries == 2


def test_a_new_or_removed_session_is_seen_at_once(store: tuple, tmp_path: Path) -> None:
    files, catalog, sessions = store
    fresh = SessionFile(tmp_path, "/home/dev/p1", start=50000)
    fresh.user("brand new")
    sessions[4].path.unlink()
    report = catalog.refresh()
    assert (report.added, report.removed) == (1, 1)
    assert sorted(files.listed) == sorted({fresh.path.parent.name, sessions[4].path.parent.name})
    assert catalog.get(fresh.key) is not None and catalog.get(sessions[4].key) is None


def test_a_file_replaced_by_a_symlink_is_seen_at_once(store: tuple, tmp_path: Path) -> None:
    _files, catalog, sessions = store
    target = sessions[5].path
    (tmp_path / "elsewhere.txt").write_text("x")
    target.unlink()
    target.symlink_to(tmp_path / "elsewhere.txt")
    catalog.refresh()
    info = catalog.get(sessions[5].key)
    assert info is not None and info.error is not None and "symlink" in info.error


def test_an_append_to_an_idle_session_waits_for_the_full_look(store: tuple) -> None:
    _files, catalog, sessions = store
    idle = sessions[6]
    idle.user("resumed by pi after an hour")
    assert catalog.refresh().changed is False  # within FULL_CHECK_NS of the full look
    assert catalog.get(idle.key).entries == 1
    report = catalog.refresh(full=True)
    assert report.caught_up == 1 and report.checked == 12
    assert catalog.get(idle.key).entries == 2


def test_every_file_is_looked_at_once_the_full_look_is_old(store: tuple) -> None:
    _files, catalog, sessions = store
    sessions[8].user("resumed")
    with catalog.writing():  # the last full look was longer ago than FULL_CHECK_NS
        catalog._con.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) - ? WHERE name = 'full_look'",
            (FULL_CHECK_NS + 10**9,),
        )
    report = catalog.refresh()
    assert report.caught_up == 1 and report.checked == 12


def test_a_folder_written_just_now_is_listed_again(store: tuple, tmp_path: Path) -> None:
    files, catalog, sessions = store
    SessionFile(tmp_path, "/home/dev/p2", start=60000).user("new")
    catalog.refresh()
    folder = sessions[2].path.parent.name
    assert files.listed == [folder]
    files.forget()
    # the folder's time is within SETTLED_NS of the look: a file added in the same clock tick
    # would not have changed it, so the folder is listed again until its time is settled
    catalog.refresh()
    assert files.listed == [folder]
    _age(sessions[2].path.parent, SETTLED_NS + 10**9)
    catalog.refresh()
    files.forget()
    catalog.refresh()
    assert files.listed == []


def test_a_session_idle_past_the_window_stops_being_stat_ed(store: tuple) -> None:
    files, catalog, sessions = store
    _age(sessions[0].path, HOT_NS + 10**9)
    catalog.refresh(full=True)
    files.forget()
    catalog.refresh()
    assert files.stats == []


def test_a_session_the_store_opens_to_write_is_watched(store: tuple) -> None:
    _files, catalog, sessions = store
    idle = sessions[9]
    catalog.watch(idle.key)  # what a store does when it opens a session to write
    idle.user("appended through the store after an hour")
    assert catalog.refresh().caught_up == 1
    assert catalog.get(idle.key).entries == 2


def test_appends_through_a_store_to_an_idle_session_are_seen_by_every_store(
    tmp_path: Path,
) -> None:
    from sesslog.store import SessionStore

    s = SessionFile(tmp_path, "/home/dev/old", start=36000)
    s.user("an old question")
    _age(s.path, HOUR_NS)
    _age(s.path.parent, HOUR_NS)
    _age(tmp_path, HOUR_NS)
    writer_side, other = SessionStore(tmp_path), SessionStore(tmp_path)
    assert [i.entries for i in other.list()] == [1]
    session = writer_side.open(s.key)
    session.append_user_message("resumed through sesslog")
    session.close()
    assert [i.entries for i in writer_side.list()] == [2]
    assert [i.entries for i in other.list()] == [2]  # another store, as another process
    writer_side.close()
    other.close()
