"""Pure text renderers for people: one-line entry summaries, the tree, the context.

Nothing here does I/O; the command line prints what these return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sesslog.format.records import Record
from sesslog.tree.context import SessionContext
from sesslog.tree.index import SessionTree
from sesslog.tree.text import message_text

__all__ = ["entry_summary", "message_summary", "render_context", "render_tree"]

Style = Callable[[str, str], str]


def _plain(text: str, _code: str) -> str:
    return text


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"


def message_summary(message: dict[str, Any], width: int = 72) -> str:
    """One line describing a context message."""
    role = str(message.get("role", "?"))
    if role == "assistant":
        parts = []
        for block in message.get("content") or []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif block.get("type") == "toolCall":
                parts.append(f"[{block.get('name')}()]")
            elif block.get("type") == "thinking":
                parts.append("[thinking]")
        body = " ".join(parts)
    elif role == "toolResult":
        flag = " error" if message.get("isError") else ""
        body = f"{message.get('toolName')}{flag}: {message_text(message.get('content'))}"
    elif role == "bashExecution":
        body = f"$ {message.get('command')} (exit {message.get('exitCode')})"
    elif role in ("compactionSummary", "branchSummary"):
        body = str(message.get("summary", ""))
    else:
        body = message_text(message.get("content"))
    return f"{role}: {_clip(body, width)}"


def entry_summary(rec: Record, width: int = 60) -> str:
    """One line describing an entry, decoding it only as far as needed."""
    kind = rec.type
    if kind == "message":
        value = rec.decode().get("message")
        return message_summary(value if isinstance(value, dict) else {}, width)
    if kind in ("model_change", "thinking_level_change", "compaction", "branch_summary"):
        obj = rec.decode()
        if kind == "model_change":
            return f"model → {obj.get('provider')}/{obj.get('modelId')}"
        if kind == "thinking_level_change":
            return f"thinking → {obj.get('thinkingLevel')}"
        return f"{kind}: {_clip(str(obj.get('summary', '')), width)}"
    if kind == "label":
        return (
            f"label {rec.target_id} = {rec.label!r}"
            if rec.label
            else f"label {rec.target_id} cleared"
        )
    if kind == "session_info":
        return f"name = {rec.name!r}"
    if kind in ("custom", "custom_message"):
        return f"{kind} {rec.decode().get('customType')}"
    return f"{kind}"


def render_tree(
    tree: SessionTree, *, style: Style = _plain, width: int = 60, active_only: bool = False
) -> Iterator[str]:
    """Yield the tree as indented lines, marking the active path, the leaf and labels.

    Linear runs are drawn flat; only fork points indent, so a long conversation stays readable.

    Args:
        tree: The session's tree.
        style: ``style(text, ansi_code)`` for color (identity by default).
        width: Width of each entry's summary.
        active_only: Draw only the path to the leaf.
    """
    leaf = tree.leaf_id
    on_path = set(tree.path_ids()) if leaf else set()
    # (entry id, prefix of its own line, prefix of the lines below it)
    stack: list[tuple[str, str, str]] = [(root, "", "") for root in reversed(tree.roots())]
    while stack:
        entry_id, first, below = stack.pop()
        if active_only and entry_id not in on_path:
            continue
        rec = tree.get(entry_id)
        marker = "●" if entry_id == leaf else ("•" if entry_id in on_path else "○")
        text = f"{marker} {entry_id}  {entry_summary(rec, width)}"
        label = tree.label_of(entry_id)
        if label:
            text += "  " + style(f"[{label}]", "33")
        if entry_id not in on_path:
            text = style(text, "2")
        elif entry_id == leaf:
            text = style(text, "1")
        yield first + text
        kids = tree.children(entry_id)
        if active_only:
            kids = [k for k in kids if k in on_path]
        if len(kids) == 1:
            stack.append((kids[0], below, below))
            continue
        for index in range(len(kids) - 1, -1, -1):
            is_last = index == len(kids) - 1
            stack.append(
                (
                    kids[index],
                    below + ("└─ " if is_last else "├─ "),
                    below + ("   " if is_last else "│  "),
                )
            )


def render_context(
    context: SessionContext, *, style: Style = _plain, width: int = 100
) -> Iterator[str]:
    """Yield the context: model and thinking level, then one line per message."""
    model = context.model
    model_text = f"{model.get('provider')}/{model.get('modelId')}" if model else "(none)"
    yield style(f"model {model_text}, thinking {context.thinking_level}", "1")
    for index, message in enumerate(context.messages, 1):
        yield f"{index:>4}  {message_summary(message, width)}"
