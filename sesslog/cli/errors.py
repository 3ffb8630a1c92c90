"""What the command line says, and which exit code it returns, for each error.

Every exception a command can meet becomes one sentence naming the file and the cause, and
one of the exit codes of :mod:`sesslog.cli.output`; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import errno
import os

from sesslog.cli.output import (
    EXIT_CORRUPT,
    EXIT_FOUND,
    EXIT_INTERNAL,
    EXIT_LOCKED,
    EXIT_MISSING,
    EXIT_READ_ONLY,
    EXIT_USAGE,
)
from sesslog.errors import (
    BundleCorruptError,
    EntryNotFoundError,
    FormatError,
    ReadOnlySessionError,
    SessionChangedError,
    SessionLockedError,
    SessionNotFoundError,
    SesslogError,
    SidecarBusyError,
    SidecarCorruptError,
    SnapshotNotFoundError,
    WriterFailedError,
)

__all__ = ["CommandError", "describe_error"]


class CommandError(Exception):
    """A command refuses its input: the message is shown as it is, with ``code``.

    Args:
        message: One sentence naming the file and the cause.
        code: The exit code.
    """

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


#: ``errno`` values and what they mean for the command line.
_ERRNO: dict[int, tuple[int, str]] = {
    errno.ENOENT: (EXIT_MISSING, "no such file or folder"),
    errno.ENOTDIR: (EXIT_MISSING, "a part of the path is not a folder"),
    errno.EISDIR: (EXIT_USAGE, "is a directory, not a session file"),
    errno.ELOOP: (EXIT_USAGE, "is a symbolic link (or a loop of them); give the file itself"),
    errno.EACCES: (EXIT_READ_ONLY, "permission denied"),
    errno.EPERM: (EXIT_READ_ONLY, "operation not permitted"),
    errno.EROFS: (EXIT_READ_ONLY, "read-only file system"),
    errno.EEXIST: (EXIT_FOUND, "already exists"),
    errno.ENOSPC: (EXIT_FOUND, "no space left on the device"),
    errno.EDQUOT: (EXIT_FOUND, "disk quota exceeded"),
}

#: Library errors by class, most specific first.
_CLASSES: tuple[tuple[type[BaseException], int], ...] = (
    (SessionNotFoundError, EXIT_MISSING),
    (EntryNotFoundError, EXIT_MISSING),
    (SnapshotNotFoundError, EXIT_MISSING),
    (SessionLockedError, EXIT_LOCKED),
    (SessionChangedError, EXIT_LOCKED),
    (SidecarBusyError, EXIT_LOCKED),
    (ReadOnlySessionError, EXIT_READ_ONLY),
    (SidecarCorruptError, EXIT_CORRUPT),
    (BundleCorruptError, EXIT_CORRUPT),
    (FormatError, EXIT_CORRUPT),
)


def describe_error(exc: BaseException, file: str | None) -> tuple[str, int]:
    """One sentence and an exit code for an error a command raised.

    Args:
        exc: The error.
        file: The file the command was given (named when the error does not name one).

    Returns:
        The message (not yet escaped) and the exit code.
    """
    if isinstance(exc, CommandError):
        return str(exc), exc.code
    if isinstance(exc, WriterFailedError) and isinstance(exc.cause, OSError):
        code = _ERRNO.get(exc.cause.errno or 0, (EXIT_FOUND, ""))[0]
        return _named(str(exc), file), code
    if isinstance(exc, FormatError) and exc.path is None and exc.line is None:
        # a value, not a file, broke the format (JSON output nested too deep): name the file
        return _named(exc.detail, file), EXIT_CORRUPT
    for cls, code in _CLASSES:
        if isinstance(exc, cls):
            return _named(str(exc), file), code
    if isinstance(exc, SesslogError):
        return _named(str(exc), file), EXIT_FOUND
    if isinstance(exc, OSError):
        return _os_error(exc, file)
    if isinstance(exc, RecursionError):
        return _named("a line nests too deeply to be read", file), EXIT_CORRUPT
    if isinstance(exc, MemoryError):
        return _named("out of memory", file), EXIT_FOUND
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    hint = "this is a bug in sesslog; set SESSLOG_DEBUG=1 to see where it happened"
    return _named(f"internal error ({detail}); {hint}", file), EXIT_INTERNAL


def _os_error(exc: OSError, file: str | None) -> tuple[str, int]:
    code, cause = _ERRNO.get(exc.errno or 0, (EXIT_FOUND, ""))
    own = exc.strerror is not None and exc.errno is not None
    if own and exc.strerror != os.strerror(exc.errno or 0):
        cause = str(exc.strerror)  # sesslog's own sentence, not the system's
    cause = cause or (exc.strerror or str(exc)).lower()
    if exc.filename is not None:
        where = os.fsdecode(exc.filename)
        if exc.filename2 is not None:
            where += f" -> {os.fsdecode(exc.filename2)}"
        message = f"{where}: {cause}"
        if file is not None and where != file:
            message = f"{file}: {message}"
        return message, code
    return _named(cause, file), code


def _named(message: str, file: str | None) -> str:
    """``message``, prefixed with the file when it does not name it already."""
    if file is None or file in message:
        return message
    return f"{file}: {message}"
