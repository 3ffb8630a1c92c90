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


#: What pi's reader and interface read from every assistant message.
PI_ASSISTANT_FIELDS = ("content", "api", "provider", "model", "usage", "stopReason", "timestamp")
USAGE_FIELDS = ("input", "output", "cacheRead", "cacheWrite", "totalTokens", "cost")
COST_FIELDS = ("input", "output", "cacheRead", "cacheWrite", "total")


def assert_pi_can_read(message: dict[str, Any]) -> None:
    """Every field pi needs in an assistant message, with the types it expects."""
    for key in PI_ASSISTANT_FIELDS:
        assert key in message, (key, message)
    assert isinstance(message["content"], list)
    for key in ("api", "provider", "model", "stopReason"):
        assert isinstance(message[key], str), key
    usage = message["usage"]
    for key in USAGE_FIELDS[:-1]:
        assert isinstance(usage[key], int | float) and not isinstance(usage[key], bool), key
    for key in COST_FIELDS:
        assert isinstance(usage["cost"][key], int | float), key
    assert isinstance(message["timestamp"], int)


def _assistant_messages(path: Path) -> list[dict[str, Any]]:
    found = []
    for rec in Session.open(path).tree:
        message = rec.decode().get("message")
        if rec.type == "message" and message.get("role") == "assistant":
            found.append(message)
    return found


def test_assistant_messages_get_every_field_pi_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.jsonl"
    stdin = "\n".join(
        [
            '{"role":"assistant","content":"plain text"}',
            '{"role":"assistant","content":[{"type":"toolCall","id":"t1","name":"ls",'
            '"arguments":{}}],"usage":{"input":10,"output":5,"cost":{"input":0.5}}}',
            '{"type":"message","message":{"role":"assistant","content":[],"provider":"p",'
            '"model":"m","api":"a","stopReason":"length","timestamp":7}}',
        ]
    )
    code, _, err = run(monkeypatch, capsys, stdin, str(path), "--create")
    assert code == 0, err
    messages = _assistant_messages(path)
    assert len(messages) == 3
    for message in messages:
        assert_pi_can_read(message)
    plain, call, given = messages
    assert plain["content"] == [{"type": "text", "text": "plain text"}]
    assert (plain["api"], plain["provider"], plain["model"]) == ("unknown",) * 3
    assert plain["stopReason"] == "stop" and plain["usage"]["totalTokens"] == 0
    assert call["stopReason"] == "toolUse"
    assert call["usage"]["totalTokens"] == 15 and call["usage"]["cost"]["total"] == 0.5
    assert (given["provider"], given["stopReason"], given["timestamp"]) == ("p", "length", 7)


def test_library_assistant_messages_get_every_field_pi_reads(tmp_path: Path) -> None:
    from sesslog.cli.demo_session import write_demo
    from sesslog.format import entries as E

    session = Session.create(path=tmp_path / "s.jsonl", cwd="/")
    session.append_assistant_message("hi", provider="p", model="m")
    session.append_assistant_message(
        [E.ToolCall(id="t", name="ls", arguments={})],
        provider="p",
        model="m",
        usage=E.Usage(input=3, output=2, cache_read=1),
    )
    session.close()
    messages = _assistant_messages(tmp_path / "s.jsonl")
    for message in messages:
        assert_pi_can_read(message)
    assert [m["usage"]["totalTokens"] for m in messages] == [0, 6]
    demo = write_demo(tmp_path / "demo")
    written = _assistant_messages(demo.session.path)
    assert written
    for message in written:
        assert_pi_can_read(message)


def test_lines_that_cannot_be_taken_are_reported_by_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.jsonl"
    stdin = (
        b'{"role":"user","content":"first"}\n'
        b'{"role":"user","content":"caf\xe9 in latin-1"}\n'
        b'{"type":"model_change","provider":"p"}\n'
        b'{"role":"toolResult","content":"no call id"}\n'
        b'{"role":"assistant","content":"x","usage":"lots"}\n'
        + b"[" * 100_000
        + b"\n"
        + b'{"role":"user","content":"last"}\n'
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(["append", str(path), "--create"])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(out.split()) == 2
    assert "stdin line 2: not valid UTF-8 (byte 29 of the line)" in err
    assert 'stdin line 3: a model_change entry has no "modelId"' in err
    assert 'stdin line 4: toolResult message has no "toolCallId"' in err
    assert 'stdin line 5: "usage" must be an object' in err
    assert "stdin line 6:" in err
    data = path.read_bytes()
    assert "\ufffd".encode() not in data and b"caf" not in data
    assert [rec.decode()["message"]["content"] for rec in Session.open(path).tree] == [
        "first",
        "last",
    ]


def test_append_refuses_a_symlink_with_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "s.jsonl"
    Session.create(path=target, cwd="/").close()
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    code, _, err = run(monkeypatch, capsys, INPUT, str(link))
    assert code == 2
    assert err.startswith(f"sesslog: {link}: is a symbolic link") and str(target) in err
    assert len(Session.open(target)) == 0
