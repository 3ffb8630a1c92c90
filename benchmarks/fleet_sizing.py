"""Measures what docs/scale.md extrapolates from: bytes per catalog row and per index entry in
PostgreSQL, and the cost of listing and searching, on the real catalog schema; plus segment
upload throughput and a tail read in a local S3 server.

It starts its own PostgreSQL and SeaweedFS on loopback (the test servers of ``tests/servers.py``,
installed by ``scripts/install-test-deps.sh``), loads generated rows into the schema of
``sesslog.catalog.postgres.migrations``, and prints one line per measure (``--json`` for a
document).

* ``sessions``: rows with realistic widths (keys, paths, titles, previews, tags, models, a fold
  state blob), generated in the server; heap and each index in bytes per row; ``ls`` (newest 50,
  newest 50 of one folder, tag filter) in milliseconds.
* ``docs``: searchable entry text cut from the Python standard library's sources (prose of
  docstrings and comments, and code, as agents' messages and commands are), sized like pi
  messages; text bytes, the stored ``tsvector`` and its GIN index per text byte; full-text
  searches of a common word, a rare one and two words, ranked, in milliseconds.
* ``paths``: file paths and commands with a ``pg_trgm`` GIN index per text byte; a substring
  search in milliseconds.
* ``s3``: 8 MiB segments uploaded (MB/s), and the tail of a session read through its manifest.

Usage::

    python benchmarks/fleet_sizing.py                  # 200k sessions, 300k docs
    python benchmarks/fleet_sizing.py --quick          # small, a smoke run
    python benchmarks/fleet_sizing.py --sessions 1000000 --docs 1000000

Timings are medians of repeated runs on this machine (2 shared cores: noisy); sizes do not
depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import psycopg  # noqa: E402
from servers import (  # noqa: E402
    PostgresServer,
    SeaweedServer,
    find_postgres_bin,
    find_weed,
)

from sesslog.catalog.postgres.migrations import MIGRATIONS  # noqa: E402

RESULTS: dict[str, Any] = {}


def report(name: str, value: float, unit: str) -> None:
    RESULTS[name] = {"value": round(value, 3), "unit": unit}
    print(f"{name:<44} {value:>14,.2f} {unit}", flush=True)


def median_ms(run: Callable[[], object], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def size_of(conn: psycopg.Connection[Any], relation: str) -> int:
    row = conn.execute("SELECT pg_relation_size(%s)", (relation,)).fetchone()
    assert row is not None
    return int(row[0])


def table_size(conn: psycopg.Connection[Any], table: str) -> int:
    """Heap plus TOAST, without indexes."""
    row = conn.execute("SELECT pg_table_size(%s)", (table,)).fetchone()
    assert row is not None
    return int(row[0])


# --------------------------------------------------------------------------- sessions


SESSIONS_SQL = """
INSERT INTO sessions (key, id, cwd, title, status, "user", parent, leaf, tags, models, agents,
    roles, created, updated, entries, messages, bytes, tokens_input, tokens_output,
    tokens_cache_read, tokens_cache_write, cost, tool_calls, tool_errors, errors, files,
    preview, source_size, source_prefix, state)
SELECT
    '--home-dev-project-' || (g %% 2000) || '--/2026-0' || (1 + g %% 9) || '-1'
        || (g %% 9) || 'T10-00-00-000Z_' || md5(g::text)::uuid || '.jsonl',
    md5(g::text)::uuid::text,
    '/home/dev/project-' || (g %% 2000),
    'Fix the ' || substr(md5((g * 7)::text), 1, 12) || ' handling in the parser module',
    (ARRAY['active', 'completed', 'failed', 'abandoned'])[1 + g %% 4],
    'dev' || (g %% 300),
    CASE WHEN g %% 10 = 0 THEN md5((g - 1)::text)::uuid::text END,
    substr(md5((g * 3)::text), 1, 8),
    ARRAY['team-' || (g %% 40), 'ticket-' || (g %% 5000)],
    ARRAY['claude-sonnet-4-5'],
    ARRAY['pi'],
    '{"user": 40, "assistant": 120, "toolResult": 110}',
    now() - (g %% 700000) * interval '1 minute',
    now() - (g %% 700000) * interval '1 minute' + interval '45 minutes',
    2700, 270, 10000000 + g %% 1000, 1200000, 85000, 9000000, 400000, 4.12, 110, 3, 0, 14,
    repeat('Please look at the failing test in tests/test_parser.py and ', 4),
    10000000 + g %% 1000,
    'sha256:' || md5(g::text) || md5((g + 1)::text),
    decode(repeat(md5(g::text), 8), 'hex')
