"""What a catalog needs from the place sessions live: list the files, read bytes from an offset.

This is the read side of the store's small storage adapter (``sesslog.store.backend``); a
catalog reads session bytes through it and nothing else, so it works the same over a local
folder, memory, or any later backend that lists and reads.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

__all__ = ["FileStat", "FolderStat", "SessionFiles", "file_id", "in_folder"]


class FileStat(msgspec.Struct, frozen=True):
    """One session file as listed: its key and the fingerprint of its current state.

    Attributes:
        key: ``<folder>/<file>`` relative to the store root.
        size: Bytes.
        mtime_ns: Last modification time.
        ino: Inode number (0 where there is none): a replaced file gets a new one.
        ctime_ns: Last status change (a rename, a permission change).
        problem: Why the file is not read (for example a symlink), or ``None``.
    """

    key: str
    size: int
    mtime_ns: int
    ino: int = 0
    ctime_ns: int = 0
    problem: str | None = None


class FolderStat(msgspec.Struct, frozen=True):
    """One folder of a store as listed: a file added, removed or renamed in it changes its
    modification time.

    Attributes:
        name: The folder's name in the store root (``""`` for the root itself).
        mtime_ns: Last modification time.
        ino: Inode number: a folder replaced gets a new one.
    """

    name: str
    mtime_ns: int
    ino: int


class SessionFiles(Protocol):
    """The session files of one store, as a catalog reads them."""

    def scan(self) -> list[FileStat]:
        """Every session file of the store (not the trash), in no particular order."""
        ...

    def folders(self) -> list[FolderStat] | None:
        """The root and each folder of session files, or ``None`` when the storage cannot
        tell which folders changed (every look then lists every session)."""
        ...

    def scan_folder(self, name: str) -> list[FileStat]:
        """The session files of one folder (``""``: those directly in the root)."""
        ...

    def stat(self, key: str) -> FileStat | None:
        """One session file's fingerprint, or ``None`` when it is gone."""
        ...

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of a session from ``offset`` (``length`` bytes, or to the end).

        Raises:
            OSError: The file cannot be read (gone, unreadable, a symlink).
        """
        ...

    def describe(self, key: str) -> str:
        """Where the session lives, as shown to people (a file path, or the key)."""
        ...


def file_id(key: str) -> str:
    """The session id a pi file name carries (``<timestamp>_<id>.jsonl``), for sessions whose
    header cannot be read."""
    name = key.rsplit("/", 1)[-1]
    stem = name[: -len(".jsonl")] if name.endswith(".jsonl") else name
    return stem.split("_", 1)[1] if "_" in stem else stem


def in_folder(stats: list[FileStat], name: str) -> list[FileStat]:
    """The sessions of ``stats`` directly in folder ``name`` (``""``: the root)."""
    prefix = name + "/" if name else ""
    return [
        stat for stat in stats if stat.key.startswith(prefix) and "/" not in stat.key[len(prefix) :]
    ]
