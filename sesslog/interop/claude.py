"""Claude Code transcripts (``~/.claude/projects/<encoded cwd>/<session id>.jsonl``, and
subagent files under ``<session id>/subagents/``) as pi sessions.

How records map (``docs/interop.md`` has the full table):

* ``uuid``/``parentUuid`` become ``id``/``parentId``.
* Assistant records sharing ``message.id`` (one API response streamed as several lines) become
  one assistant message whose usage is that of the response's last line, counted once.
* User records become ``user`` messages, and ``toolResult`` messages for their tool results.
* A ``compact_boundary`` becomes a ``compaction`` entry attached to its logical parent.
* ``custom-title`` becomes a ``session_info`` name, a summary of a leaf of this file a
  ``sesslog.meta`` entry ``{"summary": ...}``, tags ``{"tags": [...]}``.
* Everything else (progress, hook summaries, file history snapshots, queue operations...) is
  kept as a ``custom`` entry ``claude.<type>`` holding the record.

Sidechain records (subagents) become sessions of their own, one per agent, linked to the main
session: their id is ``<session id>-agent-<agent id>``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec

from sesslog.format.diagnostics import Diagnostic, Reason
from sesslog.interop.claude_convert import ClaudeLine, Converter
from sesslog.interop.entries import Clock, hash_key, safe_id
from sesslog.interop.framing import RecordDecoder, SourceRecord, frame_records
from sesslog.interop.plan import ConvertedFile, PlannedSession
from sesslog.interop.target import ImportTarget

__all__ = ["convert_claude", "record_key"]


class _Uuid(msgspec.Struct):
    uuid: Any = None


_DECODE = RecordDecoder(ClaudeLine)
_UUID = msgspec.json.Decoder(_Uuid)

Item = tuple[SourceRecord[ClaudeLine], str]


def record_key(raw: bytes | memoryview) -> str:
    """The key of a record kept in an entry's ``sourceRecords``: its uuid, else its hash."""
    try:
        found = _UUID.decode(raw).uuid
    except (msgspec.DecodeError, UnicodeDecodeError):
        found = None
    return found if type(found) is str else hash_key(raw)


def _partition(line: ClaudeLine) -> str:
    if line.is_sidechain is True:
        agent = line.agent_id
        return f"agent-{agent}" if isinstance(agent, str) and agent else "sidechain"
    return ""


def convert_claude(path: Path, data: bytes, root: ImportTarget) -> ConvertedFile:
    """Read a Claude Code file and plan what to add to each of its target sessions.

    Args:
        path: The source file (recorded in the sessions it gives).
        data: Its bytes.
        root: The store the sessions go to (read to see what earlier imports left).
    """
    framed = frame_records(data, _DECODE)
    out = ConvertedFile(list(framed.damage), len(framed.records))
    parts: dict[str, list[Item]] = {}
    seen: dict[str, bytes | memoryview] = {}
    uuids: set[str] = set()
    part = ""
    for item in framed.records:
        line = item.value
        if type(line.uuid) is str:
            part = _partition(line)
            uuids.add(line.uuid)
        key = _key_of(item, seen, out.damage)
        if key is None:
            continue
        if out.version is None and isinstance(line.version, str):
            out.version = line.version
        parts.setdefault(part, []).append((item, key))
    base = _source_session_id(framed.records, path)
    for name in sorted(parts, key=lambda p: (p != "", p)):
        items = parts[name]
        session_id = safe_id(base if not name else f"{base}-{name}")
        plan = PlannedSession(session_id, _header(session_id, base, name, items, path, out, root))
        found = root.find(session_id)
        existing = root.load(found, record_key) if found is not None else None
        if existing is not None:
            out.existing[session_id] = existing
        Converter(plan, existing, uuids, out.damage).run(items)
        out.sessions.append(plan)
    out.damage.sort(key=lambda d: (d.line, d.offset))
    return out


def _key_of(
    item: SourceRecord[ClaudeLine], seen: dict[str, bytes | memoryview], damage: list[Diagnostic]
) -> str | None:
    """The record's key (its uuid, or its hash); ``None`` for an identical repeat."""
    uuid = item.value.uuid
    key = uuid if type(uuid) is str else hash_key(item.raw)
    first = seen.get(key)
    if first is None:
        seen[key] = item.raw
        return key
    if first == item.raw:
        detail = f"record {key} repeated byte for byte (kept once)"
        reason = Reason.DUPLICATE_ID_IDENTICAL.value
        damage.append(Diagnostic(item.line, item.offset, reason, detail))
        return None
    detail = f"uuid {key} already used by another record (kept as a custom entry)"
    reason = Reason.DUPLICATE_ID_CONFLICTING.value
    damage.append(Diagnostic(item.line, item.offset, reason, detail))
    alt = hash_key(item.raw)
    seen[alt] = item.raw
    return alt


def _source_session_id(records: list[SourceRecord[ClaudeLine]], path: Path) -> str:
    for item in records:
        if isinstance(item.value.session_id, str) and item.value.session_id:
            return item.value.session_id
    return path.stem


def _header(
    session_id: str,
    base: str,
    part: str,
    items: list[Item],
    path: Path,
    out: ConvertedFile,
    root: ImportTarget,
) -> dict[str, Any]:
    """The header of a new target session: when and where it started, and its source."""
    clock = Clock()
    cwd = None
    for item, _ in items:
        line = item.value
        if not clock.known:
            clock.seen(line.timestamp)
        if cwd is None and isinstance(line.cwd, str) and line.cwd:
            cwd = line.cwd
        if cwd is not None and clock.known:
            break
    header: dict[str, Any] = {
        "type": "session",
        "version": 3,
        "id": session_id,
        "timestamp": clock.iso,
        "cwd": cwd or "/",
    }
    source: dict[str, Any] = {
        "format": "claude",
        "path": os.path.abspath(path),
        "version": out.version,
        "sessionId": base,
    }
    if part:
        main_id = safe_id(base)
        source["parentSessionId"] = main_id
        if part.startswith("agent-"):
            source["agentId"] = part[len("agent-") :]
        main = root.find(main_id)
        if main is not None:
            header["parentSession"] = root.path_of(main)
    header["importedFrom"] = source
    return header
