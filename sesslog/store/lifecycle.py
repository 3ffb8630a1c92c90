"""The life of a session in a store after its writing: the trash, cleanup, and starting new
sessions from templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from msgspec import UNSET

from sesslog.backends.locks import writer_active
from sesslog.catalog.shapes import TEMPLATE_TAG
from sesslog.catalog.types import SessionInfo
from sesslog.errors import AmbiguousSessionError, SessionLockedError, SessionNotFoundError
from sesslog.format import entries as E
from sesslog.format.codec import encode_line
from sesslog.format.ids import new_session_id
from sesslog.format.timestamps import ms_to_iso
from sesslog.store.backend import StoreBackend, TrashItem
from sesslog.store.metadata import read_metadata
from sesslog.store.templates import opening_lines, template_metadata

if TYPE_CHECKING:
    from sesslog.session import Session

__all__ = [
    "cleanable",
    "delete",
    "empty_trash",
    "find_trashed",
    "template_changes",
    "trashed_before",
    "write_from_template",
]


def _writing(backend: StoreBackend, key: str) -> bool:
    path = backend.local_path(key)
    return path is not None and writer_active(path)


def delete(backend: StoreBackend, info: SessionInfo, now: int) -> TrashItem:
    """Move a session to the trash.

    Raises:
        SessionLockedError: A writer holds the session (moving it would strand its appends).
    """
    if _writing(backend, info.key):
        raise SessionLockedError(info.path)
    return backend.trash(info.key, now)


def find_trashed(items: list[TrashItem], ref: str) -> TrashItem:
    """The trashed session ``ref`` names: its trash key, or its id or an id prefix (the
    latest deletion when one session was deleted several times).

    Raises:
        SessionNotFoundError: Nothing matches.
        AmbiguousSessionError: Several different sessions match.
    """
    for item in items:
        if item.trash_key == ref:
            return item
    for group in ([i for i in items if i.id == ref], [i for i in items if i.id.startswith(ref)]):
        if group and len({item.key for item in group}) == 1:
            return group[-1]
        if group:
            raise AmbiguousSessionError(ref, [item.trash_key for item in group])
    raise SessionNotFoundError(f"nothing in the trash matches {ref!r}")


def trashed_before(
    items: list[TrashItem], older_than: dt.timedelta | None, now: int
) -> list[TrashItem]:
    """The items deleted more than ``older_than`` ago (every item when it is ``None``)."""
    if older_than is None:
        return list(items)
    limit = now - int(older_than.total_seconds() * 1000)
    return [item for item in items if int(item.trash_key.split("/", 1)[0]) < limit]


def empty_trash(
    backend: StoreBackend, older_than: dt.timedelta | None, now: int
) -> list[TrashItem]:
    """Delete trashed sessions for good (those deleted before ``older_than`` ago)."""
    removed = trashed_before(backend.list_trash(), older_than, now)
    for item in removed:
        backend.delete(item)
    return removed


def cleanable(backend: StoreBackend, stale: Iterable[SessionInfo]) -> list[SessionInfo]:
    """The stale sessions cleanup may move: not templates, not held by a writer."""
    return [
        info for info in stale if TEMPLATE_TAG not in info.tags and not _writing(backend, info.key)
    ]


def write_from_template(
    backend: StoreBackend,
    template: Session,
    cwd: str,
    session_id: str | None,
    now: int,
) -> str:
    """Create a session holding a template's opening entries; its key."""
    header = E.SessionHeader(
        version=E.SESSION_VERSION,
        id=session_id or new_session_id(),
        timestamp=ms_to_iso(now),
        cwd=cwd,
        parent_session=UNSET,
    )
    data = encode_line(header) + b"".join(opening_lines(template))
    return backend.write_new(cwd, str(header.id), str(header.timestamp), data)


def template_changes(template: Session) -> dict[str, Any]:
    """The metadata a session started from ``template`` takes (as ``update_metadata``
    arguments), with ``custom["template"]`` naming the template's id."""
    meta = template_metadata(read_metadata(template))
    changes: dict[str, Any] = {"custom": {**meta.custom, "template": template.id}}
    for key in ("tags", "agents"):
        if getattr(meta, key):
            changes[key] = getattr(meta, key)
    for key in ("purpose", "user"):
        if getattr(meta, key) is not None:
            changes[key] = getattr(meta, key)
    return changes
