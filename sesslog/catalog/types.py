"""The plain result and query types every catalog speaks (msgspec Structs, JSON-ready).

A catalog (SQLite, the scanning fallback, PostgreSQL for fleets) answers with these types only,
so callers and the contract tests never see which one they have.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import msgspec

from sesslog.catalog.queries import (
    MARK_CLOSE,
    MARK_OPEN,
    SEARCH_BOUND,
    ListQuery,
    Order,
    SearchHits,
    SearchQuery,
)
from sesslog.render.escape import escape_json

__all__ = [
    "MARK_CLOSE",
    "MARK_OPEN",
    "SEARCH_BOUND",
    "CatalogStatus",
    "DayActivity",
    "ListQuery",
    "ModelUsage",
    "Order",
    "RefreshReport",
    "SearchHit",
    "SearchHits",
    "SearchQuery",
    "SessionDetails",
    "SessionInfo",
    "SessionList",
    "StoreStats",
    "Tokens",
    "ToolExecution",
    "ToolUsage",
]


class Tokens(msgspec.Struct):
    """Token counts from assistant usage, each response counted once.

    Attributes:
        input: Input tokens (not served from the cache).
        output: Output tokens.
        cache_read: Input tokens read from the provider's prompt cache.
        cache_write: Input tokens written to the provider's prompt cache.
        total: The sum of the four.
    """

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    total: int = 0

    def add(self, more: Tokens) -> None:
        """Add ``more`` to these counts."""
        self.input += more.input
        self.output += more.output
        self.cache_read += more.cache_read
        self.cache_write += more.cache_write
        self.total += more.total


class SessionInfo(msgspec.Struct, kw_only=True):
    """One session as a listing shows it: identity, metadata and derived facts.

    Attributes:
        id: The session id (from the header; from the file name when the file is unreadable).
        path: Where the session lives (an absolute file path; the store key in memory).
        key: The session's place in the store: ``<folder>/<file>`` relative to the root.
        cwd: The agent's working directory.
        title: The session's name (pi's ``session_info``), or ``None``.
        tags: Tags from the metadata entries.
        status: ``active`` (the default), ``completed``, ``failed`` or ``abandoned``.
        purpose: Free text from the metadata entries.
        user: Who ran the session.
        agents: Agents used.
        custom: Free custom metadata.
        created: The header's timestamp (ISO 8601 UTC).
        updated: The newest entry timestamp (the header's when there is none).
        entries: Entries in the tree (duplicate ids counted once).
        messages: Message entries of every role.
        roles: Messages per role.
        bytes: The file's size.
        tokens: Token counts from assistant usage.
        cost: Cost in dollars from assistant usage.
        models: Models used, in the order first seen.
        tool_calls: Tool executions.
        tool_errors: Tool executions whose result is an error.
        errors: Errors: tool errors plus assistant responses that stopped with an error.
        files: How many files the agent created or modified.
        preview: The start of the first user message.
        parent: The session this one was forked from (``parentSession`` as written).
        leaf: The last entry's id.
        error: Why the session could not be read (then most facts are empty).
    """

    id: str
    path: str
    key: str
    cwd: str = ""
    title: str | None = None
    tags: list[str] = []
    status: str = "active"
    purpose: str | None = None
    user: str | None = None
    agents: list[str] = []
    custom: dict[str, Any] = {}
    created: str = ""
    updated: str = ""
    entries: int = 0
    messages: int = 0
    roles: dict[str, int] = {}
    bytes: int = 0
    tokens: Tokens = msgspec.field(default_factory=Tokens)
    cost: float = 0.0
    models: list[str] = []
    tool_calls: int = 0
    tool_errors: int = 0
    errors: int = 0
    files: int = 0
    preview: str | None = None
    parent: str | None = None
    leaf: str | None = None
    error: str | None = None


_one = msgspec.json.Decoder(SessionInfo)
_many = msgspec.json.Decoder(list[SessionInfo])


class SessionList(Sequence[SessionInfo]):
    """The sessions of a listing, decoded only when read.

    A catalog may hand over each session as the JSON it keeps (``rows``) or as objects
    (``infos``); either way this is a read-only list of :class:`SessionInfo`, and
    :meth:`json` gives the JSON array without decoding anything.
    """

    def __init__(
        self, *, rows: list[bytes] | None = None, infos: list[SessionInfo] | None = None
    ) -> None:
        self._rows = rows
        self._infos = infos

    def _all(self) -> list[SessionInfo]:
        if self._infos is None:
            self._infos = _many.decode(self.json())
        return self._infos

    def __len__(self) -> int:
        return len(self._rows) if self._rows is not None else len(self._all())

    @overload
    def __getitem__(self, index: int) -> SessionInfo: ...

    @overload
    def __getitem__(self, index: slice) -> list[SessionInfo]: ...

    def __getitem__(self, index: int | slice) -> SessionInfo | list[SessionInfo]:
        if self._infos is None and self._rows is not None and isinstance(index, int):
            return _one.decode(self._rows[index])
        return self._all()[index]

    def __iter__(self) -> Iterator[SessionInfo]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def json(self) -> bytes:
        """The sessions as a JSON array, safe to print on a terminal (every character a
        terminal would obey escaped, as :func:`~sesslog.render.escape.escape_json` does): the
        catalog's own bytes when it keeps JSON, which it stores so escaped."""
        if self._rows is not None:
            return b"[" + b",".join(self._rows) + b"]"
        return escape_json(msgspec.json.encode(self._infos or []).decode()).encode()

    def json_parts(self) -> list[bytes]:
        """:meth:`json` in pieces, to write out without joining them into one object."""
        rows = self._rows
        if rows is None:
            return [self.json()]
        parts = [b","] * (2 * len(rows) - 1) if rows else []
        parts[::2] = rows
        return [b"[", *parts, b"]"]

    def __repr__(self) -> str:
        return f"SessionList({len(self)} sessions)"


class ToolExecution(msgspec.Struct, kw_only=True):
    """One tool call and its outcome.

    Attributes:
        call_id: The tool call's id.
        tool: The tool's name.
        summary: A one-line summary of the arguments (the command, the path, ...).
        entry: The id of the assistant entry holding the call.
        ok: True for a result that is not an error, False for an error, None while no result
            has been seen.
        started: When the call was made (ISO 8601), from the assistant message.
        duration_ms: Milliseconds from the call to its result, when both are known.
    """

    call_id: str
    tool: str
    summary: str
    entry: str
    ok: bool | None = None
    started: str | None = None
    duration_ms: int | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ToolExecution:
        """One from a catalog's row ``(call_id, tool, summary, entry, ok, started_ms,
        duration_ms)`` (``ok`` as stored: a boolean or 0/1, each maybe NULL)."""
        from sesslog.format.timestamps import ms_to_iso

        call_id, tool, summary, entry, ok, started, duration = row
        return cls(
            call_id=call_id,
            tool=tool,
            summary=summary,
            entry=entry,
            ok=None if ok is None else bool(ok),
            started=None if started is None else ms_to_iso(started),
            duration_ms=None if duration is None else int(duration),
        )


class SessionDetails(msgspec.Struct, kw_only=True):
    """Everything the catalog knows about one session.

    Attributes:
        info: The listing facts.
        files: Files the agent created or modified, in the order first touched.
        tools: Every tool execution, in call order.
    """

    info: SessionInfo
    files: list[str] = []
    tools: list[ToolExecution] = []


class SearchHit(msgspec.Struct, kw_only=True):
    """One entry matching a search.

    Attributes:
        session: The session holding the entry.
        entry: The entry's id.
        kind: What matched: a message role (``user``, ``assistant``, ``toolResult``, ...),
            ``tool`` for a tool call, or the entry type for summaries.
        line: The entry's line number in the file.
        snippet: Text around the match, each matched word between ``«`` and ``»``.
        score: Relevance (BM25; higher is better).
    """

    session: SessionInfo
    entry: str
    kind: str
    line: int
    snippet: str
    score: float


class DayActivity(msgspec.Struct, kw_only=True):
    """One day of the store's activity (UTC).

    Attributes:
        day: ``YYYY-MM-DD``.
        sessions: Sessions created that day.
        messages: Messages written that day.
        responses: Assistant responses with usage.
        tokens: Tokens of those responses.
        cost: Their cost.
    """

    day: str
    sessions: int = 0
    messages: int = 0
    responses: int = 0
    tokens: int = 0
    cost: float = 0.0


class ModelUsage(msgspec.Struct, kw_only=True):
    """Usage of one model across the store."""

    model: str
    responses: int = 0
    tokens: Tokens = msgspec.field(default_factory=Tokens)
    cost: float = 0.0


class ToolUsage(msgspec.Struct, kw_only=True):
    """Executions of one tool across the store.

    Attributes:
        tool: The tool's name.
        calls: Executions.
        errors: Executions whose result is an error.
        mean_ms: Mean duration of the executions whose duration is known.
    """

    tool: str
    calls: int = 0
    errors: int = 0
    mean_ms: float | None = None


class StoreStats(msgspec.Struct, kw_only=True):
    """Store-wide statistics.

    Tokens and cost count each assistant response once across the store: a response copied
    into a fork is not counted again (responses are told apart by ``responseId`` where the
    message has one, else by the entry line's bytes). Tool executions likewise count each
    tool call id once.

    Attributes:
        sessions: Sessions in the store (unreadable ones included).
        unreadable: Sessions that could not be read.
        entries: Entries in all sessions.
        messages: Messages in all sessions.
        bytes: Bytes of all session files.
        responses: Distinct assistant responses with usage.
        tokens: Their tokens.
        cost: Their cost.
        days: Activity per day, oldest first.
        models: Usage per model, most tokens first.
        tools: Executions per tool, most calls first.
        largest: The largest sessions by bytes, at most ten.
        costliest: The costliest sessions, at most ten.
    """

    sessions: int = 0
    unreadable: int = 0
    entries: int = 0
    messages: int = 0
    bytes: int = 0
    responses: int = 0
    tokens: Tokens = msgspec.field(default_factory=Tokens)
    cost: float = 0.0
    days: list[DayActivity] = []
    models: list[ModelUsage] = []
    tools: list[ToolUsage] = []
    largest: list[SessionInfo] = []
    costliest: list[SessionInfo] = []


class RefreshReport(msgspec.Struct, kw_only=True):
    """What a refresh did.

    Attributes:
        checked: Session files looked at.
        added: Sessions read for the first time.
        caught_up: Sessions that grew and were read from where the catalog stopped.
        rebuilt: Sessions read again whole (rewritten, truncated or replaced).
        removed: Sessions gone from the store.
        bytes_read: Bytes of session files read.
    """

    checked: int = 0
    added: int = 0
    caught_up: int = 0
    rebuilt: int = 0
    removed: int = 0
    bytes_read: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything was added, caught up, rebuilt or removed."""
        return bool(self.added or self.caught_up or self.rebuilt or self.removed)


class CatalogStatus(msgspec.Struct, kw_only=True):
    """How a catalog stands.

    Attributes:
        kind: ``sqlite``, ``scan`` (the catalog-less fallback) or another engine's name.
        location: Where it lives (a file path, or ``memory``).
        sessions: Sessions it holds.
        bytes: Its size on disk (0 in memory).
        schema: Its schema version.
        reason: Why the fallback is in use, when it is.
    """

    kind: str
    location: str
    sessions: int
    bytes: int = 0
    schema: int = 0
    reason: str | None = None
