"""The analytics export: Parquet files that DuckDB reads, counting what the catalog counts."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import duckdb
import pytest
from store_builders import SessionFile, usage

from sesslog.analytics import export_parquet
from sesslog.cli import main
from sesslog.store import SessionStore


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Three sessions: a bug fix with tools, a failed deploy, and a fork copying the fix's
    first response; plus a symlink, which the store lists as unreadable."""
    root = tmp_path / "sessions"
    a = SessionFile(root, "/home/dev/app", start=36000)
    a.user("Fix the parser")
    a.assistant(
        "Reading",
        use=usage(100, 20, 1000, 50, cost=0.01),
        calls=[("call_a1", "read", {"path": "src/parser.py"})],
    )
    a.result("call_a1", "read", "def parse(): ...", at=a.clock + 4)
    a.assistant(use=usage(200, 30, cost=0.02), calls=[("call_a2", "bash", {"command": "pytest"})])
    a.result("call_a2", "bash", "1 failed", error=True, at=a.clock + 9)
    a.assistant("Done", use=usage(10, 5, cost=0.005), response_id="resp-x")
    a.assistant("Done, again", use=usage(10, 5, cost=0.005), response_id="resp-x")
    a.raw(a.path.read_bytes().split(b"\n")[1] + b"\n")  # a duplicate line
    b = SessionFile(root, "/home/dev/ops", start=2 * 86400)
    b.user("Deploy")
    b.assistant("Deploying", model="gpt-5", use=usage(50, 10, cost=0.5), stop="error")
    c = SessionFile(root, "/home/dev/app", start=40000, parent=str(a.path))
    lines = a.path.read_bytes().split(b"\n")
    c.raw(b"\n".join(lines[1:3]) + b"\n")
    c.user("And the lexer")
    link = a.path.with_name("2026-01-09T00-00-00-000Z_linked.jsonl")
    link.symlink_to(b.path)
    return root


def test_the_files_count_what_the_catalog_counts(root: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    with SessionStore(root) as store:
        stats = store.stats()
        report = export_parquet(store, lake)
    assert report.unreadable == 1
    assert report.rows["sessions"] == stats.sessions == 4
    assert sorted(p.name for p in lake.iterdir()) == [
        "entries.parquet",
        "sessions.parquet",
        "tool_executions.parquet",
        "usage.parquet",
    ]
    sql = duckdb.connect()
    responses, tokens, cost = sql.execute(
        f"SELECT count(*), sum(total_tokens), sum(cost) FROM '{lake}/usage.parquet'"
    ).fetchone()
    assert (responses, tokens) == (stats.responses, stats.tokens.total) == (4, 1415 + 60)
    assert cost == pytest.approx(stats.cost)
    tools = sql.execute(
        f"SELECT tool, count(*), sum(CASE WHEN ok THEN 0 ELSE 1 END), avg(duration_ms) "
        f"FROM '{lake}/tool_executions.parquet' GROUP BY tool ORDER BY tool"
    ).fetchall()
    assert tools == sorted((t.tool, t.calls, t.errors, t.mean_ms) for t in stats.tools)
    assert tools == [("bash", 1, 1, 9000.0), ("read", 1, 0, 4000.0)]
    entries = sql.execute(
        f"SELECT s.title, count(*) FROM '{lake}/entries.parquet' e "
        f"JOIN '{lake}/sessions.parquet' s USING (session_id) GROUP BY s.key, s.title"
    ).fetchall()
    assert sorted(n for _, n in entries) == sorted(
        i.entries for i in SessionStore(root).list() if i.error is None
    )
    unreadable = sql.execute(
        f"SELECT session_id, error IS NOT NULL FROM '{lake}/sessions.parquet' WHERE error IS NOT NULL"
    ).fetchall()
    assert unreadable == [("linked", True)]
    days = sql.execute(
        f"SELECT day, round(sum(cost), 3) FROM '{lake}/usage.parquet' GROUP BY day ORDER BY day"
    ).fetchall()
    assert [(str(day), cost) for day, cost in days] == [("2026-01-05", 0.035), ("2026-01-07", 0.5)]


def test_an_export_replaces_its_files_whole(root: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    with SessionStore(root) as store:
        export_parquet(store, lake)
        SessionFile(root, "/home/dev/new", start=90000).user("One more")
        report = export_parquet(store, lake)
    assert report.rows["sessions"] == 5
    count = duckdb.sql(f"SELECT count(*) FROM '{lake}/sessions.parquet'").fetchall()
    assert count == [(5,)]
    assert not list(lake.glob(".*.part"))


def test_the_command(root: Path, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["analytics", "export", str(tmp_path / "lake"), "--root", str(root), "--json"])
    assert code == 0
    report = json.loads(out.getvalue())
    assert report["rows"]["usage"] == 4 and report["unreadable"] == 1
    assert Path(report["files"]["entries"]).is_file()
