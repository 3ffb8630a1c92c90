"""Many sessions: a store in pi's folder layout with a catalog, metadata, snapshots with undo
and redo, templates, a trash, and statistics.

>>> from sesslog.store import SessionStore
>>> store = SessionStore.in_memory()
>>> s = store.create(cwd="/srv/app", title="Deploy", tags=["ops"])
>>> store.latest().title
'Deploy'
"""

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
