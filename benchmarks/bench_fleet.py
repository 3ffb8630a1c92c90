"""Fleet benchmarks (issue 16): the PostgreSQL catalog beside the SQLite catalog of the same
sessions, pushes into and tail reads from S3-compatible storage, on local servers.

Each section is one function ``section_NAME(ctx, args) -> list[Row]`` listed in
:data:`SECTIONS`; a section asks the shared :class:`Context` for what it needs (the
PostgreSQL server, the generated catalog rows) and returns its rows, which ``main`` prints as
one table. Another section (a push or a tail read through the object store) is one more
function and one more line in :data:`SECTIONS`.

``catalog``: ``ls`` (the newest 50; the newest 50 of one folder; by tag) and ``search`` (the 20
best of a rare word, of two words, of a common word; the last two also with every match ranked,
as before ``SearchQuery.bound``, not held to the 100 ms target) through ``PostgresCatalog`` and
``SQLiteCatalog`` holding the same 100,000 sessions, in process (the catalog's own query: the
rows a command prints, no refresh). The sessions are synthetic folds (the same
``FoldState``/``Fold`` objects a refresh makes: four to six searchable documents each, a tool
call, a response with usage, words from a 2,000-word vocabulary with Zipf weights), written
into SQLite through the catalog's own ``put`` and into PostgreSQL with ``COPY`` of the rows the
catalog's ``put`` would write (``rows.session_values``, ``text.tsvector``). Both catalogs are
cached under ``/var/tmp/sesslog-bench-fleet/`` (``--fresh`` makes them again).

``push``: ``push`` of ``--push-sessions`` (1,000) generated sessions (about 100 KB each) from
a local folder into a fresh bucket of a local SeaweedFS (``weed mini``), against copying the
same files with ``obstore`` alone (one ``put`` per file, as many at once as push pushes
sessions at once): what the segments, manifests and checks cost over a bare copy. Then the same
for 10 sessions of about 10 MB each, where bytes rather than requests dominate.

``tail``: opening the last 50 entries of a 100,000-entry session (about 100 MB, pushed once)
from the bucket with ``read_tail`` (the manifest, then ranged GETs of the last blocks), against
downloading the whole session with ``obstore``.

``sidecar``: the same session pushed with its V2 sidecar; the tail of its active path and the
context at its leaf read through the sidecar's index, against opening the whole log
(``fleet_sidecar.py``).

Usage::

    python benchmarks/bench_fleet.py                       # every section, 100,000 sessions
    python benchmarks/bench_fleet.py --sections catalog --sessions 10000 --repeat 5
    python benchmarks/bench_fleet.py --sections push,tail --push-repeat 3
    python benchmarks/bench_fleet.py --sections sidecar --repeat 15
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "fleet"))
sys.path.insert(0, str(REPO / "benchmarks"))

import psycopg  # noqa: E402
from servers import PostgresServer, SeaweedServer, find_postgres_bin, find_weed  # noqa: E402
from test_objectstore import open_bucket  # noqa: E402

from sesslog.backends.layout import folder_for_cwd, session_file_name  # noqa: E402
from sesslog.catalog import ListQuery, SearchQuery  # noqa: E402
from sesslog.catalog.facts import (  # noqa: E402
    Doc,
    Fold,
    FoldState,
    ResponseRow,
    SeenKeys,
    ToolCallRow,
    ToolResultEvent,
)
from sesslog.catalog.files import FileStat  # noqa: E402
from sesslog.catalog.postgres import PostgresCatalog  # noqa: E402
from sesslog.catalog.postgres.migrations import MIGRATIONS  # noqa: E402
from sesslog.catalog.postgres.rows import SESSION_COLUMNS, session_values  # noqa: E402
from sesslog.catalog.postgres.text import tsquery, tsvector  # noqa: E402
from sesslog.catalog.refresh import Position, listing  # noqa: E402
from sesslog.catalog.shapes import Metadata  # noqa: E402
from sesslog.catalog.sqlite import SQLiteCatalog  # noqa: E402
from sesslog.catalog.sqlite_schema import SCHEMA_VERSION  # noqa: E402
from sesslog.catalog.types import Tokens  # noqa: E402
from sesslog.format.timestamps import ms_to_iso, now_ms  # noqa: E402
from sesslog.store.backend import FolderFiles  # noqa: E402
from sesslog.write.modes import AutosaveDurabilityMode  # noqa: E402

CACHE = Path("/var/tmp/sesslog-bench-fleet")
#: Bumped when the generated sessions change (the cache is made again).
GENERATION = 1
RARE, COMMON = "quovilmarnu", "the"
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@dataclass
class Row:
    """One measured line: what, the figures (ms), and against what."""

    section: str
    what: str
    postgres_ms: tuple[float, float]
    baseline_ms: tuple[float, float] | None = None
    target_ms: float | None = None
    note: str = ""


@dataclass
class Context:
    """What the sections share: servers started once, generated data made once."""

    args: argparse.Namespace
    _postgres: PostgresServer | None = None
    _s3: SeaweedServer | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def s3(self) -> SeaweedServer:
        """A SeaweedFS server (``weed mini``) in a temporary folder."""
        if self._s3 is None:
            root = Path(tempfile.mkdtemp(prefix="sesslog-bench-s3-"))
            self._s3 = SeaweedServer(root, find_weed())
            self._s3.start()
            self._closers.append(lambda: shutil.rmtree(root, ignore_errors=True))
            self._closers.append(self._s3.stop)
        return self._s3

    def postgres(self) -> PostgresServer:
        """The PostgreSQL server (its data folder cached between runs)."""
        if self._postgres is None:
            self._postgres = _cached_server(CACHE / f"pg-{GENERATION}", self.args.fresh)
            self._closers.append(self._postgres.stop)
        return self._postgres

    def close(self) -> None:
        for close in reversed(self._closers):
            close()


def _cached_server(root: Path, fresh: bool) -> PostgresServer:
    if fresh and root.exists():
        shutil.rmtree(root)
    made = (root / "password").is_file()
    root.mkdir(parents=True, exist_ok=True)
    server = PostgresServer(root, find_postgres_bin())
    if made:
        server.password = (root / "password").read_text().strip()
    else:
        server.init()
        (root / "password").write_text(server.password)
    server.start()
    return server


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and best wall time of ``work`` in ms (after one warm-up run)."""
    work()
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        walls.append((time.perf_counter() - start) * 1000)
    return statistics.median(walls), min(walls)


