"""Branch queries over a session's tree: every leaf's branch, the sibling branches at each fork
point of a path, and the plan of a fork that re-asks a user message.

Pure functions over the tree index's arrays (:class:`~sesslog.tree.index.SessionTree` calls
them and is what users call); every walk is iterative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from sesslog.format.records import Record
from sesslog.tree.text import message_text

__all__ = [
    "BranchInfo",
    "ForkPlan",
    "SiblingBranch",
    "branches",
    "fork_plan",
    "sibling_branches",
]


class SiblingBranch(msgspec.Struct, frozen=True):
    """One of the branches that leave a fork point.

    Attributes:
        fork_point_id: The entry with more than one child.
        first_id: The child that starts this branch.
        leaf_id: The newest leaf in the branch (last in file order).
        size: Number of entries in the branch.
        active: True when the current leaf is inside this branch.
    """

    fork_point_id: str
    first_id: str
    leaf_id: str
    size: int
    active: bool


class BranchInfo(msgspec.Struct, frozen=True):
    """One leaf of the tree and the branch that leads to it.

    Attributes:
        leaf_id: The leaf entry.
        fork_point_id: The nearest ancestor with more than one child (``None`` when the branch
            runs from a root with no fork on the way).
        depth: Number of entries from the root to the leaf.
        timestamp: The leaf's timestamp.
        label: The leaf's label, if any.
        active: True for the branch of the current leaf.
    """

    leaf_id: str
    fork_point_id: str | None
    depth: int
    timestamp: str | None
    label: str | None
    active: bool


class ForkPlan(msgspec.Struct, frozen=True):
    """What forking (or re-asking) from a user message needs.

    Attributes:
        message_id: The user message the fork starts from.
        parent_id: Where the new branch attaches (the message's parent, ``None`` at a root).
        path: Ids from the root to ``parent_id``, root first (empty at a root).
        text: The message's text, for the user to edit and send again.
    """

    message_id: str
    parent_id: str | None
    path: list[str]
    text: str


def branches(
    entries: Sequence[Record],
    parent: Sequence[int],
    kids: Sequence[Sequence[int]],
    labels: Mapping[str, str],
) -> list[BranchInfo]:
    """Every leaf with the branch that leads to it, in file order.

    Args:
        entries: The tree's entries in file order (the last one is the current leaf).
        parent: Each entry's parent position (-1 for a root).
        kids: Each entry's children positions, ordered.
        labels: Labels by entry id.
    """
    current = len(entries) - 1
    depth, fork = _depths_and_forks(parent, kids)
    out = []
    for index, k in enumerate(kids):
        if k:
            continue
        rec = entries[index]
        out.append(
            BranchInfo(
                rec.id,
                None if fork[index] == -1 else entries[fork[index]].id,
                depth[index],
                rec.timestamp if isinstance(rec.timestamp, str) else None,
                labels.get(rec.id),
                index == current,
            )
        )
    return out


def _depths_and_forks(
    parent: Sequence[int], kids: Sequence[Sequence[int]]
) -> tuple[list[int], list[int]]:
    """Each entry's depth (entries from its root to it, inclusive) and nearest fork point
    above it (the closest ancestor with more than one child; -1 for none), worked out from the
    roots down in one pass (walking up from every leaf costs leaves times depth)."""
    depth = [0] * len(parent)
    fork = [-1] * len(parent)
    stack = [index for index, up in enumerate(parent) if up == -1]
    for root in stack:
        depth[root] = 1
    while stack:
        node = stack.pop()
        below = kids[node]
        node_fork = node if len(below) > 1 else fork[node]
        for child in below:
            depth[child] = depth[node] + 1
            fork[child] = node_fork
        stack.extend(below)
    return depth, fork


def sibling_branches(
    entries: Sequence[Record],
    positions: Mapping[str, int],
    kids: Sequence[Sequence[int]],
    path: Sequence[Record],
) -> list[list[SiblingBranch]]:
    """The branches at each fork point on ``path``.

    Args:
        entries: The tree's entries in file order.
        positions: Each entry id's position in ``entries``.
        kids: Each entry's children positions, ordered.
        path: The path, root first.

    Returns:
        One list per fork point on the path, root side first; each lists every child branch
        of that fork point, oldest first, marking the one the path goes through.
    """
    on_path = {rec.id for rec in path}
    out: list[list[SiblingBranch]] = []
    for rec in path:
        index = positions[rec.id]
        if len(kids[index]) < 2:
            continue
        group = []
        for child in kids[index]:
            leaf, size = _subtree_leaf(child, kids)
            group.append(
                SiblingBranch(
                    rec.id,
                    entries[child].id,
                    entries[leaf].id,
                    size,
                    entries[child].id in on_path,
                )
            )
        out.append(group)
    return out


def fork_plan(rec: Record, parent_id: str | None, path: list[str]) -> ForkPlan:
    """Plan a fork that re-asks the user message ``rec``.

    Args:
        rec: The message's record.
        parent_id: Its parent's id (``None`` at a root).
        path: Ids from the root to the parent, root first.

    Raises:
        ValueError: The entry is not a user message.
    """
    if rec.type != "message" or rec.message is None or rec.message.role != "user":
        raise ValueError(f"entry {rec.id} is not a user message")
    content = rec.decode().get("message", {}).get("content")
    return ForkPlan(rec.id, parent_id, path, message_text(content))


def _subtree_leaf(start: int, kids: Sequence[Sequence[int]]) -> tuple[int, int]:
    """The last-in-file-order entry of a subtree, and the subtree's size."""
    best = start
    size = 0
    stack = [start]
    while stack:
        node = stack.pop()
        size += 1
        best = max(best, node)
        stack.extend(kids[node])
    return best, size
