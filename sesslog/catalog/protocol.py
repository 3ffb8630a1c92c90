"""The catalog interface: what every catalog of a store answers.

A catalog is a projection of a store's sessions: a cache of their listing facts, metadata,
tool executions, usage and searchable text, kept current by :meth:`Catalog.refresh` and thrown
away by :meth:`Catalog.rebuild`. SQLite (:mod:`sesslog.catalog.sqlite`) is the catalog of a
local store; the scanning fallback (:mod:`sesslog.catalog.scan`) gives the same answers with
no file of its own; a PostgreSQL catalog for fleets implements the same interface. The
contract tests in ``tests/contract/test_catalog_contract.py`` hold every one of them to it.

Query methods answer from what the catalog holds; callers refresh first (the store does).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from sesslog.catalog.types import (
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
)

__all__ = ["Catalog"]


class Catalog(Protocol):
    """A store's catalog."""

    def refresh(self, keys: Collection[str] | None = None, *, full: bool = False) -> RefreshReport:
        """Fold what changed in the store since the last look (only the appended bytes of a
        session that grew; the whole file when it was rewritten). With ``keys``, look at
        those sessions only (a caller that knows what it changed). A catalog may look at
        fewer files than all (see :mod:`sesslog.catalog.detect`); ``full`` makes it look at
        every one."""
        ...

    def watch(self, key: str) -> None:
        """A session is about to be written by this store: look at it on every refresh for
        a while, however long it was idle (any process using the catalog)."""
        ...

    def rebuild(self) -> RefreshReport:
        """Forget everything and read every session again."""
        ...

    def list_sessions(self, query: ListQuery | None = None) -> SessionList:
        """Sessions matching ``query`` (default: all, newest first)."""
        ...

    def count(self, query: ListQuery | None = None) -> int:
        """How many sessions match ``query`` (its limit and offset ignored)."""
        ...

    def get(self, key: str) -> SessionInfo | None:
        """The session with this store key, or ``None``."""
        ...

    def details(self, key: str) -> SessionDetails | None:
        """Files touched and tool executions of one session, or ``None``."""
        ...

    def search(self, query: SearchQuery) -> SearchHits[SearchHit]:
        """Entries matching ``query``, best first (BM25). When more entries match than
        ``query.bound``, only the newest ``bound`` are ranked (sessions in the order the
        catalog took them in, then entries by place, the last first) and the hits say so
        (:attr:`~sesslog.catalog.queries.SearchHits.bounded`); with fewer, every match is
        ranked exactly as without a bound.
        """
        ...

    def stats(self) -> StoreStats:
        """Store-wide statistics."""
        ...

    def status(self) -> CatalogStatus:
        """What kind of catalog this is, where it lives and what it holds."""
        ...

    def close(self) -> None:
        """Release the catalog's resources."""
        ...
