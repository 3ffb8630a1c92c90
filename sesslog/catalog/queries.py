"""The query types of a catalog: which sessions to list, what to search.

Plain frozen objects with no import beyond the standard library, so that a command answering
from a fresh catalog (:mod:`sesslog.catalog.fresh`) builds its SQL without loading the
result types (:mod:`sesslog.catalog.types`, msgspec Structs, which re-exports these).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, Literal, TypeVar

__all__ = [
    "MARK_CLOSE",
    "MARK_OPEN",
    "SEARCH_BOUND",
    "ListQuery",
    "Order",
    "SearchHits",
    "SearchQuery",
    "TimeLike",
    "list_query",
    "marked",
    "to_ms",
]

#: Marks around a matched word in a search snippet.
MARK_OPEN = "«"
MARK_CLOSE = "»"
_MARKS = str.maketrans({"\x02": MARK_OPEN, "\x03": MARK_CLOSE})

#: How many matching entries a search ranks at most by default (see :class:`SearchQuery`).
SEARCH_BOUND = 2000

#: A point in time: Unix milliseconds, a ``datetime`` (naive means UTC) or ISO 8601 text.
TimeLike = int | dt.datetime | str

#: Sort keys of :class:`ListQuery`.
Order = Literal["updated", "created", "bytes", "cost", "entries", "title", "id"]


class _Query:
    """A frozen set of keyword fields (``__struct_fields__`` names them, in order)."""

    __slots__ = ()
    __struct_fields__: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **values: Any) -> None:
        unknown = values.keys() - self._defaults.keys()
        if unknown:
            raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
        for name in self.__struct_fields__:
            if name not in values and self._defaults[name] is _REQUIRED:
                raise TypeError(f"missing required argument {name!r}")
            object.__setattr__(self, name, values.get(name, self._defaults[name]))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"immutable type: {type(self).__name__!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__struct_fields__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__struct_fields__)
        return f"{type(self).__name__}({shown})"


_REQUIRED: Any = object()


class ListQuery(_Query):
    """Which sessions to list, and how.

    Every filter given must hold (``tags``: every tag). Times are Unix milliseconds;
    ``*_after`` is inclusive, ``*_before`` exclusive.

    Attributes:
        cwd: Exact working directory.
        title: Substring of the title (ASCII letters compared case-insensitively).
        tags: Tags the session must all carry.
        status: Exact status.
        model: A model the session used.
        user: Exact user.
        id_prefix: Start of the session id.
        parent: The parent session, as written in the header or as its id.
        has_errors: True for sessions with errors, False for sessions without.
        created_after, created_before, updated_after, updated_before: Time ranges.
        order: Sort key; ``descending`` reverses it (ties by key).
        limit: At most this many (``None``: all).
        offset: Skip this many first.
    """

    _defaults: ClassVar[dict[str, Any]] = {
        "cwd": None,
        "title": None,
        "tags": (),
        "status": None,
        "model": None,
        "user": None,
        "id_prefix": None,
        "parent": None,
        "has_errors": None,
        "created_after": None,
        "created_before": None,
        "updated_after": None,
        "updated_before": None,
        "order": "updated",
        "descending": True,
        "limit": None,
        "offset": 0,
    }
    __struct_fields__ = tuple(_defaults)
    __slots__ = __struct_fields__

    cwd: str | None
    title: str | None
    tags: tuple[str, ...]
    status: str | None
    model: str | None
    user: str | None
    id_prefix: str | None
    parent: str | None
    has_errors: bool | None
    created_after: int | None
    created_before: int | None
    updated_after: int | None
    updated_before: int | None
    order: Order
    descending: bool
    limit: int | None
    offset: int


class SearchQuery(_Query):
    """A full-text search.

    Attributes:
        text: Words to find; every word must occur (a word with punctuation, such as a path,
            matches as a phrase). With ``raw``, FTS5 query syntax.
        raw: Pass ``text`` to the full-text engine as written.
        cwd: Only sessions of this working directory.
        key: Only this session (its store key).
        limit: At most this many hits.
        offset: Skip this many first.
        bound: When more entries than this match (within ``cwd`` and ``key``), rank only the
            newest this many: those of the sessions the catalog took in last, the latest
            entries of a session first. The hits then say so (:attr:`SearchHits.bounded`).
            ``None`` ranks every match. A search with at most ``bound`` matches ranks them
            all, exactly as with ``None``.
    """

    _defaults: ClassVar[dict[str, Any]] = {
        "text": _REQUIRED,
        "raw": False,
        "cwd": None,
        "key": None,
        "limit": 20,
        "offset": 0,
        "bound": SEARCH_BOUND,
    }
    __struct_fields__ = tuple(_defaults)
    __slots__ = __struct_fields__

    text: str
    raw: bool
    cwd: str | None
    key: str | None
    limit: int
    offset: int
    bound: int | None

    def __init__(self, **values: Any) -> None:
        """See the class.

        Raises:
            TypeError: An unknown or missing field.
            ValueError: A bound below 1.
        """
        super().__init__(**values)
        if self.bound is not None and self.bound < 1:
            raise ValueError(f"a search bound must be at least 1, not {self.bound}")


_H = TypeVar("_H")


class SearchHits(list[_H], Generic[_H]):
    """The hits of a search, best first: a list, which also says whether the search ranked
    every match.

    Attributes:
        bounded: ``None`` when every matching entry was ranked; else the query's bound: more
            entries than this matched and only the newest this many were ranked.
    """

    def __init__(self, hits: Iterable[_H] = (), *, bounded: int | None = None) -> None:
        super().__init__(hits)
        self.bounded = bounded


def to_ms(value: TimeLike | None) -> int | None:
    """Unix milliseconds of a :data:`TimeLike` (``None`` stays ``None``).

    Raises:
        ValueError: Text that is no ISO 8601 time.
    """
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp() * 1000)
    from sesslog.format.timestamps import iso_to_ms

    parsed = iso_to_ms(value)
    if parsed is None:
        raise ValueError(f"not a time: {value!r}")
    return parsed


def list_query(**filters: Any) -> ListQuery:
    """The :class:`ListQuery` of the filters :meth:`~sesslog.store.SessionStore.list` takes
    (``tags`` may be a single tag; times may be any :data:`TimeLike`).

    Raises:
        TypeError: A keyword that is no filter.
        ValueError: Text that is no ISO 8601 time.
    """
    tags = filters.get("tags", ())
    filters["tags"] = tuple([tags] if isinstance(tags, str) else tags)
    for name in ("created_after", "created_before", "updated_after", "updated_before"):
        filters[name] = to_ms(filters.get(name))
    return ListQuery(**filters)


def marked(snippet: object) -> str:
    """A snippet as the catalog's SQL gives it (matches between ``\\x02`` and ``\\x03``) with
    :data:`MARK_OPEN` and :data:`MARK_CLOSE` around each match."""
    return str(snippet).translate(_MARKS)
