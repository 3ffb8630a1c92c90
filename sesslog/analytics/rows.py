"""The rows of the analytics tables, from one session's bytes (no Parquet here).

A session is read once and folded with the catalog's own fold (:mod:`sesslog.catalog.facts`),
so the tables count what the catalog counts: an entry id seen twice in a session once, a
response once across the store (by ``responseId``, else by its line's bytes: a fork copies
lines byte for byte), a tool call once across the store (by call id and entry), a tool
execution from its assistant entry's timestamp to its result entry's.
"""

from __future__ import annotations

import datetime
from typing import Any

from sesslog.catalog.facts import Fold, FoldState, SeenKeys, ToolResultEvent
from sesslog.catalog.types import SessionInfo
from sesslog.format.reader import ReadMode, read_bytes
from sesslog.format.timestamps import iso_to_ms

__all__ = ["Seen", "fold_session", "session_row", "tool_rows", "usage_rows"]

Row = dict[str, Any]


class Seen:
    """What earlier sessions of the export already gave: response keys and tool calls."""

    def __init__(self) -> None:
        self.responses: set[str] = set()
        self.calls: set[tuple[str, str]] = set()


def _ms(stamp: str | None) -> int | None:
    return iso_to_ms(stamp) if stamp else None


def session_row(info: SessionInfo) -> Row:
    """The ``sessions`` row of a session's listing facts."""
    return {
        "session_id": info.id,
        "key": info.key,
        "path": info.path,
        "cwd": info.cwd,
        "title": info.title,
        "status": info.status,
        "user": info.user,
        "parent": info.parent,
        "tags": list(info.tags),
        "models": list(info.models),
        "created": _ms(info.created),
        "updated": _ms(info.updated),
        "entries": info.entries,
        "messages": info.messages,
        "bytes": info.bytes,
        "input_tokens": info.tokens.input,
        "output_tokens": info.tokens.output,
        "cache_read_tokens": info.tokens.cache_read,
        "cache_write_tokens": info.tokens.cache_write,
        "total_tokens": info.tokens.total,
        "cost": info.cost,
        "tool_calls": info.tool_calls,
        "tool_errors": info.tool_errors,
        "errors": info.errors,
        "files": info.files,
        "error": info.error,
    }


def fold_session(data: bytes, name: str) -> tuple[Fold, list[Row]]:
    """Fold a session's bytes; the fold and the ``entries`` rows (first id wins)."""
    read = read_bytes(data, ReadMode.TOLERANT, path=name)
    fold = Fold(FoldState(), SeenKeys())
    fold.header(read.header, read.file_version)
    session_id = fold.state.id
    entries: list[Row] = []
    taken: set[str] = set()
    for rec in read.records:
        if type(rec.id) is not str or rec.id in taken:
            continue
        taken.add(rec.id)
        head = rec.message
        entries.append(
            {
                "session_id": session_id,
                "entry_id": rec.id,
                "parent_id": rec.parent_id if isinstance(rec.parent_id, str) else None,
                "type": str(rec.type),
                "role": _text(head.role) if head is not None else None,
                "provider": _text(head.provider) if head is not None else None,
                "model": _text(head.model) if head is not None else None,
                "timestamp": _ms(rec.timestamp) if isinstance(rec.timestamp, str) else None,
                "line": rec.line,
                "bytes": len(rec.raw),
            }
        )
    fold.add_all(read.records)
    return fold, entries


def _day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def usage_rows(fold: Fold, seen: Seen) -> list[Row]:
    """The ``usage`` rows of a fold: responses not given by an earlier session."""
    rows = []
    for r in fold.responses:
        if r.key in seen.responses:
            continue
        seen.responses.add(r.key)
        rows.append(
            {
                "session_id": fold.state.id,
                "response": r.key,
                "model": r.model,
                "day": _day(r.day),
                "input_tokens": r.input,
                "output_tokens": r.output,
                "cache_read_tokens": r.cache_read,
                "cache_write_tokens": r.cache_write,
                "total_tokens": r.total,
                "cost": r.cost,
            }
        )
    return rows


def tool_rows(fold: Fold, seen: Seen) -> list[Row]:
    """The ``tool_executions`` rows of a fold: calls not given by an earlier session, each
    with its first result."""
    results: dict[str, list[ToolResultEvent]] = {}
    for event in fold.results:
        results.setdefault(event.call_id, []).append(event)
    rows = []
    for call in fold.calls:
        pending = results.get(call.call_id)
        result = pending.pop(0) if pending else None
        if (call.call_id, call.entry) in seen.calls:
            continue
        seen.calls.add((call.call_id, call.entry))
        ended = None if result is None else result.ended_ms
        rows.append(
            {
                "session_id": fold.state.id,
                "call_id": call.call_id,
                "tool": call.tool,
                "summary": call.summary,
                "entry_id": call.entry,
                "ok": None if result is None else result.ok,
                "started": call.started_ms,
                "ended": ended,
                "duration_ms": (
                    None if ended is None or call.started_ms is None else ended - call.started_ms
                ),
            }
        )
    return rows
