"""Listing a local folder of session files: one ``stat`` per ``*.jsonl`` file, a symlink listed
with its problem rather than followed, anything else (a folder, a device) left out. The hot
loop of a full look at a store; :class:`~sesslog.backends.local.LocalFolder` lists through it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sesslog.backends.protocol import LogInfo

__all__ = ["SUFFIX", "SYMLINK_PROBLEM", "list_folder_logs", "log_info", "rekey", "subfolders"]

#: The name ending of a session file.
SUFFIX = ".jsonl"
#: Why a session file that is a symlink is listed but not read.
SYMLINK_PROBLEM = "a symlink (not followed)"
_FORMAT = stat.S_IFMT(0o177777)
_REGULAR = stat.S_IFREG


def subfolders(root: Path) -> list[str]:
    """``""`` and the names of the folders in ``root`` (symlinks left out)."""
    try:
        with os.scandir(root) as found:
            return ["", *(e.name for e in found if e.is_dir(follow_symlinks=False))]
    except OSError:
        return [""]


def list_folder_logs(root: Path, name: str, *, hidden: bool) -> list[LogInfo]:
    """The ``*.jsonl`` files of folder ``name`` under ``root`` (with ``hidden``, names
    starting with ``.`` too), as
    :meth:`~sesslog.backends.local.LocalFolder.list_folder` gives them."""
    out: list[LogInfo] = []
    # The hot loop of a full look at a store (one ``stat`` per session file): kept lean.
    try:
        fd = os.open(root / name, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return out
    try:
        prefix = name + "/" if name else ""
        stat_at = os.stat
        append = out.append
        for entry in os.listdir(fd):
            if not entry.endswith(SUFFIX) or (not hidden and entry.startswith(".")):
                continue
            try:
                info = stat_at(entry, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue
            if info.st_mode & _FORMAT == _REGULAR:
                append(
                    LogInfo(
                        prefix + entry,
                        info.st_size,
                        info.st_mtime_ns,
                        info.st_ino,
                        info.st_ctime_ns,
                    )
                )
            else:
                found = log_info(prefix + entry, info)
                if found is not None:
                    append(found)
    finally:
        os.close(fd)
    return out


def log_info(key: str, info: os.stat_result) -> LogInfo | None:
    """A file's listing (a symlink with its problem), or ``None`` when it is no log (a
    folder, a device)."""
    mode = info.st_mode
    if stat.S_ISREG(mode):
        problem = None
    elif stat.S_ISLNK(mode):
        problem = SYMLINK_PROBLEM
    else:
        return None
    return LogInfo(key, info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns, problem)


def rekey(info: LogInfo, key: str) -> LogInfo:
    """``info`` under another key."""
    return LogInfo(key, info.size, info.mtime_ns, info.ino, info.ctime_ns, info.problem)
