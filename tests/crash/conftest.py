"""A file layer that records what a writer asks of the disk, and the files a power cut leaves.

Like SQLite's crash tests: everything before the last sync is on the disk; each write after it
may have reached the disk whole, in part, not at all, as zeros (space allocated, data lost, as
ext4 leaves it) or as garbage. A synced write (``pwritev2`` with ``RWF_DSYNC``, the call the
real file layer makes for a strict append) is on the disk once it returned, its own bytes only:
earlier writes it did not cover keep their fates; one still under way at the cut meets a fate
too.
"""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass

import pytest

from sesslog.backends.fileops import OS_FILE_OPS

#: The real file layer's class: its synced write is one ``pwritev2`` with ``RWF_DSYNC`` where
#: the kernel has it (else a write then a sync, which this module records as such).
RealOps = type(OS_FILE_OPS)


@dataclass(frozen=True)
class Event:
    """One call that changed the file: ``write`` (at ``offset``), ``dsync`` (a synced write at
    ``offset``, durable for its own bytes when it returned), ``sync`` (of the first ``offset``
    events) or ``truncate`` (to ``offset``)."""

    op: str
    offset: int = 0
    data: bytes = b""


class RecordingOps(RealOps):  # type: ignore[misc,valid-type]
    """The real OS calls, with every write, synced write, sync and truncate of the session
    file recorded.

    Attributes:
        base: The file's bytes when it was first opened (taken as durable).
        events: The calls made since, in order.
    """

    def __init__(self) -> None:
        self.base: bytes | None = None
        self.events: list[Event] = []
        self._size: dict[int, int] = {}
        self._lock = threading.RLock()

    def open(self, path: str, *, create: bool) -> tuple[int, bool]:
        fd, created = super().open(path, create=create)
        with self._lock:
            self._size[fd] = os.fstat(fd).st_size
            if self.base is None:
                with open(path, "rb") as file:
                    self.base = file.read()
        return fd, created

    def write(self, fd: int, data: bytes | memoryview) -> int:
        with self._lock:
            written = os.write(fd, data)
            self.events.append(Event("write", self._size[fd], bytes(data[:written])))
            self._size[fd] += written
            return written

    def write_synced(self, fd: int, parts: tuple[bytes, ...]) -> int:
        with self._lock:
            events = len(self.events)
            offset = self._size[fd]
            written = super().write_synced(fd, parts)  # the real call: pwritev2(RWF_DSYNC)
            if len(self.events) == events:  # not written then synced by the calls above
                data = b"".join(parts)[:written]
                self.events.append(Event("dsync", offset, data))
                self._size[fd] += written
            return written

    def sync(self, fd: int) -> None:
        # Writes may go on in other threads while the sync runs: it covers only those issued
        # before it started, which its ``offset`` counts.
        with self._lock:
            covered = len(self.events)
        super().sync(fd)
        with self._lock:
            self.events.append(Event("sync", covered))

    def truncate(self, fd: int, size: int) -> None:
        super().truncate(fd, size)
        with self._lock:
            self.events.append(Event("truncate", size))
            self._size[fd] = size

    def count(self) -> int:
        """Events recorded so far (a crash point after them)."""
        with self._lock:
            return len(self.events)


FATES = ("keep", "keep", "keep", "prefix", "prefix", "drop", "zeros", "garbage")


def _put(disk: bytearray, offset: int, data: bytes) -> None:
    if offset > len(disk):
        disk.extend(bytes(offset - len(disk)))  # a hole reads as zeros
    disk[offset : offset + len(data)] = data


def intended(base: bytes, events: list[Event]) -> bytes:
    """The file as the writer meant it after ``events``."""
    disk = bytearray(base)
    for event in events:
        if event.op in ("write", "dsync"):
            _put(disk, event.offset, event.data)
        elif event.op == "truncate":
            del disk[event.offset :]
    return bytes(disk)


def reached(events: list[Event], crash_at: int) -> list[Event]:
    """The calls that may have reached the disk at a cut after ``events[:crash_at]``: those,
    and a synced write under way at the cut."""
    if crash_at < len(events) and events[crash_at].op == "dsync":
        return events[: crash_at + 1]
    return events[:crash_at]


def power_cut(base: bytes, events: list[Event], crash_at: int, rng: random.Random) -> bytes:
    """The file after a power cut once ``events[:crash_at]`` were issued.

    Everything a sync that returned before ``crash_at`` covered is kept, and so is every
    synced write that returned; each other write after the sync (and a synced write under way
    at the cut) meets a random fate from :data:`FATES`, and a later truncate happens or not.
    """
    done = events[:crash_at]
    durable = max((e.offset for e in done if e.op == "sync"), default=0)
    disk = bytearray(intended(base, done[:durable]))
    for number, event in enumerate(reached(events, crash_at)[durable:], durable):
        if event.op == "truncate":
            if rng.random() < 0.5:
                del disk[event.offset :]
            continue
        if event.op not in ("write", "dsync") or not event.data:
            continue
        if event.op == "dsync" and number < crash_at:
            _put(disk, event.offset, event.data)  # returned: durable
            continue
        fate = rng.choice(FATES)
        data = event.data
        if fate == "keep":
            _put(disk, event.offset, data)
        elif fate == "prefix":
            _put(disk, event.offset, data[: rng.randrange(len(data))])
        elif fate == "zeros":
            _put(disk, event.offset, bytes(len(data)))
        elif fate == "garbage":
            _put(disk, event.offset, rng.randbytes(len(data)))
    return bytes(disk)


class PowerCut:
    """The power-cut helpers (reach them through the ``cut`` fixture)."""

    RecordingOps = RecordingOps
    intended = staticmethod(intended)
    reached = staticmethod(reached)
    power_cut = staticmethod(power_cut)


@pytest.fixture(scope="session")
def cut() -> type[PowerCut]:
    """The :class:`PowerCut` helpers."""
    return PowerCut
