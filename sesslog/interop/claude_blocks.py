"""Claude Code message content as pi content: blocks, tool results, usage and stop reasons.

Anthropic's Messages API blocks map one to one: ``text`` → ``text``; ``thinking`` →
``thinking`` (``signature`` → ``thinkingSignature``); ``redacted_thinking`` → a ``thinking``
block marked ``redacted``; ``tool_use`` → ``toolCall``; ``image`` with base64 data → ``image``;
``tool_result`` blocks (in user records) → ``toolResult`` messages. Other blocks (documents,
server tool blocks, images by URL) have no pi equivalent: they stay in the record kept with the
entry and are left out of the message.

A record's message is decoded with the record, in one pass; texts, tool inputs, tool results
and image data are not decoded: their JSON is carried over as it is (:class:`msgspec.Raw`),
which keeps them exact and spares decoding and encoding them again.
A record msgspec cannot read (a lone surrogate written by JavaScript) is read by the standard
library instead, and then these fields hold decoded values; every function here takes both.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "ClaudeMessage",
    "Usage4",
    "assistant_blocks",
    "message_of",
    "plain_text",
    "stop_reason",
    "text_of",
    "usage_of",
    "user_messages",
]

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


_NONE = msgspec.Raw()  # a field that is missing

# The fields typed ``msgspec.Raw`` hold raw JSON when msgspec decoded the record, and the
# decoded value when the standard library did (the constructor does not check types).


class _Block(msgspec.Struct, gc=False):
    """One content block."""

    type: Any = None
    text: msgspec.Raw = _NONE
    thinking: msgspec.Raw = _NONE
    signature: msgspec.Raw = _NONE
    data: msgspec.Raw = _NONE
    id: Any = None
    name: Any = None
    input: msgspec.Raw = _NONE
    tool_use_id: Any = None
    content: msgspec.Raw = _NONE
    is_error: Any = None
    source: msgspec.Raw = _NONE


class _Usage(msgspec.Struct, gc=False):
    input_tokens: Any = 0
    output_tokens: Any = 0
    cache_read_input_tokens: Any = 0
    cache_creation_input_tokens: Any = 0


class ClaudeMessage(msgspec.Struct, gc=False):
    """The ``message`` of a user or assistant record, decoded with the record (in one pass)."""

    id: Any = None
    model: Any = None
    content: str | list[_Block] | None = None
    stop_reason: Any = None
    usage: _Usage | None = None


class _Source(msgspec.Struct, gc=False):
    type: Any = None
    media_type: Any = None
    data: msgspec.Raw = _NONE


_BLOCKS = msgspec.json.Decoder(list[_Block])
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
_BLOCK = msgspec.json.Decoder(_Block)
_SOURCE = msgspec.json.Decoder(_Source)
_VALUE = msgspec.json.Decoder()


def _built(cls: type[Any], value: dict[str, Any]) -> Any:
    """``cls`` holding the decoded values of ``value`` (no validation)."""
    return cls(**{name: value[name] for name in cls.__struct_fields__ if name in value})


def message_of(value: Any) -> ClaudeMessage | None:
    """The record's ``message`` as a :class:`ClaudeMessage`, or ``None``."""
    if isinstance(value, ClaudeMessage):
        return value
    if isinstance(value, dict):
        message: ClaudeMessage = _built(ClaudeMessage, value)
        if isinstance(message.usage, dict):
            message.usage = _built(_Usage, message.usage)
        return message
    return None


def _first(value: Any) -> int:
    """The first byte of a raw JSON value (0 for anything else)."""
    return memoryview(value)[0] if isinstance(value, msgspec.Raw) and value else 0


def _string(value: Any) -> Any:
    """``value`` when it is a JSON string (raw or decoded), else ``None``."""
    if isinstance(value, str) or _first(value) == 0x22:  # '"'
        return value
    return None


def plain_text(value: Any) -> str:
    """A string value (raw or decoded) as text; ``""`` when it is not a string."""
    if isinstance(value, str):
        return value
    if _first(value) == 0x22:
        found = _VALUE.decode(value)
        return found if isinstance(found, str) else ""
    return ""


def text_of(content: Any) -> Any:
    """A user record's content as one text: the content itself when it is a string (raw or
    decoded), else its text blocks joined by newlines."""
    text = _string(content)
    if text is not None:
        return text
    return "\n".join(plain_text(b.text) for b in _blocks(content) if b.type == "text")


