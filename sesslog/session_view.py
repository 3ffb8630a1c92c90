"""What a session shows without its log: the header and the tree of entries, and the
questions asked of them (leaf, paths, branches, labels, context).

:class:`SessionView` is the base of :class:`~sesslog.Session`: it owns the header and the tree
it is given, and answers from them alone (no I/O).
"""

from __future__ import annotations

from typing import Any

from sesslog.format.diagnostics import SessionOpenDiagnostics
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.records import Record
from sesslog.tree.branches import BranchInfo, ForkPlan, SiblingBranch
from sesslog.tree.context import SessionContext, build_context
from sesslog.tree.index import SessionTree

__all__ = ["SessionView"]


class SessionView:
    """A session's header and tree, and what can be asked of them.

    Args:
        header: The header object.
        header_raw: The header line's bytes (without ending).
        tree: The tree index of the entries.
        file_version: The format version the log was written in.

    Attributes:
        header: The header object.
        header_raw: The header line's bytes (without ending).
        tree: The tree index of the entries.
        file_version: The format version the log was written in.
    """

    def __init__(
        self,
        header: dict[str, Any],
        header_raw: bytes,
        tree: SessionTree,
        file_version: int = SESSION_VERSION,
    ) -> None:
        self.header = header
        self.header_raw = header_raw
        self.tree = tree
        self.file_version = file_version

    @property
    def id(self) -> str:
        """The session id from the header."""
        return str(self.header.get("id", ""))

    @property
    def cwd(self) -> str:
        """The agent's working directory from the header."""
        return str(self.header.get("cwd", ""))

    @property
    def diagnostics(self) -> SessionOpenDiagnostics:
        """What the read (and tree building) reported."""
        return self.tree.diagnostics

    @property
    def leaf_id(self) -> str | None:
        """The current position."""
        return self.tree.leaf_id

    @property
    def name(self) -> str | None:
        """The session's name, if one was set."""
        return self.tree.name

    @property
    def labels(self) -> dict[str, str]:
        """Labels by entry id."""
        return self.tree.labels

    def __len__(self) -> int:
        return len(self.tree)

    def get(self, entry_id: str) -> Record:
        """Return the entry with this id (raises ``EntryNotFoundError``)."""
        return self.tree.get(entry_id)

    def path_to(self, entry_id: str | None = None) -> list[Record]:
        """Entries from the root to ``entry_id`` (default: the leaf)."""
        return self.tree.path(entry_id)

    def context(self, leaf_id: str | None = None) -> SessionContext:
        """The model context at ``leaf_id`` (default: the leaf)."""
        return build_context(self.tree, leaf_id)

    def branches(self) -> list[BranchInfo]:
        """Every branch of the tree with its leaf."""
        return self.tree.branches()

    def sibling_branches(self, entry_id: str | None = None) -> list[list[SiblingBranch]]:
        """The branches at each fork point on the path to ``entry_id``."""
        return self.tree.sibling_branches(entry_id)

    def fork_plan(self, message_id: str) -> ForkPlan:
        """Plan re-asking a user message (see :meth:`SessionTree.fork_plan`)."""
        return self.tree.fork_plan(message_id)
