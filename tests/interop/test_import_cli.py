"""``sesslog import``: folders, format detection, --from, --root, $SESSLOG_ROOT, --json, exit
codes, progress on a terminal only."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from import_sources import SOURCES

from sesslog.cli import main

CLAUDE = SOURCES / "claude" / "-home-dev-shop"
PI = SOURCES / "pi" / "session.jsonl"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_folder_import_then_nothing_new(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = tmp_path / "root"
    code, out, _ = _run(capsys, "import", str(CLAUDE), "--root", str(root))
    assert code == 0
    assert out.count("imported ") == 2
    assert "3 file(s)" not in out and "2 file(s): 2 imported" in out
    code, out, _ = _run(capsys, "import", str(CLAUDE), "--root", str(root), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["counts"] == {"unchanged": 2}
    assert report["entriesAdded"] == 0
    assert {f["format"] for f in report["files"]} == {"claude"}
    assert report["files"][0]["sessions"][0]["path"].startswith(str(root))


def test_json_report_lists_damage(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = SOURCES / "claude" / "damaged" / "glued_records.jsonl"
    code, out, _ = _run(capsys, "import", str(source), "--root", str(tmp_path), "--json")
    assert code == 0
    (result,) = json.loads(out)["files"]
    assert result["damage"] == [
        {
            "line": 5,
            "offset": result["damage"][0]["offset"],
            "reason": "glued_records",
            "detail": "2 complete record(s) glued on one line; kept each",
            "severity": "error",
        }
    ]
    assert result["entriesAdded"] > 0 and result["customAdded"] >= 1


def test_root_from_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSLOG_ROOT", str(tmp_path / "env-root"))
    code, _, _ = _run(capsys, "import", str(PI))
    assert code == 0
    assert list((tmp_path / "env-root").glob("*/*.jsonl"))


def test_default_root_is_pi_sessions_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SESSLOG_ROOT", raising=False)
    monkeypatch.setenv("PI_CODING_AGENT_DIR", str(tmp_path / "agent"))
    assert _run(capsys, "import", str(PI))[0] == 0
    assert list((tmp_path / "agent" / "sessions").glob("*/*.jsonl"))


def test_from_forces_the_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "import", str(PI), "--from", "codex", "--root", str(tmp_path))
    assert code == 0
    assert (
        json.loads(
            _run(capsys, "import", str(PI), "--from", "pi", "--root", str(tmp_path), "--json")[1]
        )["files"][0]["format"]
        == "pi"
    )
    assert "imported" in out


def test_unknown_files_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n')
    code, out, _ = _run(capsys, "import", str(other), "--root", str(tmp_path / "r"))
    assert code == 1
    assert "skipped" in out and "not a Claude Code, Codex or pi session file" in out


def test_empty_files_are_no_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n\n")
    code, out, _ = _run(capsys, "import", str(tmp_path), "--root", str(tmp_path / "r"), "--json")
    assert code == 0
    assert json.loads(out)["counts"] == {"empty": 2}


def test_missing_path_exits_4(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "import", str(tmp_path / "nope"), "--root", str(tmp_path))
    assert code == 4
    assert "nope" in err
    assert not (tmp_path / "--home-dev-shop--").exists()


def test_bad_format_name_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert _run(capsys, "import", str(PI), "--from", "gemini")[0] == 2


def test_locked_session_fails_that_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from sesslog import Session

    root = tmp_path / "root"
    half = tmp_path / "src" / PI.name
    half.parent.mkdir()
    data = PI.read_bytes()
    half.write_bytes(data[: data.index(b"\n", 400) + 1])
    assert _run(capsys, "import", str(half), "--root", str(root))[0] == 0
    (copy,) = root.glob("*/*.jsonl")
    half.write_bytes(data)
    holder = Session.open(copy)
    holder.handle.open_writer()
    try:
        code, out, _ = _run(capsys, "import", str(half), "--root", str(root), "--json")
    finally:
        holder.close()
    assert code == 1
    (result,) = json.loads(out)["files"]
    assert result["status"] == "failed"
    assert "SessionLockedError" in result["error"]


def _pty_run(args: list[str], cwd: Path) -> str:
    """Run ``sesslog`` with stderr on a pseudo-terminal; return what the terminal got."""
    main_fd, child_fd = pty.openpty()
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sesslog", *args],
        stdout=subprocess.DEVNULL,
        stderr=child_fd,
        cwd=cwd,
        env=env,
    )
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(main_fd)
    return b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = _pty_run(["import", str(SOURCES / "codex"), "--root", str(tmp_path / "a")], tmp_path)
    assert "import" in shown and "100%" in shown and "B/s" in shown  # tqdm: bytes per second
    _, _, err = _run(capsys, "import", str(SOURCES / "codex"), "--root", str(tmp_path / "b"))
    assert "%" not in err


def test_help_lists_import(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "import" in capsys.readouterr().out
