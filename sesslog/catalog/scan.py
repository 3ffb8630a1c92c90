"""The catalog-less fallback: the same answers as the SQLite catalog, kept in memory.

It folds the session files with the same code as the SQLite catalog and answers listings,
searches and statistics in Python. Within one process it is incremental too (it remembers what
it folded); a new process reads every file once. The store uses it when the catalog file
cannot be used (a read-only folder, a full disk), and for an in-memory store's scans in tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager

import msgspec

from sesslog.catalog.facts import Doc, Fold, FoldState
from sesslog.catalog.files import FileStat, SessionFiles
from sesslog.catalog.query import matches, page, phrases, sort, sort_key, tokenize
from sesslog.catalog.rank import bm25, occurrences, snippet
from sesslog.catalog.refresh import Position, listing, refresh
from sesslog.catalog.stats import TOP, Aggregates, assemble
from sesslog.catalog.types import (
    MARK_CLOSE,
    MARK_OPEN,
    CatalogStatus,
    ListQuery,
    RefreshReport,
    SearchHit,
    SearchHits,
    SearchQuery,
    SessionDetails,
    SessionInfo,
    SessionList,
    StoreStats,
    Tokens,
    ToolExecution,
)
from sesslog.format.timestamps import ms_to_iso

__all__ = ["ScanCatalog"]

_copy_state = msgspec.msgpack.Decoder(FoldState)
_encode = msgspec.msgpack.Encoder().encode


class _Held:
    """Everything the fallback keeps of one session."""

    def __init__(self, position: Position, state: FoldState, info: SessionInfo) -> None:
        self.position = position
        self.state = state
        self.info = info
        self.seen: set[str] = set()
        self.docs: list[Doc] = []
        self.tokens: list[list[str]] | None = None
        self.tools: list[ToolExecution] = []
        self.started: list[int | None] = []
        self.responses: dict[str, tuple[str, str, int, int, int, int, int, float]] = {}
        self.activity: dict[str, int] = {}

    def doc_tokens(self) -> list[list[str]]:
        if self.tokens is None or len(self.tokens) != len(self.docs):
            self.tokens = [tokenize(doc.text) for doc in self.docs]
        return self.tokens


class ScanCatalog:
    """A catalog held in memory, built by reading the session files.

    Args:
        files: The store's session files.
        reason: Why it is in use instead of a catalog file (shown by :meth:`status`).
    """

    kind = "scan"

    def __init__(self, files: SessionFiles, *, reason: str | None = None) -> None:
        self._files = files
        self._held: dict[str, _Held] = {}
        self._lock = threading.RLock()
        self.reason = reason

    # ------------------------------------------------------------------ the fold sink

    def fingerprints(self) -> Mapping[str, FileStat]:
        """The fingerprint of every session held."""
        return {key: held.position.stat for key, held in self._held.items()}

    @contextmanager
    def writing(self) -> Iterator[Callable[[str], Position | None]]:
        """A (lock-held) write."""
        with self._lock:
            yield lambda key: self._held[key].position if key in self._held else None

    def state(self, key: str) -> FoldState:
        """A copy of a session's fold state."""
        return _copy_state.decode(_encode(self._held[key].state))

    def seen(self, key: str) -> Callable[[str], bool]:
        """Asks whether a session already holds an id."""
        return self._held[key].seen.__contains__

    def put(self, key: str, position: Position, fold: Fold, *, whole: bool) -> None:
        """Keep a fold of one session."""
        info = listing(self._files, key, position, fold.state)
        held = self._held.get(key)
        if held is None or whole:
            held = self._held[key] = _Held(position, fold.state, info)
        else:
            held.position, held.state, held.info = position, fold.state, info
        held.seen.update(fold.seen.new)
        held.docs.extend(fold.docs)
        for call in fold.calls:
            held.tools.append(
                ToolExecution(
                    call_id=call.call_id,
                    tool=call.tool,
                    summary=call.summary,
                    entry=call.entry,
                    started=None if call.started_ms is None else ms_to_iso(call.started_ms),
                )
            )
            held.started.append(call.started_ms)
        for result in fold.results:
            for number, tool in enumerate(held.tools):
                if tool.call_id == result.call_id and tool.ok is None:
                    tool.ok = result.ok
                    began = held.started[number]
                    if began is not None and result.ended_ms is not None:
                        tool.duration_ms = result.ended_ms - began
                    break
        for row in fold.responses:
            held.responses.setdefault(row.key, msgspec.structs.astuple(row)[1:])
        for day, count in fold.activity.items():
            held.activity[day] = held.activity.get(day, 0) + count

    def drop(self, key: str) -> None:
        """Forget a session."""
        self._held.pop(key, None)

    # ------------------------------------------------------------------ the catalog

    def refresh(self, keys: Collection[str] | None = None, *, full: bool = False) -> RefreshReport:
        """Fold what changed since the last look (in ``keys`` only, when given; every session
        file is looked at each time, so ``full`` changes nothing)."""
        with self._lock:
            return refresh(self._files, self, keys)

    def watch(self, key: str) -> None:
        """Nothing to do: every refresh looks at every session file."""

    def rebuild(self) -> RefreshReport:
        """Forget everything and read every session again."""
        with self._lock:
            self._held.clear()
            return refresh(self._files, self)

    def _selected(self, query: ListQuery) -> list[_Held]:
        chosen = [
            held
            for held in self._held.values()
            if matches(held.info, held.state.created_ms, held.state.updated_ms, query)
        ]
        order = query.order
        return sort(
            chosen,
            query,
            lambda held: held.info.key,
            lambda held: sort_key(order, held.info, held.state.created_ms, held.state.updated_ms),
        )

    def list_sessions(self, query: ListQuery | None = None) -> SessionList:
        """Sessions matching ``query``."""
        query = query or ListQuery()
        with self._lock:
            chosen = page(self._selected(query), query)
            return SessionList(infos=[msgspec.structs.replace(h.info) for h in chosen])

    def count(self, query: ListQuery | None = None) -> int:
        """How many sessions match ``query``."""
        with self._lock:
            return len(self._selected(query or ListQuery()))

    def get(self, key: str) -> SessionInfo | None:
        """The session with this key."""
        held = self._held.get(key)
        return None if held is None else msgspec.structs.replace(held.info)

    def details(self, key: str) -> SessionDetails | None:
        """Files touched and tool executions of one session."""
        held = self._held.get(key)
        if held is None:
            return None
        tools = [msgspec.structs.replace(tool) for tool in held.tools]
        return SessionDetails(info=held.info, files=list(held.state.files), tools=tools)

    def search(self, query: SearchQuery) -> SearchHits[SearchHit]:
        """Entries matching ``query``, best first (raw queries are read as plain words; the
        newest ``query.bound`` of more: sessions in the order this catalog took them in)."""
        wanted = phrases(query.text)
        if not wanted:
            return SearchHits()
        with self._lock:
            return self._search(query, wanted)

    def _search(self, query: SearchQuery, wanted: list[list[str]]) -> SearchHits[SearchHit]:
        documents = 0
        total_length = 0
        holding = [0] * len(wanted)
        found: list[tuple[_Held, int, list[int], int]] = []
        for held in self._held.values():
            eligible = (query.cwd is None or held.info.cwd == query.cwd) and (
                query.key is None or held.info.key == query.key
            )
            for number, tokens in enumerate(held.doc_tokens()):
                documents += 1
                total_length += len(tokens)
                counts = [len(occurrences(tokens, phrase)) for phrase in wanted]
                for i, count in enumerate(counts):
                    holding[i] += count > 0
                if eligible and all(counts):
                    found.append((held, number, counts, len(tokens)))
        mean = total_length / documents if documents else 0.0
        bounded = None
        if query.bound is not None and len(found) > query.bound:
            found, bounded = found[-query.bound :], query.bound
        scored = [
            (
                -bm25(counts, length, mean, documents, holding),
                held.info.key,
                held.docs[n].seq,
                held,
                n,
            )
            for held, n, counts, length in found
        ]
        scored.sort(key=lambda item: item[:3])
        hits: SearchHits[SearchHit] = SearchHits(bounded=bounded)
        for rank, _key, _seq, held, n in scored[query.offset : query.offset + query.limit]:
            doc = held.docs[n]
            hits.append(
                SearchHit(
                    session=msgspec.structs.replace(held.info),
                    entry=doc.entry,
                    kind=doc.kind,
                    line=doc.line,
                    snippet=snippet(doc.text, wanted, MARK_OPEN, MARK_CLOSE),
                    score=-rank,
                )
            )
        return hits

    def stats(self) -> StoreStats:
        """Store-wide statistics."""
        with self._lock:
            return self._stats()

    def _stats(self) -> StoreStats:
        agg = Aggregates()
        responses: dict[str, tuple[str, str, int, int, int, int, int, float]] = {}
        calls: dict[tuple[str, str], list[ToolExecution]] = {}
        for held in self._held.values():
            info = held.info
            agg.sessions += 1
            agg.unreadable += info.error is not None
            agg.entries += info.entries
            agg.messages += info.messages
            agg.bytes += info.bytes
            if held.state.created_ms > 0:
                day = time.strftime("%Y-%m-%d", time.gmtime(held.state.created_ms // 1000))
                agg.day_sessions[day] = agg.day_sessions.get(day, 0) + 1
            for day, count in held.activity.items():
                agg.day_messages[day] = agg.day_messages.get(day, 0) + count
            for key, row in held.responses.items():
                responses[key] = max(responses.get(key, row), row)
            for tool in held.tools:
                calls.setdefault((tool.call_id, tool.entry), []).append(tool)
        for model, day, *counts, cost in responses.values():
            tokens = Tokens(*counts)
            agg.responses += 1
            agg.tokens.add(tokens)
            agg.cost += cost
            count, model_tokens, model_cost = agg.models.get(model, (0, Tokens(), 0.0))
            model_tokens.add(tokens)
            agg.models[model] = (count + 1, model_tokens, model_cost + cost)
            if day:
                n, total, day_cost = agg.day_responses.get(day, (0, 0, 0.0))
                agg.day_responses[day] = (n + 1, total + tokens.total, day_cost + cost)
        agg.tools = _tool_usage(calls)
        largest = self.list_sessions(ListQuery(order="bytes", limit=TOP))
        costliest = self.list_sessions(ListQuery(order="cost", limit=TOP))
        return assemble(agg, largest, costliest)

    def status(self) -> CatalogStatus:
        """Kind, sessions held, and why the fallback is in use."""
        return CatalogStatus(
            kind=self.kind, location="memory", sessions=len(self._held), reason=self.reason
        )

    def close(self) -> None:
        """Forget everything."""
        with self._lock:
            self._held.clear()


def _tool_usage(
    calls: dict[tuple[str, str], list[ToolExecution]],
) -> dict[str, tuple[int, int, float | None]]:
    """Per tool: calls, errors and mean duration, each call id once (as the SQL does)."""
    per_tool: dict[str, tuple[int, int, list[int]]] = {}
    for copies in calls.values():
        tool = max(copy.tool for copy in copies)
        failed = any(copy.ok is False for copy in copies)
        durations = [copy.duration_ms for copy in copies if copy.duration_ms is not None]
        count, errors, spans = per_tool.get(tool, (0, 0, []))
        if durations:
            spans.append(max(durations))
        per_tool[tool] = (count + 1, errors + failed, spans)
    return {
        tool: (count, errors, sum(spans) / len(spans) if spans else None)
        for tool, (count, errors, spans) in per_tool.items()
    }