# --------------------------------------------------------------------------- generated sessions


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnoprstuvwyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(2000)]
    words[:12] = [
        COMMON,
        "and",
        "to",
        "of",
        "file",
        "test",
        "fix",
        "run",
        "error",
        "build",
        "a",
        "in",
    ]
    return words, [1 / (rank + 1) for rank in range(len(words))]


def generate(count: int, seed: int = 16) -> Iterator[tuple[str, Position, Fold]]:
    """``count`` synthetic sessions as a refresh folds them: key, position, fold."""
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)

    def text(n: int) -> str:
        return " ".join(rng.choices(words, weights, k=n))

    for n in range(count):
        sid = f"0192f2c8-{n >> 16:04x}-7000-8000-{n:012x}"
        cwd = f"/home/dev/project{n % 150}"
        created = BASE_MS + n * 60_000
        key = f"{folder_for_cwd(cwd)}/{session_file_name(ms_to_iso(created), sid)}"
        ask = text(rng.randint(10, 40)) + (f" {RARE}" if n % 137 == 0 else "")
        reply = text(rng.randint(20, 80))
        command = f"make {rng.choice(words)} {rng.choice(words)}"
        state = FoldState(
            id=sid,
            cwd=cwd,
            created=ms_to_iso(created),
            created_ms=created,
            entries=4,
            roles={"user": 1, "assistant": 2, "toolResult": 1},
            tokens=Tokens(1200, 300, 5000, 0, 6500),
            cost=0.01 + (n % 97) / 1000,
            responses=1,
            models=["claude-sonnet-4-5" if n % 3 else "gpt-5"],
            tool_calls=1,
            preview=ask[:100],
            updated=ms_to_iso(created + 4000),
            updated_ms=created + 4000,
            meta=Metadata(tags=["ops"] if n % 10 == 0 else [], status="completed"),
            leaf=f"{n:08x}0004",
            docs=4,
        )
        ids = [f"{n:08x}000{i}" for i in range(1, 5)]
        fold = Fold(state, SeenKeys())
        fold.seen.new.extend(ids)
        fold.docs = [
            Doc(1, ids[0], "user", 2, ask),
            Doc(2, ids[1], "assistant", 3, reply),
            Doc(3, ids[1], "tool", 3, f"bash {command}"),
            Doc(4, ids[3], "assistant", 5, text(rng.randint(10, 30))),
        ]
        fold.calls = [ToolCallRow(1, f"call_{n}", "bash", command, ids[1], created + 2000)]
        fold.results = [ToolResultEvent(f"call_{n}", True, created + 2000 + rng.randint(5, 9000))]
        fold.responses = [
            ResponseRow(
                f"resp-{n}",
                state.models[0],
                state.created[:10],
                1200,
                300,
                5000,
                0,
                6500,
                state.cost,
            )
        ]
        fold.activity = {state.created[:10]: 4}
        size = 600 + len(ask) + len(reply) * 2
        stat = FileStat(key, size, created * 1_000_000 + 4_000_000_000, n + 1, 0)
        yield key, Position(stat=stat, offset=size, lines=5, version=3), fold


