"""What a catalog needs from the place sessions live: list the files, read bytes from an offset.

A catalog reads session bytes through :class:`SessionFiles` and nothing else;
:class:`~sesslog.catalog.backend_files.BackendFiles` gives it over any backend of the storage
seam (a local folder, memory, object storage), so a catalog works the same over each.
"""

from __future__ import annotations

from typing import Protocol

from sesslog.backends.protocol import FolderInfo, LogInfo

__all__ = ["FileStat", "FolderStat", "SessionFiles", "file_id"]


#: One session file as listed: its key and the fingerprint of its current state (size,
#: modification time, inode, change time, and why it is not read, if it is not). It is the
#: storage seam's listing record, so a listing reaches a catalog without a copy.
FileStat = LogInfo

#: One folder of a store as listed: a file added, removed or renamed in it changes its
#: modification time.
FolderStat = FolderInfo


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
