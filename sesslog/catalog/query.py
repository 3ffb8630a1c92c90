"""What a listing filter and a search query mean, once, for every catalog.

The SQLite catalog turns a :class:`~sesslog.catalog.types.ListQuery` into SQL
(:mod:`sesslog.catalog.sql`); the scanning fallback applies :func:`matches` and :func:`sort`
here. Both follow the same rules, which the contract tests hold them to:

* ``title`` is a substring test where only ASCII letters are compared case-insensitively
  (SQLite's ``lower()`` without ICU);
* ``parent`` matches the header's ``parentSession`` as written, or a parent path whose file
  name ends in ``_<id>.jsonl``;
* sorting breaks ties by the store key, ascending, in either direction.

Search text is split on whitespace; each word becomes a phrase of its tokens (so a path or a
dotted name matches its parts in order) and every phrase must occur in the entry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sesslog.catalog.queries import ListQuery
    from sesslog.catalog.types import SessionInfo

__all__ = [
    "TOKEN",
    "ascii_lower",
    "fts_match",
    "matches",
    "page",
    "parent_matches",
    "phrases",
    "sort",
    "sort_key",
    "tokenize",
]

_T = TypeVar("_T")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: A token of the full-text tokenizer: letters, digits and ``_`` (Python's ``\w``), with
#: the common combining diacritics and the private-use characters, which ``unicode61`` keeps
#: inside words. (``unicode61`` follows Unicode 6.1: symbols assigned later, such as newer
#: emoji, are word characters there and separators here; text in them may rank slightly
#: differently in the scanning fallback.)
TOKEN = re.compile(
    "[\\w\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\ue000-\uf8ff]+"
)


def ascii_lower(text: str) -> str:
    """``text`` with ASCII letters lowered and everything else kept (as SQLite's ``lower``)."""
    return text.translate(_ASCII_LOWER)


def parent_matches(parent: str | None, ref: str) -> bool:
    """Whether a session whose header names ``parent`` descends from ``ref`` (a path as
    written, or a session id)."""
    if parent is None:
        return False
    return parent == ref or parent.endswith(f"_{ref}.jsonl")


def matches(info: SessionInfo, created_ms: int, updated_ms: int, query: ListQuery) -> bool:
    """Whether a session passes every filter of ``query``."""
    q = query
    if q.cwd is not None and info.cwd != q.cwd:
        return False
    if q.title is not None and (
        info.title is None or ascii_lower(q.title) not in ascii_lower(info.title)
    ):
        return False
    if q.tags and not all(tag in info.tags for tag in q.tags):
        return False
    if q.status is not None and info.status != q.status:
        return False
    if q.model is not None and q.model not in info.models:
        return False
    if q.user is not None and info.user != q.user:
        return False
    if q.id_prefix is not None and not info.id.startswith(q.id_prefix):
        return False
    if q.parent is not None and not parent_matches(info.parent, q.parent):
        return False
    if q.has_errors is not None and (info.errors > 0) != q.has_errors:
        return False
    return _in_range(created_ms, q.created_after, q.created_before) and _in_range(
        updated_ms, q.updated_after, q.updated_before
    )


def _in_range(value: int, after: int | None, before: int | None) -> bool:
    return (after is None or value >= after) and (before is None or value < before)


def sort_key(order: str, info: SessionInfo, created_ms: int, updated_ms: int) -> Any:
    """The value a listing sorts on."""
    if order == "updated":
        return updated_ms
    if order == "created":
        return created_ms
    if order == "title":
        return info.title or ""
    if order == "cost":
        return info.cost
    value: Any = getattr(info, order)
    return value


def page(items: Sequence[_T], query: ListQuery) -> list[_T]:
    """The slice of ``items`` that ``query``'s offset and limit select."""
    stop = None if query.limit is None else query.offset + query.limit
    return list(items[query.offset : stop])


def sort(
    items: list[_T],
    query: ListQuery,
    key_of: Callable[[_T], str],
    value_of: Callable[[_T], Any],
) -> list[_T]:
    """Sort by the store key, then (stably) by the query's order."""
    items = sorted(items, key=key_of)
    items.sort(key=value_of, reverse=query.descending)
    return items


def tokenize(text: str) -> list[str]:
    """Tokens as the catalog's full-text tokenizer makes them: runs of letters, digits and
    ``_``, case-folded, diacritics removed."""
    return [_fold(token) for token in TOKEN.findall(text)]


def _fold(token: str) -> str:
    lowered = token.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def phrases(text: str) -> list[list[str]]:
    """The phrases of a search: one per whitespace-separated word, as its tokens."""
    out = []
    for word in text.split():
        tokens = tokenize(word)
        if tokens:
            out.append(tokens)
    return out


def fts_match(text: str) -> str:
    """An FTS5 query for search text: each word a quoted phrase (empty when no words)."""
    words = [word for word in text.split() if tokenize(word)]
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)
