"""Markdown, JSON and JSONL exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from export_samples import branched_session, hostile_session

from sesslog import Session
from sesslog.interop.export_json import export_json, export_json_text
from sesslog.interop.export_jsonl import export_jsonl, export_jsonl_bytes
from sesslog.interop.export_markdown import export_markdown

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
REAL = sorted((SHARED / "pi-real").glob("*.jsonl")) + sorted((SHARED / "pi-wild").glob("*.jsonl"))


def open_sample(tmp_path: Path, data: bytes, name: str = "s.jsonl") -> Session:
    path = tmp_path / name
    path.write_bytes(data)
    return Session.open(path, read_only=True)


def in_order(text: str, *words: str) -> bool:
    at = 0
    for word in words:
        at = text.find(word, at)
        if at == -1:
            return False
    return True


# ---------------------------------------------------------------------- Markdown


def test_markdown_of_the_path(tmp_path: Path, lines: Any) -> None:
    text = export_markdown(open_sample(tmp_path, branched_session(lines)))
    assert text.startswith("# Viewer sample\n")
    assert in_order(
        text,
        "Please list the files",
        "Listing now",
        "Explain the alpha plan",
        "alpha-branch-marker",
    )
    assert "beta-branch-marker" not in text
    # The tool call is folded with its result inside; thinking is folded and marked.
    assert in_order(
        text,
        "<details><summary>Tool call: bash</summary>",
        '"command": "ls -la"',
        "**Result**",
        "zanzibar.txt",
        "</details>",
    )
    assert text.count("zanzibar.txt") == 1  # not repeated as a separate result
    assert in_order(text, "<details><summary>Thinking</summary>", "> I should run ls", "</details>")
    assert "*[image: image/png, 70 bytes]*" in text
    assert "label: checkpoint-one" in text
    assert "## Snapshot “before refactor”" in text
    assert "cost 0.0300" in text  # the two replies on the path (0.01 + 0.02)
    assert "exported: path to `n1`" in text


def test_markdown_of_another_leaf_and_of_the_whole_tree(tmp_path: Path, lines: Any) -> None:
    session = open_sample(tmp_path, branched_session(lines))
    other = export_markdown(session, leaf_id="b1")
    assert "beta-branch-marker" in other and "alpha-branch-marker" not in other
    whole = export_markdown(session, whole_tree=True)
    assert in_order(
        whole,
        "Please list the files",
        "### Branch 1 of 2 from `t1`",
        "beta-branch-marker",
        "### Branch 2 of 2 from `t1`",
        "alpha-branch-marker",
    )


def test_markdown_keeps_added_structure_safe(tmp_path: Path, lines: Any) -> None:
    text = export_markdown(open_sample(tmp_path, hostile_session(lines)), whole_tree=True)
    # Names inside <summary> are escaped; nothing of a transcript can close our folds.
    assert "<summary>Tool call: &lt;img src=x onerror=window.__pwned=1&gt;" in text
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    assert "\u241b" in text  # ESC shown as a control picture
    assert text.count("<details>") == text.count("</details>")


def test_markdown_fences_outgrow_backticks_in_output(tmp_path: Path, lines: Any) -> None:
    output = "before\n````\ninside ``` fence\n````\nafter"
    data = lines.session(
        lines.user("u1", None, "run it"),
        lines.entry(
            "b1",
            "u1",
            "message",
            message={
                "role": "bashExecution",
                "command": "cat x.md",
                "output": output,
                "exitCode": 0,
                "cancelled": False,
                "truncated": False,
                "timestamp": 1767607200000,
            },
        ),
    )
    text = export_markdown(open_sample(tmp_path, data))
    assert "`````\n" + output + "\n`````" in text


@pytest.mark.skipif(not REAL, reason=f"shared fixtures not found at {SHARED}")
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name[:40])
def test_real_sessions_export_every_user_text(path: Path) -> None:
    session = Session.open(path, read_only=True)
    text = export_markdown(session)
    context = session.context().messages
    users = [
        m["content"]
        for m in context
        if m.get("role") == "user" and isinstance(m.get("content"), str)
    ]
    for content in users:
        first_line = content.strip().split("\n")[0][:60]
        if first_line and first_line.isprintable():
            assert first_line in text
    assert json.loads(export_json_text(session))["context"] == json.loads(
        json.dumps(session.context().to_json(), ensure_ascii=False)
    )


# ---------------------------------------------------------------------- JSON


def test_json_context(tmp_path: Path, lines: Any) -> None:
    session = open_sample(tmp_path, branched_session(lines))
    value = json.loads(export_json_text(session, leaf_id="b1"))
    assert value["format"] == "sesslog.export" and value["kind"] == "context"
    assert value["path"] == ["u1", "a1", "t1", "u2b", "b1"]
    assert value["context"] == json.loads(json.dumps(session.context("b1").to_json()))
    assert value["usage"]["messages"] == 2 and value["usage"]["cost"] == pytest.approx(0.02)
    assert value["session"]["name"] == "Viewer sample"
    assert value["session"]["models"] == ["anthropic/claude-sonnet-4-5"]


def test_json_whole_tree(tmp_path: Path, lines: Any) -> None:
    session = open_sample(tmp_path, branched_session(lines))
    value = json.loads(export_json_text(session, whole_tree=True))
    assert value["kind"] == "tree"
    assert value["entries"] == [rec.decode() for rec in session.tree]
    assert value["nodes"] == msgspec.to_builtins(session.tree.nodes())
    assert value["labels"] == {"a1": "checkpoint-one"}
    assert value["header"] == session.header
    assert value["usage"]["messages"] == 3
    assert value["leafId"] == "n1"


def test_json_keeps_lone_surrogates(tmp_path: Path, lines: Any) -> None:
    data = lines.header() + (
        b'{"type":"message","id":"u1","parentId":null,"timestamp":"2026-01-05T00:00:01.000Z",'
        b'"message":{"role":"user","content":"cut \\ud83d","timestamp":1}}\n'
    )
    session = open_sample(tmp_path, data)
    text = export_json_text(session, whole_tree=True)
    assert json.loads(text)["entries"][0]["message"]["content"] == "cut \ud83d"
    assert export_json(session)["context"]["messages"][0]["content"] == "cut \ud83d"


# ---------------------------------------------------------------------- JSONL


def test_jsonl_fork_copies_lines_byte_for_byte(tmp_path: Path, lines: Any) -> None:
    data = branched_session(lines)
    session = open_sample(tmp_path, data)
    forked = export_jsonl(session, tmp_path / "fork.jsonl", leaf_id="b1")
    body = (tmp_path / "fork.jsonl").read_bytes()
    header, rest = body.split(b"\n", 1)
    assert json.loads(header)["parentSession"] == str(tmp_path / "s.jsonl")
    original = {json.loads(line)["id"]: line + b"\n" for line in data.splitlines()[1:]}
    assert rest == b"".join(original[i] for i in ("u1", "a1", "t1", "u2b", "b1"))
    assert forked.leaf_id == "b1"
    whole = export_jsonl_bytes(session, whole_tree=True)
    assert whole.split(b"\n", 1)[1] == data.split(b"\n", 1)[1]
    with pytest.raises(FileExistsError):
        export_jsonl(session, tmp_path / "fork.jsonl")


def test_every_generated_file_exports(generated_file: Path) -> None:
    """Damaged and legacy files export in every format (what the reader takes, no crash)."""
    from sesslog.interop.export_html import export_html

    session = Session.open(generated_file, read_only=True)
    assert export_markdown(session, whole_tree=True).endswith("\n")
    assert json.loads(export_json_text(session, whole_tree=True))["kind"] == "tree"
    assert export_html(session).startswith(b"<!DOCTYPE html>")
