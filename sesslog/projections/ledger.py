"""The projection ledger: an append-only record of what was done to a projection.

A projection keeps its ledger outside what it may remove (the V2 sidecar's is
``<name>.v2.ledger`` beside the session file, so it outlives rollbacks). Each line is one JSON
object (:class:`LedgerRecord`), written by one ``write()`` and synced. The ledger file is also
the lock that keeps two processes from changing the same projection at once: an exclusive
``flock`` is held on it for the whole operation (:class:`LedgerLock`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import msgspec

from sesslog._closing import Closing
from sesslog.backends.fileops import OS_FILE_OPS
from sesslog.backends.fs import fsync_folder, open_append_nofollow, sync_data
from sesslog.errors import ProjectionBusyError
from sesslog.format.timestamps import now_iso

__all__ = ["LedgerLock", "LedgerRecord", "read_ledger"]


class LedgerRecord(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    """One line of the ledger.

    Attributes:
        time: When (ISO 8601 UTC).
        op: What was done (the V2 sidecar's: ``migrate``, ``rebuild``, ``catch_up``,
            ``rollback``, ``recover`` or ``restore``).
        migration_id: The id of the projection's build.
        generation: The projection's generation after the operation.
        source_size: Log bytes covered after the operation.
        entries: Entries in the projection after the operation.
        sidecar_bytes: Size of the projection's files after the operation.
        detail: What else is worth knowing (files removed, the reason for a rebuild...).
    """

    time: str
    op: str
    migration_id: str | None = None
    generation: int | None = None
    source_size: int | None = None
    entries: int | None = None
    sidecar_bytes: int | None = None
    detail: str | None = None


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(LedgerRecord)


class LedgerLock(Closing):
    """The ledger, opened for appending and locked for the length of one operation.

    Args:
        path: The ledger file (created, mode 0600, when missing).
        wait: Seconds to wait for another process's lock (0: fail at once).
        busy: The error raised when another process holds it (a projection's own subclass).

    Raises:
        ProjectionBusyError: Another process holds the lock (``busy``).
    """

    def __init__(
        self,
        path: Path,
        *,
        wait: float = 0.0,
        busy: type[ProjectionBusyError] = ProjectionBusyError,
    ) -> None:
        self.path = path
        fd, created = open_append_nofollow(path, create=True)
        try:
            if created:
                fsync_folder(path.parent)
            deadline = time.monotonic() + wait
            while not OS_FILE_OPS.try_lock(fd):
                if time.monotonic() >= deadline:
                    raise busy(f"{path}: another process is changing this {busy.what}")
                time.sleep(0.01)
        except BaseException:
            os.close(fd)
            raise
        self._fd: int | None = fd

    def append(self, op: str, **fields: str | int | None) -> LedgerRecord:
        """Append one record (``time`` is now) and sync it."""
        record = LedgerRecord(now_iso(), op, **fields)  # type: ignore[arg-type]
        line = _ENCODER.encode(record) + b"\n"
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size and OS_FILE_OPS.read(str(self.path), size - 1, 1) != b"\n":
            line = b"\n" + line  # never glue onto a line a crash left unfinished
        os.write(self._fd, line)
        sync_data(self._fd)
        return record

    def close(self) -> None:
        """Release the lock."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def read_ledger(path: Path) -> list[LedgerRecord]:
    """Every readable record of a ledger, oldest first (unreadable lines are skipped)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    records = []
    for line in data.splitlines():
        try:
            records.append(_DECODER.decode(line))
        except msgspec.DecodeError:
            continue
    return records
