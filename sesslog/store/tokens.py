"""How many tokens a session's model context holds.

The method is pi's: the last assistant response in the context that carries usage (and was
made after the context's compaction, when it has one) measured the context up to itself, so
its total tokens (input, output, cache read and write) count as they are; every message after
it is estimated from its text at four characters a token (rounded up), an image at 1,200
tokens. With no such response, every message is estimated.

>>> from sesslog import Session
>>> s = Session.in_memory()
>>> _ = s.append_user_message("x" * 40)
>>> context_tokens(s).tokens
10
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from sesslog.session import Session


__all__ = ["ContextTokens", "context_tokens", "estimate_message"]

_CHARS_PER_TOKEN = 4
_IMAGE_CHARS = 4_800
_encode = msgspec.json.Encoder().encode


class ContextTokens(msgspec.Struct, kw_only=True):
    """The size of a context in tokens.

    Attributes:
        tokens: The total: ``from_usage + estimated``.
        from_usage: Tokens the last measured response reported (0 when none).
        estimated: Tokens estimated from the text of the messages after it.
        messages: Messages in the context.
        method: ``usage``, ``usage+estimate`` or ``estimate``.
    """

    tokens: int
    from_usage: int
    estimated: int
    messages: int
    method: str


def _usage_total(message: dict[str, Any]) -> int | None:
    usage = message.get("usage")
    if message.get("role") != "assistant" or not isinstance(usage, dict):
        return None
    if message.get("stopReason") in ("error", "aborted"):
        return None
    parts = [usage.get(k) for k in ("input", "output", "cacheRead", "cacheWrite")]
    total = sum(p for p in parts if isinstance(p, int | float) and not isinstance(p, bool))
    if not total:
        reported = usage.get("totalTokens")
        total = reported if isinstance(reported, int | float) else 0
    return int(total) if total else None


def _chars(content: Any) -> int:
    if isinstance(content, str):
        return len(content)
    if not isinstance(content, list):
        return 0
    count = 0
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            count += len(block["text"])
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            count += len(block["thinking"])
        elif kind == "toolCall":
            count += len(str(block.get("name", ""))) + len(_encode(block.get("arguments", {})))
        elif kind == "image":
            count += _IMAGE_CHARS
    return count


def estimate_message(message: dict[str, Any]) -> int:
    """Estimated tokens of one context message (characters / 4, rounded up)."""
    role = message.get("role")
    if role == "bashExecution":
        chars = len(str(message.get("command", ""))) + len(str(message.get("output", "")))
    elif role in ("compactionSummary", "branchSummary"):
        chars = len(str(message.get("summary", "")))
    else:
        chars = _chars(message.get("content"))
    return math.ceil(chars / _CHARS_PER_TOKEN)


def context_tokens(session: Session, leaf_id: str | None = None) -> ContextTokens:
    """The token count of the context at ``leaf_id`` (default: the leaf)."""
    messages = session.context(leaf_id).messages
    since = 0
    if messages and messages[0].get("role") == "compactionSummary":
        since = messages[0].get("timestamp") or 0
    measured = -1
    base = 0
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        total = _usage_total(message)
        stamp = message.get("timestamp")
        if total is not None and (not since or (isinstance(stamp, int) and stamp >= since)):
            measured, base = index, total
            break
    estimated = sum(estimate_message(m) for m in messages[measured + 1 :])
    method = "estimate" if measured < 0 else ("usage+estimate" if estimated else "usage")
    return ContextTokens(
        tokens=base + estimated,
        from_usage=base,
        estimated=estimated,
        messages=len(messages),
        method=method,
    )
