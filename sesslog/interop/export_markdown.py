"""Export a session as Markdown: the active path or the whole tree.

Message text is written as it is (agents write Markdown). Everything sesslog adds around it is
made safe: tool arguments, tool output, bash output and other structured data go into code
fences longer than any backtick run inside them, names go into code spans likewise, HTML in
``<summary>`` lines is escaped, and control characters are shown as control pictures. Tool
calls (with their results), bash output and thinking are folded in ``<details>`` blocks, which
GitHub and most viewers show collapsed.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from sesslog.format.records import Record
from sesslog.interop.export_common import (
    SNAPSHOT_CUSTOM_TYPE,
    export_records,
    models_used,
    session_metadata,
    usage_totals,
)
from sesslog.render.escape import visible_text
from sesslog.session import Session
from sesslog.tree.text import message_text

__all__ = ["export_markdown"]

_BACKTICKS = re.compile("`+")


def export_markdown(
    session: Session, *, leaf_id: str | None = None, whole_tree: bool = False
) -> str:
    """Render a session as Markdown.

    Args:
        session: The session.
        leaf_id: Export the path to this entry instead of the path to the leaf.
        whole_tree: Export every entry in tree order (roots in file order, children oldest
            first), with a heading where each branch starts.

    Raises:
        EntryNotFoundError: ``leaf_id`` is not in the session.
    """
    records = export_records(session, leaf_id=leaf_id, whole_tree=whole_tree)
    tree = session.tree
    order = [tree.get(node.id) for node in tree.nodes()] if whole_tree else records
    objs = [rec.decode() for rec in order]
    results, paired = _tool_results(objs)
    starts = _branch_starts(session) if whole_tree else {}
    labels = session.labels
    out = _front_matter(session, records, whole_tree)
    for index, (rec, obj) in enumerate(zip(order, objs, strict=True)):
        if rec.id in starts:
            out += ["---", "", starts[rec.id], ""]
        if index not in paired:  # a paired result is shown folded under its tool call
            out += _entry(rec, obj, results, labels.get(rec.id))
    return "\n".join(out).rstrip("\n") + "\n"


def _front_matter(session: Session, records: list[Record], whole_tree: bool) -> list[str]:
    meta = session_metadata(session)
    usage = usage_totals(records)
    scope = "whole tree" if whole_tree else f"path to {_code(records[-1].id if records else '-')}"
    rows = [
        ("Session", _code(meta["id"])),
        ("Working directory", _code(meta["cwd"])),
        ("Created", _inline(meta["created"])),
        (
            "Entries",
            f"{meta['entries']} in {_plural(meta['branches'], 'branch')}; exported: {scope}",
        ),
        ("Models", ", ".join(_code(m) for m in models_used(records)) or "-"),
        (
            "Usage",
            f"{usage.total_tokens:,} tokens (input {usage.input:,}, output {usage.output:,}, "
            f"cache read {usage.cache_read:,}, cache write {usage.cache_write:,}) "
            f"in {usage.messages} responses, cost {usage.cost:.4f}",
        ),
    ]
    title = meta["name"] or f"Session {meta['id']}"
    return [f"# {_inline(title)}", "", *(f"- **{k}:** {v}" for k, v in rows), ""]


def _branch_starts(session: Session) -> dict[str, str]:
    """A heading for each child of a fork point (and each root when there are several)."""
    starts: dict[str, str] = {}
    for node in session.tree.nodes():
        count = len(node.children)
        if count > 1:
            for number, child in enumerate(node.children, 1):
                starts[child] = f"### Branch {number} of {count} from {_code(node.id)}"
    roots = session.tree.roots()
    if len(roots) > 1:
        for number, root in enumerate(roots, 1):
            starts[root] = f"### Root {number} of {len(roots)}"
    return starts


def _tool_results(objs: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], set[int]]:
    """Tool result messages by the id of their call, for calls made earlier among ``objs``
    (first one wins), and the positions of those results."""
    results: dict[str, dict[str, Any]] = {}
    paired: set[int] = set()
    calls: set[str] = set()
    for index, obj in enumerate(objs):
        message = obj.get("message")
        if obj.get("type") != "message" or not isinstance(message, dict):
            continue
        if message.get("role") == "assistant":
            content = message.get("content")
            for block in content if isinstance(content, list) else []:
                if isinstance(block, dict) and block.get("type") == "toolCall":
                    calls.add(str(block.get("id")))
        elif message.get("role") == "toolResult":
            call_id = message.get("toolCallId")
            if isinstance(call_id, str) and call_id in calls and call_id not in results:
                results[call_id] = message
                paired.add(index)
    return results, paired


def _entry(
    rec: Record, obj: dict[str, Any], results: dict[str, dict[str, Any]], label: str | None
) -> list[str]:
    kind = str(rec.type)
    head = f'<a id="{html.escape(visible_text(str(rec.id)))}"></a>'
    tag = f" · *label: {_inline(label)}*" if label else ""
    message = obj.get("message")
    if kind == "message" and isinstance(message, dict):
        return _message(message, results, head, tag)
    if kind in ("compaction", "branch_summary"):
        title = "Compaction" if kind == "compaction" else "Branch summary"
        if kind == "compaction":
            title += f" ({_inline(obj.get('tokensBefore'))} tokens before)"
        return [head, f"## {title}{tag}", "", _quote(str(obj.get("summary", ""))), ""]
    if kind == "custom_message":
        title = f"## Custom message {_code(obj.get('customType'))}{tag}"
        return [head, title, "", visible_text(message_text(obj.get("content"))), ""]
    if kind == "model_change":
        model = f"{obj.get('provider')}/{obj.get('modelId')}"
        return [f"*Model: {_code(model)}*", ""]
    if kind == "thinking_level_change":
        return [f"*Thinking level: {_inline(obj.get('thinkingLevel'))}*", ""]
    if kind in ("label", "session_info"):
        return []  # labels show on the entries they name, the name in the title
    if kind == "custom" and obj.get("customType") == SNAPSHOT_CUSTOM_TYPE:
        data = obj.get("data")
        name = data.get("name") or data.get("label") if isinstance(data, dict) else None
        title = f"## Snapshot{f' “{_inline(name)}”' if name else ''}{tag}"
        return [head, title, "", *_folded("Snapshot data", _fence(_json(data), "json"))]
    name = f"{kind} {obj.get('customType')}" if kind == "custom" else kind
    return [head, *_folded(f"Entry: {name}", _fence(_json(obj), "json"))]


def _message(
    message: dict[str, Any], results: dict[str, dict[str, Any]], head: str, tag: str
) -> list[str]:
    role = str(message.get("role"))
    content = message.get("content")
    if role == "user":
        return [head, f"## User{tag}", "", *_blocks(content, results)]
    if role == "assistant":
        model = message.get("model")
        title = f"## Assistant ({_code(model)}){tag}" if model else f"## Assistant{tag}"
        lines = [head, title, "", *_blocks(content, results)]
        if message.get("errorMessage"):
            reason = _inline(message.get("stopReason"))
            lines += [f"> **{reason}:** {_inline(message.get('errorMessage'))}", ""]
        return lines
    if role == "toolResult":
        name = message.get("toolName")
        status = " (error)" if message.get("isError") else ""
        body = _fence(message_text(content), "")
        return [head, *_folded(f"Tool result: {name}{status}", body)]
    if role == "bashExecution":
        summary = f"$ {message.get('command')} (exit {message.get('exitCode')})"
        return [head, *_folded(summary, _fence(str(message.get("output", "")), ""))]
    if role == "custom":
        title = f"## Custom message {_code(message.get('customType'))}{tag}"
    else:
        title = f"## {_inline(role)}{tag}"
    text = message.get("summary") if "summary" in message else message_text(content)
    return [head, title, "", visible_text(str(text or "")), ""]


def _blocks(content: Any, results: dict[str, dict[str, Any]]) -> list[str]:
    if isinstance(content, str):
        return [visible_text(content), ""]
    lines: list[str] = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            lines += [visible_text(str(block.get("text", ""))), ""]
        elif kind == "thinking":
            text = "(redacted)" if block.get("redacted") else str(block.get("thinking", ""))
            lines += _folded("Thinking", _quote(text))
        elif kind == "image":
            data = str(block.get("data", "")).strip()
            size = len(data) * 3 // 4 - len(data) + len(data.rstrip("="))
            lines += [f"*[image: {_inline(block.get('mimeType'))}, {size:,} bytes]*", ""]
        elif kind == "toolCall":
            lines += _tool_call(block, results.get(str(block.get("id"))))
        else:
            lines += _folded(f"Block: {kind}", _fence(_json(block), "json"))
    return lines


def _tool_call(block: dict[str, Any], result: dict[str, Any] | None) -> list[str]:
    body = [_fence(_json(block.get("arguments")), "json")]
    status = " (no result)"
    if result is not None:
        status = " (error)" if result.get("isError") else ""
        body += ["", "**Result**", "", _fence(message_text(result.get("content")), "")]
    return _folded(f"Tool call: {block.get('name')}{status}", "\n".join(body))


def _folded(summary: str, body: str) -> list[str]:
    text = html.escape(" ".join(visible_text(summary).split())[:200])
    return [f"<details><summary>{text}</summary>", "", body, "", "</details>", ""]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}es"


def _fence(text: str, info: str) -> str:
    """``text`` in a code fence longer than any backtick run inside it."""
    runs = [len(m) for m in _BACKTICKS.findall(text)]
    ticks = "`" * max(3, max(runs, default=0) + 1)
    return f"{ticks}{info}\n{visible_text(text).rstrip(chr(10))}\n{ticks}"


def _code(value: Any) -> str:
    """``value`` as one inline code span, whatever backticks it holds."""
    text = _inline(value)
    runs = [len(m) for m in _BACKTICKS.findall(text)]
    ticks = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in visible_text(text).split("\n"))


def _inline(value: Any) -> str:
    """A value as text for one line: control characters shown, line breaks as spaces."""
    return " ".join(visible_text(str(value)).split("\n"))


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