def build_sqlite(path: Path, files: FolderFiles, count: int) -> None:
    """The SQLite catalog of the generated sessions, through its own ``put``."""
    catalog = SQLiteCatalog(files, str(path), root=str(files.root))
    try:
        sessions = generate(count)
        done = False
        while not done:
            with catalog.writing():
                for number, (key, position, fold) in enumerate(sessions, start=1):
                    catalog.put(key, position, fold, whole=True)
                    if number % 5000 == 0:
                        break
                else:
                    done = True
    finally:
        catalog.close()


def build_postgres(url: str, files: FolderFiles, count: int) -> None:
    """The PostgreSQL catalog of the generated sessions: ``COPY`` of the rows ``put`` writes,
    the full-text index made after the load."""
    PostgresCatalog(url).close()  # migrates
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX docs_tsv")
        columns = ", ".join(("key", *SESSION_COLUMNS))
        side: list[tuple[str, Fold]] = []
        with conn.cursor() as cur, cur.copy(f"COPY sessions ({columns}) FROM STDIN") as copy:
            for key, position, fold in generate(count):
                info = listing(files, key, position, fold.state)
                copy.write_row((key, *session_values("bench", info, fold.state, position)))
                side.append((key, fold))
        sids = dict(conn.execute("SELECT key, sid FROM sessions").fetchall())
        tables: dict[str, Callable[[int, Fold], Iterator[tuple[Any, ...]]]] = {
            "seen (sid, key)": lambda sid, f: ((sid, k) for k in f.seen.new),
            "docs (sid, n, entry, kind, line, text, tsv)": lambda sid, f: (
                (sid, d.seq, d.entry, d.kind, d.line, d.text, tsvector(d.text)) for d in f.docs
            ),
            "tools (sid, seq, call_id, tool, summary, entry, ok, started_ms, duration_ms)": (
                lambda sid, f: (
                    (
                        sid,
                        c.seq,
                        c.call_id,
                        c.tool,
                        c.summary,
                        c.entry,
                        r.ok,
                        c.started_ms,
                        None
                        if r.ended_ms is None or c.started_ms is None
                        else r.ended_ms - c.started_ms,
                    )
                    for c, r in zip(f.calls, f.results, strict=True)
                )
            ),
            "responses": lambda sid, f: (
                (
                    sid,
                    r.key,
                    r.model,
                    r.day,
                    r.input,
                    r.output,
                    r.cache_read,
                    r.cache_write,
                    r.total,
                    r.cost,
                )
                for r in f.responses
            ),
            "activity": lambda sid, f: ((sid, day, n) for day, n in f.activity.items()),
        }
        for table, rows_of in tables.items():
            with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN") as copy:
                for key, fold in side:
                    for row in rows_of(sids[key], fold):
                        copy.write_row(row)
        conn.execute("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
        conn.execute("VACUUM ANALYZE")


# --------------------------------------------------------------------------- sections


def _print_sizes(url: str, count: int, sqlite_path: Path) -> None:
    """Bytes per session of each catalog table with its indexes (stderr)."""
    with psycopg.connect(url) as conn:
        sizes = conn.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC"
        ).fetchall()
    parts = ", ".join(f"{name} {size / count:,.0f}" for name, size in sizes if size > 16384)
    total = sum(size for _, size in sizes) / count
    print(f"# PostgreSQL bytes per session: {parts}; in all {total:,.0f}", file=sys.stderr)
    print(f"# SQLite bytes per session: {sqlite_path.stat().st_size / count:,.0f}", file=sys.stderr)


