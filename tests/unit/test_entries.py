"""Typed entries: every entry type, message role and content block decodes into its Struct and
encodes back to the same bytes pi writes (same keys, same order, ``5`` kept as ``5``)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from sesslog import SESSION_VERSION
from sesslog import entries as E
from sesslog.format.codec import decode_typed, encode_line
from sesslog.format.records import record_from_line

USAGE = {
    "input": 120,
    "output": 45,
    "cacheRead": 0,
    "cacheWrite": 0,
    "totalTokens": 165,
    "cost": {"input": 0.00036, "output": 0.000675, "cacheRead": 0, "cacheWrite": 0, "total": 0.001},
}
TS = "2026-01-05T10:00:00.123Z"
MS = 1767607200123


def entry(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": "a1b2c3d4", "parentId": "00ff00ff", "timestamp": TS, **fields}


def message(role: str, **fields: Any) -> dict[str, Any]:
    return entry("message", message={"role": role, **fields})


TEXT = {"type": "text", "text": "Here is the plan: 1. read, 2. fix ✓"}
IMAGE = {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}
THINKING = {"type": "thinking", "thinking": "Let me look.", "thinkingSignature": "sig=="}
REDACTED = {"type": "thinking", "thinking": "", "redacted": True}
CALL = {"type": "toolCall", "id": "toolu_01", "name": "bash", "arguments": {"command": "ls -la"}}

CASES: list[tuple[str, dict[str, Any], type[msgspec.Struct]]] = [
    (
        "header",
        {"type": "session", "version": 3, "id": "u-1", "timestamp": TS, "cwd": "/home/a"},
        E.SessionHeader,
    ),
    (
        "header-fork",
        {
            "type": "session",
            "version": 3,
            "id": "u-2",
            "timestamp": TS,
            "cwd": "/home/a",
            "parentSession": "/s/a.jsonl",
        },
        E.SessionHeader,
    ),
    (
        "header-v1",
        {
            "type": "session",
            "id": "u-3",
            "timestamp": TS,
            "cwd": "/",
            "provider": "anthropic",
            "modelId": "claude-sonnet-4-5",
            "thinkingLevel": "off",
        },
        E.SessionHeader,
    ),
    ("user-text", message("user", content="hello", timestamp=MS), E.MessageEntry),
    ("user-blocks", message("user", content=[TEXT, IMAGE], timestamp=MS), E.MessageEntry),
    (
        "assistant",
        message(
            "assistant",
            content=[THINKING, TEXT, CALL],
            api="anthropic-messages",
            provider="anthropic",
            model="claude-sonnet-4-5",
            usage=USAGE,
            stopReason="toolUse",
            timestamp=MS,
        ),
        E.MessageEntry,
    ),
    (
        "assistant-error",
        message(
            "assistant",
            content=[REDACTED],
            api="openai-responses",
            provider="openai",
            model="gpt-5",
            usage=USAGE,
            stopReason="error",
            timestamp=MS,
            errorMessage="overloaded",
        ),
        E.MessageEntry,
    ),
    (
        "tool-result",
        message(
            "toolResult",
            toolCallId="toolu_01",
            toolName="bash",
            content=[TEXT, IMAGE],
            isError=False,
            timestamp=MS,
            details={"exit": 0},
        ),
        E.MessageEntry,
    ),
    (
        "bash",
        message(
            "bashExecution",
            command="ls",
            output="a\nb\n",
            exitCode=0,
            cancelled=False,
            truncated=True,
            fullOutputPath="/tmp/out.log",
            timestamp=MS,
            excludeFromContext=True,
        ),
        E.MessageEntry,
    ),
    (
        "custom-role",
        message(
            "custom",
            customType="note",
            content=[TEXT],
            display=True,
            timestamp=MS,
            details={"k": 1},
        ),
        E.MessageEntry,
    ),
    (
        "model-change",
        entry("model_change", provider="anthropic", modelId="claude-opus-4-5"),
        E.ModelChangeEntry,
    ),
    ("thinking", entry("thinking_level_change", thinkingLevel="high"), E.ThinkingLevelChangeEntry),
    (
        "compaction",
        entry(
            "compaction",
            summary="## Goal\nfix it",
            firstKeptEntryId="0badf00d",
            tokensBefore=5,
            details={"readFiles": ["a.py"]},
            fromHook=True,
        ),
        E.CompactionEntry,
    ),
    (
        "branch-summary",
        entry("branch_summary", fromId="root", summary="tried X", details=None, fromHook=False),
        E.BranchSummaryEntry,
    ),
    ("custom", entry("custom", customType="ext.state", data={"n": [1, 2]}), E.CustomEntry),
    ("custom-no-data", entry("custom", customType="ext.state"), E.CustomEntry),
    (
        "custom-message",
        entry("custom_message", customType="ext.msg", content="hi", display=False),
        E.CustomMessageEntry,
    ),
    ("label", entry("label", targetId="0badf00d", label="checkpoint"), E.LabelEntry),
    ("label-clear", entry("label", targetId="0badf00d"), E.LabelEntry),
    ("session-info", entry("session_info", name="Fix the reader"), E.SessionInfoEntry),
    ("root-entry", {**entry("custom", customType="x"), "parentId": None}, E.CustomEntry),
]


def line_of(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


@pytest.mark.parametrize(("obj", "cls"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_typed_round_trip_is_byte_identical(obj: dict[str, Any], cls: type) -> None:
    line = line_of(obj)
    typed = decode_typed(line[:-1])
    assert isinstance(typed, cls)
    assert encode_line(typed) == line


def test_typed_fields_are_snake_case_views() -> None:
    typed = decode_typed(line_of(CASES[5][1])[:-1])
    assert isinstance(typed, E.MessageEntry)
    msg = typed.message
    assert isinstance(msg, E.AssistantMessage)
    assert typed.parent_id == "00ff00ff"
    assert [type(b) for b in msg.content] == [E.ThinkingContent, E.TextContent, E.ToolCall]
    assert msg.content[2].arguments == {"command": "ls -la"}
    assert msg.usage.cost.output == 0.000675
    assert msg.stop_reason == "toolUse"


def test_every_declared_entry_type_is_covered() -> None:
    covered = {c[1]["type"] for c in CASES} - {"session"}
    assert covered == E.KNOWN_ENTRY_TYPES
    roles = {c[1]["message"]["role"] for c in CASES if c[1]["type"] == "message"}
    assert roles == {"user", "assistant", "toolResult", "bashExecution", "custom"}


@pytest.mark.parametrize("number", [b"5", b"5.0", b"5.25", b"0", b"-0.0", b"1e3"])
def test_numbers_keep_their_spelling(number: bytes) -> None:
    raw = (
        b'{"type":"compaction","id":"c1","parentId":null,"timestamp":"2026-01-05T10:00:00.000Z",'
        b'"summary":"s","firstKeptEntryId":"x","tokensBefore":' + number + b"}"
    )
    rec = record_from_line(raw)
    assert rec is not None and rec.raw == raw
    assert rec.line_bytes == raw + b"\n"
    typed = decode_typed(raw)
    assert isinstance(typed, E.CompactionEntry)
    assert typed.tokens_before == json.loads(number)
    assert type(typed.tokens_before) is type(json.loads(number))
    if number in (b"5", b"5.0", b"0"):
        assert encode_line(typed) == raw + b"\n"


def test_integer_valued_usage_stays_integer() -> None:
    usage = E.Usage(input=5, output=7, cost=E.Cost(total=5))
    assert msgspec.json.encode(usage) == (
        b'{"input":5,"output":7,"cacheRead":0,"cacheWrite":0,'
        b'"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":5}}'
    )


@pytest.mark.parametrize(
    "obj",
    [
        entry("usage", tokens=5),
        message("developer", content="x", timestamp=MS),
        message("user", content=[{"type": "audio", "data": "AA=="}], timestamp=MS),
        entry("label", targetId=7),
    ],
    ids=["unknown-type", "unknown-role", "unknown-block", "ill-typed"],
)
def test_unknown_shapes_have_no_typed_view_but_keep_their_bytes(obj: dict[str, Any]) -> None:
    raw = line_of(obj)[:-1]
    assert decode_typed(raw) is None
    rec = record_from_line(raw)
    assert rec is not None and rec.raw == raw and rec.decode() == obj


def test_unknown_fields_survive_through_the_raw_bytes() -> None:
    obj = message("user", content="hi", timestamp=MS, futureField={"x": 1})
    raw = line_of({**obj, "extra": True})[:-1]
    rec = record_from_line(raw)
    assert rec is not None
    assert rec.line_bytes == raw + b"\n"
    assert rec.decode()["extra"] is True
    assert rec.decode()["message"]["futureField"] == {"x": 1}


def test_version_constants() -> None:
    assert SESSION_VERSION == 3
    assert E.THINKING_LEVELS == ("off", "minimal", "low", "medium", "high", "xhigh")
