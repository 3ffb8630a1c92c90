"""The PostgreSQL catalog beyond the contract: many writers and readers at once, sources, the
trash, other storage backends, and faults of the server (restarts, a wrong password, nothing
listening), against a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from servers import PostgresServer, free_port
from store_builders import SessionFile, usage

from sesslog.backends.local import LocalFolder
from sesslog.catalog import ListQuery, SearchQuery
from sesslog.catalog.backend_files import BackendFiles
from sesslog.catalog.postgres import PostgresCatalog
from sesslog.catalog.postgres.connect import CatalogConnectionError
from sesslog.catalog.sqlite import SQLiteCatalog
from sesslog.errors import CatalogError, InvalidQueryError
from sesslog.format.timestamps import now_ms
from sesslog.store.backend import FolderFiles
from sesslog.write.modes import AutosaveDurabilityMode


def _files(root: Path) -> FolderFiles:
    root.mkdir(exist_ok=True)
    return FolderFiles(root, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)


def _write_sessions(
    root: Path, count: int, *, words: str = "deploy the parser"
) -> list[SessionFile]:
    made = []
    for n in range(count):
        s = SessionFile(root, f"/home/dev/p{n % 7}", start=36000 + n * 60)
        s.user(f"{words} number{n}")
        s.assistant(
            f"working on item{n}",
            use=usage(10 + n, 5, cost=0.001 * n),
            calls=[(f"call_{n}", "bash", {"command": f"make target{n}"})],
        )
        s.result(f"call_{n}", "bash", "done")
        made.append(s)
    return made


def _answers(catalog: Any) -> tuple[Any, ...]:
    """What a catalog says of its sessions, comparable across kinds (scores and search order
    differ by engine, so hits are compared as sets)."""
    hits = catalog.search(SearchQuery(text="parser", limit=10_000))
    return (
        [(i.key, i.entries, i.tokens.total, i.tool_calls) for i in catalog.list_sessions()],
        catalog.stats().tokens,
        catalog.stats().tools,
        sorted((h.session.key, h.entry) for h in hits),
    )


@pytest.fixture
def reference() -> Iterator[Any]:
    made: list[SQLiteCatalog] = []

    def make(files: FolderFiles) -> SQLiteCatalog:
        catalog = SQLiteCatalog(files, ":memory:", root="reference")
        catalog.refresh()
        made.append(catalog)
        return catalog

    yield make
    for catalog in made:
        catalog.close()


# --------------------------------------------------------------------------- many at once


def test_many_writers_and_readers_at_once(tmp_path: Path, pg_url: str, reference: Any) -> None:
    root = tmp_path / "sessions"
    files = _files(root)
    sessions = _write_sessions(root, 60)
    writers = [PostgresCatalog(pg_url, files, source=str(root)) for _ in range(4)]
    reader = PostgresCatalog(pg_url)
    errors: list[BaseException] = []
    done = threading.Event()

    def write(catalog: PostgresCatalog, rounds: int) -> None:
        try:
            for n in range(rounds):
                sessions[n % len(sessions)].user(f"more words {n}")
                catalog.refresh()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def read() -> None:
        try:
            while not done.is_set():
                reader.list_sessions(ListQuery(limit=20))
                reader.search(SearchQuery(text="parser"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(c, 8)) for c in writers]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads + readers:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    writers[0].refresh()
    assert _answers(reader) == _answers(reference(files))
    for catalog in [*writers, reader]:
        catalog.close()


def test_sources_are_refreshed_apart_and_queried_together(
    tmp_path: Path, pg_url: str, reference: Any
) -> None:
    roots = [tmp_path / "machine-a", tmp_path / "machine-b"]
    catalogs = []
    for number, root in enumerate(roots):
        files = _files(root)
        _write_sessions(root, 3 + number, words=f"parser from{number}")
        catalogs.append(PostgresCatalog(pg_url, files, source=str(root)))
        catalogs[-1].refresh()
    assert catalogs[0].count() == 7
    # A session gone from machine A goes to the trash; machine B's are untouched.
    gone = next(roots[0].rglob("*.jsonl"))
    gone.unlink()
    assert catalogs[0].refresh().removed == 1
    assert catalogs[1].refresh().removed == 0
    assert catalogs[1].count() == 6
    trashed = catalogs[1].trashed()
    assert [i.path for i in trashed] == [str(gone)]
    assert catalogs[0].purge() == 1
    assert catalogs[0].trashed() == []
    for catalog in catalogs:
        catalog.close()


def test_a_restored_session_comes_back_from_the_trash(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "sessions"
    files = _files(root)
    (session,) = _write_sessions(root, 1)
    catalog = PostgresCatalog(pg_url, files, source=str(root))
    catalog.refresh()
    aside = tmp_path / "aside.jsonl"
    session.path.rename(aside)
    catalog.refresh()
    assert catalog.get(session.key) is None
    aside.rename(session.path)
    assert catalog.refresh().added == 1  # read again whole, as a new session
    info = catalog.get(session.key)
    assert info is not None and info.entries == 3
    assert catalog.trashed() == []
    catalog.close()


def test_upsert_from_a_storage_backend(tmp_path: Path, pg_url: str, reference: Any) -> None:
    root = tmp_path / "sessions"
    sessions = _write_sessions(root, 4)
    source = BackendFiles(LocalFolder(root))
    catalog = PostgresCatalog(pg_url, source, source="local:" + str(root))
    report = catalog.refresh([sessions[1].key])
    assert (report.checked, report.added, catalog.count()) == (1, 1, 1)
    sessions[1].user("appended after the push")
    assert catalog.refresh([sessions[1].key]).caught_up == 1
    assert catalog.refresh().added == 3
    info = catalog.get(sessions[1].key)
    assert info is not None and info.path == str(sessions[1].path)
    assert _answers(catalog) == _answers(reference(_files(root)))
    catalog.close()


def test_text_postgresql_cannot_hold_is_kept_readable(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "sessions"
    session = SessionFile(root)
    session.user("a NUL \x00 inside and a parser")
    catalog = PostgresCatalog(pg_url, _files(root), source=str(root))
    catalog.refresh()
    (hit,) = catalog.search(SearchQuery(text="parser"))
    assert hit.snippet == "a NUL \ufffd inside and a «parser»"
    catalog.close()


# --------------------------------------------------------------------------- faults


class _RestartingFiles(FolderFiles):
    """Session files whose ``read`` restarts the server once, after ``after`` reads: the
    refresh loses its connection in the middle of a batch."""

    def __init__(self, root: Path, server: PostgresServer, after: int) -> None:
        super().__init__(root, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)
        self.server = server
        self.after = after
        self.reads = 0

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        self.reads += 1
        if self.reads == self.after:
            self.server.restart()
        return super().read(key, offset, length)


def test_a_restart_during_a_refresh_leaves_nothing_half_written(
    tmp_path: Path, pg_url: str, postgres_server: PostgresServer, reference: Any
) -> None:
    root = tmp_path / "sessions"
    root.mkdir()
    _write_sessions(root, 300)  # two batches: the restart falls inside the second
    files = _RestartingFiles(root, postgres_server, after=280)
    catalog = PostgresCatalog(pg_url, files, source=str(root))
    report = catalog.refresh()
    assert files.reads > 300  # the batch that was cut off was read again
    assert report.added == 300 - 256  # the retry found the first batch committed
    assert _answers(catalog) == _answers(reference(_files(root)))
    with psycopg.connect(pg_url) as conn:
        docs = conn.execute("SELECT count(*), count(DISTINCT (sid, n)) FROM docs").fetchone()
        tools = conn.execute("SELECT count(*) FROM tools").fetchone()
    assert docs == (4 * 300, 4 * 300) and tools == (300,)  # user, reply, call, result
    catalog.close()


def test_a_restart_during_searches(
    tmp_path: Path, pg_url: str, postgres_server: PostgresServer
) -> None:
    root = tmp_path / "sessions"
    _write_sessions(root, 5)
    catalog = PostgresCatalog(pg_url, _files(root), source=str(root))
    catalog.refresh()
    expected = catalog.search(SearchQuery(text="parser"))
    outcomes: list[object] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            try:
                outcomes.append(catalog.search(SearchQuery(text="parser")) == expected)
            except CatalogConnectionError as exc:  # one clear error is allowed; nothing else
                outcomes.append(str(exc))

    searcher = threading.Thread(target=search)
    searcher.start()
    # In this thread: the server dies with the thread that started it (PR_SET_PDEATHSIG).
    postgres_server.restart()
    seen = len(outcomes)
    while len(outcomes) < seen + 5:
        time.sleep(0.05)
    stop.set()
    searcher.join()
    assert all(o is True or "catalog server" in str(o) for o in outcomes)
    assert outcomes[-1] is True
    catalog.close()


def test_a_server_down_for_longer_than_the_retries_gives_one_clear_error(
    tmp_path: Path, pg_url: str, postgres_server: PostgresServer
) -> None:
    catalog = PostgresCatalog(pg_url, attempts=2, timeout=1)
    postgres_server.stop()
    try:
        with pytest.raises(CatalogConnectionError, match="cannot be reached") as caught:
            catalog.list_sessions()
    finally:
        postgres_server.start()
    assert postgres_server.password not in str(caught.value)
    assert catalog.count() == 0  # back once the server is
    catalog.close()


def test_a_wrong_password_is_one_clear_error(postgres_server: PostgresServer) -> None:
    url = postgres_server.url(password="not-the-password")
    with pytest.raises(CatalogConnectionError) as caught:
        PostgresCatalog(url)
    message = str(caught.value)
    assert "refused" in message and "password authentication failed" in message
    assert "not-the-password" not in message and ":***@" in message


def test_nothing_listening_is_one_clear_error() -> None:
    url = f"postgresql://sesslog:secret@127.0.0.1:{free_port()}/sesslog"
    with pytest.raises(CatalogConnectionError, match="cannot be reached") as caught:
        PostgresCatalog(url, timeout=2)
    assert "secret" not in str(caught.value)


def test_a_schema_newer_than_this_sesslog_is_refused_in_one_line(pg_url: str) -> None:
    PostgresCatalog(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO sesslog_migrations (version) VALUES (99)")
    with pytest.raises(CatalogError, match="newer than this sesslog knows") as caught:
        PostgresCatalog(pg_url)
    assert ":***@" in str(caught.value)


def test_raw_searches_use_tsquery_syntax(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "sessions"
    _write_sessions(root, 3)
    catalog = PostgresCatalog(pg_url, _files(root), source=str(root))
    catalog.refresh()
    hits = catalog.search(SearchQuery(text="parser & !number1", raw=True))
    assert len(hits) == 2 and all("number1" not in h.snippet for h in hits)
    with pytest.raises(InvalidQueryError, match="cannot read search"):
        catalog.search(SearchQuery(text="parser & (", raw=True))
    catalog.close()
