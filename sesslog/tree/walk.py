"""The path from an entry up to its root over the id index alone, before the parent links are
worked out (see :class:`~sesslog.tree.index.SessionTree`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["walk_up"]


def walk_up(
    ids: Sequence[str],
    parents: Sequence[Any],
    positions: Mapping[str, int],
    index: int,
    last: int | None = None,
) -> list[int] | None:
    """The positions from the root to the entry at ``index``, root first (or the last
    ``last`` of them).

    Args:
        ids: Each entry's id, unique, in file order.
        parents: Each entry's parent id as written.
        positions: Each id's position.
        index: Where the walk starts.
        last: Stop after this many entries: the end of the path (``None``: walk to the root).

    Returns:
        The positions; ``None`` when the walk meets a link to a later entry (which may close a
        loop: the whole build of the tree breaks loops).
    """
    get = positions.get
    out = []
    # Each step goes to an earlier entry, so the walk ends within len(ids) steps.
    for _ in range(len(ids) if last is None else last):
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
        if found > index:
            return None  # a link forward (maybe into a loop): the tree's build sorts those out
        index = found
    out.reverse()
    return out
