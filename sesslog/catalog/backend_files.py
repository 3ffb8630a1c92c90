"""The sessions of any storage backend as a catalog reads them.

A catalog reads sessions through :class:`~sesslog.catalog.files.SessionFiles` (list with
fingerprints, read from an offset). :class:`BackendFiles` gives that over any
:class:`~sesslog.backends.protocol.LogBackend` of the storage seam: a local folder, memory, or
object storage. A log's fingerprint here is its size and change time (a backend has no inode);
a log that grew is caught up after the catalog checks the bytes before its old end, as for
local files (:mod:`sesslog.catalog.refresh`).
"""

from __future__ import annotations

from sesslog.backends.protocol import LogBackend, LogInfo
from sesslog.catalog.files import FileStat, FolderStat, in_folder

__all__ = ["BackendFiles"]


def _stat(info: LogInfo) -> FileStat:
    return FileStat(info.key, info.size, info.mtime_ns)


class BackendFiles:
    """The logs of ``backend`` whose keys end in ``suffix``, as session files.

    Args:
        backend: Where the logs live.
        suffix: Which keys are sessions (``.jsonl``; ``""`` for every log).
    """

    def __init__(self, backend: LogBackend, *, suffix: str = ".jsonl") -> None:
        self.backend = backend
        self._suffix = suffix

    def scan(self) -> list[FileStat]:
        """Every session log (not the trash)."""
        return [_stat(i) for i in self.backend.list() if i.key.endswith(self._suffix)]

    def folders(self) -> list[FolderStat] | None:
        """``None``: a backend cannot tell which folders changed, so every look lists every
        log."""
        return None

    def scan_folder(self, name: str) -> list[FileStat]:
        """The session logs directly in folder ``name``."""
        return in_folder(self.scan(), name)

    def stat(self, key: str) -> FileStat | None:
        """One log's fingerprint, or ``None`` when it is gone."""
        try:
            return _stat(self.backend.stat(key))
        except FileNotFoundError:
            return None

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of a log from ``offset``."""
        return self.backend.read(key, offset, length)

    def describe(self, key: str) -> str:
        """Where the log lives, as the backend names it."""
        return self.backend.describe(key)
