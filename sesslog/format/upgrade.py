"""Format upgrades as a chain of small, pure steps (v1 → v2 → v3).

Each step takes the header object and the entry objects of one version and returns those of the
next. Reading upgrades in memory only; writing an upgraded copy is an explicit act (see
:func:`sesslog.session.upgrade_file`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sesslog.format.entries import SESSION_VERSION

__all__ = ["UPGRADERS", "upgrade_objects", "upgrade_v1_to_v2", "upgrade_v2_to_v3"]

Objects = list[dict[str, Any]]


def _legacy_id(session_id: str, index: int, taken: set[str]) -> str:
    """A stable 8-hex id for the index-th entry of a v1 session.

    Ids are derived from the session id and the position, so reading the same v1 file twice
    gives the same ids (the tree and any labels a user makes stay valid).
    """
    seed = f"{session_id}\x00{index}".encode("utf-8", "surrogatepass")
    import hashlib  # here: only upgrades need it, and it loads OpenSSL

    digest = hashlib.blake2s(seed, digest_size=16).hexdigest()
    for width in (8, 12, 16, 32):
        candidate = digest[:width]
        if candidate not in taken:
            return candidate
    return f"{digest}-{index}"


def _seed_text(value: Any) -> str:
    """The header id as the text legacy ids derive from (``""`` for arrays and objects)."""
    if isinstance(value, str):
        return value
    return "" if isinstance(value, (list, dict)) else str(value)


def upgrade_v1_to_v2(header: dict[str, Any], entries: Objects) -> tuple[dict[str, Any], Objects]:
    """Give every entry an id, chain the parents, and resolve compaction indexes.

    ``firstKeptEntryIndex`` counts the header as record 0: an index that points at the header
    or past the last record leaves ``firstKeptEntryId`` unset.

    Args:
        header: The v1 header object.
        entries: The parsed entry objects in file order.

    Returns:
        The v2 header and entries (new objects; the inputs are not modified).
    """
    session_id = _seed_text(header.get("id", ""))
    taken: set[str] = set()
    ids: list[str] = []
    for index in range(len(entries)):
        new_id = _legacy_id(session_id, index, taken)
        taken.add(new_id)
        ids.append(new_id)
    upgraded: Objects = []
    previous: str | None = None
    for index, entry in enumerate(entries):
        out: dict[str, Any] = {"type": entry.get("type"), "id": ids[index], "parentId": previous}
        for key, value in entry.items():
            if key in ("type", "id", "parentId", "firstKeptEntryIndex"):
                continue
            out[key] = value
        if entry.get("type") == "compaction" and "firstKeptEntryIndex" in entry:
            target = entry["firstKeptEntryIndex"]
            if type(target) is int and 1 <= target <= len(entries):
                out["firstKeptEntryId"] = ids[target - 1]
        upgraded.append(out)
        previous = ids[index]
    new_header = dict(header)
    new_header["version"] = 2
    return new_header, upgraded


def upgrade_v2_to_v3(header: dict[str, Any], entries: Objects) -> tuple[dict[str, Any], Objects]:
    """Rename the message role ``hookMessage`` to ``custom``.

    Args:
        header: The v2 header object.
        entries: The v2 entry objects.

    Returns:
        The v3 header and entries.
    """
    upgraded: Objects = []
    for entry in entries:
        message = entry.get("message")
        if isinstance(message, dict) and message.get("role") == "hookMessage":
            entry = dict(entry)
            entry["message"] = {**message, "role": "custom"}
        upgraded.append(entry)
    new_header = dict(header)
    new_header["version"] = 3
    return new_header, upgraded


Upgrader = Callable[[dict[str, Any], Objects], tuple[dict[str, Any], Objects]]

#: ``UPGRADERS[v]`` turns a version-v session into version v+1.
UPGRADERS: dict[int, Upgrader] = {1: upgrade_v1_to_v2, 2: upgrade_v2_to_v3}


def upgrade_objects(
    version: int, header: dict[str, Any], entries: Objects
) -> tuple[dict[str, Any], Objects]:
    """Run every step from ``version`` up to the current version.

    Args:
        version: The version the objects are in (1 or 2; 3 is returned unchanged).
        header: The header object.
        entries: The entry objects in file order.

    Returns:
        The header and entries at :data:`~sesslog.format.entries.SESSION_VERSION`.
    """
    while version < SESSION_VERSION:
        header, entries = UPGRADERS[version](header, entries)
        version += 1
    return header, entries
