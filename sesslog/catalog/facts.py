"""Derived facts of one session: a fold over its entries in file order.

The fold keeps a small state (:class:`FoldState`) that is all a later fold needs, so a catalog
can stop after any complete line and go on later with the appended entries only. Besides the
state, folding a run of entries yields rows for the catalog's side tables: searchable
documents, tool calls and their results, assistant responses with usage, and messages per day.

Rules (the same for every catalog):

* an entry whose id was seen before in the session is skipped (the tree's first-wins rule);
* an assistant response with usage counts once per session: a second entry carrying the same
  ``responseId`` adds nothing; across the store a response is told apart by its
  ``responseId``, else by its line's bytes (a fork copies lines byte for byte);
* a tool execution runs from its assistant entry's timestamp to its result entry's;
* errors are tool results marked ``isError`` and assistant responses stopped by ``error``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from sesslog.catalog.extract import (
    DOC_LIMIT,
    PREVIEW_LIMIT,
    RESULT_LIMIT,
    arguments_summary,
    block_text,
    clean_text,
    clean_value,
    modified_files,
    one_line,
)
from sesslog.catalog.shapes import META_CUSTOM_TYPE, Metadata, apply_meta
from sesslog.catalog.types import SessionInfo, Tokens
from sesslog.format.codec import decode_object
from sesslog.format.records import Record
from sesslog.format.timestamps import iso_to_ms

__all__ = [
    "Doc",
    "Fold",
    "FoldState",
    "ResponseRow",
    "SeenKeys",
    "ToolCallRow",
    "ToolResultEvent",
    "summary_of",
]


class FoldState(msgspec.Struct, kw_only=True):
    """Everything the fold carries from one run of entries to the next."""

    id: str = ""
    cwd: str = ""
    created: str = ""
    created_ms: int = 0
    parent: str | None = None
    version: int = 3
    entries: int = 0
    roles: dict[str, int] = {}
    tokens: Tokens = msgspec.field(default_factory=Tokens)
    cost: float = 0.0
    responses: int = 0
    models: list[str] = []
    tool_calls: int = 0
    tool_errors: int = 0
    errors: int = 0
    files: list[str] = []
    preview: str | None = None
    updated: str = ""
    updated_ms: int = 0
    meta: Metadata = msgspec.field(default_factory=Metadata)
    leaf: str | None = None
    docs: int = 0


class Doc(msgspec.Struct, frozen=True, array_like=True):
    """One searchable document: the text of one entry (or of one tool call)."""

    seq: int
    entry: str
    kind: str
    line: int
    text: str


class ToolCallRow(msgspec.Struct, frozen=True, array_like=True):
    """A tool call as first seen (its result comes as a :class:`ToolResultEvent`); ``seq``
    numbers the session's tool calls from 1."""

    seq: int
    call_id: str
    tool: str
    summary: str
    entry: str
    started_ms: int | None


class ToolResultEvent(msgspec.Struct, frozen=True, array_like=True):
    """The result of the tool call ``call_id``."""

    call_id: str
    ok: bool
    ended_ms: int | None


class ResponseRow(msgspec.Struct, frozen=True, array_like=True):
    """One assistant response with usage; ``key`` tells it apart across the store."""

    key: str
    model: str
    day: str
    input: int
    output: int
    cache_read: int
    cache_write: int
    total: int
    cost: float


class SeenKeys:
    """Entry ids (and response ids) a session already holds.

    Args:
        lookup: Asks the catalog whether a key was stored by an earlier fold (``None`` when
            the session is folded from its first line).
    """

    def __init__(self, lookup: Callable[[str], bool] | None = None) -> None:
        self._local: set[str] = set()
        self._lookup = lookup
        #: Keys first seen by this fold, for the catalog to store.
        self.new: list[str] = []

    def first(self, key: str) -> bool:
        """Record ``key``; True when it was not seen before."""
        if key in self._local or (self._lookup is not None and self._lookup(key)):
            self._local.add(key)
            return False
        self._local.add(key)
        self.new.append(key)
        return True


class _Line(msgspec.Struct, rename="camel"):
    type: Any = None
    id: Any = None
    timestamp: Any = None
    message: Any = None
    custom_type: Any = None
    data: Any = None
    name: Any = None
    summary: Any = None
    content: Any = None
    model_id: Any = None


_LINE = msgspec.json.Decoder(_Line)
_RESPONSE_PREFIX = "\x00r:"


def _decode(raw: bytes) -> _Line:
    try:
        return _LINE.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        # msgspec refuses lone surrogate escapes; the standard library keeps them, and the
        # catalog's copy of the text gets U+FFFD in their place.
        value = clean_value(decode_object(raw))
        if not isinstance(value, dict):
            return _Line()
        try:
            return msgspec.convert(value, _Line)
        except msgspec.ValidationError:  # pragma: no cover - every field accepts Any
            return _Line()


