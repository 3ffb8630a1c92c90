"""What an import did, per source file and in total (printed by ``sesslog import --json``)."""

from __future__ import annotations

import enum

import msgspec

from sesslog.format.diagnostics import Diagnostic

__all__ = ["FileReport", "FileStatus", "ImportReport", "ImportedSession"]


class FileStatus(str, enum.Enum):
    """What became of one source file."""

    IMPORTED = "imported"  #: every session it holds was new
    UPDATED = "updated"  #: entries were added to sessions imported before
    UNCHANGED = "unchanged"  #: everything it holds was already there
    EMPTY = "empty"  #: no record in it (nothing to import)
    SKIPPED = "skipped"  #: not a format sesslog imports
    FAILED = "failed"  #: an error stopped it (see ``error``)


class ImportedSession(msgspec.Struct, rename="camel", kw_only=True):
    """One target session written (or found up to date) for a source file.

    Attributes:
        id: The session id.
        path: The session file.
        created: True when this import created the file.
        entries_added: Entries appended by this import.
        custom_added: Of those, records kept as ``custom`` entries (no pi equivalent).
    """

    id: str
    path: str
    created: bool
    entries_added: int
    custom_added: int


class FileReport(msgspec.Struct, rename="camel", kw_only=True):
    """The outcome of importing one source file.

    Attributes:
        path: The source file.
        format: ``claude``, ``codex`` or ``pi`` (``None`` when not recognised).
        version: The version of the program that wrote it, as the file says (the pi format
            version for pi files).
        status: A :class:`FileStatus` value.
        records: Complete records read from the file.
        entries_added: Entries appended to target sessions.
        custom_added: Of those, records kept as ``custom`` entries.
        sessions: The target sessions (a Claude Code file with sidechains gives several).
        damage: What framing and conversion found wrong, with line and byte offset.
        error: Why the file failed or was skipped.
    """

    path: str
    format: str | None
    version: str | None = None
    status: str = FileStatus.UNCHANGED.value
    records: int = 0
    entries_added: int = 0
    custom_added: int = 0
    sessions: list[ImportedSession] = msgspec.field(default_factory=list)
    damage: list[Diagnostic] = msgspec.field(default_factory=list)
    error: str | None = None


class ImportReport(msgspec.Struct, rename="camel", kw_only=True):
    """The outcome of :func:`sesslog.interop.importer.import_paths`.

    Attributes:
        root: The folder of the session store written to.
        files: One report per source file, in the order they were imported.
        entries_added: Entries appended in total.
        bytes_read: Bytes of source read in total.
        counts: Number of files per status.
    """

    root: str
    files: list[FileReport] = msgspec.field(default_factory=list)
    entries_added: int = 0
    bytes_read: int = 0
    counts: dict[str, int] = msgspec.field(default_factory=dict)

    def add(self, result: FileReport, size: int) -> None:
        """Record one file's outcome."""
        self.files.append(result)
        self.entries_added += result.entries_added
        self.bytes_read += size
        self.counts[result.status] = self.counts.get(result.status, 0) + 1

    @property
    def ok(self) -> bool:
        """True when no file failed or was skipped (empty files are fine)."""
        bad = (FileStatus.FAILED.value, FileStatus.SKIPPED.value)
        return not any(self.counts.get(status) for status in bad)