def section_catalog(ctx: Context, args: argparse.Namespace) -> list[Row]:
    """``ls`` and ``search`` through the PostgreSQL catalog beside the SQLite catalog."""
    count = args.sessions
    folder = CACHE / f"sqlite-{GENERATION}-{SCHEMA_VERSION}-{count}"  # remade for a new schema
    root = folder / "sessions"
    root.mkdir(parents=True, exist_ok=True)
    files = FolderFiles(root, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)
    sqlite_path = folder / "catalog.sqlite"
    server = ctx.postgres()
    database = f"bench_{GENERATION}_{len(MIGRATIONS)}_{count}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        have = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if have is None or args.fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}"')
            have = None
    url = server.url(database)
    if have is None:
        start = time.perf_counter()
        build_postgres(url, files, count)
        print(
            f"# PostgreSQL catalog of {count} sessions made in {time.perf_counter() - start:.0f} s",
            file=sys.stderr,
        )
    if not sqlite_path.exists() or args.fresh:
        sqlite_path.unlink(missing_ok=True)
        start = time.perf_counter()
        build_sqlite(sqlite_path, files, count)
        print(
            f"# SQLite catalog of {count} sessions made in {time.perf_counter() - start:.0f} s",
            file=sys.stderr,
        )
    _print_sizes(url, count, sqlite_path)
    pg = PostgresCatalog(url)
    lite = SQLiteCatalog(files, str(sqlite_path), root=str(root))
    assert pg.count() == lite.count() == count, (pg.count(), lite.count())
    folder_of = "/home/dev/project7"
    lists = {
        "ls: newest 50": ListQuery(limit=50),
        "ls: newest 50 of one folder": ListQuery(cwd=folder_of, limit=50),
        "ls: newest 50 tagged": ListQuery(tags=("ops",), limit=50),
        "ls: page 100 (offset 5,000)": ListQuery(limit=50, offset=5000),
    }
    searches = {
        f"search: 20 best of a rare word ({RARE})": SearchQuery(text=RARE),
        "search: 20 best of two words": SearchQuery(text="fix test"),
        f"search: 20 best of a common word ({COMMON!r})": SearchQuery(text=COMMON),
        "search: a rare word in one folder": SearchQuery(text=RARE, cwd="/home/dev/project0"),
        # every match ranked, as before the bound: what the bound saves
        "search: two words, every match ranked": SearchQuery(text="fix test", bound=None),
        f"search: {COMMON!r}, every match ranked": SearchQuery(text=COMMON, bound=None),
    }
    rows = []
    for what, query in lists.items():
        assert [i.key for i in pg.list_sessions(query)] == [
            i.key for i in lite.list_sessions(query)
        ]
        rows.append(
            Row(
                "catalog",
                what,
                timed(lambda q=query: pg.list_sessions(q).json(), args.repeat),
                timed(lambda q=query: lite.list_sessions(q).json(), args.repeat),
                50,
            )
        )
    for what, query in searches.items():
        with psycopg.connect(url) as conn:
            matched = conn.execute(
                "SELECT count(*) FROM docs WHERE tsv @@ %s::tsquery", (tsquery(query.text),)
            ).fetchone()[0]
        bounded = {pg.search(query).bounded, lite.search(query).bounded}
        assert len(bounded) == 1, bounded  # both catalogs bound the same searches
        ranked = "every match ranked" if None in bounded else f"the newest {query.bound:,} ranked"
        rows.append(
            Row(
                "catalog",
                what,
                timed(lambda q=query: pg.search(q), args.repeat),
                timed(lambda q=query: lite.search(q), args.repeat),
                100 if query.bound is not None else None,
                f"{matched:,} matching entries (every folder); {ranked}",
            )
        )
    rows.append(
        Row(
            "catalog",
            "count of every session",
            timed(pg.count, args.repeat),
            timed(lite.count, args.repeat),
        )
    )
    pg.close()
    lite.close()
    return rows


# --------------------------------------------------------------------------- object storage


def _write_sessions(root: Path, count: int, entries: int = 100) -> list[Path]:
    from fixtures.generate import make_v3_session

    files = []
    for n in range(count):
        path = root / f"--home-dev-app{n % 20}--" / f"2026-01-05T10-00-00-000Z_{n:08d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_v3_session(entries, seed=n, line_bytes=1000))
        files.append(path)
    return files


def _push_against_copy(server: SeaweedServer, files: list[Path], root: Path, repeat: int) -> Row:
    """``push`` of ``files`` into a fresh bucket, against ``obstore`` copying them."""
    import obstore

    from sesslog.backends.local import LocalFolder
    from sesslog.backends.objectstore.backend import ObjectStoreBackend
    from sesslog.fleet.push import push

    total = sum(path.stat().st_size for path in files)
    pushes, copies = [], []
    for _ in range(repeat):
        remote = ObjectStoreBackend(open_bucket(server.bucket()))
        start = time.perf_counter()
        report = push(LocalFolder(root), remote, sessions_at_once=8)
        pushes.append((time.perf_counter() - start) * 1000)
        assert report.ok and report.sent == total, report

        store = open_bucket(server.bucket())._store

        def copy(path: Path, store: Any = store) -> None:
            obstore.put(store, path.relative_to(root).as_posix(), path.read_bytes())

        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(copy, files))
        copies.append((time.perf_counter() - start) * 1000)
    mb = total / 1e6
    push_ms, copy_ms = statistics.median(pushes), statistics.median(copies)
    return Row(
        "push",
        f"{len(files):,} sessions, {mb:.0f} MB, first push",
        (push_ms, min(pushes)),
        (copy_ms, min(copies)),
        note=f"push {mb / push_ms * 1000:.1f} MB/s, obstore copy {mb / copy_ms * 1000:.1f} MB/s",
    )


