"""Many sessions: a store in pi's folder layout with a catalog, metadata, snapshots with undo
and redo, templates, a trash, and statistics.

>>> from sesslog.store import SessionStore
>>> store = SessionStore.in_memory()
>>> s = store.create(cwd="/srv/app", title="Deploy", tags=["ops"])
>>> store.latest().title
'Deploy'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesslog._lazy import lazy_getattr

if TYPE_CHECKING:
    from sesslog.catalog.shapes import Metadata
    from sesslog.catalog.types import (
        CatalogStatus,
        ListQuery,
        SearchHit,
        SessionDetails,
        SessionInfo,
        StoreStats,
        Tokens,
        ToolExecution,
    )
    from sesslog.store.backend import TrashItem
    from sesslog.store.metadata import read_metadata, set_title, update_metadata
    from sesslog.store.store import SessionStore
    from sesslog.store.tokens import ContextTokens, context_tokens

# Each name is imported when first used, so that a command needing only the catalog
# (``sesslog ls``, ``sesslog search``) does not import the store's write side.
__getattr__ = lazy_getattr(
    globals(),
    {
        "Metadata": "sesslog.catalog.shapes",
        **{
            name: "sesslog.catalog.types"
            for name in (
                "CatalogStatus",
                "ListQuery",
                "SearchHit",
                "SessionDetails",
                "SessionInfo",
                "StoreStats",
                "Tokens",
                "ToolExecution",
            )
        },
        "TrashItem": "sesslog.store.backend",
        "read_metadata": "sesslog.store.metadata",
        "set_title": "sesslog.store.metadata",
        "update_metadata": "sesslog.store.metadata",
        "SessionStore": "sesslog.store.store",
        "ContextTokens": "sesslog.store.tokens",
        "context_tokens": "sesslog.store.tokens",
    },
)

__all__ = [
    "CatalogStatus",
    "ContextTokens",
    "ListQuery",
    "Metadata",
    "SearchHit",
    "SessionDetails",
    "SessionInfo",
    "SessionStore",
    "StoreStats",
    "Tokens",
    "ToolExecution",
    "TrashItem",
    "context_tokens",
    "read_metadata",
    "set_title",
    "update_metadata",
]
