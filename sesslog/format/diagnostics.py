"""What a read found wrong with a session file.

Every anomaly the reader meets becomes one :class:`Diagnostic` naming the 1-based line, the
byte offset of that line's start, a machine-readable reason and a human detail. Nothing is
dropped without one.
"""

from __future__ import annotations

import enum

import msgspec

__all__ = ["Diagnostic", "Reason", "SessionOpenDiagnostics"]


class Reason(str, enum.Enum):
    """Why the reader reported a line."""

    BAD_JSON = "bad_json"
    TORN_TAIL = "torn_tail"
    IN_PROGRESS = "in_progress"
    MISSING_NEWLINE = "missing_newline"
    TRAILING_NULS = "trailing_nuls"
    GLUED_RECORDS = "glued_records"
    NOT_OBJECT = "not_object"
    MISSING_ID = "missing_id"
    DUPLICATE_ID_IDENTICAL = "duplicate_id_identical"
    DUPLICATE_ID_CONFLICTING = "duplicate_id_conflicting"
    DUPLICATE_HEADER = "duplicate_header"
    ORPHANED_PARENT = "orphaned_parent"
    SELF_PARENT = "self_parent"
    CYCLE = "cycle"
    UNKNOWN_VERSION = "unknown_version"
    BAD_HEADER = "bad_header"
    BOM = "bom"
    CRLF = "crlf"
    BLANK_LINE = "blank_line"
    BAD_ENCODING = "bad_encoding"


#: Reasons under which a line, or part of one, was not taken into the session.
DROPPING_REASONS = frozenset(
    {
        Reason.BAD_JSON,
        Reason.TORN_TAIL,
        Reason.IN_PROGRESS,
        Reason.TRAILING_NULS,
        Reason.GLUED_RECORDS,
        Reason.NOT_OBJECT,
        Reason.MISSING_ID,
        Reason.DUPLICATE_ID_IDENTICAL,
        Reason.DUPLICATE_ID_CONFLICTING,
        Reason.DUPLICATE_HEADER,
        Reason.BAD_ENCODING,
    }
)


class Diagnostic(msgspec.Struct, frozen=True):
    """One reported anomaly.

    Attributes:
        line: 1-based line number.
        offset: Byte offset of the start of the line in the file.
        reason: Machine-readable reason, a :class:`Reason` value.
        detail: What exactly was found, for people.
    """

    line: int
    offset: int
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"line {self.line} (byte {self.offset}): {self.reason}: {self.detail}"


class SessionOpenDiagnostics(msgspec.Struct):
    """Everything a read reported, in file order.

    Attributes:
        path: The file read, or ``None`` for in-memory data.
        diagnostics: Every anomaly, ordered by line.
        read_only: True when the session must not be written (future version, missing header).
    """

    path: str | None = None
    diagnostics: list[Diagnostic] = msgspec.field(default_factory=list)
    read_only: bool = False

    @property
    def ok(self) -> bool:
        """True when the read found nothing to report."""
        return not self.diagnostics

    @property
    def skipped_entries(self) -> list[Diagnostic]:
        """Diagnostics of lines (or parts of lines) that were not taken."""
        return [d for d in self.diagnostics if d.reason in DROPPING_REASONS]

    @property
    def orphaned_parent_links(self) -> list[Diagnostic]:
        """Diagnostics of entries whose parent is not in the file."""
        return [d for d in self.diagnostics if d.reason == Reason.ORPHANED_PARENT]

    def by_reason(self, reason: Reason | str) -> list[Diagnostic]:
        """Return the diagnostics with the given reason."""
        key = reason.value if isinstance(reason, Reason) else reason
        return [d for d in self.diagnostics if d.reason == key]

    def add(self, line: int, offset: int, reason: Reason, detail: str) -> Diagnostic:
        """Record one anomaly and return it."""
        diag = Diagnostic(line, offset, reason.value, detail)
        self.diagnostics.append(diag)
        return diag

    def sort(self) -> None:
        """Order the diagnostics by line (stable for one line)."""
        self.diagnostics.sort(key=lambda d: d.line)
