"""Small sessions for the export tests: one with branches, labels, a snapshot, tools, thinking,
an image and usage; one whose every text tries to run script in a page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
PAYLOAD = "window.__pwned=1"
HOSTILE_TEXTS = [
    f"<script>{PAYLOAD}</script>",
    f'<img src=x onerror="{PAYLOAD}">',
    f"[click me](javascript:{PAYLOAD})",
    f"javascript:{PAYLOAD}",
    f'<a href="javascript:{PAYLOAD}">link</a>',
    f"</script><script>{PAYLOAD}</script>",
    f"<!-- <script>{PAYLOAD}</script> -->",
    f"<svg onload={PAYLOAD}>",
    "<iframe srcdoc='<script>parent.__pwned=1</script>'></iframe>",
    "<img src=x onerror=alert('xss')> javascript:alert(document.domain)",
    "![tracker](https://example.com/pixel.png) <img src=https://example.com/pixel.png>",
    "<style>body{background:url(https://example.com/bg.png)}</style>",
    "control: \x00 \x07 \x1b[31mred\x1b[0m \x1b]0;title\x07 \u2028 \u202e reversed",
]


def usage(total_cost: float, output: int = 20) -> dict[str, Any]:
    """A usage object as pi writes it."""
    return {
        "input": 100,
        "output": output,
        "cacheRead": 5,
        "cacheWrite": 1,
        "totalTokens": 126 + output - 20,
        "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": total_cost},
    }


def assistant(lines: Any, entry_id: str, parent: str, content: list[Any], **extra: Any) -> bytes:
    message = {
        "role": "assistant",
        "content": content,
        "api": "anthropic-messages",
        "provider": "anthropic",
        "model": extra.pop("model", "claude-sonnet-4-5"),
        "usage": extra.pop("usage", usage(0.01)),
        "stopReason": extra.pop("stopReason", "stop"),
        "timestamp": 1767607200000,
        **extra,
    }
    return lines.entry(entry_id, parent, "message", message=message)


def tool_result(
    lines: Any, entry_id: str, parent: str, call_id: str, name: str, content: list[Any]
) -> bytes:
    message = {
        "role": "toolResult",
        "toolCallId": call_id,
        "toolName": name,
        "content": content,
        "isError": False,
        "timestamp": 1767607200000,
    }
    return lines.entry(entry_id, parent, "message", message=message)


def branched_session(lines: Any) -> bytes:
    """Two branches from ``t1``: ``u2b``/``b1`` (older) and ``u2a``/``a3`` (newer, the leaf's).

    Words to look for: ``zanzibar`` (in a tool result), ``alpha-branch-marker`` (the leaf's
    branch), ``beta-branch-marker`` (the other branch), ``checkpoint-one`` (a label),
    ``before refactor`` (a snapshot), ``acme.state`` (a custom entry).
    """
    return lines.session(
        lines.user("u1", None, "Please list the files"),
        assistant(
            lines,
            "a1",
            "u1",
            [
                {"type": "thinking", "thinking": "I should run ls to see them"},
                {"type": "text", "text": "Listing now, see https://example.com/docs for more"},
                {
                    "type": "toolCall",
                    "id": "call_1",
                    "name": "bash",
                    "arguments": {"command": "ls -la"},
                },
            ],
            stopReason="toolUse",
        ),
        tool_result(
            lines,
            "t1",
            "a1",
            "call_1",
            "bash",
            [{"type": "text", "text": "README.md\nzanzibar.txt"}],
        ),
        lines.user("u2b", "t1", "Explain the beta plan"),
        assistant(lines, "b1", "u2b", [{"type": "text", "text": "beta-branch-marker reply"}]),
        lines.entry(
            "u2a",
            "t1",
            "message",
            message={
                "role": "user",
                "content": [
                    {"type": "text", "text": "Explain the alpha plan, with this picture"},
                    {"type": "image", "data": PNG_1PX, "mimeType": "image/png"},
                ],
                "timestamp": 1767607200000,
            },
        ),
        assistant(
            lines,
            "a3",
            "u2a",
            [{"type": "text", "text": "alpha-branch-marker reply"}],
            usage=usage(0.02, 40),
        ),
        lines.entry("l1", "a3", "label", targetId="a1", label="checkpoint-one"),
        lines.entry(
            "s1", "l1", "custom", customType="sesslog.snapshot", data={"name": "before refactor"}
        ),
        lines.entry("c1", "s1", "custom", customType="acme.state", data={"k": 1}),
        lines.entry("n1", "c1", "session_info", name="Viewer sample"),
    )


def hostile_session(lines: Any) -> bytes:
    """Every text a page shows tries to run ``window.__pwned=1``."""
    text = "\n".join(HOSTILE_TEXTS)
    evil_id = f'"><script>{PAYLOAD}</script>'
    return lines.session(
        lines.user("h1", None, text + "\nsafe link: https://example.com/ok"),
        assistant(
            lines,
            evil_id,
            "h1",
            [
                {"type": "thinking", "thinking": text},
                {"type": "text", "text": text},
                {
                    "type": "toolCall",
                    "id": "call_x",
                    "name": f"<img src=x onerror={PAYLOAD}>",
                    "arguments": {"command": text},
                },
            ],
            model=f"</script><script>{PAYLOAD}</script>",
            stopReason="error",
            errorMessage=text,
        ),
        tool_result(
            lines,
            "h3",
            evil_id,
            "call_x",
            f"<script>{PAYLOAD}</script>",
            [
                {"type": "text", "text": text},
                {
                    "type": "image",
                    "data": "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
                    "mimeType": "image/svg+xml",
                },
                {"type": "image", "data": PNG_1PX, "mimeType": f'image/png" onerror="{PAYLOAD}'},
                {"type": "image", "data": f'x" onerror="{PAYLOAD}', "mimeType": "image/png"},
                {"type": "image", "data": PNG_1PX, "mimeType": "image/png"},
            ],
        ),
        lines.entry("h4", "h3", "label", targetId="h1", label=f"<img src=x onerror={PAYLOAD}>"),
        lines.entry(
            "h5", "h4", "custom", customType=f"<script>{PAYLOAD}</script>", data={"html": text}
        ),
        lines.entry("h6", "h5", "custom", customType="sesslog.snapshot", data={"name": text}),
        lines.entry("h7", "h6", f"<script>{PAYLOAD}</script>", payload=text),
        lines.entry(
            "h8",
            "h7",
            "custom_message",
            customType=text,
            content=text,
            display=True,
            details={"x": text},
        ),
        lines.entry("h9", "h8", "compaction", summary=text, firstKeptEntryId="h1", tokensBefore=5),
        lines.entry("h10", "h9", "branch_summary", fromId="h1", summary=text),
        lines.entry("h11", "h10", "model_change", provider=text, modelId=text),
        lines.entry("h12", "h11", "session_info", name=f"</title><script>{PAYLOAD}</script>"),
        cwd=f"/tmp/</title><script>{PAYLOAD}</script>",
    )


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def run_cli(*argv: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Any:
    """Run ``python -m sesslog ARGV`` and return the completed process (bytes out and err)."""
    return subprocess.run(
        [sys.executable, "-m", "sesslog", *argv],
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
