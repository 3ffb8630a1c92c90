"""Plain text out of message content, for summaries, search and exports."""

from __future__ import annotations

from typing import Any

__all__ = ["message_text"]


def message_text(content: Any) -> str:
    """The plain text of a message's content (a string or a list of blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(block["text"])
            for block in content
            if isinstance(block, dict) and block.get("type") == "text" and "text" in block
        )
    return ""
