"""Importing Codex CLI rollouts: the shared real samples and the generated fixtures."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from import_oracle import check_session, codex_expected, find_session
from import_sources import SOURCES, params, shared_files

from sesslog import Session
from sesslog.interop.importer import import_paths

REAL = shared_files("codex-real")
ROLLOUT = next((SOURCES / "codex" / "2026").rglob("rollout-*.jsonl"))
SESSION_ID = "019b2c3d-4e5f-7a6b-8c7d-9e0f1a2b3c4d"
MANIFEST = json.loads((SOURCES / "manifest.json").read_text())


@pytest.mark.parametrize("source", params(REAL, "Codex CLI samples"))
def test_real_rollout_imports_whole(source: Path, root: Path) -> None:
    report = import_paths([source], root)
    (result,) = report.files
    assert result.status == "imported", result.error
    assert result.format == "codex"
    check_session(root, codex_expected(source))
    again = import_paths([source], root)
    assert again.files[0].status == "unchanged"
    assert again.entries_added == 0


def test_fixture_rollout(root: Path) -> None:
    import_paths([ROLLOUT], root)
    session = check_session(root, codex_expected(ROLLOUT))
    assert session.header["importedFrom"] == {
        "format": "codex",
        "path": os.path.abspath(ROLLOUT),
        "version": "0.98.0",
        "sessionId": SESSION_ID,
    }


def _entries(root: Path) -> list[dict[str, Any]]:
    import_paths([ROLLOUT], root)
    session = Session.open(find_session(root, SESSION_ID))
    return [rec.decode() for rec in session.tree]


def test_a_chain(root: Path) -> None:
    entries = _entries(root)
    assert entries[0]["parentId"] is None
    for before, entry in itertools.pairwise(entries):
        assert entry["parentId"] == before["id"]


def test_one_assistant_message_per_response_with_its_usage(root: Path) -> None:
    messages = [e["message"] for e in _entries(root) if e["type"] == "message"]
    assistants = [m for m in messages if m["role"] == "assistant"]
    first = assistants[0]
    assert [b["type"] for b in first["content"]] == ["thinking", "toolCall"]
    assert first["content"][1]["arguments"] == {"cmd": "make"}
    assert first["usage"]["input"] == 100  # 900 input tokens, 800 of them cached
    assert first["usage"]["cacheRead"] == 800
    assert first["stopReason"] == "toolUse"
    second = assistants[1]  # reasoning, a custom tool call and a shell call in one response
    assert [b["name"] for b in second["content"] if b["type"] == "toolCall"] == [
        "apply_patch",
        "local_shell",
    ]
    assert second["content"][1]["arguments"]["input"].startswith("*** Begin Patch")
    assert second["usage"]["output"] == 70
    bad = next(b for m in assistants for b in m["content"] if b.get("id") == "call_4")
    assert bad["arguments"] == {"input": "not json"}
    assert all(m["model"] for m in assistants)
    assert assistants[-1]["model"] == "gpt-5.2"


def test_tool_results(root: Path) -> None:
    results = {
        e["message"]["toolCallId"]: e["message"]
        for e in _entries(root)
        if e["type"] == "message" and e["message"]["role"] == "toolResult"
    }
    assert set(results) == {"call_1", "call_2", "call_3", "call_4"}
    assert results["call_1"]["toolName"] == "exec_command"
    assert results["call_3"]["isError"] is True  # {"success": false}
    assert results["call_3"]["content"][0]["text"] == "make: *** [all] Error 1"


def test_images_developer_messages_and_compactions(root: Path) -> None:
    entries = _entries(root)
    user = next(
        e["message"]
        for e in entries
        if e["type"] == "message"
        and isinstance(e["message"]["content"], list)
        and any(b["type"] == "image" for b in e["message"]["content"])
    )
    assert user["content"][1]["mimeType"] == "image/png"
    developer = next(e for e in entries if e["type"] == "custom_message")
    assert developer["customType"] == "codex.developer"
    assert developer["display"] is False
    first, second = [e for e in entries if e["type"] == "compaction"]
    assert first["summary"].startswith("Summary: the build failed")
    assert first["firstKeptEntryId"] == first["id"]
    assert first["tokensBefore"] == 1130  # the context of the last call before it
    assert second["summary"] == "Now run the tests."  # from the replacement history


def test_records_without_pi_equivalent_are_custom(root: Path) -> None:
    kinds = {e["customType"] for e in _entries(root) if e["type"] == "custom"}
    assert kinds == {
        "codex.session_meta",
        "codex.turn_context",
        "codex.event_msg",
        "codex.response_item",
    }


@pytest.mark.parametrize("case", sorted(MANIFEST["codex"]))
def test_damaged_fixture(case: str, root: Path, tmp_path: Path) -> None:
    source = SOURCES / "codex" / "damaged" / f"{case}.jsonl"
    (result,) = import_paths([source], root).files
    assert result.status == "imported"
    assert sorted(d.reason for d in result.damage) == sorted(MANIFEST["codex"][case])
    check_session(root, codex_expected(source))
    copy = tmp_path / "copy.jsonl"
    shutil.copyfile(source, copy)
    assert import_paths([copy], root).files[0].status == "unchanged"
