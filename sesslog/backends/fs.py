"""File-system helpers used wherever sesslog writes: syncing, atomic replacement, safe opens.

Everything that replaces a file whole goes through :func:`atomic_write_bytes`: write a
temporary file in the same folder, sync it, rename it into place, sync the folder.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "atomic_write_bytes",
    "ensure_folder",
    "fsync_folder",
    "open_append_nofollow",
    "sync_data",
    "write_new_file",
]

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def sync_data(fd: int) -> None:
    """Make the file's data durable: ``F_FULLFSYNC`` on macOS, ``fdatasync`` where available."""
    if sys.platform == "darwin":
        import fcntl

        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
    elif hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # pragma: no cover - Windows
        os.fsync(fd)


def fsync_folder(path: str | os.PathLike[str]) -> None:
    """Sync a folder so that entries created or renamed in it survive a power cut."""
    if sys.platform == "win32":  # pragma: no cover - folders cannot be opened there
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_folder(path: str | os.PathLike[str]) -> Path:
    """Create a folder (and its parents) with mode 0700 if missing, syncing new ones."""
    folder = Path(path)
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for item in reversed(missing):
        try:
            item.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        fsync_folder(item.parent)
    return folder


def open_append_nofollow(path: str | os.PathLike[str], *, create: bool) -> tuple[int, bool]:
    """Open a session file for appending without following a planted symlink.

    Args:
        path: The session file.
        create: Create the file (mode 0600) when it does not exist.

    Returns:
        The file descriptor and whether the file was created by this call.

    Raises:
        FileNotFoundError: The file does not exist and ``create`` is false.
        OSError: The path is a symlink (``ELOOP``) or cannot be opened.
    """
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    if create:
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, FILE_MODE)
            return fd, True
        except FileExistsError:
            pass
    return os.open(path, flags), False


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    A temporary file of its own is created beside the target (a random name, ``O_EXCL``, never
    following a symlink), written, synced, renamed over the target, and the folder is synced.
    A crash leaves either the old file or the new one, never a mix; a failed write removes the
    temporary file.
    """
    target = Path(path)
    ensure_folder(target.parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, flags, FILE_MODE)
            break
        except FileExistsError:
            continue
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)


def write_new_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Create ``path`` (mode 0600, never over an existing file), write ``data`` and sync it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        sync_data(fd)
    finally:
        os.close(fd)
