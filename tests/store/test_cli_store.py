"""The store commands: ``ls``, ``search``, ``stats``, ``catalog rebuild|status``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from store_builders import SessionFile, usage

from sesslog.catalog.queries import SEARCH_BOUND
from sesslog.cli import main

LS_FIELDS = {
    "id",
    "path",
    "cwd",
    "title",
    "tags",
    "status",
    "created",
    "updated",
    "entries",
    "messages",
    "bytes",
    "tokens",
    "cost",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def root(tmp_path: Path) -> Path:
    a = SessionFile(tmp_path, "/home/dev/app", session_id="aaaa-1")
    a.user("the parser crashes on empty input")
    a.assistant("Fixed the \x1b[31mparser", use=usage(10, 5, cost=0.25))
    a.name("Parser")
    a.meta(tags=["bug"])
    b = SessionFile(tmp_path, "/home/dev/web", session_id="bbbb-2", start=40000)
    b.user("style the landing page")
    return tmp_path


def test_ls_json(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    code, out, err = run(capsys, "ls", "--root", str(root), "--json")
    assert (code, err) == (0, "")
    sessions = json.loads(out)
    assert [s["id"] for s in sessions] == ["bbbb-2", "aaaa-1"]
    assert set(sessions[0]) >= LS_FIELDS
    parser = sessions[1]
    assert (parser["title"], parser["tags"], parser["cost"], parser["tokens"]["total"]) == (
        "Parser",
        ["bug"],
        0.25,
        15,
    )
    code, out, _ = run(capsys, "ls", "--root", str(root), "--json", "--tag", "bug")
    assert [s["id"] for s in json.loads(out)] == ["aaaa-1"]
    code, out, _ = run(
        capsys,
        "ls",
        "--root",
        str(root),
        "--json",
        "--cwd",
        "/home/dev/web",
        "--order",
        "entries",
        "--asc",
    )
    assert [s["id"] for s in json.loads(out)] == ["bbbb-2"]


def test_ls_human_escapes_control_characters(
    capsys: pytest.CaptureFixture[str], root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSLOG_ROOT", str(root))
    SessionFile(root, "/x\x1b[2J", session_id="cccc-3", folder="--x--").user("hi")
    code, out, _ = run(capsys, "ls")
    assert code == 0
    assert "\x1b" not in out and "\\x1b[2J" in out
    assert "Parser" in out and "style the landing page" in out


def test_search(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    code, out, _ = run(capsys, "search", "--root", str(root), "parser", "--json")
    hits: list[dict[str, Any]] = json.loads(out)
    assert code == 0
    assert {h["session"]["id"] for h in hits} == {"aaaa-1"}
    assert all("«parser»" in h["snippet"].lower() for h in hits)
    code, out, _ = run(capsys, "search", "--root", str(root), "parser", "--color", "never")
    assert code == 0 and "\x1b" not in out and "«parser»" in out
    code, out, _ = run(capsys, "search", "--root", str(root), "nothing-like-this", "--json")
    assert (code, json.loads(out)) == (1, [])
    code, out, _ = run(capsys, "search", "--root", str(root), "--raw", "AND OR (", "--json")
    assert code == 1 and "cannot read search" in json.loads(out)["error"]


def test_search_says_when_it_ranked_only_the_newest_matches(
    capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    code, out, err = run(capsys, "search", "--root", str(root), "the", "--json")
    every = json.loads(out)
    assert (code, err, len(every)) == (0, "", 3)
    assert {h["bounded"] for h in every} == {None}
    code, out, err = run(capsys, "search", "--root", str(root), "the", "--json", "--bound", "2")
    hits = json.loads(out)
    assert code == 0 and {h["bounded"] for h in hits} == {2}
    seen = {(h["session"]["id"], h["line"]) for h in every}
    assert len(hits) == 2 and {(h["session"]["id"], h["line"]) for h in hits} < seen
    assert err == (
        "sesslog: more than 2 entries match: ranked the newest 2 "
        "(add words, --cwd or --session to narrow; --rank-all ranks every match)\n"
    )
    code, out, err = run(capsys, "search", "--root", str(root), "the", "--bound", "3", "--json")
    assert (code, err, json.loads(out)) == (0, "", every)
    code, out, err = run(capsys, "search", "--root", str(root), "the", "--rank-all", "--json")
    assert (code, err, json.loads(out)) == (0, "", every)
    code, out, err = run(capsys, "search", "--root", str(root), "the", "--bound", "0")
    assert (code, out) == (2, "") and "--bound 0" in err
    code, out, _ = run(capsys, "search", "--help")
    assert code == 0 and f"(default {SEARCH_BOUND:,})" in " ".join(out.split())


def test_stats_and_catalog(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    code, out, _ = run(capsys, "stats", "--root", str(root), "--json")
    stats = json.loads(out)
    assert (code, stats["sessions"], stats["responses"], stats["cost"]) == (0, 2, 1, 0.25)
    code, out, _ = run(capsys, "catalog", "status", "--root", str(root), "--json")
    status = json.loads(out)
    assert (status["kind"], status["sessions"]) == ("sqlite", 2)
    code, out, _ = run(capsys, "catalog", "rebuild", "--root", str(root), "--json")
    assert (code, json.loads(out)["added"]) == (0, 2)
    code, out, _ = run(capsys, "stats", "--root", str(root))
    assert code == 0 and "2 sessions" in out


def test_fallback_is_said_once(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    (root / ".sesslog").write_text("not a folder")
    code, out, err = run(capsys, "ls", "--root", str(root), "--json")
    assert code == 0 and len(json.loads(out)) == 2
    assert err.count("catalog unavailable") == 1 and "not a folder" in err
    code, out, _ = run(capsys, "catalog", "status", "--root", str(root), "--json")
    assert json.loads(out)["kind"] == "scan"


def test_a_root_that_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_text("x")
    code, out, _ = run(capsys, "ls", "--root", str(file), "--json")
    assert code == 2  # a path that is not what the command takes
    assert "not a folder" in json.loads(out)["error"]
    assert file.read_text() == "x"
