"""Checks of the files a command is given, before anything reads or writes them.

A command that reads one session may also be given a session of the store by id, unique id
prefix or title instead of a file (:func:`session_path`, :func:`accept_session_ref`).

Each check refuses with a :class:`~sesslog.cli.errors.CommandError` naming the file and the
cause: a missing file, a directory or other non-regular file (which a read would fail on, or
block on for a pipe), a symbolic link given to a command that writes, a file that is not a
session at all (empty, binary, no header and no entry).
"""

from __future__ import annotations

import argparse
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sesslog.cli.errors import CommandError
from sesslog.cli.lingering import keep
from sesslog.cli.output import EXIT_CORRUPT, EXIT_MISSING, EXIT_USAGE
from sesslog.cli.store_access import opened_store, sessions_root
from sesslog.format.reader import ReadMode
from sesslog.session import Session

if TYPE_CHECKING:
    from sesslog.cli.output import Output

#: Set (to anything but the empty string), the commands copy every session file they read
#: rather than map a large one (see :mod:`sesslog.backends.local`).
NO_MMAP = "SESSLOG_NO_MMAP"

__all__ = [
    "NO_MMAP",
    "accept_session_ref",
    "existing_file",
    "file_if_any",
    "not_a_link",
    "open_session",
    "require_session",
    "session_path",
    "sessions_root",
]

#: The help of an argument taking a session file or a session of the store.
FILE_OR_REF_HELP = (
    "session .jsonl file, or a session of the store (--root): its id, unique id prefix or title"
)


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


def open_session(
    path: str | os.PathLike[str], mode: ReadMode | str, *, scope: str = "full"
) -> Session:
    """Open a session file read-only, after :func:`existing_file`, checked by
    :func:`require_session`; ``scope`` as for :meth:`Session.open` (a fresh sidecar loads
    only that much; without one the file is read whole, a large one through a mapping unless
    ``SESSLOG_NO_MMAP`` is set). The program keeps the session until it ends (see
    :mod:`sesslog.cli.lingering`)."""
    file = existing_file(path)
    mapped = not os.environ.get(NO_MMAP)
    session = Session.open(file, mode=ReadMode(mode), read_only=True, scope=scope, map_file=mapped)
    return keep(require_session(session, file))


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith(".jsonl") or ref in (".", "..")


def session_path(
    ref: str | os.PathLike[str], root: str | os.PathLike[str] | None, out: Output
) -> Path:
    """The file a command reads: ``ref`` itself when it exists or looks like a path (it holds
    a ``/`` or ends in ``.jsonl``), else the session of the store at ``root`` (see
    :func:`sessions_root`) whose id, unique id prefix or title it is.

    Raises:
        CommandError: No such file nor session (exit 4), or several sessions match (exit 2).
    """
    text = os.fspath(ref)
    if os.path.lexists(text) or _looks_like_path(text):
        return Path(text)
    folder = sessions_root(root)
    if not folder.is_dir():
        raise CommandError(
            f"{text}: no such file (and no store at {folder} to look the session up in)",
            EXIT_MISSING,
        )
    from sesslog.errors import SessionNotFoundError

    with opened_store(argparse.Namespace(root=folder), out) as store:
        try:
            return Path(store.resolve(text).path)
        except SessionNotFoundError:
            raise CommandError(
                f"{text}: no such file, nor a session with that id, id prefix or title in {folder}",
                EXIT_MISSING,
            ) from None


def _names_a_remote_store(args: argparse.Namespace) -> bool:
    """Whether the command reads its session from a fleet's bucket (``--blobs``)."""
    return bool(getattr(args, "blobs", None))


def accept_session_ref(parser: argparse.ArgumentParser) -> None:
    """Let a command that reads one session (its ``file`` argument) be given a session of the
    store by id, id prefix or title, found under ``--root``."""
    for action in parser._actions:
        if action.dest == "file":
            action.help = FILE_OR_REF_HELP
            action.metavar = "FILE|REF"
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="the store a REF is looked up in (default: $SESSLOG_ROOT, else pi's folder)",
    )
    handler: Callable[[argparse.Namespace, Output], int] = parser.get_default("handler")

    def resolving(args: argparse.Namespace, out: Output) -> int:
        if not _names_a_remote_store(args):  # there, the command looks the session up itself
            args.file = str(session_path(args.file, args.root, out))
        return handler(args, out)

    parser.set_defaults(handler=resolving)
