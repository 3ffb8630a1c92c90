"""What a read found wrong with a session file.

Every anomaly the reader meets becomes one :class:`Diagnostic` naming the 1-based line, the
byte offset of that line's start, a machine-readable reason, a human detail and a severity.
Nothing is dropped without one.

A diagnostic's severity (:class:`Severity`) says whether anything was lost: a ``notice`` is an
oddity the reader read through without losing anything (a BOM, CRLF endings, blank lines, a
final line without its newline, a line repeated byte for byte); an ``error`` means something was
not taken as written (a line skipped, a parent link ignored, a file sesslog cannot vouch for).
The table of every reason is in ``docs/format-decisions.md``.
"""

from __future__ import annotations

import enum
import reprlib
from typing import Any

import msgspec

__all__ = [
    "DROPPING_REASONS",
    "SEVERITIES",
    "Diagnostic",
    "Reason",
    "SessionOpenDiagnostics",
    "Severity",
    "shown",
]


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
    TOO_DEEP = "too_deep"
    INVALID_ID = "invalid_id"


class Severity(str, enum.Enum):
    """Whether a diagnostic means something was lost."""

    NOTICE = "notice"
    ERROR = "error"


_SEVERITY: dict[Reason, Severity] = {
    Reason.BAD_JSON: Severity.ERROR,
    Reason.TORN_TAIL: Severity.ERROR,
    Reason.IN_PROGRESS: Severity.NOTICE,  # a writer is finishing the line: not lost, not yet there
    Reason.MISSING_NEWLINE: Severity.NOTICE,
    Reason.TRAILING_NULS: Severity.ERROR,
    Reason.GLUED_RECORDS: Severity.ERROR,
    Reason.NOT_OBJECT: Severity.ERROR,
    Reason.MISSING_ID: Severity.ERROR,
    Reason.DUPLICATE_ID_IDENTICAL: Severity.NOTICE,  # the same bytes are kept from the first
    Reason.DUPLICATE_ID_CONFLICTING: Severity.ERROR,
    Reason.DUPLICATE_HEADER: Severity.ERROR,
    Reason.ORPHANED_PARENT: Severity.ERROR,
    Reason.SELF_PARENT: Severity.ERROR,
    Reason.CYCLE: Severity.ERROR,
    Reason.UNKNOWN_VERSION: Severity.ERROR,
    Reason.BAD_HEADER: Severity.ERROR,
    Reason.BOM: Severity.NOTICE,
    Reason.CRLF: Severity.NOTICE,
    Reason.BLANK_LINE: Severity.NOTICE,
    Reason.BAD_ENCODING: Severity.ERROR,
    Reason.TOO_DEEP: Severity.ERROR,
    Reason.INVALID_ID: Severity.NOTICE,
}

#: The severity of each reason (by its value): notices lose nothing, errors are losses.
SEVERITIES: dict[str, Severity] = {reason.value: found for reason, found in _SEVERITY.items()}


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
        Reason.TOO_DEEP,
    }
)


class Diagnostic(msgspec.Struct, frozen=True):
    """One reported anomaly.

    Attributes:
        line: 1-based line number.
        offset: Byte offset of the start of the line in the file.
        reason: Machine-readable reason, a :class:`Reason` value.
        detail: What exactly was found, for people.
        severity: ``"notice"`` (nothing lost) or ``"error"`` (something not taken), a
            :class:`Severity` value; filled in from the reason when not given.
    """

    line: int
    offset: int
    reason: str
    detail: str
    severity: str = ""

    def __post_init__(self) -> None:
        if not self.severity:
            found = SEVERITIES.get(self.reason, Severity.ERROR)
            msgspec.structs.force_setattr(self, "severity", found.value)

    @property
    def is_error(self) -> bool:
        """True when something was lost (the severity is ``error``)."""
        return self.severity == Severity.ERROR.value

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
        """True when the read found nothing to report, not even a notice."""
        return not self.diagnostics

    @property
    def errors(self) -> list[Diagnostic]:
        """Diagnostics of losses: something was not taken as written."""
        return [d for d in self.diagnostics if d.is_error]

    @property
    def notices(self) -> list[Diagnostic]:
        """Diagnostics of oddities that lost nothing."""
        return [d for d in self.diagnostics if not d.is_error]

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
        """Record one anomaly (its severity that of its reason) and return it."""
        diag = Diagnostic(line, offset, reason.value, detail, _SEVERITY[reason].value)
        self.diagnostics.append(diag)
        return diag

    def sort(self) -> None:
        """Order the diagnostics by line (stable for one line)."""
        self.diagnostics.sort(key=lambda d: d.line)


_SHORT = reprlib.Repr()
_SHORT.maxlevel = 3
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlong = 60


def shown(value: Any) -> str:
    """A short, safe ``repr`` of a value read from a file, for a diagnostic's detail.

    Long strings, big containers and deep nesting are cut (``reprlib``), so no value, however
    large or deep, makes a detail huge or raises ``RecursionError``.
    """
    return _SHORT.repr(value)
