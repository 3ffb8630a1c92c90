"""Pure text renderers for people: one-line entry summaries, the tree, the context.

Nothing here does I/O; the command line prints what these return. Every piece of text taken
from a session (message text, ids, labels, names, model names...) is escaped with
:func:`~sesslog.render.escape.escape_text` before it is styled, so no line a renderer yields
holds a control character, a lone surrogate or a bidirectional control of the session's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from sesslog.format.records import Record
from sesslog.render.escape import escape_text
from sesslog.tree.context import SessionContext
from sesslog.tree.index import SessionTree
from sesslog.tree.text import message_text

__all__ = [
    "MAX_INDENT",
    "entry_summary",
    "message_summary",
    "render_context",
    "render_tree",
]

Style = Callable[[str, str], str]

#: Columns of tree drawing after which a fork's branches start again from the left margin.
MAX_INDENT = 48
#: How much of the fork point's id the marker of a branch drawn from the margin shows.
_MARKER_ID = 12
_WORD = re.compile(r"\S+")


def _plain(text: str, _code: str) -> str:
    return text


def _clip(text: str, width: int) -> str:
    """The first ``width`` characters of ``text`` with runs of white space made one space,
    escaped; reads no further into ``text`` than it needs."""
    words: list[str] = []
    length = -1
    for match in _WORD.finditer(text):
        words.append(match.group())
        length += len(words[-1]) + 1
        if length > width:
            break
    flat = " ".join(words)
    clipped = flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"
    return escape_text(clipped)


def _field(value: Any) -> str:
    """A short field of a session (a name, an id, a model) for a summary line."""
    return escape_text(_short(str(value)))


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message_summary(message: dict[str, Any], width: int = 72) -> str:
    """One line describing a context message (control characters escaped)."""
    role = _field(message.get("role", "?"))
    kind = message.get("role")
    if kind == "assistant":
        parts = []
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif block.get("type") == "toolCall":
                parts.append(f"[{_short(str(block.get('name')))}()]")
            elif block.get("type") == "thinking":
                parts.append("[thinking]")
        body = " ".join(parts)
    elif kind == "toolResult":
        flag = " error" if message.get("isError") else ""
        body = (
            f"{_short(str(message.get('toolName')))}{flag}: {message_text(message.get('content'))}"
        )
    elif kind == "bashExecution":
        body = f"$ {message.get('command')} (exit {_short(str(message.get('exitCode')))})"
    elif kind in ("compactionSummary", "branchSummary"):
        body = str(message.get("summary", ""))
    else:
        body = message_text(message.get("content"))
    return f"{role}: {_clip(body, width)}"


def entry_summary(rec: Record, width: int = 60) -> str:
    """One line describing an entry, decoding it only as far as needed (control characters
    escaped)."""
    kind = rec.type
    if kind == "message":
        value = rec.decode().get("message")
        return message_summary(value if isinstance(value, dict) else {}, width)
    if kind in ("model_change", "thinking_level_change", "compaction", "branch_summary"):
        obj = rec.decode()
        if kind == "model_change":
            return f"model → {_field(obj.get('provider'))}/{_field(obj.get('modelId'))}"
        if kind == "thinking_level_change":
            return f"thinking → {_field(obj.get('thinkingLevel'))}"
        return f"{kind}: {_clip(str(obj.get('summary', '')), width)}"
    if kind == "label":
        if rec.label:
            return f"label {_field(rec.target_id)} = {_field(repr(rec.label))}"
        return f"label {_field(rec.target_id)} cleared"
    if kind == "session_info":
        return f"name = {_field(repr(rec.name))}"
    if kind in ("custom", "custom_message"):
        return f"{kind} {_field(rec.decode().get('customType'))}"
    return _field(kind)


def render_tree(
    tree: SessionTree,
    *,
    style: Style = _plain,
    width: int = 60,
    active_only: bool = False,
    max_indent: int = MAX_INDENT,
) -> Iterator[str]:
    """Yield the tree as indented lines, marking the active path, the leaf and labels.

    Linear runs are drawn flat; only fork points indent, so a long conversation stays readable.
    Indentation is bounded: the branches of a fork that would be drawn more than
    ``max_indent`` columns in start again from the left margin, each first line marked
    ``↪ <fork point id>``, so a session with hundreds of nested branches stays narrow.

    Args:
        tree: The session's tree.
        style: ``style(text, ansi_code)`` for color (identity by default).
        width: Width of each entry's summary.
        active_only: Draw only the path to the leaf.
        max_indent: Columns of drawing after which branches restart at the margin.
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
        text = f"{marker} {_field(entry_id)}  {entry_summary(rec, width)}"
        label = tree.label_of(entry_id)
        if label:
            text += "  " + style(f"[{_field(label)}]", "33")
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
        if len(below) >= max_indent:
            restart = f"↪ {escape_text(_short(entry_id, _MARKER_ID))} "
            first_base, below_base = restart, " " * len(restart)
        else:
            first_base = below_base = below
        for index in range(len(kids) - 1, -1, -1):
            is_last = index == len(kids) - 1
            stack.append(
                (
                    kids[index],
                    first_base + ("└─ " if is_last else "├─ "),
                    below_base + ("   " if is_last else "│  "),
                )
            )


def render_context(
    context: SessionContext, *, style: Style = _plain, width: int = 100
) -> Iterator[str]:
    """Yield the context: model and thinking level, then one line per message (control
    characters escaped)."""
    model = context.model
    model_text = (
        f"{_field(model.get('provider'))}/{_field(model.get('modelId'))}" if model else "(none)"
    )
    yield style(f"model {model_text}, thinking {_field(context.thinking_level)}", "1")
    for index, message in enumerate(context.messages, 1):
        yield f"{index:>4}  {message_summary(message, width)}"
