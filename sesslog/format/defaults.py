"""The fields pi needs in every entry and message, and the defaults sesslog fills in.

pi reads a session back into its agent and its interface; a message missing a field they use
makes pi fail when it opens the session (an assistant message without ``usage``, for example).
Whatever sesslog writes for a caller who gave only part of an entry (``sesslog append`` with
plain JSON objects, or the typed ``append_*`` helpers) is completed here:

=================  ==========================================================================
message role       defaults (fields without a default must be given)
=================  ==========================================================================
every role         ``timestamp``: now, in Unix milliseconds
``user``           ``content`` must be given (a string or a list of blocks)
``assistant``      ``content``: ``[]`` (a string becomes one text block); ``api``,
                   ``provider``, ``model``: ``"unknown"``; ``usage``: zero for every count
                   and cost missing, ``totalTokens`` the sum of the four counts, ``cost.total``
                   the sum of the four costs; ``stopReason``: ``"toolUse"`` when a block is a
                   tool call, else ``"stop"``
``toolResult``     ``toolCallId`` and ``toolName`` must be given; ``content``: ``[]`` (a
                   string becomes one text block); ``isError``: ``false``
``bashExecution``  ``command`` must be given; ``output``: ``""``; ``cancelled`` and
                   ``truncated``: ``false``
``custom``         ``customType`` and ``content`` must be given; ``display``: ``true``
=================  ==========================================================================

Entries of the types the format declares must carry their fields (``model_change``:
``provider`` and ``modelId``; ``compaction``: ``summary``, ``firstKeptEntryId`` and
``tokensBefore``; ...); a ``custom_message`` gets ``display: true`` when it has none. Unknown
roles and entry types, and every field beyond these, are kept as given.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from sesslog.format.entries import AssistantMessage

__all__ = [
    "DEFAULT_API",
    "DEFAULT_MODEL",
    "DEFAULT_PROVIDER",
    "complete_assistant",
    "complete_entry",
    "complete_message",
    "complete_usage",
]

#: ``api``, ``provider`` and ``model`` of an assistant message that names none.
DEFAULT_API = "unknown"
DEFAULT_PROVIDER = "unknown"
DEFAULT_MODEL = "unknown"

_COUNTS = ("input", "output", "cacheRead", "cacheWrite")
_STRING = (str,)
_NUMBER = (int, float)
_CONTENT = (str, list)

#: Fields each declared entry type must carry, with their JSON types.
_ENTRY_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "message": {"message": (dict,)},
    "model_change": {"provider": _STRING, "modelId": _STRING},
    "thinking_level_change": {"thinkingLevel": _STRING},
    "compaction": {"summary": _STRING, "firstKeptEntryId": _STRING, "tokensBefore": _NUMBER},
    "branch_summary": {"fromId": _STRING, "summary": _STRING},
    "custom": {"customType": _STRING},
    "custom_message": {"customType": _STRING, "content": _CONTENT},
    "label": {"targetId": _STRING},
    "session_info": {"name": _STRING},
}

#: Fields each message role must carry (beyond those with defaults).
_ROLE_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "user": {"content": _CONTENT},
    "toolResult": {"toolCallId": _STRING, "toolName": _STRING},
    "bashExecution": {"command": _STRING},
    "custom": {"customType": _STRING, "content": _CONTENT},
}


def _require(obj: dict[str, Any], fields: dict[str, tuple[type, ...]], what: str) -> None:
    for name, types in fields.items():
        if name not in obj:
            raise ValueError(f'{what} has no "{name}"')
        _check_type(obj, name, types, what)


def _check_type(obj: dict[str, Any], name: str, types: tuple[type, ...], what: str) -> None:
    value = obj[name]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        kinds = " or ".join(_JSON_NAMES[t] for t in types)
        raise ValueError(f'{what}: "{name}" must be {kinds}')


_JSON_NAMES = {
    str: "a string",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "an object",
    bool: "true or false",
}


def complete_usage(usage: Any) -> dict[str, Any]:
    """A copy of an assistant message's ``usage`` with every count and cost pi reads.

    Args:
        usage: The given ``usage`` (``None`` when there is none).

    Returns:
        ``usage`` with missing counts and costs as 0, ``totalTokens`` the sum of the counts
        and ``cost.total`` the sum of the costs when not given; other fields kept.

    Raises:
        ValueError: ``usage`` or ``cost`` is not an object, or a count or cost not a number.

    >>> complete_usage({"input": 10, "output": 5})["totalTokens"]
    15
    """
    if not isinstance(usage if usage is not None else {}, dict):
        raise ValueError('"usage" must be an object')
    done = _summed(usage or {}, "totalTokens", "usage")
    if not isinstance(done.get("cost", {}), dict):
        raise ValueError('usage: "cost" must be an object')
    done["cost"] = _summed(done.get("cost", {}), "total", "usage.cost")
    return done


def _summed(numbers: dict[str, Any], total: str, what: str) -> dict[str, Any]:
    """A copy with the four counts (0 when missing) and their ``total`` when not given."""
    done = dict(numbers)
    for name in _COUNTS:
        done.setdefault(name, 0)
        _check_type(done, name, _NUMBER, what)
    done.setdefault(total, sum(done[name] for name in _COUNTS))
    _check_type(done, total, _NUMBER, what)
    return done


def _blocks(message: dict[str, Any], what: str) -> list[Any]:
    content = message.get("content", [])
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise ValueError(f'{what}: "content" must be a string or a list of blocks')
    return content


def complete_message(message: Any, now_ms: int) -> dict[str, Any]:
    """A copy of a message with every field pi needs (see the module's table).

    Args:
        message: The message object.
        now_ms: The time to give a message without ``timestamp`` (Unix milliseconds).

    Raises:
        ValueError: Not an object, no ``role``, or a field without a default missing or of the
            wrong type (the message names it).
    """
    if not isinstance(message, dict):
        raise ValueError('"message" must be an object')
    role = message.get("role")
    if not isinstance(role, str):
        raise ValueError('a message needs a "role" string')
    what = f"{role} message"
    done = dict(message)
    _require(done, _ROLE_FIELDS.get(role, {}), what)
    if role == "assistant":
        done["content"] = _blocks(done, what)
        for name, default in (
            ("api", DEFAULT_API),
            ("provider", DEFAULT_PROVIDER),
            ("model", DEFAULT_MODEL),
        ):
            done.setdefault(name, default)
            _check_type(done, name, _STRING, what)
        done["usage"] = complete_usage(done.get("usage"))
        calls = any(isinstance(b, dict) and b.get("type") == "toolCall" for b in done["content"])
        done.setdefault("stopReason", "toolUse" if calls else "stop")
        _check_type(done, "stopReason", _STRING, what)
    elif role == "toolResult":
        done["content"] = _blocks(done, what)
        done.setdefault("isError", False)
    elif role == "bashExecution":
        done.setdefault("output", "")
        done.setdefault("cancelled", False)
        done.setdefault("truncated", False)
    elif role == "custom":
        done.setdefault("display", True)
    done.setdefault("timestamp", now_ms)
    _check_type(done, "timestamp", _NUMBER, what)
    return done


def complete_entry(entry: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """A copy of an entry with the fields of its type checked and a message completed.

    Args:
        entry: The entry object (with its ``type``).
        now_ms: The time for a message without ``timestamp`` (Unix milliseconds).

    Raises:
        ValueError: A field its type requires is missing or of the wrong type.
    """
    kind = entry.get("type")
    if not isinstance(kind, str):
        raise ValueError('an entry needs a "type" string')
    _require(entry, _ENTRY_FIELDS.get(kind, {}), f"a {kind} entry")
    done = dict(entry)
    if kind == "message":
        done["message"] = complete_message(done["message"], now_ms)
    elif kind == "custom_message":
        done.setdefault("display", True)
    return done


def complete_assistant(message: AssistantMessage) -> AssistantMessage:
    """An assistant message whose ``usage`` is complete as :func:`complete_usage` makes it:
    ``totalTokens`` the sum of the four counts when the caller left it out, and ``cost.total``
    the sum of the four costs when it was left at 0 while a cost was given; the message itself
    when nothing is missing."""
    usage = message.usage
    cost = usage.cost
    parts = cost.input + cost.output + cost.cache_read + cost.cache_write
    if cost.total == 0 and parts != 0:
        usage = msgspec.structs.replace(usage, cost=msgspec.structs.replace(cost, total=parts))
    if usage.total_tokens is UNSET:
        total = usage.input + usage.output + usage.cache_read + usage.cache_write
        usage = msgspec.structs.replace(usage, total_tokens=total)
    if usage is message.usage:
        return message
    return msgspec.structs.replace(message, usage=usage)