def _blocks(content: Any) -> list[Any]:
    """The blocks of a content list (raw or decoded); ``[]`` for anything else."""
    if isinstance(content, list):
        return [
            b if isinstance(b, _Block) else _built(_Block, b)
            for b in content
            if isinstance(b, (_Block, dict))
        ]
    if _first(content) != 0x5B:  # '['
        return []
    try:
        return list(_BLOCKS.decode(content))
    except msgspec.ValidationError:  # something other than objects in the list
        found = []
        for item in _ITEMS.decode(content):
            try:
                found.append(_BLOCK.decode(item))
            except msgspec.ValidationError:
                continue
        return found


def _int(value: Any) -> int:
    return value if type(value) is int else int(value) if isinstance(value, float) else 0


def usage_of(usage: Any) -> Usage4:
    """The token counts of an Anthropic ``usage`` object (zeros when missing)."""
    if not isinstance(usage, _Usage):
        return (0, 0, 0, 0)
    return (
        _int(usage.input_tokens),
        _int(usage.output_tokens),
        _int(usage.cache_read_input_tokens),
        _int(usage.cache_creation_input_tokens),
    )


def stop_reason(value: Any, has_tool_call: bool) -> str:
    """pi's ``stopReason`` for an Anthropic ``stop_reason`` (``null`` while streaming)."""
    mapped = _STOP.get(value) if isinstance(value, str) else None
    if mapped is not None:
        return mapped
    return "toolUse" if has_tool_call else "stop"


def _image(source: Any) -> dict[str, Any] | None:
    if isinstance(source, msgspec.Raw):
        if _first(source) != 0x7B:  # '{'
            return None
        source = _SOURCE.decode(source)
    elif isinstance(source, dict):
        source = _built(_Source, source)
    else:
        return None
    data = _string(source.data)
    if source.type == "base64" and data is not None and isinstance(source.media_type, str):
        return {"type": "image", "data": data, "mimeType": source.media_type}
    return None


def assistant_blocks(content: Any, tool_names: dict[str, str]) -> tuple[list[dict[str, Any]], bool]:
    """pi blocks for an assistant record's content, and whether it holds a tool call.

    Tool calls are noted in ``tool_names`` (id → name) for the results that follow.
    """
    text = _string(content)
    if text is not None:
        return [{"type": "text", "text": text}], False
    out: list[dict[str, Any]] = []
    has_tool = False
    for block in _blocks(content):
        kind = block.type
        if kind == "text":
            text = _string(block.text)
            if text is not None:
                out.append({"type": "text", "text": text})
        elif kind == "thinking":
            thinking = _string(block.thinking)
            if thinking is not None:
                shown: dict[str, Any] = {"type": "thinking", "thinking": thinking}
                signature = _string(block.signature)
                if signature is not None:
                    shown["thinkingSignature"] = signature
                out.append(shown)
        elif kind == "redacted_thinking":
            redacted: dict[str, Any] = {"type": "thinking", "thinking": "", "redacted": True}
            data = _string(block.data)
            if data is not None:
                redacted["thinkingSignature"] = data
            out.append(redacted)
        elif kind == "tool_use" and isinstance(block.id, str):
            name = block.name if isinstance(block.name, str) else ""
            arguments: Any = block.input
            if isinstance(arguments, msgspec.Raw) and not arguments:
                arguments = {}
            elif not (isinstance(arguments, dict) or _first(arguments) == 0x7B):  # '{'
                arguments = {"input": arguments}
            out.append({"type": "toolCall", "id": block.id, "name": name, "arguments": arguments})
            tool_names[block.id] = name
            has_tool = True
    return out, has_tool


def _user_block(block: Any) -> dict[str, Any] | None:
    if block.type == "text":
        text = _string(block.text)
        return {"type": "text", "text": text} if text is not None else None
    if block.type == "image":
        return _image(block.source)
    return None


def _result_content(content: Any) -> list[dict[str, Any]]:
    text = _string(content)
    if text is not None:
        return [{"type": "text", "text": text}]
    return [mapped for mapped in map(_user_block, _blocks(content)) if mapped is not None]


def user_messages(content: Any, tool_names: dict[str, str], ms: int) -> list[dict[str, Any]]:
    """The pi messages of a user record, in order: ``toolResult`` messages for its
    ``tool_result`` blocks and a ``user`` message for each run of other blocks."""
    text = _string(content)
    if text is not None:
        return [{"role": "user", "content": text, "timestamp": ms}]
    out: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for block in _blocks(content):
        if block.type == "tool_result":
            if pending:
                out.append({"role": "user", "content": pending, "timestamp": ms})
                pending = []
            call_id = block.tool_use_id if isinstance(block.tool_use_id, str) else ""
            out.append(
                {
                    "role": "toolResult",
                    "toolCallId": call_id,
                    "toolName": tool_names.get(call_id, ""),
                    "content": _result_content(block.content),
                    "isError": block.is_error is True,
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
