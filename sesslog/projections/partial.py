"""The tree of a session loaded in part: the loaded chain, with the whole session's facts."""

from __future__ import annotations

from collections.abc import Iterable

from sesslog.format.diagnostics import SessionOpenDiagnostics
from sesslog.format.records import Record
from sesslog.tree.index import SessionTree

__all__ = ["PartialTree"]


class PartialTree(SessionTree):
    """The tree of a partial open: the loaded path, with the whole session's labels and name.

    The loaded entries form a chain whose first entry counts as a root (its missing parent is
    no diagnostic here); :attr:`labels`, :attr:`name` and :attr:`diagnostics` are those of the
    whole session, as the projection recorded them.

    Args:
        records: The loaded entries, root side first.
        diagnostics: The whole session's diagnostics.
        labels: The whole session's labels.
        name: The whole session's name.
        total: Number of entries in the whole session.
    """

    def __init__(
        self,
        records: Iterable[Record],
        diagnostics: SessionOpenDiagnostics,
        *,
        labels: dict[str, str],
        name: str | None,
        total: int,
    ) -> None:
        super().__init__(records)
        self.diagnostics = diagnostics
        self._session_labels = dict(labels)
        self._session_name = name
        #: Number of entries in the whole session (``len()`` counts the loaded ones).
        self.total_entries = total

    @property
    def labels(self) -> dict[str, str]:
        """Labels by entry id, for every entry of the session (loaded or not)."""
        return dict(self._session_labels)

    @property
    def name(self) -> str | None:
        """The whole session's name."""
        return self._session_name