def section_push(ctx: Context, args: argparse.Namespace) -> list[Row]:
    """``push`` of many small sessions, then of a few large ones, against ``obstore`` copying
    the same files."""
    server = ctx.s3()
    rows = []
    for count, entries in ((args.push_sessions, 100), (10, 10_000)):
        with tempfile.TemporaryDirectory(prefix="sesslog-bench-push-") as folder:
            root = Path(folder)
            files = _write_sessions(root, count, entries)
            rows.append(_push_against_copy(server, files, root, args.push_repeat))
    return rows


def section_tail(ctx: Context, args: argparse.Namespace) -> list[Row]:
    """The last 50 entries of a 100,000-entry session from the bucket, by ranged reads."""
    import obstore

    from fixtures.generate import make_v3_session
    from sesslog.backends.objectstore.backend import ObjectStoreBackend
    from sesslog.fleet.remote_read import read_tail

    server = ctx.s3()
    data = make_v3_session(100_000, seed=7, line_bytes=1000)
    key = "--home-dev-app--/2026-01-05T10-00-00-000Z_tail.jsonl"
    remote = ObjectStoreBackend(open_bucket(server.bucket()))
    remote.create(key, data).close()
    expected = data.splitlines()[-50:]
    tail = read_tail(remote, key, 50)
    assert [record.raw for record in tail.records] == expected
    segments = remote.log(key).load().manifest.segments

    def download() -> None:
        for ref in segments:
            obstore.get(remote.bucket._store, f"{key}/~segments/{ref.name}").bytes()

    return [
        Row(
            "tail",
            f"last 50 of 100,000 entries ({len(data) / 1e6:.0f} MB, {len(segments)} segments)",
            timed(lambda: read_tail(remote, key, 50), args.repeat),
            timed(download, max(1, args.repeat // 5)),
            50,
            f"{tail.fetched / 1024:.0f} KiB fetched; baseline downloads every segment",
        )
    ]


def section_sidecar(ctx: Context, args: argparse.Namespace) -> list[Row]:
    """The tail and the context of a 100,000-entry session through its pushed V2 sidecar,
    against reading its whole log (see ``fleet_sidecar.py``)."""
    from fleet_sidecar import measure

    bucket = open_bucket(ctx.s3().bucket())
    return [Row(*measured) for measured in measure(bucket, timed, args.repeat)]


#: The sections, in the order they run.
SECTIONS: dict[str, Callable[[Context, argparse.Namespace], list[Row]]] = {
    "catalog": section_catalog,
    "push": section_push,
    "tail": section_tail,
    "sidecar": section_sidecar,
}


def _ms(pair: tuple[float, float] | None) -> str:
    return "" if pair is None else f"{pair[0]:.1f} ms ({pair[1]:.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per figure")
    parser.add_argument("--fresh", action="store_true", help="make the cached data again")
    parser.add_argument("--push-sessions", type=int, default=1000, help="sessions pushed")
    parser.add_argument("--push-repeat", type=int, default=3, help="timed pushes")
    args = parser.parse_args(argv)
    ctx = Context(args)
    load = os.getloadavg()
    rows: list[Row] = []
    try:
        for name in args.sections.split(","):
            rows += SECTIONS[name](ctx, args)
    finally:
        ctx.close()
    print(
        f"load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
        f"{os.cpu_count()} cores"
    )
    print("| section | what | sesslog median (best) | baseline median (best) | ratio | target | |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = "" if row.baseline_ms is None else f"{row.postgres_ms[0] / row.baseline_ms[0]:.2f}x"
        met = (
            ""
            if row.target_ms is None
            else (
                f"{row.target_ms:.0f} ms: "
                + ("met" if row.postgres_ms[0] <= row.target_ms else "**missed**")
            )
        )
        print(
            f"| {row.section} | {row.what} | {_ms(row.postgres_ms)} | {_ms(row.baseline_ms)} "
            f"| {ratio} | {met} | {row.note} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
