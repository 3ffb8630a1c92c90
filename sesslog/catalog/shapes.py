"""The entries sesslog keeps in a session for the store: metadata, snapshots and leaf moves.

They are ordinary ``custom`` entries (format contract, section 3), so the JSONL stays the truth
and pi opens the file unchanged (it keeps extension state it does not know). Their shapes are
documented in ``docs/format-decisions.md`` ("Store metadata, snapshots and undo").

* ``{"type": "custom", "customType": "sesslog.meta", "data": {...}}``: a partial metadata
  object. Keys: ``tags`` and ``agents`` (lists of strings, replacing the previous list),
  ``status``, ``purpose`` and ``user`` (strings), ``custom`` (an object merged key by key).
  ``null`` removes a key (inside ``custom`` too). Going through the entries in file order,
  the last value of each key wins. The title is pi's session name (``session_info``).
* ``{"type": "custom", "customType": "sesslog.snapshot", "data": {"name", "target"}}``: names
  the entry ``target`` (the leaf when the snapshot was taken); the last entry for a name wins
  and a ``null`` target removes the name.
* ``{"type": "custom", "customType": "sesslog.leaf", "data": {"from", ...}}``: a leaf move
  (see ``Session.branch``); its parent is the new position, ``from`` the leaf it left.
  Restoring a snapshot adds ``"snapshot": NAME``; undo and redo add ``"undo": ID`` and
  ``"redo": ID`` (the move they undo, the undo they redo).
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "LEAF_CUSTOM_TYPE",
    "META_CUSTOM_TYPE",
    "META_KEYS",
    "SNAPSHOT_CUSTOM_TYPE",
    "STATUSES",
    "TEMPLATE_TAG",
    "Metadata",
    "apply_meta",
]

#: ``customType`` of a metadata entry.
META_CUSTOM_TYPE = "sesslog.meta"
#: ``customType`` of a snapshot entry.
SNAPSHOT_CUSTOM_TYPE = "sesslog.snapshot"
#: ``customType`` of a leaf move (the same value as ``sesslog.typed_appends.LEAF_CUSTOM_TYPE``).
LEAF_CUSTOM_TYPE = "sesslog.leaf"
#: The session statuses.
STATUSES = ("active", "completed", "failed", "abandoned")
#: The tag that makes a session a template.
TEMPLATE_TAG = "template"
#: The keys a metadata entry's ``data`` may hold.
META_KEYS = frozenset({"tags", "status", "purpose", "user", "agents", "custom"})


class Metadata(msgspec.Struct, kw_only=True):
    """A session's metadata as its entries leave it.

    Attributes:
        title: pi's session name (the last non-empty ``session_info`` name).
        tags: Tags, in the order given.
        status: ``active`` unless set.
        purpose: What the session is for.
        user: Who ran it.
        agents: Agents used.
        custom: Free metadata.
    """

    title: str | None = None
    tags: list[str] = []
    status: str = "active"
    purpose: str | None = None
    user: str | None = None
    agents: list[str] = []
    custom: dict[str, Any] = {}


def apply_meta(meta: Metadata, data: Any) -> None:
    """Apply one metadata entry's ``data`` to ``meta`` (in place).

    Values of the wrong type are ignored, so a hand-written entry cannot break a listing.
    """
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if key in ("tags", "agents"):
            if value is None:
                setattr(meta, key, [])
            elif isinstance(value, list):
                setattr(meta, key, _unique(str(v) for v in value if isinstance(v, str)))
        elif key == "status":
            if value is None:
                meta.status = "active"
            elif isinstance(value, str):
                meta.status = value
        elif key in ("purpose", "user"):
            if value is None or isinstance(value, str):
                setattr(meta, key, value)
        elif key == "custom" and isinstance(value, dict):
            merged = dict(meta.custom)
            for name, item in value.items():
                if item is None:
                    merged.pop(name, None)
                else:
                    merged[name] = item
            meta.custom = merged


def _unique(values: Any) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)
