"""The model context (format contract, section 7): path, last compaction, kept entries,
synthesised messages, model and thinking level."""

from __future__ import annotations

from typing import Any

import pytest

from sesslog import SessionTree
from sesslog.format.reader import read_bytes
from sesslog.format.timestamps import iso_to_ms
from sesslog.tree.context import build_context


def context_of(data: bytes, leaf: str | None = None) -> dict[str, Any]:
    result = read_bytes(data)
    return build_context(SessionTree(result.records, result.diagnostics), leaf).to_json()


def contents(ctx: dict[str, Any]) -> list[Any]:
    """One short value per message: the text of user/assistant messages, the role otherwise."""
    out = []
    for m in ctx["messages"]:
        if m["role"] == "user":
            out.append(m["content"])
        elif m["role"] == "assistant":
            out.append(m["content"][0]["text"])
        else:
            out.append(m["role"])
    return out


def test_empty_session_has_the_empty_context(lines) -> None:
    assert context_of(lines.session()) == {"messages": [], "thinkingLevel": "off", "model": None}


def test_messages_along_the_path_only(lines) -> None:
    data = lines.session(
        lines.user("u1", None, "q1"),
        lines.assistant("a1", "u1", "r1"),
        lines.user("u2", "a1", "abandoned"),
        lines.user("u3", "a1", "q2"),
        lines.entry("c", "u3"),
        lines.entry("l", "c", "label", targetId="u1", label="x"),
        lines.entry("n", "l", "session_info", name="named"),
    )
    assert contents(context_of(data)) == ["q1", "r1", "q2"]
    assert contents(context_of(data, "u2")) == ["q1", "r1", "abandoned"]
    assert contents(context_of(data, "u1")) == ["q1"]


def _compacted(lines, first_kept: str) -> bytes:
    return lines.session(
        lines.user("u1", None, "q1"),
        lines.assistant("a1", "u1", "r1"),
        lines.user("u2", "a1", "q2"),
        lines.assistant("a2", "u2", "r2"),
        lines.entry(
            "k",
            "a2",
            "compaction",
            summary="## Goal\nshort",
            firstKeptEntryId=first_kept,
            tokensBefore=5,
        ),
        lines.user("u3", "k", "q3"),
        lines.user("side", "a1", "on another branch"),
        lines.user("u4", "u3", "q4"),
    )


def test_compaction_keeps_from_first_kept_entry(lines) -> None:
    ctx = context_of(_compacted(lines, "u2"))
    assert contents(ctx) == ["compactionSummary", "q2", "r2", "q3", "q4"]
    summary = ctx["messages"][0]
    assert summary == {
        "role": "compactionSummary",
        "summary": "## Goal\nshort",
        "tokensBefore": 5,
        "timestamp": summary["timestamp"],
    }
    assert type(summary["tokensBefore"]) is int


@pytest.mark.parametrize("first_kept", ["side", "missing", "k", "u3"])
def test_compaction_with_first_kept_off_the_path_keeps_nothing_before(
    lines, first_kept: str
) -> None:
    """Off the path, unknown, the compaction itself, or after it: nothing before is kept."""
    assert contents(context_of(_compacted(lines, first_kept))) == [
        "compactionSummary",
        "q3",
        "q4",
    ]


def test_only_the_last_compaction_counts(lines) -> None:
    data = lines.session(
        lines.user("u1", None, "q1"),
        lines.entry("k1", "u1", "compaction", summary="s1", firstKeptEntryId="u1", tokensBefore=1),
        lines.user("u2", "k1", "q2"),
        lines.entry("k2", "u2", "compaction", summary="s2", firstKeptEntryId="u1", tokensBefore=2),
        lines.user("u3", "k2", "q3"),
    )
    ctx = context_of(data)
    assert contents(ctx) == ["compactionSummary", "q1", "q2", "q3"]
    assert ctx["messages"][0]["summary"] == "s2"
    # Before the second compaction, the first one is the last on the path.
    assert contents(context_of(data, "u2")) == ["compactionSummary", "q1", "q2"]


def test_compaction_summary_timestamp_is_the_entry_time_in_ms(lines) -> None:
    ts = "2026-01-05T10:30:00.250Z"
    data = lines.session(
        lines.user("u1", None, "q1"),
        lines.entry(
            "k",
            "u1",
            "compaction",
            summary="s",
            firstKeptEntryId="u1",
            tokensBefore=9,
            timestamp=ts,
        ),
    )
    assert context_of(data)["messages"][0]["timestamp"] == iso_to_ms(ts) == 1767609000250


def test_branch_summary_becomes_a_message_when_not_empty(lines) -> None:
    ts = "2026-01-05T11:00:00.000Z"
    data = lines.session(
        lines.user("u1", None, "q1"),
        lines.entry("b1", "u1", "branch_summary", fromId="x9", summary="", timestamp=ts),
        lines.entry("b2", "b1", "branch_summary", fromId="root", summary="tried", timestamp=ts),
        lines.user("u2", "b2", "q2"),
    )
    ctx = context_of(data)
    assert ctx["messages"][1] == {
        "role": "branchSummary",
        "summary": "tried",
        "fromId": "root",
        "timestamp": iso_to_ms(ts),
    }
    assert contents(ctx) == ["q1", "branchSummary", "q2"]


