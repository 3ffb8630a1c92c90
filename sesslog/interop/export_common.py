"""What the exporters share: which entries to export, session metadata and usage sums (text is
made safe to show by :func:`sesslog.render.escape.visible_text`)."""

from __future__ import annotations

import math
from typing import Any

import msgspec

from sesslog.format.records import Record
from sesslog.session import Session

__all__ = [
    "SNAPSHOT_CUSTOM_TYPE",
    "UsageTotals",
    "export_records",
    "models_used",
    "session_metadata",
    "usage_totals",
]

#: ``customType`` of the ``custom`` entries exports show as snapshots.
SNAPSHOT_CUSTOM_TYPE = "sesslog.snapshot"


def export_records(
    session: Session, *, leaf_id: str | None = None, whole_tree: bool = False
) -> list[Record]:
    """The entries an export covers: the path from the root to ``leaf_id`` (default: the
    leaf), or every entry in file order with ``whole_tree``.

    Raises:
        EntryNotFoundError: ``leaf_id`` is not in the session.
    """
    if whole_tree:
        return list(session.tree)
    return session.path_to(leaf_id)


class UsageTotals(msgspec.Struct, rename="camel"):
    """Token counts and cost summed over assistant messages (``usage`` of the format, section 4).

    Attributes:
        messages: Assistant messages that carried a usage object.
        input: Input tokens.
        output: Output tokens.
        cache_read: Tokens read from the prompt cache.
        cache_write: Tokens written to the prompt cache.
        total_tokens: ``totalTokens`` where given, else the sum of the four counts.
        cost: Total cost in the provider's currency (``cost.total``).
    """

    messages: int = 0
    input: int | float = 0
    output: int | float = 0
    cache_read: int | float = 0
    cache_write: int | float = 0
    total_tokens: int | float = 0
    cost: int | float = 0

    def add(self, usage: Any) -> None:
        """Add one message's ``usage`` object (ignored when it is not one)."""
        if not isinstance(usage, dict):
            return
        counts = [_number(usage.get(key)) for key in ("input", "output", "cacheRead", "cacheWrite")]
        self.messages += 1
        self.input += counts[0]
        self.output += counts[1]
        self.cache_read += counts[2]
        self.cache_write += counts[3]
        total = usage.get("totalTokens")
        self.total_tokens += _number(total) if total is not None else sum(counts)
        cost = usage.get("cost")
        if isinstance(cost, dict):
            self.cost += _number(cost.get("total"))


def _number(value: Any) -> int | float:
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return value
    return 0


class _MessageFacts(msgspec.Struct):
    role: Any = None
    provider: Any = None
    model: Any = None
    usage: Any = None


class _EntryFacts(msgspec.Struct):
    message: _MessageFacts | None = None


_FACTS = msgspec.json.Decoder(_EntryFacts)


def _message_facts(rec: Record) -> _MessageFacts | None:
    """Role, model and usage of a ``message`` entry, decoding nothing else of it."""
    if rec.type != "message":
        return None
    try:
        return _FACTS.decode(rec.raw).message
    except (msgspec.DecodeError, UnicodeDecodeError):
        message = rec.decode().get("message")
        if not isinstance(message, dict):
            return None
        return _MessageFacts(
            message.get("role"), message.get("provider"), message.get("model"), message.get("usage")
        )


def usage_totals(records: list[Record]) -> UsageTotals:
    """Sum the usage of the assistant messages among ``records``."""
    totals = UsageTotals()
    for rec in records:
        facts = _message_facts(rec)
        if facts is not None and facts.role == "assistant":
            totals.add(facts.usage)
    return totals


def models_used(records: list[Record]) -> list[str]:
    """``provider/model`` of every assistant message among ``records``, first use first."""
    models: dict[str, None] = {}
    for rec in records:
        facts = _message_facts(rec)
        if facts is not None and facts.role == "assistant" and facts.model is not None:
            models[f"{facts.provider}/{facts.model}"] = None
    return list(models)


def session_metadata(session: Session) -> dict[str, Any]:
    """What an export says about the session: header fields, name and counts."""
    header = session.header
    return {
        "id": header.get("id"),
        "cwd": header.get("cwd"),
        "created": header.get("timestamp"),
        "fileVersion": session.file_version,
        "parentSession": header.get("parentSession") or header.get("branchedFrom"),
        "name": session.name,
        "entries": len(session.tree),
        "leafId": session.leaf_id,
        "branches": len(session.tree.leaves()),
        "labels": session.labels,
    }
