"""The catalog of a session store: listing facts, metadata, tool executions, usage and a
full-text index of many sessions, kept as a rebuildable projection of their files.

The interface is :class:`~sesslog.catalog.protocol.Catalog`; the result types live in
:mod:`sesslog.catalog.types`. :class:`~sesslog.catalog.sqlite.SQLiteCatalog` keeps it in an
SQLite file (``sqlite3`` is imported only there), :class:`~sesslog.catalog.scan.ScanCatalog`
keeps it in memory, and :func:`~sesslog.catalog.resilient.open_catalog` gives a store the first
while it works and the second when it does not.
"""

from __future__ import annotations

from sesslog._lazy import TYPE_CHECKING, lazy_getattr

if TYPE_CHECKING:
    from sesslog.catalog.protocol import Catalog
    from sesslog.catalog.types import (
        CatalogStatus,
        DayActivity,
        ListQuery,
        ModelUsage,
        RefreshReport,
        SearchHit,
        SearchHits,
        SearchQuery,
        SessionDetails,
        SessionInfo,
        StoreStats,
        Tokens,
        ToolExecution,
        ToolUsage,
    )

__all__ = [
    "Catalog",
    "CatalogStatus",
    "DayActivity",
    "ListQuery",
    "ModelUsage",
    "RefreshReport",
    "SearchHit",
    "SearchHits",
    "SearchQuery",
    "SessionDetails",
    "SessionInfo",
    "StoreStats",
    "Tokens",
    "ToolExecution",
    "ToolUsage",
]

# Each name is imported when first used, so that a command answering from a fresh catalog
# (``sesslog ls``) loads neither msgspec nor the result types.
__getattr__ = lazy_getattr(
    globals(),
    {
        name: "sesslog.catalog.protocol" if name == "Catalog" else "sesslog.catalog.types"
        for name in __all__
    },
)
