"""Fixtures for the writer tests: a file layer that fails on demand, and small helpers."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sesslog import AutosaveConfig, Session
from sesslog.backends.fileops import OS_FILE_OPS, FileOps
from sesslog.format.reader import SessionData, read_file


class FaultyOps(FileOps):
    """The real OS calls, counted, with faults and pauses on demand.

    Attributes:
        calls: Every data-path call made, in order: ``("write", nbytes)``, ``("sync", 0)``,
            ``("truncate", size)``.
        fail: Maps ``"write"`` or ``"sync"`` to the errno its next call fails with.
        short: When set, the next write writes only this many bytes, and the call after it
            fails with ``fail["write"]``.
        gate: Writes wait until it is set (it is set at first).
        sync_gate: Syncs wait until it is set (it is set at first).
        synced_size: The file's length at the last successful sync (-1 before one).
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.fail: dict[str, int] = {}
        self.short: int | None = None
        self.gate = threading.Event()
        self.gate.set()
        self.sync_gate = threading.Event()
        self.sync_gate.set()
        self.entered = threading.Event()  # set when a write or sync is waiting at its gate
        self.synced_size = -1
        self._lock = threading.RLock()

    def _maybe_fail(self, op: str) -> None:
        code = self.fail.pop(op, None)
        if code is not None:
            raise OSError(code, os.strerror(code))

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if not self.gate.is_set():
            self.entered.set()
            self.gate.wait()
        with self._lock:
            if self.short is not None:
                count, self.short = self.short, None
                written = os.write(fd, data[:count])
                self.calls.append(("write", written))
                return written
            self._maybe_fail("write")
            written = os.write(fd, data)
            self.calls.append(("write", written))
            return written

    def sync(self, fd: int) -> None:
        if not self.sync_gate.is_set():
            self.entered.set()
            self.sync_gate.wait()
        with self._lock:
            self._maybe_fail("sync")
            super().sync(fd)
            self.calls.append(("sync", 0))
            self.synced_size = os.fstat(fd).st_size

    def truncate(self, fd: int, size: int) -> None:
        with self._lock:
            super().truncate(fd, size)
            self.calls.append(("truncate", size))

    def count(self, op: str) -> int:
        """How many calls of ``op`` were made."""
        with self._lock:
            return sum(1 for name, _ in self.calls if name == op)


class RealFaultyOps(FaultyOps):
    """:class:`FaultyOps` whose synced write is the real file layer's (one ``pwritev2`` with
    ``RWF_DSYNC`` where the kernel has it), recorded as ``("write_synced", nbytes)``.

    A ``write`` fault fails it before anything is written; a ``sync`` fault after its bytes
    are written (not durable). ``synced_size`` starts at the file's length when opened (taken
    as durable) and grows with a synced write only when everything before it was durable: a
    synced write covers its own bytes, not earlier unsynced ones.
    """

    def open(self, path: str, *, create: bool) -> tuple[int, bool]:
        fd, created = super().open(path, create=create)
        with self._lock:
            self.synced_size = os.fstat(fd).st_size
        return fd, created

    def write_synced(self, fd: int, parts: tuple[bytes, ...]) -> int:
        if not self.gate.is_set():
            self.entered.set()
            self.gate.wait()
        with self._lock:
            self._maybe_fail("write")
            size = os.fstat(fd).st_size
            if "sync" in self.fail:
                os.write(fd, b"".join(parts))
                self._maybe_fail("sync")
            written = OS_FILE_OPS.write_synced(fd, parts)
            self.calls.append(("write_synced", written))
            if self.synced_size == size:
                self.synced_size = size + written
            return written


@pytest.fixture
def ops() -> FaultyOps:
    """A fresh fault-injecting file layer."""
    return FaultyOps()


@pytest.fixture
def new_session(tmp_path: Path) -> Iterator[Callable[..., Session]]:
    """Create a session file, close it, and reopen it with the given durability and ops.

    Sessions opened through this fixture are closed at the end of the test (errors ignored).
    """
    opened: list[Session] = []

    def make(durability: str | AutosaveConfig = "balanced", ops: FileOps | None = None) -> Session:
        path = tmp_path / f"s{len(opened)}.jsonl"
        Session.create(path=path, cwd="/work").close()
        session = Session.open(path, durability=durability)
        session.backend.ops = ops
        opened.append(session)
        return session

    yield make
    for session in opened:
        ops = session.backend.ops
        if isinstance(ops, FaultyOps):  # a failed test must not leave a writer stuck
            ops.gate.set()
            ops.sync_gate.set()
        with contextlib.suppress(OSError):
            session.close()


class Kit:
    """Small helpers for the writer tests (reach them through the ``kit`` fixture)."""

    FaultyOps = FaultyOps
    RealFaultyOps = RealFaultyOps
    ENOSPC = errno.ENOSPC
    EIO = errno.EIO

    @staticmethod
    def read(path: Path | str) -> SessionData:
        """Read a session file tolerantly."""
        return read_file(path)

    @staticmethod
    def ids(path: Path | str) -> list[str]:
        """The entry ids in the file, in file order."""
        return [rec.id for rec in read_file(path).records]

    @staticmethod
    def wait_until(check: Callable[[], bool], what: str, limit: float = 30.0) -> None:
        """Poll ``check`` until it holds; fail (naming ``what``) if it never does."""
        deadline = time.monotonic() + limit
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}")
            time.sleep(0.002)


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    """The :class:`Kit` helpers."""
    return Kit
