"""Exceptions raised by sesslog.

Every error sesslog raises derives from :class:`SesslogError`. Where a builtin exception
describes the same cause, it is a second base class, so callers can catch either.
Errors of the underlying codecs never escape; ``OSError`` from the operating system does.
"""

from __future__ import annotations


class SesslogError(Exception):
    """Root of every error raised by sesslog."""


class FormatError(SesslogError, ValueError):
    """A session file breaks the format contract (raised by strict reads).

    Attributes:
        path: The file, or ``None`` for in-memory data.
        line: 1-based line number of the offending record.
        offset: Byte offset of the start of that line.
        reason: Short machine-readable reason (see ``sesslog.diagnostics.Reason``).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        offset: int | None = None,
        reason: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.offset = offset
        self.reason = reason
        where = path or "<memory>"
        if line is not None:
            where += f":{line}"
        if offset is not None:
            where += f" (byte {offset})"
        super().__init__(f"{where}: {message}")


class UnsupportedVersionError(FormatError):
    """The session was written by a newer format version than sesslog understands."""


class ReadOnlySessionError(SesslogError, PermissionError):
    """The session was opened read-only (for example a future format version)."""


class EntryNotFoundError(SesslogError, KeyError):
    """No entry with the requested id exists in the session."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "entry not found"


class SessionNotFoundError(SesslogError, FileNotFoundError):
    """The requested session file does not exist."""


class SessionLockedError(SesslogError, TimeoutError):
    """Another writer holds the session's lock.

    Attributes:
        path: The session file.
        holder_pid: Process id of the lock holder when known.
    """

    def __init__(self, path: str, holder_pid: int | None = None) -> None:
        self.path = path
        self.holder_pid = holder_pid
        who = f" by process {holder_pid}" if holder_pid else " by another writer"
        super().__init__(f"{path}: session is locked{who}")


class WriterFailedError(SesslogError, OSError):
    """A write or sync failed; the writer refuses further appends.

    Attributes:
        pending: Encoded lines that were not known to be durable when the writer failed.
    """

    def __init__(self, message: str, pending: list[bytes] | None = None) -> None:
        self.pending = pending or []
        super().__init__(message)


class QueueFullError(SesslogError, BufferError):
    """The write-behind queue is full and the caller asked not to wait."""
