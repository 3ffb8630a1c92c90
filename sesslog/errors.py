"""Exceptions raised by sesslog.

Every error sesslog raises derives from :class:`SesslogError`. Where a builtin exception
describes the same cause, it is a second base class, so callers can catch either.
Errors of the underlying codecs never escape; ``OSError`` from the operating system does.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousSessionError",
    "BundleCorruptError",
    "BundleError",
    "BundleExpiredError",
    "BundlePasswordError",
    "BundleRefusedError",
    "CatalogError",
    "CatalogUnavailableWarning",
    "EntryNotFoundError",
    "FormatError",
    "InvalidIdError",
    "InvalidMetadataError",
    "InvalidQueryError",
    "NothingToUndoError",
    "ProjectionBusyError",
    "ProjectionError",
    "QueueFullError",
    "ReadOnlySessionError",
    "SessionChangedError",
    "SessionLockedError",
    "SessionNotFoundError",
    "SesslogError",
    "SidecarBusyError",
    "SidecarCorruptError",
    "SidecarError",
    "SnapshotNotFoundError",
    "StoreRootError",
    "UnsafeBundleError",
    "UnsafeSessionFileError",
    "UnsupportedVersionError",
    "WriterFailedError",
]


class SesslogError(Exception):
    """Root of every error raised by sesslog."""


class FormatError(SesslogError, ValueError):
    """A session file breaks the format contract (raised by strict reads).

    Attributes:
        path: The file, or ``None`` for in-memory data.
        line: 1-based line number of the offending record.
        offset: Byte offset of the start of that line.
        reason: Short machine-readable reason (see ``sesslog.format.diagnostics.Reason``).
        detail: The message without the place.
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
        self.detail = message
        where = path or "<memory>"
        if line is not None:
            where += f":{line}"
        if offset is not None:
            where += f" (byte {offset})"
        super().__init__(f"{where}: {message}")


class InvalidIdError(SesslogError, ValueError):
    """An id, or another name that would become part of a path, breaks the id rule.

    The rule (``docs/format-decisions.md``): 1 to 128 characters, ASCII letters, digits, ``.``,
    ``_`` and ``-`` only, beginning and ending with a letter or digit, and no ``..``.

    Attributes:
        value: The refused value, as given.
        what: What it names (``"session id"``, ``"timestamp"``, ...).
    """

    def __init__(self, value: object, what: str = "session id", why: str = "") -> None:
        self.value = value
        self.what = what
        if not isinstance(value, str):
            shown = f"of type {type(value).__name__}"
        elif len(value) > 80:
            shown = f"{value[:80]!r}... ({len(value)} characters)"
        else:
            shown = repr(value)
        super().__init__(f"invalid {what} {shown}" + (f": {why}" if why else ""))


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
        cause: The OS error that made the writer fail, when known.
    """

    def __init__(
        self,
        message: str,
        pending: list[bytes] | None = None,
        *,
        cause: BaseException | None = None,
    ) -> None:
        self.pending = pending or []
        self.cause = cause
        super().__init__(message)


class SessionChangedError(SesslogError):
    """The session file grew since it was read (another writer appended in between).

    Appending to the stale session would attach entries to a leaf that is no longer the last
    line; open the session again instead.

    Attributes:
        path: The session file.
    """

    def __init__(self, path: str, read_size: int, size: int) -> None:
        self.path = path
        super().__init__(
            f"{path}: the file changed since it was read ({read_size} bytes then, {size} now); "
            "open the session again to append"
        )


class QueueFullError(SesslogError, BufferError):
    """The write-behind queue is full and the caller asked not to wait."""


class ProjectionError(SesslogError):
    """A projection (the V2 sidecar, a catalog) cannot be used or changed as asked; the log it
    is made from is never at fault, and readers fall back to it."""


class ProjectionBusyError(ProjectionError, TimeoutError):
    """Another process is changing this projection.

    Attributes:
        what: How messages name the projection.
    """

    what = "projection"


class SidecarError(ProjectionError):
    """A V2 sidecar cannot be used or changed as asked (the session file is never at fault)."""


class SidecarCorruptError(SidecarError, ValueError):
    """A V2 sidecar file is damaged or disagrees with the rest of the sidecar.

    Attributes:
        file: The sidecar file at fault (a path), or ``None`` when not one file.
        offset: Byte offset in that file where the damage was found, when known.
    """

    def __init__(self, message: str, *, file: str | None = None, offset: int | None = None) -> None:
        self.file = file
        self.offset = offset
        where = file or "sidecar"
        if offset is not None:
            where += f" (byte {offset})"
        super().__init__(f"{where}: {message}")


class SidecarBusyError(SidecarError, ProjectionBusyError):
    """Another process is migrating, catching up, rolling back or recovering this sidecar."""

    what = "sidecar"


class BundleError(SesslogError, ValueError):
    """A share bundle cannot be read or used."""


class BundleCorruptError(BundleError):
    """The bundle is damaged, truncated or was altered."""


class BundlePasswordError(BundleError):
    """The bundle is password-protected and the password is missing or wrong."""


class BundleExpiredError(BundleError):
    """The bundle's expiry time has passed."""


class BundleRefusedError(BundleError):
    """The bundle's terms forbid what was asked (importing or copying a session whose bundle
    does not allow forks)."""


class UnsafeBundleError(BundleError):
    """A name inside the bundle (working directory, timestamp) cannot make a safe path (a
    session id that breaks the id rule raises :class:`InvalidIdError`)."""


# --------------------------------------------------------------------------- store and catalog


class InvalidMetadataError(SesslogError, ValueError):
    """A title, tag, status or other metadata value that sesslog refuses (for example one
    holding control characters)."""


class AmbiguousSessionError(SesslogError, LookupError):
    """A session reference (id prefix or title) matches more than one session.

    Attributes:
        ref: The reference as given.
        matches: The paths of the sessions it matches.
    """

    def __init__(self, ref: str, matches: list[str]) -> None:
        self.ref = ref
        self.matches = matches
        shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
        super().__init__(f"{ref!r} matches {len(matches)} sessions: {shown}")


class StoreRootError(SesslogError, NotADirectoryError):
    """The store root is not a folder (for example a file)."""


class UnsafeSessionFileError(SesslogError, OSError):
    """A session file is not a regular file (for example a symlink); it is not followed."""


class SnapshotNotFoundError(SesslogError, KeyError):
    """No snapshot of that name exists in the session."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "snapshot not found"


class NothingToUndoError(SesslogError, LookupError):
    """There is no leaf move to undo (or no undo to redo)."""


class CatalogError(SesslogError):
    """The catalog cannot serve (its file is unusable); store operations fall back to
    scanning the session files."""


class CatalogUnavailableWarning(UserWarning):
    """The catalog is unusable (a read-only folder, a full disk): sesslog reads the session
    files instead, with the same answers, more slowly. Issued once per store."""


class InvalidQueryError(SesslogError, ValueError):
    """A search query the full-text engine cannot read (raw query syntax)."""
