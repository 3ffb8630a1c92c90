"""Importing Claude Code transcripts: the shared real samples and the generated fixtures."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from import_oracle import (
    check_session,
    claude_expected,
    embedded_records,
    find_session,
    session_texts,
)
from import_sources import SOURCES, params, shared_files

from sesslog import Session
from sesslog.interop.importer import import_paths

REAL = shared_files("claude-real")
MAIN = SOURCES / "claude" / "-home-dev-shop" / "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11.jsonl"
SUBAGENT = MAIN.with_suffix("") / "subagents" / "agent-b7e9d1.jsonl"
MANIFEST = json.loads((SOURCES / "manifest.json").read_text())


@pytest.mark.parametrize("source", params(REAL, "Claude Code samples"))
def test_real_transcript_imports_whole(source: Path, root: Path) -> None:
    report = import_paths([source], root)
    (result,) = report.files
    assert result.status == "imported", result.error
    expected = claude_expected(source)
    assert {s.id for s in result.sessions} == set(expected)
    for session_expected in expected.values():
        check_session(root, session_expected)
    again = import_paths([source], root)
    assert again.files[0].status == "unchanged"
    assert again.entries_added == 0


def test_real_damage_is_reported_with_line_and_offset(root: Path) -> None:
    if not REAL:
        pytest.skip("Claude Code samples not found in ../shared")
    damaged = [p for p in REAL if p.name.startswith(("37_", "5a_", "bd_7375"))]
    report = import_paths(damaged, root)
    for result in report.files:
        glued = [d for d in result.damage if d.reason == "glued_records"]
        assert len(glued) == 1, result.damage
        data = Path(result.path).read_bytes()
        line_start = data.split(b"\n")[glued[0].line - 1][:20]
        assert data[glued[0].offset : glued[0].offset + 20] == line_start


def test_fixture_session_and_subagent(root: Path) -> None:
    report = import_paths([SOURCES / "claude" / "-home-dev-shop"], root)
    assert [r.status for r in report.files] == ["imported", "imported"]
    expected = claude_expected(MAIN) | claude_expected(SUBAGENT)
    assert set(expected) == {
        "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11",
        "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11-agent-a1b2c3",
        "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11-agent-b7e9d1",
    }
    for session_expected in expected.values():
        check_session(root, session_expected)


def _main(root: Path) -> Session:
    import_paths([MAIN], root)
    return Session.open(find_session(root, "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11"))


def _by_source(session: Session) -> dict[str, dict[str, object]]:
    return {rec.id: rec.decode() for rec in session.tree}


def _path_messages(session: Session) -> list[dict[str, Any]]:
    """Every message on the path to the leaf (the context stops at the compaction)."""
    return [rec.decode()["message"] for rec in session.path_to() if rec.type == "message"]


def test_split_response_is_one_message_with_usage_once(root: Path) -> None:
    session = _main(root)
    ask = next(
        rec for rec in session.tree if rec.type == "message" and "Add a /health" in rec.raw.decode()
    )
    (child,) = session.tree.children(ask.id)
    response = session.get(child).decode()
    message = response["message"]
    assert [b["type"] for b in message["content"]] == ["thinking", "text", "toolCall", "toolCall"]
    assert message["usage"]["input"] == 100  # the last line's usage, not four times it
    assert message["usage"]["output"] == 80
    assert message["usage"]["cacheWrite"] == 50
    assert message["stopReason"] == "toolUse"
    assert len(response["sourceRecords"]) == 4


def test_parallel_and_interleaved_tool_results_stay_on_one_path(root: Path) -> None:
    messages = _path_messages(_main(root))
    calls = [
        (i, b["id"])
        for i, m in enumerate(messages)
        if m["role"] == "assistant"
        for b in m["content"]
        if b["type"] == "toolCall"
    ]
    results = {m["toolCallId"]: (i, m) for i, m in enumerate(messages) if m["role"] == "toolResult"}
    assert [call for _, call in calls] == ["toolu_1", "toolu_2", "toolu_3", "toolu_4", "toolu_5"]
    for index, call in calls:  # every call has its result after it, on the same path
        assert results[call][0] > index
    assert results["toolu_3"][1]["isError"] is True
    assert results["toolu_1"][1]["toolName"] == "Read"
    assert results["toolu_1"][1]["content"][0]["text"].startswith("from flask")


def test_compaction_keeps_its_logical_parent(root: Path) -> None:
    session = _main(root)
    entries = _by_source(session)
    (compaction,) = [e for e in entries.values() if e["type"] == "compaction"]
    parent = entries[str(compaction["parentId"])]
    assert parent["message"]["content"][0]["text"] == "Added /ready too."  # type: ignore[index]
    assert compaction["tokensBefore"] == 12345
    assert str(compaction["summary"]).startswith("This session is being continued")
    context = session.context().messages
    assert context[0]["role"] == "compactionSummary"
    assert ("user", "Add a /health endpoint to the server.") not in session_texts(context)


def test_rewind_is_a_branch(root: Path) -> None:
    session = _main(root)
    prompts = {
        text: rec
        for rec in session.tree
        if rec.type == "message"
        for text in ("Here is a screenshot", "Also add a /ready")
        if text in rec.raw.decode()
    }
    first, second = prompts["Here is a screenshot"], prompts["Also add a /ready"]
    assert first.parent_id == second.parent_id  # siblings: the rewind is a branch
    assert session.leaf_id in [rec.id for rec in session.tree.path(session.leaf_id)]
    assert second.id in session.tree.path_ids()  # the leaf is on the later branch
    assert first.id not in session.tree.path_ids()


def test_metadata_records(root: Path) -> None:
    session = _main(root)
    assert session.name == "Health endpoint"
    meta = [
        e["data"]
        for e in _by_source(session).values()
        if e["type"] == "custom" and e.get("customType") == "sesslog.meta"
    ]
    assert meta == [
        {"tags": ["backend"]},
        {"tags": ["backend", "api"]},
        {"summary": "Health endpoint added"},
    ]
    kinds = {e.get("customType") for e in _by_source(session).values() if e["type"] == "custom"}
    assert {
        "claude.summary",  # a summary of another session's leaf stays a record
        "claude.queue-operation",
        "claude.file-history-snapshot",
        "claude.progress",
        "claude.system",
        "claude.agent-name",
        "claude.attachment",
        "claude.last-prompt",
        "claude.pr-link",
    } <= kinds


def test_content_blocks(root: Path) -> None:
    session = _main(root)
    messages = [rec.decode()["message"] for rec in session.tree if rec.type == "message"]
    image_user = next(m for m in messages if m["role"] == "user" and isinstance(m["content"], list))
    assert [b["type"] for b in image_user["content"]] == [
        "text",
        "image",
    ]  # the document stays in the record
    assert image_user["content"][1]["mimeType"] == "image/png"
    redacted = next(
        m for m in messages if m["role"] == "assistant" and m["content"][0].get("redacted")
    )
    assert redacted["content"][0]["thinkingSignature"] == "cmVkYWN0ZWQ="
    error = next(m for m in messages if m["role"] == "assistant" and m.get("stopReason") == "error")
    assert error["errorMessage"] == "API Error: 529 Overloaded"
    assert error["model"] == "<synthetic>"


def test_subagent_session_names_its_main_session(root: Path) -> None:
    import_paths([SOURCES / "claude" / "-home-dev-shop"], root)
    main = find_session(root, "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11")
    sub = Session.open(find_session(root, "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11-agent-b7e9d1"))
    assert sub.header["parentSession"] == str(main)
    assert sub.header["importedFrom"]["agentId"] == "b7e9d1"
    assert sub.header["importedFrom"]["parentSessionId"] == main.name.split("_", 1)[1][:-6]


def test_provenance_in_header(root: Path) -> None:
    session = _main(root)
    assert session.header["importedFrom"] == {
        "format": "claude",
        "path": os.path.abspath(MAIN),
        "version": "2.1.17",
        "sessionId": "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11",
    }
    assert session.header["cwd"] == "/home/dev/shop"


@pytest.mark.parametrize("case", sorted(MANIFEST["claude"]))
def test_damaged_fixture(case: str, root: Path, tmp_path: Path) -> None:
    source = SOURCES / "claude" / "damaged" / f"{case}.jsonl"
    report = import_paths([source], root)
    (result,) = report.files
    assert result.status == "imported"
    assert sorted(d.reason for d in result.damage) == sorted(MANIFEST["claude"][case])
    data = source.read_bytes()
    for diag in result.damage:
        if diag.reason not in ("crlf", "bom"):
            assert data[diag.offset - 1 : diag.offset] in (b"", b"\n"), diag  # a line start
    for session_expected in claude_expected(source).values():
        check_session(root, session_expected)
    copy = tmp_path / "copy.jsonl"
    shutil.copyfile(source, copy)
    assert import_paths([copy], root).files[0].status == "unchanged"


def test_bad_utf8_and_lone_surrogate_keep_their_bytes(root: Path) -> None:
    for case in ("bad_utf8", "lone_surrogate"):
        source = SOURCES / "claude" / "damaged" / f"{case}.jsonl"
        import_paths([source], root / case)
        (expected,) = claude_expected(source).values()
        session = check_session(root / case, expected)
        assert set(embedded_records(session)) == set(expected.records)
