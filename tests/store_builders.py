"""Builders of session files with known content, for the store and catalog tests.

A :class:`SessionFile` writes a session in pi's layout under a store root, one line per
``write()`` as pi does, with timestamps one second apart (or as given), so every fact a
catalog derives (tokens, cost, tool durations, files touched, errors) is known in advance.
"""

from __future__ import annotations

import itertools
import json
import os
import zlib
from pathlib import Path
from typing import Any

from sesslog.backends.layout import folder_for_cwd, session_file_name

__all__ = ["PI_REAL", "PI_WILD", "SHARED", "SessionFile", "usage"]

#: The shared data beside the repository (skip tests that need it when missing).
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PI_REAL = SHARED / "fixtures" / "pi-real"
PI_WILD = SHARED / "fixtures" / "pi-wild"

_ids = itertools.count(1)


def usage(
    input: int = 0,
    output: int = 0,
    cache_read: int = 0,
    cache_write: int = 0,
    cost: float = 0.0,
) -> dict[str, Any]:
    """An assistant message's ``usage`` object."""
    return {
        "input": input,
        "output": output,
        "cacheRead": cache_read,
        "cacheWrite": cache_write,
        "totalTokens": input + output + cache_read + cache_write,
        "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": cost},
    }


def _iso(seconds: int) -> str:
    day, rest = divmod(seconds, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"2026-01-{5 + day:02d}T{hour:02d}:{minute:02d}:{second:02d}.000Z"


class SessionFile:
    """A session file being written line by line.

    Args:
        root: The store root.
        cwd: The working directory (gives the folder).
        session_id: The id (default: a fresh one).
        start: Seconds after 2026-01-05T00:00:00Z of the header (entries follow a second
            apart).
        parent: ``parentSession`` of the header.
        folder: The folder to write it in, instead of the one pi's layout names after ``cwd``
            (for a working directory no folder name may hold, such as one with control
            characters, as a hand-copied file could have).
    """

    def __init__(
        self,
        root: Path,
        cwd: str = "/home/dev/app",
        *,
        session_id: str | None = None,
        start: int = 36000,
        parent: str | None = None,
        folder: str | None = None,
    ) -> None:
        self.id = session_id or f"0192f2c8-0000-7000-8000-{next(_ids):012d}"
        self.cwd = cwd
        self.clock = start
        stamp = _iso(start)
        folder = folder if folder is not None else folder_for_cwd(cwd)
        self.path = root / folder / session_file_name(stamp, self.id)
        self.key = f"{self.path.parent.name}/{self.path.name}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.leaf: str | None = None
        header: dict[str, Any] = {
            "type": "session",
            "version": 3,
            "id": self.id,
            "timestamp": stamp,
            "cwd": cwd,
        }
        if parent is not None:
            header["parentSession"] = parent
        self.path.write_bytes(b"")
        self.line(header)
        self._n = 0

    def line(self, obj: dict[str, Any]) -> None:
        """Append one JSON object as one line, with one ``write()``."""
        data = (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.raw(data)

    def raw(self, data: bytes) -> None:
        """Append bytes as they are."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def entry(
        self, kind: str, *, entry_id: str | None = None, at: int | None = None, **fields: Any
    ) -> str:
        """Append an entry as a child of the last one; returns its id."""
        self._n += 1
        self.clock = self.clock + 1 if at is None else at
        entry_id = entry_id or f"{zlib.crc32(self.id.encode()) & 0xFFFF:04x}{self._n:04x}"
        obj: dict[str, Any] = {
            "type": kind,
            "id": entry_id,
            "parentId": fields.pop("parent", self.leaf),
            "timestamp": _iso(self.clock),
        }
        obj.update(fields)
        self.line(obj)
        self.leaf = entry_id
        return entry_id

    def user(self, text: str, **kw: Any) -> str:
        """A user message."""
        message = {"role": "user", "content": text, "timestamp": self.clock * 1000}
        return self.entry("message", message=message, **kw)

    def assistant(
        self,
        text: str = "",
        *,
        model: str = "claude-sonnet-4-5",
        use: dict[str, Any] | None = None,
        calls: list[tuple[str, str, dict[str, Any]]] = (),  # type: ignore[assignment]
        stop: str | None = None,
        response_id: str | None = None,
        **kw: Any,
    ) -> str:
        """An assistant message with text and tool calls ``(call id, tool, arguments)``."""
        content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        content += [
            {"type": "toolCall", "id": cid, "name": name, "arguments": args}
            for cid, name, args in calls
        ]
        message: dict[str, Any] = {
            "role": "assistant",
            "content": content,
            "api": "anthropic-messages",
            "provider": "anthropic",
            "model": model,
            "usage": use if use is not None else usage(),
            "stopReason": stop or ("toolUse" if calls else "stop"),
            "timestamp": self.clock * 1000,
        }
        if response_id is not None:
            message["responseId"] = response_id
        return self.entry("message", message=message, **kw)

    def result(self, call_id: str, tool: str, text: str, *, error: bool = False, **kw: Any) -> str:
        """A tool result."""
        message = {
            "role": "toolResult",
            "toolCallId": call_id,
            "toolName": tool,
            "content": [{"type": "text", "text": text}],
            "isError": error,
            "timestamp": self.clock * 1000,
        }
        return self.entry("message", message=message, **kw)

    def meta(self, **data: Any) -> str:
        """A ``sesslog.meta`` entry."""
        return self.entry("custom", customType="sesslog.meta", data=data)

    def name(self, title: str) -> str:
        """pi's session name."""
        return self.entry("session_info", name=title)
