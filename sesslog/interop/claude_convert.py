"""The conversion of one Claude Code session's records into pi entries, in file order.

Claude Code links records by ``parentUuid``, but streams one API response as several records
(one per content block, all with the same ``message.id``), each the child of the one before, and
hangs each tool result off the record holding its ``tool_use``. Merging a response into one
message would leave parallel tool results on sibling branches, so records are attached by
*run*: a run starts at a user prompt, an assistant response, a compaction or a record whose
parent is unknown, and every record whose parent is in a run (tool results, progress, hooks,
later lines of the response) is attached to the run's last entry and becomes it. Records that
branch off elsewhere (a prompt re-asked after a rewind) start runs of their own, so real
branches stay branches.

An import that finds part of a response already in the session (a longer version of a
transcript imported after a shorter one) writes the response's new lines as a second assistant
message after what is there, with the usage that the new lines add, so the usage of every
response is still counted once.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sesslog.format.diagnostics import Diagnostic, Reason
from sesslog.interop.claude_blocks import (
    ClaudeMessage,
    Usage4,
    assistant_blocks,
    message_of,
    plain_text,
    stop_reason,
    text_of,
    usage_of,
    user_messages,
)
from sesslog.interop.entries import (
    META_CUSTOM_TYPE,
    SOURCE_FIELD,
    Clock,
    custom_entry,
    make_usage,
    message_entry,
    plain_entry,
)
from sesslog.interop.framing import SourceRecord
from sesslog.interop.plan import PlannedSession
from sesslog.interop.target import ExistingSession

__all__ = ["ClaudeLine", "Converter"]


class ClaudeLine(msgspec.Struct, rename="camel"):
    """The fields of a Claude Code record the import reads (the record itself is kept)."""

    type: Any = None
    uuid: Any = None
    parent_uuid: Any = None
    logical_parent_uuid: Any = None
    timestamp: Any = None
    session_id: Any = None
    agent_id: Any = None
    is_sidechain: Any = None
    is_compact_summary: Any = None
    is_api_error_message: Any = None
    subtype: Any = None
    cwd: Any = None
    version: Any = None
    message: ClaudeMessage | None = None
    content: Any = None
    compact_metadata: Any = None
    summary: Any = None
    leaf_uuid: Any = None
    custom_title: Any = None
    tag: Any = None
    tags: Any = None


class _Response:
    """One API response: the records sharing a ``message.id``."""

    __slots__ = ("base", "done", "entry", "error", "has_tool", "run", "stop")

    def __init__(self, run: str) -> None:
        self.run = run
        self.done: Usage4 = (0, 0, 0, 0)  # usage of the last record seen
        self.base: Usage4 = (0, 0, 0, 0)  # usage already written before ``entry``
        self.entry: dict[str, Any] | None = None  # the message this import writes
        self.has_tool = False
        self.stop: Any = None
        self.error: str | None = None


class _Boundary:
    """A compaction: its run, its size, and its entry when this import writes it."""

    __slots__ = ("entry", "run", "tokens")

    def __init__(self, run: str, tokens: int) -> None:
        self.run = run
        self.tokens = tokens
        self.entry: dict[str, Any] | None = None


class Converter:
    """Turns one target session's records into the entries to add.

    Args:
        plan: Where the new entries go.
        existing: What earlier imports left in the session (records it covers are not written
            again, only followed to know where new records attach).
        uuids: Every uuid of the file (a summary names a leaf of this file or of another).
        damage: Where to report missing parents.
    """

    def __init__(
        self,
        plan: PlannedSession,
        existing: ExistingSession | None,
        uuids: set[str],
        damage: list[Diagnostic],
    ) -> None:
        self.plan = plan
        self.existing = existing
        self.uuids = uuids
        self.damage = damage
        self.clock = Clock(plan.header["timestamp"])
        self.alias: dict[str, str] = {}  # source uuid -> run
        self.tail: dict[str, str] = {}  # run -> id of its last entry
        self.responses: dict[str, _Response] = {}
        self.boundaries: dict[str, _Boundary] = {}
        self.tool_names: dict[str, str] = {}
        self.last_run: str | None = None
        self.tags: list[str] = []

    def run(self, items: list[tuple[SourceRecord[ClaudeLine], str]]) -> None:
        """Convert the records (with their keys) in file order."""
        covers = self.existing.covers if self.existing is not None else None
        for item, key in items:
            line = item.value
            self.clock.seen(line.timestamp)
            covered = covers is not None and covers(key)
            kind = line.type
            message = message_of(line.message) if kind in ("assistant", "user") else None
            if key != line.uuid:
                self._unlinked(item, key, covered)
            elif kind == "assistant" and message is not None:
                self._assistant(item, key, covered, message)
            elif kind == "user" and message is not None:
                self._user(item, key, covered, message)
            elif kind == "system" and line.subtype == "compact_boundary":
                self._boundary(item, key, covered)
            else:
                self._linked(item, key, covered)
        for response in self.responses.values():
            if response.entry is not None:
                _finish(response)

    # ------------------------------------------------------------------ links

    def _parent(self, item: SourceRecord[ClaudeLine], uuid: Any) -> tuple[str | None, str | None]:
        """The entry to attach to for a source parent uuid, and its run."""
        if type(uuid) is not str:
            return None, None
        run = self.alias.get(uuid)
        if run is None:
            # A file cut at its start, or a record written before its parent: it follows the
            # record before it (the first record of a file becomes a root).
            run = self.last_run
            where = "imported as a root" if run is None else "attached after the record before"
            detail = f"parent {uuid} is not in the file; {where}"
            reason = Reason.ORPHANED_PARENT.value
            self.damage.append(Diagnostic(item.line, item.offset, reason, detail))
            return (None, None) if run is None else (self.tail[run], run)
        return self.tail[run], run

    def _join(self, key: str, run: str, last_id: str) -> None:
        self.alias[key] = run
        self.tail[run] = last_id
        self.last_run = run

    # ------------------------------------------------------------------ records

    def _assistant(
        self, item: SourceRecord[ClaudeLine], key: str, covered: bool, message: ClaudeMessage
    ) -> None:
        line = item.value
        response_id = message.id if type(message.id) is str else key
        blocks, has_tool = assistant_blocks(message.content, self.tool_names)
        usage = usage_of(message.usage)
        response = self.responses.get(response_id)
        if response is None:
            parent, _ = self._parent(item, line.parent_uuid)
            response = self.responses[response_id] = _Response(key)
            self._join(key, key, key)
            if not covered:
                response.entry = self._new_message(key, parent, message)
        else:
            self.alias[key] = response.run
            self.last_run = response.run
            if not covered and response.entry is None:  # more of a response written before
                response.base = response.done
                response.entry = self._new_message(key, self.tail[response.run], message)
                self.tail[response.run] = key
        entry = response.entry
        if not covered and entry is not None:
            entry["message"]["content"].extend(blocks)
            entry[SOURCE_FIELD].append(msgspec.Raw(item.raw))
            response.has_tool = response.has_tool or has_tool
            response.stop = message.stop_reason
            if line.is_api_error_message is True:
                text = "".join(plain_text(b["text"]) for b in blocks if b["type"] == "text")
                response.error = text or "API error"
        response.done = usage

    def _new_message(self, key: str, parent: str | None, message: ClaudeMessage) -> dict[str, Any]:
        model = message.model
        body: dict[str, Any] = {
            "role": "assistant",
            "content": [],
            "api": "anthropic-messages",
            "provider": "anthropic",
            "model": model if isinstance(model, str) else "",
            "usage": None,
            "stopReason": "stop",
            "timestamp": self.clock.ms,
        }
        entry = message_entry(key, parent, self.clock, body)
        entry[SOURCE_FIELD] = []
        return self.plan.add(entry)

    def _user(
        self, item: SourceRecord[ClaudeLine], key: str, covered: bool, message: ClaudeMessage
    ) -> None:
        line = item.value
        boundary = self.boundaries.get(line.parent_uuid) if line.is_compact_summary else None
        if boundary is not None:
            self._compact_summary(item, key, covered, boundary, message)
            return
        messages = user_messages(message.content, self.tool_names, self.clock.ms)
        parent, run = self._parent(item, line.parent_uuid)
        is_result = any(m["role"] == "toolResult" for m in messages)
        last = key if len(messages) <= 1 else f"{key}.{len(messages) - 1}"
        self._join(key, run if is_result and run is not None else key, last)
        if covered:
            return
        if not messages:
            self.plan.add(
                custom_entry(key, parent, self.clock, "claude.user", item.raw), custom=True
            )
            return
        for index, body in enumerate(messages):
            entry_id = key if index == 0 else f"{key}.{index}"
            entry = self.plan.add(message_entry(entry_id, parent, self.clock, body))
            if index == 0:
                entry[SOURCE_FIELD] = [msgspec.Raw(item.raw)]
            parent = entry_id

    def _boundary(self, item: SourceRecord[ClaudeLine], key: str, covered: bool) -> None:
        line = item.value
        logical = line.logical_parent_uuid
        parent, _ = self._parent(item, logical if type(logical) is str else line.parent_uuid)
        meta = line.compact_metadata
        tokens = meta.get("preTokens") if isinstance(meta, dict) else None
        boundary = self.boundaries[key] = _Boundary(key, tokens if type(tokens) is int else 0)
        self._join(key, key, key)
        if not covered:
            summary = line.content if isinstance(line.content, str) else "Conversation compacted"
            entry = _compaction(key, parent, self.clock, summary, boundary.tokens, item.raw)
            boundary.entry = self.plan.add(entry)

    def _compact_summary(
        self,
        item: SourceRecord[ClaudeLine],
        key: str,
        covered: bool,
        boundary: _Boundary,
        message: ClaudeMessage,
    ) -> None:
        """The user record holding a compaction's summary: it completes the compaction."""
        summary = text_of(message.content)
        self.alias[key] = boundary.run
        self.last_run = boundary.run
        if covered:
            if self.existing is not None and key in self.existing.ids:
                self.tail[boundary.run] = key  # written earlier as a compaction of its own
        elif boundary.entry is not None:
            boundary.entry["summary"] = summary
            boundary.entry[SOURCE_FIELD].append(msgspec.Raw(item.raw))
        else:  # the boundary came with an earlier import: a second compaction gives the summary
            parent = self.tail[boundary.run]
            self.plan.add(_compaction(key, parent, self.clock, summary, boundary.tokens, item.raw))
            self.tail[boundary.run] = key

    def _linked(self, item: SourceRecord[ClaudeLine], key: str, covered: bool) -> None:
        """A record with a uuid and no pi equivalent: a custom entry on its parent's run."""
        parent, run = self._parent(item, item.value.parent_uuid)
        self._join(key, run if run is not None else key, key)
        if not covered:
            kind = f"claude.{item.value.type}"
            self.plan.add(custom_entry(key, parent, self.clock, kind, item.raw), custom=True)

    def _unlinked(self, item: SourceRecord[ClaudeLine], key: str, covered: bool) -> None:
        """A record with no place in the conversation: attached after the record before it."""
        run = self.last_run if self.last_run is not None else key
        parent = self.tail.get(run)
        self.tail[run] = key
        self.last_run = run
        if not covered:
            entry, custom = self._unlinked_entry(item, key, parent)
            self.plan.add(entry, custom=custom)

    def _unlinked_entry(
        self, item: SourceRecord[ClaudeLine], key: str, parent: str | None
    ) -> tuple[dict[str, Any], bool]:
        line = item.value
        kind = line.type
        meta: dict[str, Any] | None = None
        if kind == "custom-title" and isinstance(line.custom_title, str) and line.custom_title:
            entry = plain_entry("session_info", key, parent, self.clock)
            entry["name"] = line.custom_title
            entry[SOURCE_FIELD] = [msgspec.Raw(item.raw)]
            return entry, False
        if kind == "summary" and isinstance(line.summary, str) and line.leaf_uuid in self.uuids:
            meta = {"summary": line.summary}
        elif kind == "tag" and (isinstance(line.tag, str) or isinstance(line.tags, list)):
            added = [line.tag] if isinstance(line.tag, str) else line.tags
            self.tags.extend(t for t in added if isinstance(t, str) and t not in self.tags)
            meta = {"tags": list(self.tags)}
        if meta is None:
            name = f"claude.{kind if isinstance(kind, str) else 'record'}"
            return custom_entry(key, parent, self.clock, name, item.raw), True
        entry = plain_entry("custom", key, parent, self.clock)
        entry["customType"] = META_CUSTOM_TYPE
        entry["data"] = meta
        entry[SOURCE_FIELD] = [msgspec.Raw(item.raw)]
        return entry, False


def _finish(response: _Response) -> None:
    """Fill in what depends on a response's last record: usage and stop reason."""
    assert response.entry is not None
    body = response.entry["message"]
    added = (max(0, now - was) for now, was in zip(response.done, response.base, strict=True))
    body["usage"] = make_usage(*added)
    body["stopReason"] = stop_reason(response.stop, response.has_tool)
    if response.error is not None:
        body["stopReason"] = "error"
        body["errorMessage"] = response.error


def _compaction(
    key: str, parent: str | None, clock: Clock, summary: Any, tokens: int, raw: bytes | memoryview
) -> dict[str, Any]:
    """A compaction that keeps nothing before it, as a Claude Code compaction does."""
    entry = plain_entry("compaction", key, parent, clock)
    entry["summary"] = summary
    entry["firstKeptEntryId"] = key
    entry["tokensBefore"] = tokens
    entry[SOURCE_FIELD] = [msgspec.Raw(raw)]
    return entry
