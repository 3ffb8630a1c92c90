"""Claude Code message content as pi content: blocks, tool results, usage and stop reasons.

Anthropic's Messages API blocks map one to one: ``text`` → ``text``; ``thinking`` →
``thinking`` (``signature`` → ``thinkingSignature``); ``redacted_thinking`` → a ``thinking``
block marked ``redacted``; ``tool_use`` → ``toolCall``; ``image`` with base64 data → ``image``;
``tool_result`` blocks (in user records) → ``toolResult`` messages. Other blocks (documents,
server tool blocks, images by URL) have no pi equivalent: they stay in the record kept with the
entry and are left out of the message.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Usage4", "assistant_blocks", "stop_reason", "usage_of", "user_messages"]

#: Token counts of one response: input, output, cache read, cache write.
Usage4 = tuple[int, int, int, int]

_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "toolUse",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "error",
    "pause_turn": "stop",
}


def _int(value: Any) -> int:
    return value if type(value) is int else int(value) if isinstance(value, float) else 0


def usage_of(usage: Any) -> Usage4:
    """The token counts of an Anthropic ``usage`` object (zeros when missing)."""
    if not isinstance(usage, dict):
        return (0, 0, 0, 0)
    return (
        _int(usage.get("input_tokens")),
        _int(usage.get("output_tokens")),
        _int(usage.get("cache_read_input_tokens")),
        _int(usage.get("cache_creation_input_tokens")),
    )


def stop_reason(value: Any, has_tool_call: bool) -> str:
    """pi's ``stopReason`` for an Anthropic ``stop_reason`` (``null`` while streaming)."""
    mapped = _STOP.get(value) if isinstance(value, str) else None
    if mapped is not None:
        return mapped
    return "toolUse" if has_tool_call else "stop"


def _image(block: dict[str, Any]) -> dict[str, Any] | None:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64":
        data, mime = source.get("data"), source.get("media_type")
        if isinstance(data, str) and isinstance(mime, str):
            return {"type": "image", "data": data, "mimeType": mime}
    return None


def assistant_blocks(content: Any, tool_names: dict[str, str]) -> tuple[list[dict[str, Any]], bool]:
    """pi blocks for an assistant record's content, and whether it holds a tool call.

    Tool calls are noted in ``tool_names`` (id → name) for the results that follow.
    """
    if isinstance(content, str):
        return ([{"type": "text", "text": content}] if content else []), False
    out: list[dict[str, Any]] = []
    has_tool = False
    if not isinstance(content, list):
        return out, has_tool
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            out.append({"type": "text", "text": block["text"]})
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            thinking: dict[str, Any] = {"type": "thinking", "thinking": block["thinking"]}
            if isinstance(block.get("signature"), str):
                thinking["thinkingSignature"] = block["signature"]
            out.append(thinking)
        elif kind == "redacted_thinking":
            redacted: dict[str, Any] = {"type": "thinking", "thinking": "", "redacted": True}
            if isinstance(block.get("data"), str):
                redacted["thinkingSignature"] = block["data"]
            out.append(redacted)
        elif kind == "tool_use" and isinstance(block.get("id"), str):
            found = block.get("name")
            name = found if isinstance(found, str) else ""
            arguments = block.get("input")
            out.append(
                {
                    "type": "toolCall",
                    "id": block["id"],
                    "name": name,
                    "arguments": arguments if isinstance(arguments, dict) else {"input": arguments},
                }
            )
            tool_names[block["id"]] = name
            has_tool = True
    return out, has_tool


def _user_block(block: Any) -> dict[str, Any] | None:
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        return {"type": "text", "text": block["text"]}
    if kind == "image":
        return _image(block)
    return None


def _result_content(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        return []
    return [mapped for mapped in map(_user_block, content) if mapped is not None]


def user_messages(content: Any, tool_names: dict[str, str], ms: int) -> list[dict[str, Any]]:
    """The pi messages of a user record, in order: ``toolResult`` messages for its
    ``tool_result`` blocks and a ``user`` message for each run of other blocks."""
    if isinstance(content, str):
        return [{"role": "user", "content": content, "timestamp": ms}]
    out: list[dict[str, Any]] = []
    if not isinstance(content, list):
        return out
    pending: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "tool_result":
            if pending:
                out.append({"role": "user", "content": pending, "timestamp": ms})
                pending = []
            call_id = block.get("tool_use_id")
            call_id = call_id if isinstance(call_id, str) else ""
            out.append(
                {
                    "role": "toolResult",
                    "toolCallId": call_id,
                    "toolName": tool_names.get(call_id, ""),
                    "content": _result_content(block.get("content")),
                    "isError": block.get("is_error") is True,
                    "timestamp": ms,
                }
            )
        else:
            mapped = _user_block(block)
            if mapped is not None:
                pending.append(mapped)
    if pending:
        out.append({"role": "user", "content": pending, "timestamp": ms})
    return out
