"""A session's metadata, kept as entries in the session itself (see
:mod:`sesslog.catalog.shapes` for the entry shapes): read it, change it.

>>> from sesslog import Session
>>> s = Session.in_memory()
>>> _ = update_metadata(s, tags=["bug", "parser"], status="completed")
>>> read_metadata(s).tags
['bug', 'parser']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from msgspec import UNSET, UnsetType

from sesslog.catalog.shapes import META_CUSTOM_TYPE, Metadata, apply_meta
from sesslog.errors import InvalidMetadataError
from sesslog.format.records import Record
from sesslog.store.validate import check_name, check_status, check_tags, check_text

if TYPE_CHECKING:
    from sesslog.session import Session

__all__ = ["meta_data", "read_metadata", "set_title", "update_metadata"]


def read_metadata(session: Session) -> Metadata:
    """The metadata the session's entries leave, in file order (the last entry wins)."""
    meta = Metadata()
    for rec in session.tree:
        if rec.type == "custom" and META_CUSTOM_TYPE.encode() in rec.raw:
            entry = rec.decode()
            if entry.get("customType") == META_CUSTOM_TYPE:
                apply_meta(meta, entry.get("data"))
    meta.title = session.name
    return meta


def meta_data(
    *,
    tags: Iterable[str] | UnsetType | None = UNSET,
    status: str | UnsetType | None = UNSET,
    purpose: str | UnsetType | None = UNSET,
    user: str | UnsetType | None = UNSET,
    agents: Iterable[str] | UnsetType | None = UNSET,
    custom: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The checked ``data`` of a metadata entry: only the keys given; ``None`` clears a key
    (inside ``custom`` too).

    Raises:
        InvalidMetadataError: A value holds control characters, a status is unknown, or a
            custom key is not text.
    """
    data: dict[str, Any] = {}
    if tags is not UNSET:
        data["tags"] = None if tags is None else check_tags(tags)
    if agents is not UNSET:
        data["agents"] = None if agents is None else check_tags(agents)
    if status is not UNSET:
        data["status"] = None if status is None else check_status(status)
    for key, value in (("purpose", purpose), ("user", user)):
        if not isinstance(value, UnsetType):
            data[key] = None if value is None else check_text(key, value)
    if custom:
        for name in custom:
            check_name("custom metadata key", name)
        data["custom"] = dict(custom)
    return data


def update_metadata(session: Session, **changes: Any) -> Record:
    """Append a metadata entry with the keys given (see :func:`meta_data`).

    Raises:
        InvalidMetadataError: Nothing to change, or a value sesslog refuses (nothing is
            appended then).
    """
    data = meta_data(**changes)
    if not data:
        raise InvalidMetadataError("no metadata to change")
    return session.append_custom(META_CUSTOM_TYPE, data)


def set_title(session: Session, title: str) -> Record:
    """Name the session (pi's ``session_info``), after checking the title."""
    return session.set_name(check_name("title", title))
