"""Codex CLI rollouts (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``) as pi sessions.

A rollout is a list of ``{"timestamp", "type", "payload"}`` records; the session is a chain,
each entry the child of the one before. How records map (``docs/interop.md`` has the table):

* ``response_item`` messages of the user become ``user`` messages; the items one model response
  produces (reasoning, assistant text, function and custom tool calls, shell calls) become one
  ``assistant`` message; ``*_output`` items become ``toolResult`` messages; developer messages
  become ``custom_message`` entries ``codex.developer`` (in the context, not displayed).
* ``event_msg`` ``token_count`` events give the usage of the response they follow
  (``last_token_usage``), counted once: a repeated event (same running total) adds nothing.
* ``compacted`` becomes a ``compaction`` entry keeping nothing before it.
* ``session_meta``, ``turn_context``, every ``event_msg`` and other items are kept as ``custom``
  entries ``codex.<type>`` holding the record.

Entry ids are derived from each record's bytes (``h`` and a 16-digit hash).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import msgspec

from sesslog.format.diagnostics import Diagnostic, Reason
from sesslog.interop.codex_items import (
    ASSISTANT_ITEMS,
    OUTPUT_ITEMS,
    assistant_item_blocks,
    message_blocks,
    output_result,
    usage_of,
)
from sesslog.interop.entries import (
    SOURCE_FIELD,
    Clock,
    custom_entry,
    hash_key,
    make_usage,
    message_entry,
    plain_entry,
    safe_id,
)
from sesslog.interop.framing import RecordDecoder, SourceRecord, frame_records
from sesslog.interop.plan import ConvertedFile, PlannedSession
from sesslog.interop.target import ExistingSession, ImportTarget

__all__ = ["CodexLine", "convert_codex"]

_ROLLOUT_ID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$")


class CodexLine(msgspec.Struct):
    """A rollout record."""

    timestamp: Any = None
    type: Any = None
    payload: Any = None


_DECODE = RecordDecoder(CodexLine)


def convert_codex(path: Path, data: bytes, root: ImportTarget) -> ConvertedFile:
    """Read a rollout and plan what to add to its target session.

    Args:
        path: The source file (recorded in the session).
        data: Its bytes.
        root: The store the session goes to (read to see what earlier imports left).
    """
    framed = frame_records(data, _DECODE)
    out = ConvertedFile(list(framed.damage), len(framed.records))
    meta: dict[str, Any] = {}
    for item in framed.records:
        if item.value.type == "session_meta" and isinstance(item.value.payload, dict):
            meta = item.value.payload
            break
    version = meta.get("cli_version")
    out.version = version if isinstance(version, str) else None
    base = meta.get("id") if isinstance(meta.get("id"), str) else None
    if base is None:
        found = _ROLLOUT_ID.search(path.name)
        base = found.group(1) if found else path.stem
    session_id = safe_id(base)
    plan = PlannedSession(session_id, _header(session_id, base, meta, framed.records, path, out))
    existing_path = root.find(session_id)
    existing = root.load(existing_path, hash_key) if existing_path is not None else None
    if existing is not None:
        out.existing[session_id] = existing
    provider = meta.get("model_provider")
    chain = _Chain(plan, existing, provider if isinstance(provider, str) else "openai")
    chain.run(framed.records, out.damage)
    out.damage.sort(key=lambda d: (d.line, d.offset))
    out.sessions.append(plan)
    return out


def _header(
    session_id: str,
    base: str,
    meta: dict[str, Any],
    records: list[SourceRecord[CodexLine]],
    path: Path,
    out: ConvertedFile,
) -> dict[str, Any]:
    clock = Clock()
    clock.seen(meta.get("timestamp"))
    cwd = meta.get("cwd")
    for item in records:
        if not clock.known:
            clock.seen(item.value.timestamp)
        payload = item.value.payload
        if not isinstance(cwd, str) and isinstance(payload, dict):
            cwd = payload.get("cwd")
        if clock.known and isinstance(cwd, str):
            break
    return {
        "type": "session",
        "version": 3,
        "id": session_id,
        "timestamp": clock.iso,
        "cwd": cwd if isinstance(cwd, str) and cwd else "/",
        "importedFrom": {
            "format": "codex",
            "path": os.path.abspath(path),
            "version": out.version,
            "sessionId": base,
        },
    }


class _Response:
    """The assistant message of one model response."""

    __slots__ = ("entry",)

    def __init__(self, entry: dict[str, Any] | None) -> None:
        self.entry = entry  # the message this import writes (None: written before)


class _Chain:
    """Turns a rollout's records into the entries to add, each the child of the one before."""

    def __init__(self, plan: PlannedSession, existing: ExistingSession | None, provider: str):
        self.plan = plan
        self.existing = existing
        self.provider = provider
        self.clock = Clock(plan.header["timestamp"])
        self.prev: str | None = None
        self.response: _Response | None = None
        self.tool_names: dict[str, str] = {}
        self.model = ""
        self.total: Any = None
        self.context_tokens = 0

    def run(self, records: list[SourceRecord[CodexLine]], damage: list[Diagnostic]) -> None:
        covers = self.existing.covers if self.existing is not None else None
        seen: set[str] = set()
        for item in records:
            key = hash_key(item.raw)
            if key in seen:
                detail = f"record {key} repeated byte for byte (kept once)"
                reason = Reason.DUPLICATE_ID_IDENTICAL.value
                damage.append(Diagnostic(item.line, item.offset, reason, detail))
                continue
            seen.add(key)
            covered = covers is not None and covers(key)
            line = item.value
            self.clock.seen(line.timestamp)
            payload = line.payload if isinstance(line.payload, dict) else {}
            kind = line.type
            if kind == "response_item":
                self._item(item, key, covered, payload)
            elif kind == "compacted":
                self._compacted(item, key, covered, payload)
            else:
                if kind == "turn_context" and isinstance(payload.get("model"), str):
                    self.model = payload["model"]
                name = f"codex.{kind if isinstance(kind, str) else 'record'}"
                self._custom(item, key, covered, name)
                if kind == "event_msg" and payload.get("type") == "token_count":
                    self._token_count(key, covered, payload.get("info"))

    # ------------------------------------------------------------------ writing

    def _add(self, entry: dict[str, Any], covered: bool, *, custom: bool = False) -> None:
        """Chain an entry after the one before (when imported before, only follow it)."""
        if not covered:
            self.plan.add(entry, custom=custom)
            self.prev = entry["id"]
        elif self.existing is not None and entry["id"] in self.existing.ids:
            self.prev = entry["id"]

    def _custom(self, item: SourceRecord[CodexLine], key: str, covered: bool, name: str) -> None:
        self._add(custom_entry(key, self.prev, self.clock, name, item.raw), covered, custom=True)

    def _message(
        self, item: SourceRecord[CodexLine], key: str, covered: bool, body: dict[str, Any]
    ) -> None:
        entry = message_entry(key, self.prev, self.clock, body)
        entry[SOURCE_FIELD] = [msgspec.Raw(item.raw)]
        self._add(entry, covered)

    def _assistant(self, key: str) -> dict[str, Any]:
        body = {
            "role": "assistant",
            "content": [],
            "api": "openai-responses",
            "provider": self.provider,
            "model": self.model,
            "usage": make_usage(0, 0, 0, 0),
            "stopReason": "stop",
            "timestamp": self.clock.ms,
        }
        entry = message_entry(key, self.prev, self.clock, body)
        entry[SOURCE_FIELD] = []
        return entry

    # ------------------------------------------------------------------ records

    def _item(
        self, item: SourceRecord[CodexLine], key: str, covered: bool, payload: dict[str, Any]
    ) -> None:
        kind = payload.get("type")
        role = payload.get("role")
        if kind in ASSISTANT_ITEMS or (kind == "message" and role == "assistant"):
            self._model_item(item, key, covered, payload)
            return
        ms = self.clock.ms
        if kind == "message" and role == "user":
            self.response = None
            body = {
                "role": "user",
                "content": message_blocks(payload.get("content")),
                "timestamp": ms,
            }
            self._message(item, key, covered, body)
        elif kind == "message":
            self.response = None
            entry = plain_entry("custom_message", key, self.prev, self.clock)
            entry["customType"] = f"codex.{role if isinstance(role, str) else 'message'}"
            entry["content"] = message_blocks(payload.get("content"))
            entry["display"] = False
            entry[SOURCE_FIELD] = [msgspec.Raw(item.raw)]
            self._add(entry, covered)
        elif kind in OUTPUT_ITEMS:
            self.response = None
            self._message(item, key, covered, output_result(payload, self.tool_names, ms))
        else:
            self._custom(item, key, covered, "codex.response_item")

    def _model_item(
        self, item: SourceRecord[CodexLine], key: str, covered: bool, payload: dict[str, Any]
    ) -> None:
        """An item of the model's response: part of the response's assistant message."""
        blocks = assistant_item_blocks(payload, self.tool_names)
        response = self.response
        if response is None or response.entry is None:
            if response is not None and covered:
                # Part of a message imported before; it may have started a message of its own.
                self._add(self._assistant(key), covered)
                return
            # A new response, or more of one imported before: a message of its own.
            entry = self._assistant(key)
            self._add(entry, covered)
            if response is None:
                response = self.response = _Response(None if covered else entry)
            else:
                response.entry = entry
            if covered:
                return
        elif covered:
            return
        assert response.entry is not None
        body = response.entry["message"]
        body["content"].extend(blocks)
        if any(block["type"] == "toolCall" for block in blocks):
            body["stopReason"] = "toolUse"
        response.entry[SOURCE_FIELD].append(msgspec.Raw(item.raw))

    def _token_count(self, key: str, covered: bool, info: Any) -> None:
        """Usage of the response before, counted once (repeated totals are skipped)."""
        if not isinstance(info, dict):
            return
        total = info.get("total_token_usage")
        if total is not None and total == self.total:
            return
        self.total = total
        last = info.get("last_token_usage")
        if isinstance(last, dict) and type(last.get("total_tokens")) is int:
            self.context_tokens = last["total_tokens"]
        response = self.response
        self.response = None
        if response is not None and response.entry is not None and not covered:
            response.entry["message"]["usage"] = make_usage(*usage_of(last))
            return
        # No message of this import to carry it: an assistant message with the usage alone.
        entry = self._assistant(f"{key}.1")
        entry["message"]["usage"] = make_usage(*usage_of(last))
        del entry[SOURCE_FIELD]
        self._add(entry, covered)

    def _compacted(
        self, item: SourceRecord[CodexLine], key: str, covered: bool, payload: dict[str, Any]
    ) -> None:
        self.response = None
        summary = payload.get("message")
        if not isinstance(summary, str) or not summary:
            history = payload.get("replacement_history")
            texts = [
                block["text"]
                for entry in (history if isinstance(history, list) else [])
                if isinstance(entry, dict) and entry.get("type") == "message"
                for block in message_blocks(entry.get("content"))
                if block["type"] == "text"
            ]
            summary = "\n\n".join(texts)
        entry = plain_entry("compaction", key, self.prev, self.clock)
        entry["summary"] = summary
        entry["firstKeptEntryId"] = key  # nothing before is kept
        entry["tokensBefore"] = self.context_tokens
        entry[SOURCE_FIELD] = [msgspec.Raw(item.raw)]
        self._add(entry, covered)
