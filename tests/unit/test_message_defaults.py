"""The fields pi needs, filled with the documented defaults; what has no default is refused."""

from __future__ import annotations

from typing import Any

import pytest

from sesslog.format import entries as E
from sesslog.format.defaults import (
    complete_assistant,
    complete_entry,
    complete_message,
    complete_usage,
)

NOW = 1767607200000


def test_usage_is_completed_and_kept() -> None:
    assert complete_usage(None) == {
        "input": 0,
        "output": 0,
        "cacheRead": 0,
        "cacheWrite": 0,
        "totalTokens": 0,
        "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0},
    }
    given = {"input": 5, "cacheWrite": 2, "totalTokens": 99, "extra": [1], "cost": {"total": 1}}
    done = complete_usage(given)
    assert done["totalTokens"] == 99 and done["extra"] == [1] and done["output"] == 0
    assert done["cost"]["total"] == 1 and done["cost"]["input"] == 0
    assert given == {
        "input": 5,
        "cacheWrite": 2,
        "totalTokens": 99,
        "extra": [1],
        "cost": {"total": 1},
    }


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        ("many", '"usage" must be an object'),
        ({"input": "5"}, 'usage: "input" must be a number'),
        ({"input": True}, 'usage: "input" must be a number'),
        ({"cost": []}, '"cost" must be an object'),
        ({"cost": {"output": None}}, 'usage.cost: "output" must be a number'),
    ],
)
def test_bad_usage_is_refused(usage: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        complete_usage(usage)


def test_message_defaults_by_role() -> None:
    assistant = complete_message({"role": "assistant", "content": "hi"}, NOW)
    assert assistant["content"] == [{"type": "text", "text": "hi"}]
    assert assistant["stopReason"] == "stop" and assistant["timestamp"] == NOW
    assert assistant["usage"]["cost"]["total"] == 0
    tool = complete_message({"role": "toolResult", "toolCallId": "t", "toolName": "ls"}, NOW)
    assert tool["content"] == [] and tool["isError"] is False
    bash = complete_message({"role": "bashExecution", "command": "ls"}, NOW)
    assert (bash["output"], bash["cancelled"], bash["truncated"]) == ("", False, False)
    custom = complete_message({"role": "custom", "customType": "x", "content": "c"}, NOW)
    assert custom["display"] is True
    odd = complete_message({"role": "newRole", "anything": 1}, NOW)
    assert odd == {"role": "newRole", "anything": 1, "timestamp": NOW}


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"content": "x"}, '"role"'),
        ({"role": "user"}, 'user message has no "content"'),
        ({"role": "user", "content": 5}, '"content" must be a string or a list'),
        ({"role": "assistant", "content": {}}, '"content" must be a string or a list'),
        ({"role": "assistant", "model": 5}, '"model" must be a string'),
        ({"role": "toolResult", "toolName": "ls"}, '"toolCallId"'),
        ({"role": "bashExecution"}, '"command"'),
        ({"role": "user", "content": "x", "timestamp": "now"}, '"timestamp" must be a number'),
    ],
)
def test_message_fields_without_default_are_required(message: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        complete_message(message, NOW)


def test_entries_of_declared_types_carry_their_fields() -> None:
    base = {"id": "a", "parentId": None, "timestamp": "t"}
    with pytest.raises(ValueError, match='a compaction entry has no "tokensBefore"'):
        complete_entry({**base, "type": "compaction", "summary": "s", "firstKeptEntryId": "x"}, NOW)
    with pytest.raises(ValueError, match='"message" must be an object'):
        complete_entry({**base, "type": "message", "message": []}, NOW)
    done = complete_entry(
        {**base, "type": "custom_message", "customType": "c", "content": "x"}, NOW
    )
    assert done["display"] is True
    unknown = {**base, "type": "context_edit", "whatever": 1}
    assert complete_entry(unknown, NOW) == unknown


def test_typed_assistant_gets_total_tokens() -> None:
    message = E.AssistantMessage(
        content=[],
        api="a",
        provider="p",
        model="m",
        usage=E.Usage(input=2, output=3, cache_write=4),
        stop_reason="stop",
        timestamp=NOW,
    )
    assert complete_assistant(message).usage.total_tokens == 9
    given = E.Usage(input=2, total_tokens=100)
    kept = E.AssistantMessage(
        content=[], api="a", provider="p", model="m", usage=given, stop_reason="stop", timestamp=1
    )
    assert complete_assistant(kept) is kept


def test_typed_assistant_gets_the_total_of_a_partial_cost() -> None:
    usage = E.Usage(input=2, output=3, cost=E.Cost(input=0.25, output=0.5))
    message = E.AssistantMessage(
        content=[], api="a", provider="p", model="m", usage=usage, stop_reason="stop", timestamp=1
    )
    done = complete_assistant(message).usage
    assert (done.total_tokens, done.cost.total, done.cost.input) == (5, 0.75, 0.25)
    free = E.Usage(input=2, total_tokens=2, cost=E.Cost())
    kept = E.AssistantMessage(
        content=[], api="a", provider="p", model="m", usage=free, stop_reason="stop", timestamp=1
    )
    assert complete_assistant(kept) is kept
