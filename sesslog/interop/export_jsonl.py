"""Export a path (or the whole tree) as a pi JSONL session: a fork.

The new file is what :meth:`Session.fork <sesslog.session.Session.fork>` writes: a fresh
header naming the source in ``parentSession``, then the chosen entries' lines copied byte for
byte.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sesslog.session import Session

__all__ = ["export_jsonl", "export_jsonl_bytes"]


def export_jsonl(
    session: Session,
    output: str | os.PathLike[str],
    *,
    leaf_id: str | None = None,
    whole_tree: bool = False,
) -> Session:
    """Write the path to ``leaf_id`` (default: the leaf), or every entry, as a new session file.

    Raises:
        FileExistsError: ``output`` exists (it is never overwritten).
        EntryNotFoundError: ``leaf_id`` is not in the session.
    """
    forked = session.fork(leaf_id, whole_tree=whole_tree, path=output)
    forked.close()
    return forked


def export_jsonl_bytes(
    session: Session, *, leaf_id: str | None = None, whole_tree: bool = False
) -> bytes:
    """The bytes :func:`export_jsonl` would write (the fork goes through a temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="sesslog-export-") as folder:
        target = Path(folder) / "fork.jsonl"
        export_jsonl(session, target, leaf_id=leaf_id, whole_tree=whole_tree)
        return target.read_bytes()
