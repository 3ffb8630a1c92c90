"""The sessions of any storage backend as a catalog reads them.

A catalog reads sessions through :class:`~sesslog.catalog.files.SessionFiles` (list with
fingerprints, read from an offset). :class:`BackendFiles` gives that over any
:class:`~sesslog.backends.protocol.LogBackend` of the storage seam: a local folder, memory, or
object storage. A log's fingerprint is what the backend's listing gives (size and change time;
inode and status change time where the backend has them); a log that grew is caught up after
the catalog checks the bytes before its old end (:mod:`sesslog.catalog.refresh`). A backend
that can tell which folders changed (a local folder) lets a refresh list only those
(:mod:`sesslog.catalog.detect`).
"""

from __future__ import annotations

from sesslog.backends.protocol import LogBackend
from sesslog.catalog.files import FileStat, FolderStat

__all__ = ["BackendFiles"]


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
        folders = self.backend.folders()
        if folders is None:
            return [i for i in self.backend.list() if i.key.endswith(self._suffix)]
        found: list[FileStat] = []
        for folder in folders:  # folder by folder: no sort of the whole store
            found += self.scan_folder(folder.name)
        return found

    def folders(self) -> list[FolderStat] | None:
        """The folders with their stamps, or ``None`` when the backend cannot tell which
        folders changed (every look then lists every log)."""
        return self.backend.folders()

    def scan_folder(self, name: str) -> list[FileStat]:
        """The session logs directly in folder ``name``."""
        return [i for i in self.backend.list_folder(name) if i.key.endswith(self._suffix)]

    def stat(self, key: str) -> FileStat | None:
        """One log's fingerprint, or ``None`` when it is gone."""
        try:
            return self.backend.stat(key)
        except FileNotFoundError:
            return None

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of a log from ``offset``."""
        return self.backend.read(key, offset, length)

    def describe(self, key: str) -> str:
        """Where the log lives, as the backend names it."""
        return self.backend.describe(key)
