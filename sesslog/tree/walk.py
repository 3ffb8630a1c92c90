"""The path from an entry up to its root over the id index alone, before the parent links are
worked out (see :class:`~sesslog.tree.index.SessionTree`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["walk_up"]


def walk_up(
    ids: Sequence[str], parents: Sequence[Any], positions: Mapping[str, int], index: int
) -> list[int] | None:
    """The positions from the root to the entry at ``index``, root first.

    Args:
        ids: Each entry's id, unique, in file order.
        parents: Each entry's parent id as written.
        positions: Each id's position.
        index: Where the walk starts.

    Returns:
        The positions; ``None`` when the walk meets a loop of parent links (the whole build of
        the tree breaks loops).
    """
    get = positions.get
    limit = len(ids)
    out = []
    while True:
        out.append(index)
        parent = parents[index]
        # The rules of the tree's links: no parent, a parent not found, or itself make a root.
        # Ids are unique, and a parent is most often the entry just before: a string
        # comparison spares the lookup.
        if index and ids[index - 1] == parent:
            index -= 1
            continue
        found = get(parent) if type(parent) is str else None
        if found is None or found == index:
            break
        if len(out) > limit:
            return None
        index = found
    out.reverse()
    return out
