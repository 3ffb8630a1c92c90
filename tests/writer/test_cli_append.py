"""``sesslog append``: JSON lines on stdin become entries; ids come back once they are kept."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sesslog import Session
from sesslog.cli import main


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: str,
    *argv: str,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = main(["append", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


INPUT = "\n".join(
    [
        '{"role":"user","content":"List the files"}',
        '{"type":"model_change","provider":"anthropic","modelId":"claude-sonnet-4-5"}',
        "",
        '{"type":"custom","id":"given01","customType":"ext","data":{"k":1}}',
    ]
)


@pytest.mark.parametrize("mode", ["strict", "balanced", "throughput"])
def test_messages_and_entries_are_appended_and_their_ids_printed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mode: str,
) -> None:
    path = tmp_path / "s.jsonl"
    code, out, _ = run(
        monkeypatch, capsys, INPUT, str(path), "--create", "--cwd", "/w", "--durability", mode
    )
    assert code == 0
    session = Session.open(path)
    assert session.diagnostics.ok and session.cwd == "/w"
    records = list(session.tree)
    assert out.split() == [rec.id for rec in records]
    assert records[-1].id == "given01"
    assert [rec.parent_id for rec in records] == [None, records[0].id, records[1].id]
    message = records[0].decode()["message"]
    assert message["content"] == "List the files" and isinstance(message["timestamp"], int)
    assert records[1].decode()["modelId"] == "claude-sonnet-4-5"
    assert list(records[1].decode())[:4] == ["type", "id", "parentId", "timestamp"]


def test_json_lines_and_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.jsonl"
    Session.create(path=path, cwd="/").close()
    code, out, _ = run(monkeypatch, capsys, INPUT, str(path), "--json", "--stats")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    entries, stats = lines[:-1], lines[-1]
    assert [e["line"] for e in entries] == [1, 2, 4]
    assert [e["type"] for e in entries] == ["message", "model_change", "custom"]
    assert {e["durability"] for e in entries} == {"balanced"}
    assert entries[1]["parentId"] == entries[0]["id"]
    assert stats["metrics"]["enqueued"] == 3 and stats["metrics"]["synced"] == 3
    assert stats["metrics"]["mode"] == "balanced"


def test_human_stats_go_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.jsonl"
    code, out, err = run(monkeypatch, capsys, INPUT, str(path), "--create", "--stats")
    assert code == 0 and len(out.split()) == 3
    assert "enqueued: 3" in err and "flush_latency_p99_ms" in err


def test_bad_lines_are_reported_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.jsonl"
    stdin = "\n".join(
        [
            '{"role":"user","content":"ok"}',
            "not json",
            '{"content":"no role, no type"}',
            '{"type":"session","id":"x"}',
            '{"type":"custom","parentId":"nowhere","customType":"x"}',
            '{"role":"user","content":"still ok"}',
        ]
    )
    code, out, err = run(monkeypatch, capsys, stdin, str(path), "--create")
    assert code == 1
    assert len(out.split()) == 2
    for line in (2, 3, 4, 5):
        assert f"stdin line {line}:" in err
    assert "nowhere" in err
    assert len(Session.open(path)) == 2


def test_missing_file_and_read_only_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, INPUT, str(tmp_path / "missing.jsonl"))
    assert code == 4 and "missing.jsonl" in err
    future = tmp_path / "future.jsonl"
    future.write_text('{"type":"session","version":99,"id":"f","timestamp":"t","cwd":"/"}\n')
    code, _, err = run(monkeypatch, capsys, INPUT, str(future))
    assert code == 6 and "future.jsonl" in err
    assert future.read_text().count("\n") == 1


STREAM = [sys.executable, "-m", "sesslog", "append"]


@pytest.mark.parametrize("mode", ["strict", "balanced", "throughput"])
def test_each_id_comes_back_once_its_entry_is_kept(tmp_path: Path, kit: Any, mode: str) -> None:
    """Feed one line at a time; when an id is printed, the entry is already in the file."""
    path = tmp_path / "s.jsonl"
    child = subprocess.Popen(
        [*STREAM, str(path), "--create", "--durability", mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        for n in range(3):
            child.stdin.write(json.dumps({"role": "user", "content": f"message {n}"}) + "\n")
            child.stdin.flush()
            printed = child.stdout.readline().strip()
            assert kit.ids(path)[-1] == printed
    finally:
        child.stdin.close()
        assert child.wait(timeout=60) == 0
    assert len(kit.ids(path)) == 3
