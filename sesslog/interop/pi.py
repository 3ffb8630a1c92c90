"""pi and OpenClaw sessions from another folder, copied into the session store unchanged.

The file is copied byte for byte (damage included: the copy reports what the original does) to
its place in pi's layout, and one ``custom`` entry ``sesslog.import`` is appended whose parent
is the session's leaf, so the leaf's path and context stay the same::

    {"type": "custom", "customType": "sesslog.import",
     "data": {"format": "pi", "path": "/abs/source.jsonl", "version": 3,
              "sessionId": "...", "entries": 42}}

The session's own ``custom`` entries (OpenClaw's among them) pass through untouched. Importing
the file again adds nothing; importing a longer version appends its new lines byte for byte
(found by entry id), then another ``sesslog.import`` entry. Files sesslog opens read-only
(versions 1 and 2, a newer version, no header) are copied unchanged with no entry appended; a
longer version of one adds the bytes past the copy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sesslog.format.codec import encode_line
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.ids import new_entry_id
from sesslog.format.reader import ReadMode, SessionData, read_bytes
from sesslog.format.timestamps import now_iso
from sesslog.interop.entries import IMPORT_CUSTOM_TYPE, safe_id
from sesslog.interop.report import FileReport, FileStatus, ImportedSession
from sesslog.interop.target import ImportTarget
from sesslog.tree.index import SessionTree

__all__ = ["import_pi"]


def import_pi(path: Path, data: bytes, root: ImportTarget) -> FileReport:
    """Copy one pi session file into the store (or add what it has that is new).

    Args:
        path: The source file.
        data: Its bytes.
        root: The store.
    """
    read = read_bytes(data, ReadMode.SALVAGE, path=str(path))
    tree = SessionTree(read.records, read.diagnostics)
    result = FileReport(
        path=str(path),
        format="pi",
        version=str(read.file_version),
        records=len(read.records),
        damage=list(read.diagnostics.diagnostics),
    )
    header = read.header
    if header is None or not isinstance(header.get("id"), str) or not header["id"]:
        result.status = FileStatus.FAILED.value
        result.error = "no session header with an id: cannot place the session"
        return result
    writable = not read.diagnostics.read_only and read.file_version == SESSION_VERSION
    session_id = safe_id(header["id"])
    placed = {
        "id": session_id,
        "cwd": header.get("cwd") if isinstance(header.get("cwd"), str) else "/",
        "timestamp": header.get("timestamp")
        if isinstance(header.get("timestamp"), str)
        else "1970-01-01T00:00:00.000Z",
    }
    found = root.find(session_id)
    if found is None:
        target = _create(root, placed, data, read, tree, path, writable)
        added, created = len(tree), True
        result.status = FileStatus.IMPORTED.value
    else:
        target, created = found, False
        grown = _grow(root, found, data, read, path, writable)
        if grown is None:
            result.status = FileStatus.FAILED.value
            result.error = f"differs from {root.path_of(found)}, the copy already in the store"
            return result
        added = grown
        if added:
            result.status = FileStatus.UPDATED.value
    result.entries_added = added
    result.sessions.append(
        ImportedSession(
            id=session_id,
            path=root.path_of(target),
            created=created,
            entries_added=added,
            custom_added=0,
        )
    )
    return result


def _provenance(
    path: Path, read: SessionData, parent: str | None, taken: Any, entries: int
) -> dict[str, Any]:
    header = read.header or {}
    return {
        "type": "custom",
        "id": new_entry_id(taken),
        "parentId": parent,
        "timestamp": now_iso(),
        "customType": IMPORT_CUSTOM_TYPE,
        "data": {
            "format": "pi",
            "path": os.path.abspath(path),
            "version": read.file_version,
            "sessionId": header.get("id"),
            "entries": entries,
        },
    }


def _create(
    root: ImportTarget,
    placed: dict[str, Any],
    data: bytes,
    read: SessionData,
    tree: SessionTree,
    path: Path,
    writable: bool,
) -> str:
    """Copy the file; add the provenance entry in the same write when its end is clean."""
    if not writable:
        return root.create_raw(placed, data)
    entry = _provenance(path, read, tree.leaf_id, tree.ids, len(tree))
    if read.valid_size == len(data):
        ending = b"" if data.endswith(b"\n") else b"\n"
        return root.create_raw(placed, data + ending + encode_line(entry))
    target = root.create_raw(placed, data)  # a torn tail: appending moves it aside first
    root.append(target, [entry])
    return target


def _grow(
    root: ImportTarget, found: str, data: bytes, read: SessionData, path: Path, writable: bool
) -> int | None:
    """Append what the source has that the copy lacks; ``None`` when they disagree."""
    if not writable:
        have = root.store.files.read(found)
        if data == have:
            return 0
        if not data.startswith(have) or not have.endswith(b"\n"):
            return None
        rest = data[len(have) :]
        root.append_lines(found, [rest.removesuffix(b"\n")])
        return rest.count(b"\n") + (0 if rest.endswith(b"\n") else 1)
    copy = root.load(found)
    new = [rec for rec in read.records if rec.id not in copy.ids]
    if not new:
        return 0
    root.append_lines(found, [rec.raw for rec in new])
    leaf = new[-1].id
    taken = copy.ids | {rec.id for rec in new}
    root.append(found, [_provenance(path, read, leaf, taken, len(new))])
    return len(new)
