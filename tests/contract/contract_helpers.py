"""Helpers of the contract suites: sample sessions, and a file layer that knows what a power cut
would leave of the files it writes."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from sesslog.backends.fileops import OS_FILE_OPS

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from fixtures.generate import make_damaged, make_v1_session, make_v3_session  # noqa: E402

#: Sessions every source must give back the same way: a branchy one with labels, names,
#: compactions and branch summaries; damaged ones (duplicate ids, orphans, cycles, bad lines);
#: a legacy v1 file (upgraded in memory).
SAMPLES: dict[str, bytes] = {
    "branchy": make_v3_session(
        300, 7, line_bytes=300, branch_every=25, compaction_every=90, label_every=30
    ),
    "conflicting": make_damaged("duplicate_id_conflicting", 3),
    "orphan": make_damaged("orphan", 3),
    "cycle": make_damaged("two_entry_cycle", 3),
    "bad_json": make_damaged("bad_json", 3),
    "legacy_v1": make_v1_session(40, 5, line_bytes=300),
}


class DurableRecorder(type(OS_FILE_OPS)):  # type: ignore[misc]
    """The real file layer (synced writes included), keeping for each descriptor the bytes a
    power cut could not take: the file as opened, then what syncs and synced writes covered.
    Unsynced writes are taken as lost, the worst a power cut can do."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._written: dict[int, bytearray] = {}
        self._durable: dict[int, bytearray] = {}
        self.last_fd = -1

    def open(self, path: str, *, create: bool) -> tuple[int, bool]:
        fd, created = super().open(path, create=create)
        with self._lock:
            with open(path, "rb") as file:
                found = file.read()
            self._written[fd] = bytearray(found)
            self._durable[fd] = bytearray(found)
            self.last_fd = fd
        return fd, created

    def write(self, fd: int, data: bytes | memoryview) -> int:
        with self._lock:
            written = os.write(fd, data)
            self._written[fd] += bytes(data[:written])
            return written

    def write_synced(self, fd: int, parts: tuple[bytes, ...]) -> int:
        with self._lock:
            before = len(self._written[fd])
            written = super().write_synced(fd, parts)
            if len(self._written[fd]) == before:  # one synced call, not a write and a sync
                data = b"".join(parts)[:written]
                self._written[fd] += data
                durable = self._durable[fd]
                durable += bytes(max(0, before - len(durable)))  # a hole reads as zeros
                durable[before:] = data
            return written

    def sync(self, fd: int) -> None:
        with self._lock:
            super().sync(fd)
            self._durable[fd] = bytearray(self._written[fd])

    def truncate(self, fd: int, size: int) -> None:
        with self._lock:
            super().truncate(fd, size)
            del self._written[fd][size:]

    def durable(self) -> bytes:
        """What a power cut would leave of the file last opened."""
        with self._lock:
            return bytes(self._durable[self.last_fd])
