"""What the catalog takes out of one entry: its searchable text, a tool call's argument summary
and the files a tool call creates or modifies.

File tools are recognised by name, case-insensitively: pi's ``write`` and ``edit``, and the
names other agents' imported sessions use (``MultiEdit``, ``NotebookEdit``, ``apply_patch``).
The path is taken from the first of ``path``, ``file_path``, ``filePath``, ``file`` and
``notebook_path``; an ``apply_patch`` call names its files inside the patch text.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

__all__ = [
    "DOC_LIMIT",
    "PREVIEW_LIMIT",
    "RESULT_LIMIT",
    "arguments_summary",
    "block_text",
    "clean_text",
    "clean_value",
    "modified_files",
    "one_line",
]

#: Searchable text kept per entry (characters); longer text is cut.
DOC_LIMIT = 32_000
#: Searchable text kept per tool result (characters): outputs are long and mostly echoed files.
RESULT_LIMIT = 2_000
#: Characters of the first user message kept as the preview.
PREVIEW_LIMIT = 200
#: Characters of a tool call's argument summary.
SUMMARY_LIMIT = 200

_FILE_TOOLS = frozenset({"write", "edit", "multiedit", "multi_edit", "notebookedit"})
_PATH_KEYS = ("path", "file_path", "filePath", "file", "notebook_path")
_SUMMARY_KEYS = (
    "command",
    "cmd",
    "path",
    "file_path",
    "filePath",
    "file",
    "pattern",
    "query",
    "url",
)
_PATCH_FILE = re.compile(r"^\*\*\* (?:Add|Update|Delete) File: (.+)$", re.MULTILINE)
_PATCH_MOVE = re.compile(r"^\*\*\* Move to: (.+)$", re.MULTILINE)
_SPACES = re.compile(r"\s+")
_ENCODE = msgspec.json.Encoder().encode


def block_text(content: Any, *, thinking: bool = False) -> str:
    """The text of a message's content: a string, or the text blocks of a list.

    Args:
        content: The message's ``content``.
        thinking: Include thinking blocks.
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
        elif kind == "thinking" and thinking:
            text = block.get("thinking")
        else:
            continue
        if isinstance(text, str):
            parts.append(text)
    return "\n".join(parts)


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate as U+FFFD.

    A line can hold a lone surrogate escape (pi and Claude Code write one when they cut an
    emoji in half); the reader keeps it, but a catalog's text must be valid UTF-8 for SQLite,
    PostgreSQL and JSON. The session file keeps the original; only the catalog's copy changes.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def clean_value(value: Any) -> Any:
    """A decoded JSON value with :func:`clean_text` applied to every string and key in it."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): clean_value(item) for key, item in value.items()}
    return value


def one_line(text: str, limit: int) -> str:
    """``text`` with runs of whitespace as one space, cut to ``limit`` characters."""
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def arguments_summary(arguments: Any) -> str:
    """A one-line summary of a tool call's arguments: its command, path, pattern or query
    when it has one, else the arguments as compact JSON."""
    if isinstance(arguments, dict):
        for key in _SUMMARY_KEYS:
            value = arguments.get(key)
            if isinstance(value, str) and value:
                return one_line(value, SUMMARY_LIMIT)
        if isinstance(arguments.get("patch"), str) or isinstance(arguments.get("input"), str):
            files = _patch_files(str(arguments.get("patch") or arguments.get("input")))
            if files:
                return one_line(" ".join(files), SUMMARY_LIMIT)
    if arguments is None:
        return ""
    try:
        text = _ENCODE(arguments).decode("utf-8", "replace")
    except (TypeError, msgspec.EncodeError):  # pragma: no cover - decoded JSON always encodes
        return ""
    return one_line(text, SUMMARY_LIMIT)


def modified_files(tool: str, arguments: Any) -> list[str]:
    """The files a tool call creates or modifies (empty for tools that only read)."""
    if not isinstance(arguments, dict):
        return []
    name = tool.lower()
    if name in _FILE_TOOLS:
        for key in _PATH_KEYS:
            value = arguments.get(key)
            if isinstance(value, str) and value:
                return [value]
        return []
    if name in ("apply_patch", "applypatch"):
        text = arguments.get("patch") or arguments.get("input")
        return _patch_files(text) if isinstance(text, str) else []
    return []


def _patch_files(text: str) -> list[str]:
    found = [m.strip() for m in _PATCH_FILE.findall(text)]
    found += [m.strip() for m in _PATCH_MOVE.findall(text)]
    return list(dict.fromkeys(f for f in found if f))