def _ms(stamp: str | None) -> int | None:
    return None if stamp is None else iso_to_ms(stamp)


def _later(stamp: str, than: str) -> bool:
    """Whether ``stamp`` is at or after ``than`` (ISO 8601; as text when both are pi's
    ``YYYY-MM-DDTHH:MM:SS.mmmZ``, which sorts as it reads)."""
    if not than:
        return True
    if len(stamp) == len(than) == 24 and stamp[-1] == than[-1] == "Z":
        return stamp >= than
    ms, base = iso_to_ms(stamp), iso_to_ms(than)
    return ms is not None and (base is None or ms >= base)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


class Fold:
    """Folds entries into a :class:`FoldState` and collects the side-table rows.

    Args:
        state: The state to continue from (a fresh one for a session read from its start).
        seen: The keys the session already holds.
    """

    def __init__(self, state: FoldState, seen: SeenKeys) -> None:
        self.state = state
        self.seen = seen
        self.docs: list[Doc] = []
        self.calls: list[ToolCallRow] = []
        self.results: list[ToolResultEvent] = []
        self.responses: list[ResponseRow] = []
        #: Messages per day (``YYYY-MM-DD``) in the entries folded.
        self.activity: dict[str, int] = {}

    def header(self, header: dict[str, Any] | None, version: int) -> None:
        """Take the session's identity from its header."""
        state = self.state
        state.version = version
        if header is None:
            return
        for field, key in (("id", "id"), ("cwd", "cwd")):
            value = header.get(key)
            if isinstance(value, str):
                setattr(state, field, clean_text(value))
        stamp = header.get("timestamp")
        if isinstance(stamp, str):
            stamp = clean_text(stamp)
            state.created = stamp
            state.created_ms = iso_to_ms(stamp) or 0
            if not state.updated:
                state.updated, state.updated_ms = stamp, state.created_ms
        parent = header.get("parentSession", header.get("branchedFrom"))
        state.parent = clean_text(parent) if isinstance(parent, str) else None

    def add_all(self, records: Iterable[Record]) -> None:
        """Fold ``records`` in order."""
        for rec in records:
            self.add(rec)
        updated = self.state.updated
        self.state.updated_ms = (iso_to_ms(updated) or 0) if updated else 0

    def add(self, rec: Record) -> None:
        """Fold one entry."""
        if type(rec.id) is not str or not self.seen.first(rec.id):
            return
        state = self.state
        state.entries += 1
        state.leaf = rec.id
        stamp = clean_text(rec.timestamp) if type(rec.timestamp) is str else None
        if stamp is not None and _later(stamp, state.updated):
            state.updated = stamp
        kind = rec.type
        if kind == "message":
            self._message(rec, _decode(rec.raw), stamp)
        elif kind == "model_change":
            model = _decode(rec.raw).model_id
            if isinstance(model, str):
                self._model(model)
        elif kind == "session_info":
            if isinstance(rec.name, str) and rec.name:
                state.meta.title = clean_text(rec.name)
        elif kind == "custom":
            line = _decode(rec.raw)
            if line.custom_type == META_CUSTOM_TYPE:
                apply_meta(state.meta, line.data)
        elif kind == "custom_message":
            self._doc(rec, "custom", block_text(_decode(rec.raw).content), DOC_LIMIT)
        elif kind in ("branch_summary", "compaction"):
            summary = _decode(rec.raw).summary
            if isinstance(summary, str):
                self._doc(rec, kind, summary, DOC_LIMIT)

    # ------------------------------------------------------------------ messages

    def _message(self, rec: Record, line: _Line, stamp: str | None) -> None:
        message = line.message
        if not isinstance(message, dict):
            return
        role = message.get("role")
        role = role if isinstance(role, str) else "unknown"
        state = self.state
        state.roles[role] = state.roles.get(role, 0) + 1
        if stamp is not None and len(stamp) >= 10:
            day = stamp[:10]
            self.activity[day] = self.activity.get(day, 0) + 1
        content = message.get("content")
        if role == "user":
            text = block_text(content)
            if state.preview is None and text.strip():
                state.preview = one_line(text, PREVIEW_LIMIT)
            self._doc(rec, role, text, DOC_LIMIT)
        elif role == "assistant":
            self._assistant(rec, message, content, stamp)
        elif role == "toolResult":
            ok = message.get("isError") is not True
            if not ok:
                state.tool_errors += 1
                state.errors += 1
            call_id = message.get("toolCallId")
            if isinstance(call_id, str):
                self.results.append(ToolResultEvent(call_id, ok, _ms(stamp)))
            self._doc(rec, role, block_text(content), RESULT_LIMIT)
        elif role == "bashExecution":
            command = message.get("command")
            output = message.get("output")
            text = f"{command if isinstance(command, str) else ''}\n{output if isinstance(output, str) else ''}"
            self._doc(rec, role, text, RESULT_LIMIT)
        else:
            self._doc(rec, role, block_text(content), DOC_LIMIT)

    def _assistant(
        self,
        rec: Record,
        message: dict[str, Any],
        content: Any,
        stamp: str | None,
    ) -> None:
        state = self.state
        model = message.get("model")
        if isinstance(model, str):
            self._model(model)
        if message.get("stopReason") == "error":
            state.errors += 1
        usage = message.get("usage")
        if isinstance(usage, dict):
            self._usage(rec, message, usage, model if isinstance(model, str) else "", stamp)
        self._doc(rec, "assistant", block_text(content), DOC_LIMIT)
        if not isinstance(content, list):
            return
        for block in content:
            if not isinstance(block, dict) or block.get("type") != "toolCall":
                continue
            name = block.get("name")
            tool = name if isinstance(name, str) else ""
            arguments = block.get("arguments")
            summary = arguments_summary(arguments)
            state.tool_calls += 1
            call_id = block.get("id")
            if isinstance(call_id, str):
                started = _ms(stamp)
                self.calls.append(
                    ToolCallRow(state.tool_calls, call_id, tool, summary, rec.id, started)
                )
            for path in modified_files(tool, arguments):
                if path not in state.files:
                    state.files.append(path)
            self._doc(rec, "tool", f"{tool} {summary}", DOC_LIMIT)

    def _usage(
        self,
        rec: Record,
        message: dict[str, Any],
        usage: dict[str, Any],
        model: str,
        stamp: str | None,
    ) -> None:
        response_id = message.get("responseId")
        if isinstance(response_id, str) and response_id:
            if not self.seen.first(_RESPONSE_PREFIX + response_id):
                return
            key = "r:" + response_id
        else:
            key = "h:" + hashlib.blake2b(rec.raw, digest_size=12).hexdigest()
        tokens = Tokens(
            input=_int(usage.get("input")),
            output=_int(usage.get("output")),
            cache_read=_int(usage.get("cacheRead")),
            cache_write=_int(usage.get("cacheWrite")),
        )
        tokens.total = tokens.input + tokens.output + tokens.cache_read + tokens.cache_write
        cost_obj = usage.get("cost")
        cost = 0.0
        if isinstance(cost_obj, dict):
            cost = _num(cost_obj.get("total")) if "total" in cost_obj else 0.0
            if not cost:
                cost = sum(
                    _num(cost_obj.get(k)) for k in ("input", "output", "cacheRead", "cacheWrite")
                )
        state = self.state
        state.responses += 1
        state.tokens.add(tokens)
        state.cost += cost
        day = stamp[:10] if stamp is not None and len(stamp) >= 10 else ""
        self.responses.append(
            ResponseRow(
                key,
                model,
                day,
                tokens.input,
                tokens.output,
                tokens.cache_read,
                tokens.cache_write,
                tokens.total,
                cost,
            )
        )

    def _model(self, model: str) -> None:
        if model not in self.state.models:
            self.state.models.append(model)

    def _doc(self, rec: Record, kind: str, text: str, limit: int) -> None:
        if not text.strip():
            return
        self.state.docs += 1
        self.docs.append(Doc(self.state.docs, rec.id, kind, rec.line, text[:limit]))


def summary_of(
    state: FoldState, *, key: str, path: str, size: int, error: str | None = None
) -> SessionInfo:
    """The listing facts of a folded session."""
    meta = state.meta
    return SessionInfo(
        id=state.id,
        path=path,
        key=key,
        cwd=state.cwd,
        title=meta.title,
        tags=list(meta.tags),
        status=meta.status,
        purpose=meta.purpose,
        user=meta.user,
        agents=list(meta.agents),
        custom=dict(meta.custom),
        created=state.created,
        updated=state.updated,
        entries=state.entries,
        messages=sum(state.roles.values()),
        roles=dict(state.roles),
        bytes=size,
        tokens=msgspec.structs.replace(state.tokens),
        cost=round(state.cost, 10),
        models=list(state.models),
        tool_calls=state.tool_calls,
        tool_errors=state.tool_errors,
        errors=state.errors,
        files=len(state.files),
        preview=state.preview,
        parent=state.parent,
        leaf=state.leaf,
        error=error,
    )
