"""Which program wrote a JSONL file: pi (or OpenClaw), Claude Code or Codex CLI.

The first records decide: a pi session starts with a ``{"type": "session"}`` header; a Codex
rollout's records are ``{"timestamp", "type", "payload"}`` with ``type`` one of
``session_meta``, ``response_item``, ``event_msg``, ``turn_context`` or ``compacted``; a Claude
Code record has a ``uuid``, ``sessionId`` or ``leafUuid``, or one of Claude Code's record types.
"""

from __future__ import annotations

import enum
import os
from typing import Any

import msgspec

from sesslog.format.glued import split_glued

__all__ = ["SourceFormat", "detect_bytes", "detect_format"]


class SourceFormat(str, enum.Enum):
    """The formats sesslog imports."""

    CLAUDE = "claude"
    CODEX = "codex"
    PI = "pi"


CODEX_TYPES = frozenset({"session_meta", "response_item", "event_msg", "turn_context", "compacted"})
CLAUDE_TYPES = frozenset(
    {
        "user",
        "assistant",
        "system",
        "summary",
        "progress",
        "attachment",
        "file-history-snapshot",
        "queue-operation",
        "custom-title",
        "agent-name",
        "tag",
    }
)

_HEAD = 1 << 20
_MAX_HEAD = 64 << 20
_RECORDS = 5


class _Probe(msgspec.Struct):
    type: Any = None
    payload: Any = msgspec.field(default=None)
    uuid: Any = None
    session_id: Any = msgspec.field(default=None, name="sessionId")
    leaf_uuid: Any = msgspec.field(default=None, name="leafUuid")


_DECODE = msgspec.json.Decoder(_Probe)


def detect_format(path: str | os.PathLike[str]) -> SourceFormat | None:
    """The format of a file, from its first records; ``None`` when not one sesslog imports.

    Raises:
        OSError: The file cannot be read.
    """
    with open(path, "rb") as file:
        head = file.read(_HEAD)
        while b"\n" not in head.lstrip(b"\xef\xbb\xbf\r\n\t ") and len(head) < _MAX_HEAD:
            more = file.read(_HEAD)
            if not more:
                break
            head += more
    return detect_bytes(head)


def detect_bytes(head: bytes) -> SourceFormat | None:
    """The format of a file from its first bytes (see :func:`detect_format`)."""
    seen = 0
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while pos < len(head):
        end = head.find(b"\n", pos)
        if end == -1:
            end = len(head)
        raw = head[pos:end].strip(b"\r\t \x00")
        pos = end + 1
        if not raw:
            continue
        for probe in _probes(raw):
            found = _judge(probe)
            if found is not None:
                return found
        seen += 1
        if seen >= _RECORDS:
            break
    return None


def _probes(raw: bytes) -> list[_Probe]:
    try:
        return [_DECODE.decode(raw)]
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    out = []
    for start, stop in split_glued(raw):
        try:
            out.append(_DECODE.decode(raw[start:stop]))
        except (msgspec.DecodeError, UnicodeDecodeError):
            continue
    return out


def _judge(probe: _Probe) -> SourceFormat | None:
    kind = probe.type if isinstance(probe.type, str) else None
    if kind == "session":
        return SourceFormat.PI
    if kind in CODEX_TYPES and probe.payload is not None:
        return SourceFormat.CODEX
    if any(isinstance(v, str) for v in (probe.uuid, probe.session_id, probe.leaf_uuid)):
        return SourceFormat.CLAUDE
    if kind in CLAUDE_TYPES:
        return SourceFormat.CLAUDE
    return None
