"""Export a session as JSON: the model context at a leaf, or the whole tree with metadata.

Both shapes start with ``{"format": "sesslog.export", "version": 1, "kind": ...}``:

* ``kind: "context"``: ``session`` (metadata), ``leafId``, ``path`` (ids, root first), ``usage``
  (summed over the path) and ``context`` (the format contract's section 7 object, as
  ``sesslog context --json`` prints it).
* ``kind: "tree"``: ``session``, ``header`` (the header object as written), ``leafId``,
  ``path``, ``labels``, ``nodes`` (pre-order, as ``sesslog tree --json``), ``usage`` (summed
  over every entry) and ``entries`` (every entry as its JSON object, in file order).
"""

from __future__ import annotations

from typing import Any

import msgspec

from sesslog.format.codec import dumps_json
from sesslog.interop.export_common import (
    export_records,
    models_used,
    session_metadata,
    usage_totals,
)
from sesslog.session import Session

__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "export_json", "export_json_text"]

EXPORT_FORMAT = "sesslog.export"
EXPORT_VERSION = 1


def export_json(
    session: Session, *, leaf_id: str | None = None, whole_tree: bool = False
) -> dict[str, Any]:
    """The export as a JSON object (see the module docstring for its shape).

    Args:
        session: The session.
        leaf_id: Stand on this entry instead of the leaf (the context and ``path``).
        whole_tree: Export the whole tree and every entry instead of the context.

    Raises:
        EntryNotFoundError: ``leaf_id`` is not in the session.
    """
    path = export_records(session, leaf_id=leaf_id)
    out: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "kind": "tree" if whole_tree else "context",
        "session": session_metadata(session),
    }
    out["session"]["models"] = models_used(list(session.tree))
    if not whole_tree:
        out["leafId"] = path[-1].id if path else None
        out["path"] = [rec.id for rec in path]
        out["usage"] = usage_totals(path)
        out["context"] = session.context(leaf_id).to_json()
        return out
    records = export_records(session, whole_tree=True)
    out["header"] = session.header
    out["leafId"] = path[-1].id if path else None
    out["path"] = [rec.id for rec in path]
    out["labels"] = session.labels
    out["nodes"] = session.tree.nodes()
    out["usage"] = usage_totals(records)
    out["entries"] = [rec.decode() for rec in records]
    return out


def export_json_text(
    session: Session,
    *,
    leaf_id: str | None = None,
    whole_tree: bool = False,
    indent: int | None = 2,
) -> str:
    """:func:`export_json` as text (lone surrogates written as ``\\udXXX`` escapes)."""
    value = export_json(session, leaf_id=leaf_id, whole_tree=whole_tree)
    try:
        raw = msgspec.json.encode(value)
        text = (raw if indent is None else msgspec.json.format(raw, indent=indent)).decode()
    except (msgspec.EncodeError, UnicodeEncodeError, TypeError):
        text = dumps_json(value, indent=indent)  # lone surrogates, or numbers msgspec refuses
    return text + "\n"
