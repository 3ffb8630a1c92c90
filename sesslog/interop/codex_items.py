"""Codex CLI response items as pi content: messages, reasoning, tool calls and their outputs.

Codex records the OpenAI Responses API's items: ``message`` (with ``input_text``,
``input_image`` and ``output_text`` parts), ``reasoning`` (summary and content texts),
``function_call`` (arguments as JSON text), ``custom_tool_call`` (free-form input),
``local_shell_call``, and the matching ``*_output`` items.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "ASSISTANT_ITEMS",
    "OUTPUT_ITEMS",
    "assistant_item_blocks",
    "message_blocks",
    "output_result",
    "usage_of",
]

#: Item types the model produces (parts of an assistant message).
ASSISTANT_ITEMS = frozenset({"reasoning", "function_call", "custom_tool_call", "local_shell_call"})
#: Item types holding a tool's output.
OUTPUT_ITEMS = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
)

_JSON = msgspec.json.Decoder()


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def usage_of(last: Any) -> tuple[int, int, int, int]:
    """pi's input, output, cache read and cache write of a ``last_token_usage`` object.

    OpenAI counts cached input inside ``input_tokens``; pi counts it apart.
    """
    if not isinstance(last, dict):
        return (0, 0, 0, 0)
    cached = _int(last.get("cached_input_tokens"))
    return (
        max(0, _int(last.get("input_tokens")) - cached),
        _int(last.get("output_tokens")),
        cached,
        0,
    )


def _image(url: Any) -> dict[str, Any] | None:
    """An image block from a ``data:<mime>;base64,<data>`` URL."""
    if isinstance(url, str) and url.startswith("data:") and ";base64," in url:
        mime, data = url[5:].split(";base64,", 1)
        return {"type": "image", "data": data, "mimeType": mime}
    return None


def message_blocks(content: Any) -> list[dict[str, Any]]:
    """Text and image blocks of a ``message`` item's content."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    out: list[dict[str, Any]] = []
    if not isinstance(content, list):
        return out
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
            out.append({"type": "text", "text": part["text"]})
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            out.append({"type": "text", "text": part["refusal"]})
        elif kind == "input_image":
            image = _image(part.get("image_url"))
            if image is not None:
                out.append(image)
    return out


def _arguments(text: Any) -> dict[str, Any]:
    """A function call's arguments as an object (kept whole under ``input`` otherwise)."""
    if isinstance(text, str):
        try:
            value = _JSON.decode(text)
        except (msgspec.DecodeError, UnicodeEncodeError):
            return {"input": text}
        return value if isinstance(value, dict) else {"input": value}
    return text if isinstance(text, dict) else {"input": text}


def assistant_item_blocks(item: dict[str, Any], tool_names: dict[str, str]) -> list[dict[str, Any]]:
    """The blocks an item adds to the assistant message; tool calls are noted in
    ``tool_names`` (call id → name)."""
    kind = item.get("type")
    if kind == "message":
        return message_blocks(item.get("content"))
    if kind == "reasoning":
        texts = [
            part["text"]
            for field in ("summary", "content")
            if isinstance(item.get(field), list)
            for part in item[field]
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        text = "\n\n".join(texts)
        return [{"type": "thinking", "thinking": text}] if text else []
    call_id = item.get("call_id") if isinstance(item.get("call_id"), str) else item.get("id")
    if not isinstance(call_id, str):
        return []
    found = item.get("name")
    name = found if isinstance(found, str) else ""
    if kind == "function_call":
        arguments = _arguments(item.get("arguments"))
    elif kind == "custom_tool_call":
        arguments = {"input": item.get("input")}
    else:  # local_shell_call
        name = "local_shell"
        action = item.get("action")
        arguments = action if isinstance(action, dict) else {"action": action}
    tool_names[call_id] = name
    return [{"type": "toolCall", "id": call_id, "name": name, "arguments": arguments}]


def output_result(item: dict[str, Any], tool_names: dict[str, str], ms: int) -> dict[str, Any]:
    """The ``toolResult`` message of an output item."""
    found = item.get("call_id")
    call_id = found if isinstance(found, str) else ""
    output = item.get("output")
    is_error = False
    if isinstance(output, dict):  # {"content": ..., "success": ...} in older versions
        is_error = output.get("success") is False
        output = output.get("content")
    if isinstance(output, str):
        content = [{"type": "text", "text": output}]
    else:
        content = message_blocks(output)
    return {
        "role": "toolResult",
        "toolCallId": call_id,
        "toolName": tool_names.get(call_id, ""),
        "content": content,
        "isError": is_error,
        "timestamp": ms,
    }
