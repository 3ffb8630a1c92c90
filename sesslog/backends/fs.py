"""File-system helpers used wherever sesslog writes: syncing, atomic replacement, safe opens.

Every file sesslog makes whole is created by :func:`write_new_file` (exclusive, mode 0600,
synced); everything that replaces a file whole goes through :func:`atomic_write_bytes`: such a
new file beside the target, renamed into place, then the folder synced.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "NO_HARD_LINKS",
    "atomic_write_bytes",
    "ensure_folder",
    "fsync_folder",
    "make_folders",
    "move_to_new_name",
    "open_append_nofollow",
    "sync_data",
    "write_new_file",
]

FILE_MODE = 0o600
FOLDER_MODE = 0o700
#: ``link()`` errors meaning "this file system has no hard links (here)".
NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS, errno.EXDEV}
)


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
    for created in make_folders(path):
        fsync_folder(created.parent)
    return Path(path)


def make_folders(path: str | os.PathLike[str]) -> list[Path]:
    """Create a folder and its missing parents (mode 0700), outermost first, without syncing:
    the caller syncs the parent of each folder returned (the ones this call created)."""
    missing = []
    probe = Path(path)
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    created = []
    for item in reversed(missing):
        try:
            item.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        created.append(item)
    return created


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

    A temporary file of its own is created beside the target (a random name, with
    :func:`write_new_file`), written, synced, renamed over the target, and the folder is
    synced. A crash leaves either the old file or the new one, never a mix; a failed write
    removes the temporary file.
    """
    target = Path(path)
    ensure_folder(target.parent)
    while True:
        tmp = target.with_name(f".{target.name}.{os.urandom(8).hex()}.tmp")
        try:
            write_new_file(tmp, data)
            break
        except FileExistsError:
            continue  # that name is taken: never write into another file
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)


def write_new_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Create ``path`` (mode 0600, never over an existing file, never through a symlink),
    write ``data`` and sync it. The folder is not synced: the caller does that (once for many
    files, or after renaming the file into place).

    Raises:
        FileExistsError: ``path`` exists (nothing is written to it).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        sync_data(fd)
    finally:
        os.close(fd)


def move_to_new_name(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Give ``source``'s file the name ``target`` and drop the old name, never over a file:
    a hard link (which fails when ``target`` exists), then the old name removed; where the
    file system has no hard links, a rename once ``target`` is seen to be free. No folder is
    synced.

    Raises:
        FileExistsError: ``target`` exists (``source`` is left as it was).
    """
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "file exists", os.fspath(target)) from exc
        os.rename(source, target)
    else:
        os.unlink(source)
