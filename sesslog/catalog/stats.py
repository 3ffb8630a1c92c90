"""Store-wide statistics assembled from per-day, per-model and per-tool aggregates (the same
for every catalog, whatever computed the aggregates)."""

from __future__ import annotations

from collections.abc import Iterable

from sesslog.catalog.types import (
    DayActivity,
    ModelUsage,
    SessionInfo,
    StoreStats,
    Tokens,
    ToolUsage,
)

__all__ = ["TOP", "Aggregates", "assemble"]

#: Sessions shown as the largest and the costliest.
TOP = 10


class Aggregates:
    """The raw figures a catalog computes for :func:`assemble`.

    Attributes:
        sessions, unreadable, entries, messages, bytes: Totals over sessions.
        responses: Distinct responses with usage; ``tokens`` and ``cost`` their sums.
        models: Per model: responses, tokens and cost.
        day_sessions, day_messages: Sessions created and messages written per day.
        day_responses: Per day: responses, tokens and cost.
        tools: Per tool: calls, errors and mean duration (ms) when known.
    """

    def __init__(self) -> None:
        self.sessions = 0
        self.unreadable = 0
        self.entries = 0
        self.messages = 0
        self.bytes = 0
        self.responses = 0
        self.tokens = Tokens()
        self.cost = 0.0
        self.models: dict[str, tuple[int, Tokens, float]] = {}
        self.day_sessions: dict[str, int] = {}
        self.day_messages: dict[str, int] = {}
        self.day_responses: dict[str, tuple[int, int, float]] = {}
        self.tools: dict[str, tuple[int, int, float | None]] = {}


def _cost(value: float) -> float:
    return round(value, 10)


def assemble(
    agg: Aggregates, largest: Iterable[SessionInfo], costliest: Iterable[SessionInfo]
) -> StoreStats:
    """Build :class:`StoreStats` from ``agg`` (days oldest first, models by tokens, tools by
    calls, ties by name)."""
    days = []
    for day in sorted(set(agg.day_sessions) | set(agg.day_messages) | set(agg.day_responses)):
        responses, tokens, cost = agg.day_responses.get(day, (0, 0, 0.0))
        days.append(
            DayActivity(
                day=day,
                sessions=agg.day_sessions.get(day, 0),
                messages=agg.day_messages.get(day, 0),
                responses=responses,
                tokens=tokens,
                cost=_cost(cost),
            )
        )
    models = [
        ModelUsage(model=name, responses=count, tokens=tokens, cost=_cost(cost))
        for name, (count, tokens, cost) in agg.models.items()
    ]
    models.sort(key=lambda m: (-m.tokens.total, m.model))
    tools = [
        ToolUsage(
            tool=name,
            calls=calls,
            errors=errors,
            mean_ms=None if mean is None else round(mean, 3),
        )
        for name, (calls, errors, mean) in agg.tools.items()
    ]
    tools.sort(key=lambda t: (-t.calls, t.tool))
    return StoreStats(
        sessions=agg.sessions,
        unreadable=agg.unreadable,
        entries=agg.entries,
        messages=agg.messages,
        bytes=agg.bytes,
        responses=agg.responses,
        tokens=agg.tokens,
        cost=_cost(agg.cost),
        days=days,
        models=models,
        tools=tools,
        largest=list(largest),
        costliest=list(costliest),
    )
