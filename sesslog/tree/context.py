"""The model context of a session (format contract, section 7).

Given a leaf, the context is what the model sees: the messages along the path from the root,
cut at the last compaction, plus the model and thinking level in force. Only the entries that
contribute are decoded, so the cost follows the path after the last compaction, not the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from sesslog.format.records import Record
from sesslog.format.table import RecordView
from sesslog.format.timestamps import iso_to_ms
from sesslog.tree.index import SessionTree

__all__ = [
    "FIRST_TAIL",
    "SessionContext",
    "build_context",
    "context_of_path",
    "context_of_tail",
    "entry_to_message",
    "grown_context",
]


class SessionContext(msgspec.Struct):
    """What the model sees at a point of the session.

    Attributes:
        messages: The messages as JSON objects, in order.
        thinking_level: The thinking level in force (``"off"`` by default).
        model: ``{"provider", "modelId"}`` of the model in force, or ``None``.
    """

    messages: list[dict[str, Any]]
    thinking_level: str = "off"
    model: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the format contract: ``{messages, thinkingLevel, model}``."""
        return {
            "messages": self.messages,
            "thinkingLevel": self.thinking_level,
            "model": self.model,
        }


def _entry_ms(rec: Record) -> int | float | None:
    ts = rec.timestamp
    return iso_to_ms(ts) if isinstance(ts, str) else None


def entry_to_message(rec: Record, obj: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Turn one entry into its context message, or ``None`` when it adds none.

    Args:
        rec: The entry.
        obj: The entry already decoded, to save decoding it again.
    """
    kind = rec.type
    if kind == "message":
        value = (obj if obj is not None else rec.decode()).get("message")
        return value if isinstance(value, dict) else None
    if kind == "custom_message":
        entry = obj if obj is not None else rec.decode()
        out = {
            "role": "custom",
            "customType": entry.get("customType"),
            "content": entry.get("content"),
            "display": entry.get("display"),
        }
        if "details" in entry:
            out["details"] = entry["details"]
        out["timestamp"] = _entry_ms(rec)
        return out
    if kind == "branch_summary":
        entry = obj if obj is not None else rec.decode()
        summary = entry.get("summary")
        if not summary:
            return None
        return {
            "role": "branchSummary",
            "summary": summary,
            "fromId": entry.get("fromId"),
            "timestamp": _entry_ms(rec),
        }
    return None


def build_context(tree: SessionTree, leaf_id: str | None = None) -> SessionContext:
    """Build the model context at ``leaf_id`` (default: the session's leaf).

    Args:
        tree: The session's tree.
        leaf_id: Where to stand; the tree's leaf when ``None``.

    Returns:
        The context; empty when the session has no entries.
    """
    if leaf_id is None and tree.leaf_id is None:
        return SessionContext(messages=[])
    return grown_context(lambda count: context_of_tail(tree, leaf_id, count))


#: How many entries of the path, walking back from where the context stands, a context is
#: first built from (then eight times more until they decide it). A compacted session's
#: context is decided near its end, and walking the whole path of a long session costs as
#: much as its id index.
FIRST_TAIL = 2048


def grown_context(attempt: Callable[[int], SessionContext | None]) -> SessionContext:
    """The first context ``attempt`` decides from the last :data:`FIRST_TAIL` entries of a
    path, then eight times more each time it cannot (``attempt`` must decide when its path is
    whole)."""
    count = FIRST_TAIL
    while (context := attempt(count)) is None:
        count *= 8
    return context


def context_of_tail(tree: SessionTree, leaf_id: str | None, count: int) -> SessionContext | None:
    """The context at ``leaf_id`` (default: the leaf) from the last ``count`` entries of its
    path, or ``None`` when they do not decide it (see :func:`context_of_path`); a path of fewer
    entries is whole and always decides it."""
    path = tree.path_view(leaf_id, last=count)
    return context_of_path(path, whole=len(path) < count)


def context_of_path(path: Sequence[Record], *, whole: bool = True) -> SessionContext | None:
    """The model context at the last entry of ``path``.

    Args:
        path: The entries from the root to where to stand (``whole``), or only the last of
            them (the end of that path, as a sidecar's ``tail:N`` load gives); as on any
            path of a tree, no id appears twice.
        whole: ``path`` starts at a root.

    Returns:
        The context; ``None`` when ``path`` is not whole and the entries before it could
        change the answer (no compaction in it, or its first kept entry, the thinking level
        or the model lie further back): load more of the path then.
    """
    # The types alone, without making a record of every entry of a lazy path.
    kinds = path.types() if isinstance(path, RecordView) else [rec.type for rec in path]
    thinking_level, model, settled = _settings(path, kinds)
    compaction_at = -1
    for index in range(len(kinds) - 1, -1, -1):
        if kinds[index] == "compaction":
            compaction_at = index
            break
    if not whole and (compaction_at == -1 or not settled):
        return None
    messages: list[dict[str, Any]] = []
    chosen: Sequence[Record]
    if compaction_at == -1:
        chosen = path
    else:
        compaction = path[compaction_at].decode()
        messages.append(
            {
                "role": "compactionSummary",
                "summary": compaction.get("summary"),
                "tokensBefore": compaction.get("tokensBefore"),
                "timestamp": _entry_ms(path[compaction_at]),
            }
        )
        first_kept = compaction.get("firstKeptEntryId")
        start = compaction_at
        # The ids of a path are unique: the search runs back from the compaction, near which
        # the first kept entry lies, instead of from the root.
        for index in range(compaction_at - 1, -1, -1):
            if path[index].id == first_kept:
                start = index
                break
        else:
            if not whole:
                return None  # the first kept entry may lie further back
        chosen = [*path[start:compaction_at], *path[compaction_at + 1 :]]
    for rec in chosen:
        message = entry_to_message(rec)
        if message is not None:
            messages.append(message)
    return SessionContext(messages, thinking_level, model)


def _settings(
    path: Sequence[Record], kinds: Sequence[str]
) -> tuple[str, dict[str, Any] | None, bool]:
    """The last thinking level and model on the path (whose entries' types are ``kinds``),
    found walking back from the leaf, and whether both were found (else defaults stand in).
    Only the records of entries of the types that can tell are made."""
    thinking_level: str | None = None
    model: dict[str, Any] | None = None
    model_found = False
    for index in range(len(kinds) - 1, -1, -1):
        kind = kinds[index]
        if thinking_level is None and kind == "thinking_level_change":
            level = path[index].decode().get("thinkingLevel")
            thinking_level = level if isinstance(level, str) else "off"
        elif not model_found and kind == "model_change":
            entry = path[index].decode()
            model = {"provider": entry.get("provider"), "modelId": entry.get("modelId")}
            model_found = True
        elif not model_found and kind == "message":
            message = path[index].message
            if message is not None and message.role == "assistant":
                model = {"provider": message.provider, "modelId": message.model}
                model_found = True
        if thinking_level is not None and model_found:
            break
    return thinking_level or "off", model, thinking_level is not None and model_found
