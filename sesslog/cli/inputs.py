"""Checks of the files a command is given, before anything reads or writes them.

Each check refuses with a :class:`~sesslog.cli.errors.CommandError` naming the file and the
cause: a missing file, a directory or other non-regular file (which a read would fail on, or
block on for a pipe), a symbolic link given to a command that writes, a file that is not a
session at all (empty, binary, no header and no entry).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sesslog.cli.errors import CommandError
from sesslog.cli.output import EXIT_CORRUPT, EXIT_MISSING, EXIT_USAGE
from sesslog.format.reader import ReadMode
from sesslog.session import Session

__all__ = [
    "existing_file",
    "file_if_any",
    "not_a_link",
    "open_session",
    "require_session",
    "session_file",
    "sessions_root",
]


def existing_file(path: str | os.PathLike[str]) -> Path:
    """``path``, checked to be an existing regular file (a symbolic link to one is fine).

    Raises:
        CommandError: Missing (exit 4), or a directory, pipe, device... (exit 2).
    """
    file = Path(path)
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        raise CommandError(f"{file}: no such file", EXIT_MISSING) from None
    except NotADirectoryError:
        raise CommandError(
            f"{file}: no such file (a part of the path is a file)", EXIT_MISSING
        ) from None
    if stat.S_ISDIR(mode):
        raise CommandError(f"{file}: is a directory, not a session file", EXIT_USAGE)
    if not stat.S_ISREG(mode):
        raise CommandError(f"{file}: is not a regular file (a pipe, socket or device)", EXIT_USAGE)
    return file


def file_if_any(path: str | os.PathLike[str]) -> Path:
    """``path``, checked to be a regular file if it exists (commands that work on a sidecar
    whose session file may be missing).

    Raises:
        CommandError: A directory, pipe, device... (exit 2).
    """
    file = Path(path)
    return existing_file(file) if os.path.lexists(file) else file


def not_a_link(path: str | os.PathLike[str]) -> Path:
    """``path``, checked not to be a symbolic link (sesslog writes only the file itself).

    Raises:
        CommandError: ``path`` is a symbolic link (exit 2).
    """
    file = Path(path)
    if file.is_symlink():
        raise CommandError(
            f"{file}: is a symbolic link; sesslog writes only to the file itself "
            f"(give {os.path.realpath(file)} if that is the session)",
            EXIT_USAGE,
        )
    return file


def require_session(session: Session, path: str | os.PathLike[str]) -> Session:
    """``session``, checked to hold something of a session: a header or at least one entry.

    A file without a header whose entries can still be read is a damaged session (the read
    reports it); an empty or binary file is not a session at all.

    Raises:
        CommandError: Not a session file (exit 3).
    """
    if session.header_raw or len(session.tree):
        return session
    if os.path.getsize(path) == 0:
        raise CommandError(f"{path}: empty file, not a session", EXIT_CORRUPT)
    raise CommandError(
        f"{path}: not a session file (line 1 is not a session header and no entry could be read)",
        EXIT_CORRUPT,
    )


def open_session(path: str | os.PathLike[str], mode: ReadMode | str) -> Session:
    """Open a session file read-only, after :func:`existing_file`, checked by
    :func:`require_session`."""
    file = existing_file(path)
    return require_session(Session.open(file, mode=ReadMode(mode), read_only=True), file)


def sessions_root(root: str | os.PathLike[str] | None) -> Path:
    """The sessions root a command works in: ``--root``, else ``$SESSLOG_ROOT``, else pi's
    sessions folder (``~/.pi/agent/sessions``)."""
    if root:
        return Path(root)
    env = os.environ.get("SESSLOG_ROOT")
    if env:
        return Path(env).expanduser()
    from sesslog.backends.layout import default_sessions_root

    return default_sessions_root()


def session_file(ref: str, root: str | os.PathLike[str] | None) -> Path:
    """The session file a SESSION argument names: a file, else a session of the store at
    :func:`sessions_root` by id, unique id prefix or unique title.

    Raises:
        CommandError: Neither (exit 4), several sessions match (exit 2), or the file is not a
            regular file (exit 2).
    """
    if os.path.lexists(ref):
        return existing_file(ref)
    from sesslog.errors import AmbiguousSessionError, InvalidIdError, SessionNotFoundError

    folder = sessions_root(root)
    missing = CommandError(
        f"{ref}: no such file, and no session of the store {folder} has that id, id prefix "
        "or title",
        EXIT_MISSING,
    )
    if not folder.is_dir():
        raise missing
    from sesslog.store import SessionStore

    try:
        with SessionStore(folder) as store:
            info = store.resolve(ref)
    except (SessionNotFoundError, InvalidIdError):
        raise missing from None
    except AmbiguousSessionError as exc:
        raise CommandError(f"{exc}; give more of the id, or the file", EXIT_USAGE) from None
    return existing_file(info.path)
