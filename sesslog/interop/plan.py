"""What an import plans to write: the new entries of each target session of a source file."""

from __future__ import annotations

from typing import Any

from sesslog.format.diagnostics import Diagnostic
from sesslog.interop.target import ExistingSession

__all__ = ["ConvertedFile", "PlannedSession"]


class PlannedSession:
    """What an import will write to one target session.

    Attributes:
        session_id: The target session's id.
        header: The header to write when the session is new.
        entries: The new entries, in order.
        custom_ids: Ids of those that keep a record as a ``custom`` entry.
    """

    __slots__ = ("custom_ids", "entries", "header", "session_id")

    def __init__(self, session_id: str, header: dict[str, Any]) -> None:
        self.session_id = session_id
        self.header = header
        self.entries: list[dict[str, Any]] = []
        self.custom_ids: set[str] = set()

    def add(self, entry: dict[str, Any], *, custom: bool = False) -> dict[str, Any]:
        """Append a new entry to write; returns it (it may still be filled in)."""
        self.entries.append(entry)
        if custom:
            self.custom_ids.add(entry["id"])
        return entry


class ConvertedFile:
    """A source file read and converted, ready to be written.

    Attributes:
        sessions: One plan per target session.
        existing: What earlier imports left in each target session (by session id).
        damage: What framing and conversion found wrong.
        records: Complete records read.
        version: The version of the program that wrote the file, as the file says.
    """

    __slots__ = ("damage", "existing", "records", "sessions", "version")

    def __init__(self, damage: list[Diagnostic], records: int) -> None:
        self.sessions: list[PlannedSession] = []
        self.existing: dict[str, ExistingSession] = {}
        self.damage = damage
        self.records = records
        self.version: str | None = None
