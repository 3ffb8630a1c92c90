"""The store commands against a fleet's PostgreSQL catalog: ``ls``, ``search``, ``stats`` and
``info`` with ``--catalog URL`` or ``$SESSLOG_CATALOG``, on a real server."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from servers import PostgresServer, free_port
from store_builders import SessionFile, usage

from sesslog.catalog.postgres import PostgresCatalog
from sesslog.cli import main
from sesslog.format.timestamps import now_ms
from sesslog.store.backend import FolderFiles
from sesslog.write.modes import AutosaveDurabilityMode


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def fleet(tmp_path: Path, pg_url: str) -> dict[str, Any]:
    """A catalog fed from one machine's folder; the commands run from elsewhere."""
    root = tmp_path / "machine-a"
    a = SessionFile(root, "/home/dev/app", start=36000)
    a.user("Fix the flaky parser test")
    a.assistant(
        "Running it",
        use=usage(100, 20, cost=0.25),
        calls=[("c1", "bash", {"command": "pytest -x"})],
    )
    a.result("c1", "bash", "1 failed")
    a.name("Flaky parser")
    b = SessionFile(root, "/home/dev/ops", start=2 * 86400)
    b.user("Rotate the staging keys")
    files = FolderFiles(root, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)
    catalog = PostgresCatalog(pg_url, files, source=str(root))
    catalog.refresh()
    catalog.close()
    return {"url": pg_url, "a": a, "b": b}


def test_ls_search_stats_and_info_read_the_remote_catalog(
    fleet: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, a, b = fleet["url"], fleet["a"], fleet["b"]
    monkeypatch.setenv("SESSLOG_ROOT", str(tmp_path / "empty-local-store"))
    code, out, _ = run("ls", "--catalog", url, "--json")
    assert code == 0
    assert [s["id"] for s in json.loads(out)] == [b.id, a.id]
    code, out, _ = run("ls", "--catalog", url, "--cwd", "/home/dev/app")
    assert code == 0 and "Flaky parser" in out and len(out.splitlines()) == 1
    code, out, _ = run("search", "--catalog", url, "--json", "flaky", "parser")
    hits = json.loads(out)
    assert code == 0 and [h["session"]["id"] for h in hits] == [a.id]
    assert hits[0]["snippet"] == "Fix the «flaky» «parser» test"
    assert run("search", "--catalog", url, "kubernetes")[0] == 1
    code, out, _ = run("stats", "--catalog", url, "--json")
    stats = json.loads(out)
    assert (code, stats["sessions"], stats["cost"]) == (0, 2, 0.25)
    code, out, _ = run("info", "--catalog", url, a.id, "--json")
    details = json.loads(out)
    assert code == 0 and details["info"]["title"] == "Flaky parser"
    assert details["tools"][0]["summary"] == "pytest -x"
    code, out, _ = run("info", "--catalog", url, "Flaky parser")
    assert code == 0 and "tool calls  1 (0 failed)" in out


def test_the_environment_names_the_catalog(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSLOG_CATALOG", fleet["url"])
    code, out, _ = run("ls", "--json")
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = run("info", fleet["b"].id)
    assert code == 0 and "Rotate the staging keys" not in out and fleet["b"].id in out


def test_bad_remote_arguments_and_servers_are_one_line(
    fleet: dict[str, Any], postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = fleet["url"]
    code, _, err = run("ls", "--catalog", "mysql://x/y")
    assert code == 2 and "not a postgresql:// URL" in err
    code, _, err = run("ls", "--catalog", url, "--root", str(tmp_path))
    assert code == 2 and "not both" in err
    code, _, err = run("info", "--catalog", url, "no-such-session")
    assert code == 4 and "no-such-session" in err and "Traceback" not in err
    wrong = postgres_server.url(url.rsplit("/", 1)[1], password="wrong-secret")
    code, _, err = run("stats", "--catalog", wrong)
    assert code == 1 and "password authentication failed" in err
    assert "wrong-secret" not in err and len(err.strip().splitlines()) == 1
    nobody = f"postgresql://sesslog:pw@127.0.0.1:{free_port()}/x"
    code, _, err = run("search", "--catalog", nobody, "word")
    assert code == 1 and "cannot be reached" in err and "Traceback" not in err


def test_remote_listings_are_safe_on_a_terminal(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "machine"
    s = SessionFile(root, "/home/dev/app")
    s.user("hello")
    s.name("\x1b]0;owned\x07 title")
    files = FolderFiles(root, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)
    catalog = PostgresCatalog(pg_url, files, source=str(root))
    catalog.refresh()
    catalog.close()
    for argv in (["ls", "--json"], ["ls"], ["info", s.id]):
        code, out, _ = run(*argv, "--catalog", pg_url)
        assert code == 0 and "\x1b" not in out and "\x07" not in out
        assert "owned" in out
    code, out, _ = run("ls", "--json", "--catalog", pg_url)
    assert json.loads(out)[0]["title"] == "\x1b]0;owned\x07 title"
