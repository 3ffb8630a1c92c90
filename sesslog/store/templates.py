"""Templates: ordinary sessions tagged ``template`` whose opening entries and metadata start
new sessions.

A template's opening entries are those on its active path before the first assistant
message: the model and thinking level, custom messages with instructions, the first prompt.
sesslog's own bookkeeping entries (metadata, snapshots, leaf moves), names and labels are not
copied. The entries keep their ids and content; each is linked to the one copied before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesslog.catalog.shapes import (
    LEAF_CUSTOM_TYPE,
    META_CUSTOM_TYPE,
    SNAPSHOT_CUSTOM_TYPE,
    TEMPLATE_TAG,
    Metadata,
)
from sesslog.format.codec import encode_line
from sesslog.format.records import Record

if TYPE_CHECKING:
    from sesslog.session import Session

__all__ = ["opening_entries", "opening_lines", "template_metadata"]

_BOOKKEEPING = frozenset({META_CUSTOM_TYPE, SNAPSHOT_CUSTOM_TYPE, LEAF_CUSTOM_TYPE})


def opening_entries(template: Session) -> list[Record]:
    """The entries a new session takes from ``template``."""
    out = []
    for rec in template.tree.path():
        if rec.type == "message":
            head = rec.message
            if head is not None and head.role == "assistant":
                break
        if rec.type in ("session_info", "label"):
            continue
        if rec.type == "custom" and rec.decode().get("customType") in _BOOKKEEPING:
            continue
        out.append(rec)
    return out


def opening_lines(template: Session) -> list[bytes]:
    """The opening entries as lines, each linked to the entry copied before it."""
    lines = []
    parent = None
    for rec in opening_entries(template):
        if rec.parent_id == parent:
            lines.append(rec.raw + b"\n")
        else:
            entry = rec.decode()
            entry["parentId"] = parent
            lines.append(encode_line(entry))
        parent = rec.id
    return lines


def template_metadata(meta: Metadata) -> Metadata:
    """The metadata a new session takes from its template: tags (without ``template``),
    purpose, user, agents and custom metadata; not the title nor the status."""
    return Metadata(
        tags=[tag for tag in meta.tags if tag != TEMPLATE_TAG],
        purpose=meta.purpose,
        user=meta.user,
        agents=list(meta.agents),
        custom=dict(meta.custom),
    )