FROM generate_series(%(first)s::int, %(last)s::int) AS g
"""

SESSION_INDEXES = [
    "sessions_pkey",
    "sessions_key_key",
    "sessions_updated",
    "sessions_cwd",
    "sessions_id",
    "sessions_tags",
]


def measure_sessions(conn: psycopg.Connection[Any], count: int) -> None:
    start = time.perf_counter()
    for first in range(1, count + 1, 100_000):
        conn.execute(SESSIONS_SQL, {"first": first, "last": min(count, first + 99_999)})
    conn.execute("VACUUM ANALYZE sessions")
    seconds = time.perf_counter() - start
    report("sessions: rows", count, "rows")
    report("sessions: load rate", count / seconds, "rows/s")
    heap = table_size(conn, "sessions")
    report("sessions: heap bytes per row", heap / count, "B")
    total = heap
    for index in SESSION_INDEXES:
        size = size_of(conn, index)
        total += size
        report(f"sessions: index {index} per row", size / count, "B")
    report("sessions: total bytes per row", total / count, "B")
    report(
        "sessions: ls newest 50",
        median_ms(
            lambda: conn.execute(
                "SELECT key, title, updated FROM sessions WHERE trashed_at IS NULL"
                " ORDER BY updated DESC LIMIT 50"
            ).fetchall()
        ),
        "ms",
    )
    report(
        "sessions: ls one folder newest 50",
        median_ms(
            lambda: conn.execute(
                "SELECT key, title, updated FROM sessions WHERE trashed_at IS NULL"
                " AND cwd = '/home/dev/project-77' ORDER BY updated DESC LIMIT 50"
            ).fetchall()
        ),
        "ms",
    )
    report(
        "sessions: ls by tag newest 50",
        median_ms(
            lambda: conn.execute(
                "SELECT key, title, updated FROM sessions WHERE tags @> ARRAY['ticket-4321']"
                " ORDER BY updated DESC LIMIT 50"
            ).fetchall()
        ),
        "ms",
    )
    report(
        "sessions: count all",
        median_ms(lambda: conn.execute("SELECT count(*) FROM sessions").fetchone(), 3),
        "ms",
    )


# --------------------------------------------------------------------------- docs


def corpus_chunks(seed: int) -> Iterator[str]:
    """Pieces of the standard library's sources, sized like pi message texts (median ~300 B,
    a long tail to 8 KB), endlessly."""
    rng = random.Random(seed)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py") if p.stat().st_size > 2000)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    while True:
        text = rng.choice(texts)
        size = min(8192, max(20, int(rng.lognormvariate(5.7, 1.0))))
        at = rng.randrange(max(1, len(text) - size))
        yield text[at : at + size].replace("\x00", "")


def measure_docs(conn: psycopg.Connection[Any], count: int) -> None:
    sids = [row[0] for row in conn.execute("SELECT sid FROM sessions ORDER BY sid LIMIT 2000")]
    chunks = corpus_chunks(1)
    start = time.perf_counter()
    with (
        conn.cursor() as cur,
        cur.copy("COPY docs (sid, n, entry, kind, line, text) FROM STDIN") as copy,
    ):
        for n in range(count):
            copy.write_row(
                (sids[n % len(sids)], n, f"e{n:08x}", "assistant", n % 5000, next(chunks))
            )
    load = time.perf_counter() - start
    conn.execute("VACUUM ANALYZE docs")
    row = conn.execute(
        "SELECT sum(octet_length(text)), sum(pg_column_size(tsv)) FROM docs"
    ).fetchone()
    assert row is not None
    text_bytes, tsv_bytes = int(row[0]), int(row[1])
    report("docs: rows", count, "rows")
    report("docs: text bytes per row", text_bytes / count, "B")
    report("docs: load with tsvector and GIN", text_bytes / load / 1e6, "MB/s")
    heap = table_size(conn, "docs")
    gin = size_of(conn, "docs_tsv")
    pkey = size_of(conn, "docs_pkey")
    report("docs: stored tsvector per text byte", tsv_bytes / text_bytes, "x")
    report("docs: heap+toast per text byte", heap / text_bytes, "x")
    report("docs: GIN index per text byte", gin / text_bytes, "x")
    report("docs: primary key per row", pkey / count, "B")
    report("docs: everything per text byte", (heap + gin + pkey) / text_bytes, "x")
    for label, words in (
        ("common word", "return"),
        ("rare word", "surrogateescape"),
        ("two words", "socket timeout"),
    ):
        hits = conn.execute(
            "SELECT count(*) FROM docs WHERE tsv @@ plainto_tsquery('simple', %s)", (words,)
        ).fetchone()
        assert hits is not None
        report(f"docs: matches of {label} '{words}'", int(hits[0]), "rows")
        report(
            f"docs: search {label}, top 20 ranked",
            median_ms(
                lambda w=words: conn.execute(  # type: ignore[misc]
                    "SELECT entry, ts_rank(tsv, q) AS r FROM docs,"
                    " plainto_tsquery('simple', %s) q WHERE tsv @@ q ORDER BY r DESC LIMIT 20",
                    (w,),
                ).fetchall()
            ),
            "ms",
        )


def measure_paths(conn: psycopg.Connection[Any], count: int) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(str(p.relative_to(stdlib.parent)) for p in stdlib.rglob("*.py"))
    rng = random.Random(2)
    sids = [row[0] for row in conn.execute("SELECT sid FROM sessions ORDER BY sid LIMIT 20000")]
    start = time.perf_counter()
    with conn.cursor() as cur, cur.copy("COPY files (sid, path) FROM STDIN") as copy:
        seen: set[tuple[int, str]] = set()
        while len(seen) < count:
            item = (
                rng.choice(sids),
                f"/home/dev/project-{rng.randrange(2000)}/" + rng.choice(paths),
            )
            if item not in seen:
                seen.add(item)
                copy.write_row(item)
    load = time.perf_counter() - start
    conn.execute("VACUUM ANALYZE files")
    row = conn.execute("SELECT sum(octet_length(path)) FROM files").fetchone()
    assert row is not None
    text_bytes = int(row[0])
    report("paths: rows", count, "rows")
    report("paths: bytes per path", text_bytes / count, "B")
    report("paths: load with trigram GIN", count / load, "rows/s")
    report("paths: trigram GIN per text byte", size_of(conn, "files_path_trgm") / text_bytes, "x")
    report("paths: heap per text byte", table_size(conn, "files") / text_bytes, "x")
    report(
        "paths: substring search '%json/decoder%'",
        median_ms(
            lambda: conn.execute(
                "SELECT sid, path FROM files WHERE path LIKE '%json/decoder%' LIMIT 50"
            ).fetchall()
        ),
        "ms",
    )


# --------------------------------------------------------------------------- S3


def measure_s3(weed: Path, megabytes: int) -> None:
    from sesslog.backends.objectstore.bucket import Bucket
    from sesslog.backends.objectstore.log import SegmentLog

    with tempfile.TemporaryDirectory(prefix="sesslog-s3-") as root:
        server = SeaweedServer(Path(root), weed)
        server.start()
        try:
            target = server.bucket()
            bucket = Bucket.open(
                target.url,
                endpoint=target.endpoint,
                access_key_id=target.access_key_id,
                secret_access_key=target.secret_access_key,
            )
            line = b'{"type":"message","text":"' + b"x" * 1000 + b'"}\n'
            data = line * (megabytes * 1024 * 1024 // len(line))
            log = SegmentLog(bucket, "big")
            start = time.perf_counter()
            version = log.append(data, base=log.load()).version
            seconds = time.perf_counter() - start
            report("s3: segments written", len(version.manifest.segments), "segments")
            report("s3: upload of 8 MiB segments", len(data) / seconds / 1e6, "MB/s")
            report("s3: manifest bytes", len(version.raw), "B")
            size = version.manifest.size
            report(
                "s3: tail 64 KiB (manifest GET + ranged GET)",
                median_ms(lambda: log.read(size - 65536, version=log.load())),
                "ms",
            )
            report(
                "s3: tail 64 KiB, manifest cached",
                median_ms(lambda: log.read(size - 65536, version=version)),
                "ms",
            )
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--docs", type=int, default=300_000)
    parser.add_argument("--paths", type=int, default=300_000)
    parser.add_argument("--s3-mb", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.docs, args.paths, args.s3_mb = 5000, 5000, 5000, 16
    with tempfile.TemporaryDirectory(prefix="sesslog-pg-") as root:
        server = PostgresServer(Path(root), find_postgres_bin())
        server.init()
        server.start()
        try:
            with psycopg.connect(server.url(), autocommit=True) as conn:
                # The layout these sizes were measured on: schema version 1 (the catalog's
                # own tables are version 2's, measured by bench_fleet.py).
                conn.execute(MIGRATIONS[0])
                measure_sessions(conn, args.sessions)
                measure_docs(conn, args.docs)
                measure_paths(conn, args.paths)
        finally:
            server.stop()
    measure_s3(find_weed(), args.s3_mb)
    if args.json:
        print(json.dumps(RESULTS, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
