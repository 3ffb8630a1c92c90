"""The pure, in-memory tree index of a session (no I/O).

Every entry is a node. The index answers structural questions: roots, ordered children, the
leaf, the path from a root to any entry, labels, the session name, branches and fork plans.
The rules are those of the format contract, section 6 (the branch and fork-plan queries are
in :mod:`sesslog.tree.branches`):

* the first occurrence of an id wins; a later line with the same id is a duplicate (identical
  or conflicting) and is reported and left out of the tree;
* an entry whose parent is ``null``, itself, or not in the file is a root (a missing parent is
  reported as an orphaned parent link);
* a parent chain that loops is broken at the entry, in file order the last of the loop, whose
  parent link closes it; that entry becomes a root and the cycle is reported;
* children are ordered by timestamp, oldest first, ties in file order; roots in file order;
* the leaf is the last entry in file order.

Nothing recurses and every walk is iterative, so a chain of a million entries is fine. The path
to an entry costs O(depth).

A tree made with ``deferred=True`` indexes only the ids (and reports duplicates) when it is
made; the parent links, their checks (orphans, self-parents, cycles), labels and the name are
worked out on first use. :meth:`SessionTree.path` does not wait for them: it walks from the
entry over the id index and takes the whole build only when that walk meets a loop. Either
way the answers and the diagnostics are the same; a context costs only its path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import msgspec

from sesslog.errors import EntryNotFoundError
from sesslog.format.diagnostics import Reason, SessionOpenDiagnostics, shown
from sesslog.format.records import Record
from sesslog.format.table import RecordTable
from sesslog.format.timestamps import iso_to_ms
from sesslog.tree.branches import (
    BranchInfo,
    ForkPlan,
    SiblingBranch,
    branches,
    fork_plan,
    sibling_branches,
)
from sesslog.tree.walk import walk_up

__all__ = ["SessionTree", "TreeNode"]

#: How many ids of a parent loop a cycle diagnostic names.
_LOOP_SHOWN = 8


class TreeNode(msgspec.Struct, frozen=True, gc=False):
    """One node as the tree JSON shows it.

    Not tracked by the cycle collector (its fields cannot form a cycle): a large tree's nodes
    would otherwise cost more in collections than in building.
    """

    id: str
    parentId: str | None
    children: list[str]
    label: str | None


class SessionTree:
    """Index of a session's entries.

    Args:
        records: Entry records in file order.
        diagnostics: Where tree anomalies (duplicates, orphans, cycles) are reported; a fresh
            object when omitted.
        deferred: Work out the parent links and their checks on first use (see the module's
            note); :attr:`diagnostics` waits for them.
    """

    def __init__(
        self,
        records: Iterable[Record] = (),
        diagnostics: SessionOpenDiagnostics | None = None,
        *,
        deferred: bool = False,
    ) -> None:
        self._diagnostics = diagnostics if diagnostics is not None else SessionOpenDiagnostics()
        #: The entries in the tree, in file order (kept in columns: see
        #: :class:`~sesslog.format.table.RecordTable`).
        self.entries: RecordTable = RecordTable([], [], [])
        self._pos: dict[str, int] = {}
        self._parent: list[int] = []
        self._children: list[list[int]] | None = None
        self._labels: dict[str, str] = {}
        self._name: str | None = None
        self._linked = False
        self._index_ids(records)
        if not deferred:
            self._link()

    @property
    def diagnostics(self) -> SessionOpenDiagnostics:
        """Where the read's and the tree's anomalies are reported (the tree's checks done)."""
        if not self._linked:
            self._link()
        return self._diagnostics

    @diagnostics.setter
    def diagnostics(self, value: SessionOpenDiagnostics) -> None:
        self._diagnostics = value

    # ------------------------------------------------------------------ building

    def _index_ids(self, records: Iterable[Record]) -> None:
        self.entries = entries = RecordTable.of(records)
        ids = entries.ids
        pos = dict(zip(ids, range(len(ids)), strict=True))
        if len(pos) != len(ids):
            pos = self._drop_duplicates()
        self._pos = pos

    def _link(self) -> None:
        """Work out the parent links, report what is wrong with them, note labels and name."""
        self._linked = True
        before = len(self._diagnostics.diagnostics)
        entries = self.entries
        get = self._pos.get
        # -1: root; -2: parent named but not found (reported below).
        parent = [
            -1 if p is None else get(p, -2) if type(p) is str else -2 for p in entries.parents
        ]
        self._parent = parent
        forward = False
        for index in [i for i, p in enumerate(parent) if p == -2 or p >= i]:
            target = parent[index]
            rec = entries[index]
            if target == -2:
                parent[index] = -1
                self._diagnostics.add(
                    rec.line,
                    rec.offset,
                    Reason.ORPHANED_PARENT,
                    f"entry {shown(rec.id)} names parent {shown(rec.parent_id)}, which is not "
                    "in the session; treated as a root",
                )
            elif target == index:
                parent[index] = -1
                self._diagnostics.add(
                    rec.line,
                    rec.offset,
                    Reason.SELF_PARENT,
                    f"entry {shown(rec.id)} names itself as parent; treated as a root",
                )
            else:
                forward = True
        if forward:
            self._break_cycles()
        types = entries.types
        if "label" in types or "session_info" in types:
            noted = [i for i, t in enumerate(types) if t == "label" or t == "session_info"]
            for rec in entries.records(noted):
                self._note(rec)
        if len(self._diagnostics.diagnostics) != before:
            self._diagnostics.sort()

    def _drop_duplicates(self) -> dict[str, int]:
        """Keep the first entry of each id, report the others; return the id index."""
        pos: dict[str, int] = {}
        kept: list[int] = []
        entries = self.entries
        for index, entry_id in enumerate(entries.ids):
            known = pos.get(entry_id)
            if known is not None:
                self._report_duplicate(entries[kept[known]], entries[index])
                continue
            pos[entry_id] = len(kept)
            kept.append(index)
        self.entries = entries.select(kept)
        return pos

    def _report_duplicate(self, first: Record, dup: Record) -> None:
        entry = f"entry {shown(dup.id)}"
        if dup.raw == first.raw:
            reason, what = Reason.DUPLICATE_ID_IDENTICAL, f"repeats line {first.line}"
        else:
            reason = Reason.DUPLICATE_ID_CONFLICTING
            what = f"reuses the id of line {first.line} with other content"
        self._diagnostics.add(
            dup.line, dup.offset, reason, f"{entry} {what}; the first one is kept"
        )

    def _break_cycles(self) -> None:
        """Find parent loops and break each at its last member in file order."""
        parent = self._parent
        state = bytearray(len(parent))  # 0 new, 1 on the current walk, 2 done
        for start in range(len(parent)):
            if state[start]:
                continue
            walk = []
            node = start
            while node != -1 and state[node] == 0:
                state[node] = 1
                walk.append(node)
                node = parent[node]
            if node != -1 and state[node] == 1:
                loop = walk[walk.index(node) :]
                breaker = max(loop)
                rec = self.entries[breaker]
                parent[breaker] = -1
                ids = " -> ".join(shown(self.entries.ids[i]) for i in loop[:_LOOP_SHOWN])
                if len(loop) > _LOOP_SHOWN:
                    ids += f" -> ... ({len(loop)} entries)"
                self._diagnostics.add(
                    rec.line,
                    rec.offset,
                    Reason.CYCLE,
                    f"parent links loop ({ids}); entry {shown(rec.id)} is treated as a root",
                )
            for visited in walk:
                state[visited] = 2

    def _note(self, rec: Record) -> None:
        """Track labels and the session name from one entry."""
        kind = rec.type
        if kind == "label" and type(rec.target_id) is str:
            if isinstance(rec.label, str) and rec.label:
                self._labels[rec.target_id] = rec.label
            else:
                self._labels.pop(rec.target_id, None)
        elif kind == "session_info" and isinstance(rec.name, str) and rec.name.strip():
            self._name = rec.name

    def check_new(self, rec: Record) -> int:
        """Check that ``rec`` can be appended; return its parent's index (-1 for a root).

        Raises:
            ValueError: The entry has no string id, its id is already in the tree, or its
                parent is not.
        """
        pos = self._pos
        if type(rec.id) is not str:
            raise ValueError("an entry must be a JSON object with a string 'id'")
        if rec.id in pos:
            raise ValueError(f"duplicate entry id {shown(rec.id)}")
        parent_id = rec.parent_id
        if parent_id is None:
            return -1
        found = pos.get(parent_id) if type(parent_id) is str else None
        if found is None:
            raise ValueError(f"parent {shown(parent_id)} is not in the session")
        return found

    def append(self, rec: Record, parent: int | None = None) -> None:
        """Add one new entry (as the new leaf).

        Args:
            rec: The entry.
            parent: What :meth:`check_new` returned for it, when the caller already checked.

        Raises:
            ValueError: See :meth:`check_new`.
        """
        if not self._linked:
            self._link()
        if parent is None:
            parent = self.check_new(rec)
        index = len(self.entries)
        self._pos[rec.id] = index
        self.entries.append(rec)
        self._parent.append(parent)
        if self._children is not None:
            self._children.append([])
            if parent != -1:
                self._insert_child(parent, index)
        if rec.type == "label" or rec.type == "session_info":
            self._note(rec)

    # ------------------------------------------------------------------ lookups

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._pos

    def __iter__(self) -> Iterator[Record]:
        return iter(self.entries)

    def get(self, entry_id: str) -> Record:
        """Return the entry with this id.

        Raises:
            EntryNotFoundError: No such entry.
        """
        index = self._pos.get(entry_id)
        if index is None:
            raise EntryNotFoundError(f"no entry {entry_id!r} in the session")
        return self.entries[index]

    def parent_of(self, entry_id: str) -> str | None:
        """Return the tree parent's id (``None`` for a root)."""
        parent = self._parents()[self._index(entry_id)]
        return None if parent == -1 else self.entries.ids[parent]

    @property
    def ids(self) -> Mapping[str, int]:
        """Every entry id, mapped to its position in file order (read-only view)."""
        return self._pos

    @property
    def leaf_id(self) -> str | None:
        """The current position: the last entry in file order."""
        ids = self.entries.ids
        return ids[-1] if ids else None

    @property
    def labels(self) -> dict[str, str]:
        """Labels by entry id, for entries in the tree."""
        self._parents()
        return {k: v for k, v in self._labels.items() if k in self._pos}

    def label_of(self, entry_id: str) -> str | None:
        """Return the entry's label, or ``None``."""
        self._parents()
        return self._labels.get(entry_id)

    @property
    def name(self) -> str | None:
        """The session name: the last non-empty ``session_info`` name in file order."""
        self._parents()
        return self._name

    def roots(self) -> list[str]:
        """Ids of the roots, in file order."""
        ids = self.entries.ids
        return [ids[i] for i, p in enumerate(self._parents()) if p == -1]

    def children(self, entry_id: str) -> list[str]:
        """Ids of the entry's children, oldest first."""
        kids = self._child_lists()[self._index(entry_id)]
        ids = self.entries.ids
        return [ids[i] for i in kids]

    def path(self, entry_id: str | None = None) -> list[Record]:
        """Entries from the root to ``entry_id`` (default: the leaf), root first. O(depth)."""
        return list(self.path_view(entry_id))

    def path_view(
        self, entry_id: str | None = None, *, last: int | None = None
    ) -> Sequence[Record]:
        """The entries of :meth:`path`, as a sequence that makes each record when asked (a
        context needs few of them).

        Args:
            entry_id: Where the path ends (default: the leaf).
            last: Only the last this many entries of the path (all when it is shorter): the
                walk up from ``entry_id`` stops there.

        Raises:
            EntryNotFoundError: No such entry.
        """
        return self.entries.view(self._path_indices(entry_id, last))

    def _path_indices(self, entry_id: str | None, last: int | None = None) -> list[int]:
        if entry_id is None:
            if not self.entries:
                return []
            index = len(self.entries) - 1
        else:
            index = self._index(entry_id)
        if not self._linked:
            walked = walk_up(self.entries.ids, self.entries.parents, self._pos, index, last)
            if walked is not None:
                return walked
        parent = self._parents()
        out: list[int] = []
        while index != -1 and len(out) != last:
            out.append(index)
            index = parent[index]
        out.reverse()
        return out

    def path_ids(self, entry_id: str | None = None) -> list[str]:
        """Ids of :meth:`path`."""
        ids = self.entries.ids
        return [ids[i] for i in self._path_indices(entry_id)]

    def depth(self, entry_id: str) -> int:
        """Number of entries from the root to this entry, inclusive."""
        index = self._index(entry_id)
        parent = self._parents()
        count = 0
        while index != -1:
            count += 1
            index = parent[index]
        return count

    # ------------------------------------------------------------------ structure

    def nodes(self) -> list[TreeNode]:
        """Every node in pre-order (roots in file order, children oldest first)."""
        kids = self._child_lists()
        ids = self.entries.ids
        parent = self._parents()
        label_of = self._labels.get
        out: list[TreeNode] = []
        add = out.append
        stack = [i for i, p in enumerate(parent) if p == -1]
        stack.reverse()
        while stack:
            index = stack.pop()
            while True:  # walk down first children; later siblings wait on the stack
                k = kids[index]
                p = parent[index]
                node_id = ids[index]
                count = len(k)
                children = [ids[k[0]]] if count == 1 else [ids[c] for c in k]
                add(TreeNode(node_id, None if p == -1 else ids[p], children, label_of(node_id)))
                if not count:
                    break
                if count > 1:
                    stack.extend(k[:0:-1])
                index = k[0]
        return out

    def leaves(self) -> list[str]:
        """Ids of every entry without children, in file order."""
        kids = self._child_lists()
        ids = self.entries.ids
        return [ids[i] for i, k in enumerate(kids) if not k]

    def branches(self) -> list[BranchInfo]:
        """Every leaf with the branch that leads to it, in file order."""
        kids = self._child_lists()
        return branches(self.entries, self._parent, kids, self._labels)

    def sibling_branches(self, entry_id: str | None = None) -> list[list[SiblingBranch]]:
        """The branches at each fork point on the path to ``entry_id`` (default: the leaf).

        Returns:
            One list per fork point on the path, root side first; each lists every child
            branch of that fork point, oldest first, marking the one the path goes through.
        """
        return sibling_branches(self.entries, self._pos, self._child_lists(), self.path(entry_id))

    def fork_plan(self, message_id: str) -> ForkPlan:
        """Plan a fork that re-asks a user message.

        Raises:
            EntryNotFoundError: No such entry.
            ValueError: The entry is not a user message.
        """
        rec = self.get(message_id)
        parent = self.parent_of(message_id)
        return fork_plan(rec, parent, self.path_ids(parent) if parent is not None else [])

    # ------------------------------------------------------------------ internals

    def _parents(self) -> list[int]:
        """The parent list (index of each entry's parent, -1 for a root), worked out once."""
        if not self._linked:
            self._link()
        return self._parent

    def _index(self, entry_id: str) -> int:
        index = self._pos.get(entry_id)
        if index is None:
            raise EntryNotFoundError(f"no entry {entry_id!r} in the session")
        return index

    def _child_lists(self) -> list[list[int]]:
        if self._children is None:
            parent = self._parents()
            kids: list[list[int]] = [[] for _ in parent]
            for index, p in enumerate(parent):
                if p != -1:
                    kids[p].append(index)
            forks = [k for k in kids if len(k) > 1]
            # The siblings' records (for their timestamps) are made together.
            entries = self.entries
            entries.records([i for k in forks for i in k])
            for k in forks:
                k.sort(key=lambda i: (_sort_time(entries[i]), i))
            self._children = kids
        return self._children

    def _insert_child(self, parent: int, index: int) -> None:
        assert self._children is not None
        siblings = self._children[parent]
        key = (_sort_time(self.entries[index]), index)
        at = len(siblings)
        while at > 0 and (_sort_time(self.entries[siblings[at - 1]]), siblings[at - 1]) > key:
            at -= 1
        siblings.insert(at, index)


def _sort_time(rec: Record) -> float:
    ms = iso_to_ms(rec.timestamp) if isinstance(rec.timestamp, str) else None
    return float("inf") if ms is None else float(ms)