def test_custom_messages_carry_details_only_when_present(lines) -> None:
    ts = "2026-01-05T12:00:00.001Z"
    data = lines.session(
        lines.entry(
            "m1",
            None,
            "custom_message",
            customType="ext",
            content="plain",
            display=True,
            timestamp=ts,
        ),
        lines.entry(
            "m2",
            "m1",
            "custom_message",
            customType="ext",
            content=[{"type": "text", "text": "blocks"}],
            display=False,
            details={"n": 1},
            timestamp=ts,
        ),
        lines.entry("c", "m2", "custom", customType="ext", data={"state": 1}),
    )
    ms = iso_to_ms(ts)
    assert context_of(data)["messages"] == [
        {
            "role": "custom",
            "customType": "ext",
            "content": "plain",
            "display": True,
            "timestamp": ms,
        },
        {
            "role": "custom",
            "customType": "ext",
            "content": [{"type": "text", "text": "blocks"}],
            "display": False,
            "details": {"n": 1},
            "timestamp": ms,
        },
    ]


def test_message_of_every_role_is_passed_through_unchanged(lines) -> None:
    tool = {
        "role": "toolResult",
        "toolCallId": "t1",
        "toolName": "bash",
        "content": [{"type": "text", "text": "ok"}],
        "isError": False,
        "timestamp": 5,
        "unknownField": [1, 2.0],
    }
    bash = {
        "role": "bashExecution",
        "command": "ls",
        "output": "",
        "exitCode": 0,
        "cancelled": False,
        "truncated": False,
        "timestamp": 6,
        "excludeFromContext": True,
    }
    future = {"role": "developer", "content": "new role", "timestamp": 7}
    data = lines.session(
        lines.entry("t", None, "message", message=tool),
        lines.entry("b", "t", "message", message=bash),
        lines.entry("f", "b", "message", message=future),
    )
    assert context_of(data)["messages"] == [tool, bash, future]


def test_model_and_thinking_level_are_the_last_on_the_path(lines) -> None:
    data = lines.session(
        lines.entry("m", None, "model_change", provider="openai", modelId="gpt-5"),
        lines.entry("t", "m", "thinking_level_change", thinkingLevel="high"),
        lines.assistant("a1", "t", "r1", model="claude-opus-4-5"),
        lines.entry("m2", "a1", "model_change", provider="google", modelId="gemini-2.5-pro"),
        lines.entry("t2", "a1", "thinking_level_change", thinkingLevel="low"),
    )
    ctx = context_of(data)
    assert ctx["model"] == {"provider": "anthropic", "modelId": "claude-opus-4-5"}
    assert ctx["thinkingLevel"] == "low"
    at_m2 = context_of(data, "m2")
    assert at_m2["model"] == {"provider": "google", "modelId": "gemini-2.5-pro"}
    assert at_m2["thinkingLevel"] == "high"
    at_m = context_of(data, "m")
    assert at_m["model"] == {"provider": "openai", "modelId": "gpt-5"}
    assert at_m["thinkingLevel"] == "off"


def test_settings_before_a_compaction_still_count(lines) -> None:
    data = lines.session(
        lines.entry("m", None, "model_change", provider="openai", modelId="gpt-5"),
        lines.entry("t", "m", "thinking_level_change", thinkingLevel="minimal"),
        lines.user("u", "t", "q"),
        lines.entry("k", "u", "compaction", summary="s", firstKeptEntryId="u", tokensBefore=3),
    )
    ctx = context_of(data)
    assert ctx["model"] == {"provider": "openai", "modelId": "gpt-5"}
    assert ctx["thinkingLevel"] == "minimal"
    assert contents(ctx) == ["compactionSummary", "q"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_end_of_a_path_gives_the_same_context_or_none(seed: int) -> None:
    """context_of_path on the last n entries of the path (as a sidecar's tail load gives them)
    either says nothing or says what the whole path says."""
    from fixtures.generate import make_v3_session
    from sesslog.tree.context import context_of_path

    data = make_v3_session(
        1500, seed, line_bytes=300, branch_every=200, compaction_every=300, label_every=90
    )
    result = read_bytes(data)
    tree = SessionTree(result.records, result.diagnostics)
    path = tree.path()
    whole = build_context(tree).to_json()
    decided = []
    for count in range(1, len(path) + 1, 7):
        found = context_of_path(path[-count:], whole=False)
        if found is not None:
            assert found.to_json() == whole
            decided.append(count)
    assert decided
    assert context_of_path(path[-1:], whole=False) is None
    found = context_of_path(path, whole=True)
    assert found is not None and found.to_json() == whole


@pytest.mark.parametrize("seed", [0, 1])
def test_a_context_built_from_ever_longer_ends_of_the_path_is_the_whole_path_s(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_context walks back only as far as it must (first 3 entries here, then 24,
    192, ...), and says what the whole path says, wherever it stands."""
    from fixtures.generate import make_v3_session
    from sesslog.tree import context
    from sesslog.tree.context import context_of_path

    monkeypatch.setattr(context, "FIRST_TAIL", 3)
    data = make_v3_session(
        1500, seed, line_bytes=300, branch_every=200, compaction_every=300, label_every=90
    )
    result = read_bytes(data)
    tree = SessionTree(result.records, result.diagnostics)
    for entry_id in [None, *tree.path_ids()[::97]]:
        whole = context_of_path(tree.path_view(entry_id), whole=True)
        assert whole is not None
        assert build_context(tree, entry_id).to_json() == whole.to_json()
