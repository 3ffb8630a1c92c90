"""The log backend contract: what every storage of session bytes must do, run against each one.

:class:`LogBackendContract` is the suite; each backend subclasses it once, saying how to make
one and what a power cut would leave of a log. Adding a backend (object storage, a database)
means adding one subclass here. Two deliberately broken backends (one drops syncs, one reorders
the lines of a write) must fail the suite: a suite that passes them proves nothing.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from contract_helpers import DurableRecorder

from sesslog.backends.local import LocalFolder
from sesslog.backends.memory import MemoryBackend, MemoryWriter
from sesslog.backends.protocol import LogBackend
from sesslog.errors import FormatError, SessionLockedError, WriterFailedError

HEADER = (
    b'{"type":"session","version":3,"id":"s1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
)


def line(n: int) -> bytes:
    """Entry ``n`` of a chain, without its ending."""
    parent = f'"e{n - 1}"' if n else "null"
    return (
        f'{{"type":"custom","id":"e{n}","parentId":{parent},'
        f'"timestamp":"2026-01-05T10:00:{n % 60:02d}.000Z","customType":"t","data":{n}}}'
    ).encode()


class LogBackendContract:
    """The suite. A subclass defines :meth:`make` and :meth:`power_cut`."""

    def make(self, tmp_path: Path) -> LogBackend:
        """A new, empty backend."""
        raise NotImplementedError

    def power_cut(self, backend: LogBackend, key: str) -> bytes:
        """What a machine crash now would leave of the log ``key`` (its worst case)."""
        raise NotImplementedError

    @pytest.fixture
    def backend(self, tmp_path: Path) -> LogBackend:
        return self.make(tmp_path)

    # ------------------------------------------------------------------ the contract

    def test_a_new_log_holds_its_content_and_is_never_replaced(self, backend: LogBackend) -> None:
        writer = backend.create("a/s.jsonl", HEADER)
        assert backend.read("a/s.jsonl") == HEADER
        assert writer.size() == len(HEADER) and writer.lease.key == "a/s.jsonl"
        writer.close()
        with pytest.raises(FileExistsError):
            backend.create("a/s.jsonl", HEADER + line(0) + b"\n")
        assert backend.read("a/s.jsonl") == HEADER

    def test_appends_come_back_in_order_from_any_offset(self, backend: LogBackend) -> None:
        key = "s.jsonl"
        with closing(backend.create(key, HEADER)) as writer:
            writer.write_lines(line(0))
            writer.write_lines(line(1) + b"\n" + line(2), sync=True)
            writer.write_lines(line(3) + b"\n" + line(4) + b"\n", end=b"")
            writer.sync()
            expected = HEADER + b"".join(line(n) + b"\n" for n in range(5))
            assert writer.size() == len(expected)
        assert backend.read(key) == expected
        assert backend.read(key, len(HEADER)) == expected[len(HEADER) :]
        assert backend.read(key, 5, 10) == expected[5:15]
        assert backend.stat(key).size == len(expected)
        with pytest.raises(FileNotFoundError):
            backend.read("missing.jsonl")

    def test_one_writer_holds_the_lease(self, backend: LogBackend) -> None:
        key = "s.jsonl"
        writer = backend.create(key, HEADER)
        holder = backend.active_writer(key)
        assert holder is not None and holder.pid in (None, os.getpid())
        with pytest.raises(SessionLockedError):
            backend.open_writer(key)
        release = threading.Timer(0.2, writer.close)
        release.start()
        second = backend.open_writer(key, wait=30)  # waits for the first to let go
        release.join()
        assert backend.active_writer(key) is not None
        with pytest.raises(WriterFailedError):
            writer.write_lines(line(0))  # a closed writer refuses
        second.write_lines(line(0))
        second.close()
        assert backend.active_writer(key) is None
        assert backend.read(key) == HEADER + line(0) + b"\n"

    def test_synced_lines_survive_a_power_cut(self, backend: LogBackend) -> None:
        key = "s.jsonl"
        writer = backend.create(key, HEADER)
        writer.write_lines(line(0))
        writer.sync()
        writer.write_lines(line(1), sync=True)
        writer.write_lines(line(2))  # not synced: may be lost
        promised = HEADER + line(0) + b"\n" + line(1) + b"\n"
        whole = promised + line(2) + b"\n"
        image = self.power_cut(backend, key)
        writer.close()
        assert image.startswith(promised), "a synced line was lost"
        assert whole.startswith(image), "a power cut left bytes never written"

    def test_a_torn_tail_is_moved_aside_before_appending(self, backend: LogBackend) -> None:
        key = "s.jsonl"
        torn = b'{"type":"custom","id":"e1","par'
        backend.create(key, HEADER + line(0) + b"\n" + torn).close()
        with closing(backend.open_writer(key)) as writer:
            repair = writer.repair
            assert repair is not None and not repair.newline_added
            assert (repair.offset, repair.length) == (len(HEADER + line(0)) + 1, len(torn))
            assert repair.side_file is not None
            writer.write_lines(line(1))
        assert backend.read(key) == HEADER + line(0) + b"\n" + line(1) + b"\n"

    def test_a_complete_last_line_gets_its_newline(self, backend: LogBackend) -> None:
        backend.create("s.jsonl", HEADER + line(0)).close()
        with closing(backend.open_writer("s.jsonl")) as writer:
            assert writer.repair is not None and writer.repair.newline_added
            writer.write_lines(line(1))
        assert backend.read("s.jsonl") == HEADER + line(0) + b"\n" + line(1) + b"\n"

    def test_a_log_without_a_first_line_is_not_cut(self, backend: LogBackend) -> None:
        backend.create("s.jsonl", b'{"type":"sess').close()
        with pytest.raises(FormatError):
            backend.open_writer("s.jsonl")
        assert backend.read("s.jsonl") == b'{"type":"sess'
        assert backend.active_writer("s.jsonl") is None

    def test_fingerprints_tell_growth_from_change(self, backend: LogBackend) -> None:
        key = "s.jsonl"
        with closing(backend.create(key, HEADER + line(0) + b"\n")) as writer:
            first = backend.fingerprint(key)
            assert first.size == len(HEADER + line(0)) + 1
            assert backend.fingerprint(key) == first  # nothing changed
            writer.write_lines(line(1), sync=True)
        grown = backend.fingerprint(key)
        assert grown.size > first.size and grown.prefix != first.prefix
        assert backend.prefix_matches(key, first) and backend.prefix_matches(key, grown)
        backend.delete(key)
        assert not backend.prefix_matches(key, first)
        backend.create(key, HEADER + line(5) + b"\n" + line(1) + b"\n").close()  # same size
        assert backend.fingerprint(key).size == grown.size
        assert not backend.prefix_matches(key, grown) and not backend.prefix_matches(key, first)

    def test_logs_are_listed_trashed_restored_and_deleted(self, backend: LogBackend) -> None:
        for key in ("x/a.jsonl", "x/b.jsonl", "c.jsonl"):
            backend.create(key, HEADER + key.encode() + b"\n").close()
        listed = backend.list()
        assert [info.key for info in listed] == ["c.jsonl", "x/a.jsonl", "x/b.jsonl"]
        assert [info.size for info in listed] == [len(HEADER) + len(i.key) + 1 for i in listed]
        trashed = backend.trash("x/a.jsonl")
        assert [info.key for info in backend.list()] == ["c.jsonl", "x/b.jsonl"]
        assert [info.key for info in backend.list(trash=True)] == [trashed]
        assert backend.read(trashed) == HEADER + b"x/a.jsonl\n"
        assert backend.restore(trashed) == "x/a.jsonl"
        assert backend.read("x/a.jsonl") == HEADER + b"x/a.jsonl\n"
        assert backend.list(trash=True) == []
        trashed = backend.trash("x/a.jsonl")
        backend.create("x/a.jsonl", HEADER).close()
        with pytest.raises(FileExistsError):
            backend.restore(trashed)  # never over another log
        backend.delete(trashed)
        backend.delete("c.jsonl")
        assert backend.list(trash=True) == []
        assert [info.key for info in backend.list()] == ["x/a.jsonl", "x/b.jsonl"]
        with pytest.raises(FileNotFoundError):
            backend.read("c.jsonl")

    def test_a_listing_by_folder_agrees_with_the_whole_listing(self, backend: LogBackend) -> None:
        for key in ("x/a.jsonl", "x/b.jsonl", "c.jsonl", "y/d.jsonl"):
            backend.create(key, HEADER).close()
        backend.create(".hidden/e.jsonl", HEADER).close()  # the backend's own: not listed
        backend.create("x/deeper/f.jsonl", HEADER).close()  # not pi's layout: not listed
        listed = backend.list()
        assert [i.key for i in listed] == ["c.jsonl", "x/a.jsonl", "x/b.jsonl", "y/d.jsonl"]
        for info in listed:
            assert backend.stat(info.key) == info and info.problem is None
        assert sorted(i.key for i in backend.list_folder("x")) == ["x/a.jsonl", "x/b.jsonl"]
        assert [i.key for i in backend.list_folder("")] == ["c.jsonl"]
        assert backend.list_folder("missing") == []
        folders = backend.folders()
        if folders is None:
            return  # the backend cannot tell which folders changed: callers list everything
        assert {"", "x", "y"} <= {f.name for f in folders}
        assert sorted((i for f in folders for i in backend.list_folder(f.name)), key=str) == sorted(
            listed, key=str
        )
        before = {f.name: f for f in folders}
        time.sleep(0.05)  # past the file system's clock tick
        backend.create("x/g.jsonl", HEADER).close()
        after = {f.name: f for f in backend.folders() or []}
        assert after["x"] != before["x"] and after["y"] == before["y"]

    def test_a_trash_key_names_the_deletion_time(self, backend: LogBackend) -> None:
        when = 1767607200000
        backend.create("x/a.jsonl", HEADER).close()
        first = backend.trash("x/a.jsonl", deleted_ms=when)
        assert first == f"{backend.trash_folder}/{when}/x/a.jsonl"
        backend.create("x/a.jsonl", HEADER + line(0) + b"\n").close()
        second = backend.trash("x/a.jsonl", deleted_ms=when)  # never over the first
        assert second == f"{backend.trash_folder}/{when + 1}/x/a.jsonl"
        assert [i.key for i in backend.list(trash=True)] == [first, second]
        assert backend.read(first) == HEADER
        assert backend.restore(second) == "x/a.jsonl"
        assert backend.read("x/a.jsonl") == HEADER + line(0) + b"\n"
        now = backend.trash("x/a.jsonl")  # default: now
        bucket = now[len(backend.trash_folder) + 1 :].split("/", 1)[0]
        assert bucket.isdigit() and abs(int(bucket) - time.time() * 1000) < 60_000

    def test_a_live_writer_keeps_its_log(self, backend: LogBackend) -> None:
        writer = backend.create("s.jsonl", HEADER)
        with pytest.raises(SessionLockedError):
            backend.trash("s.jsonl")
        with pytest.raises(SessionLockedError):
            backend.delete("s.jsonl")
        writer.write_lines(line(0))
        writer.close()
        assert backend.read("s.jsonl") == HEADER + line(0) + b"\n"

    def test_keys_stay_inside_the_root(self, backend: LogBackend) -> None:
        for bad in ("../x.jsonl", "/etc/x.jsonl", "a/../../x.jsonl", ""):
            with pytest.raises(ValueError):
                backend.create(bad, HEADER)
            with pytest.raises(ValueError):
                backend.read(bad)


# ---------------------------------------------------------------------- the implementations


class TestLocalFolder(LogBackendContract):
    def make(self, tmp_path: Path) -> LogBackend:
        return LocalFolder(tmp_path / "root", ops=DurableRecorder())

    def power_cut(self, backend: LogBackend, key: str) -> bytes:
        assert isinstance(backend, LocalFolder) and isinstance(backend.ops, DurableRecorder)
        return backend.ops.durable()


class TestMemoryBackend(LogBackendContract):
    def make(self, tmp_path: Path) -> LogBackend:
        return MemoryBackend()

    def power_cut(self, backend: LogBackend, key: str) -> bytes:
        assert isinstance(backend, MemoryBackend)
        return backend.crash(key)


def test_a_memory_lease_that_expired_fences_its_old_writer() -> None:
    """A lease that can be lost (as a database row's can) carries a fence: the next writer's is
    higher, and the old writer's writes are refused."""
    backend = MemoryBackend()
    old = backend.create("s.jsonl", HEADER)
    backend.expire_lease("s.jsonl")
    new = backend.open_writer("s.jsonl")
    assert new.lease.fence is not None and old.lease.fence is not None
    assert new.lease.fence > old.lease.fence
    with pytest.raises(WriterFailedError, match="lease"):
        old.write_lines(line(0))
    new.write_lines(line(1))
    new.close()
    old.close()  # releases nothing: the lease is not its own any more
    assert backend.read("s.jsonl") == HEADER + line(1) + b"\n"
    assert backend.active_writer("s.jsonl") is None


# ---------------------------------------------------------------------- the suite can fail


class _DropsSyncs(MemoryBackend):
    """Broken on purpose: nothing written ever becomes durable."""

    def _append(self, writer: MemoryWriter, data: bytes, sync: bool) -> None:
        super()._append(writer, data, False)

    def _sync(self, writer: MemoryWriter) -> None:
        pass


class _ReordersLines(MemoryBackend):
    """Broken on purpose: the lines of one write land in reverse order."""

    def _append(self, writer: MemoryWriter, data: bytes, sync: bool) -> None:
        super()._append(writer, b"".join(reversed(data.splitlines(keepends=True))), sync)


def _failures(suite: LogBackendContract, tmp_path: Path) -> set[str]:
    """The tests of the suite that fail against its backend."""
    failed = set()
    for name in sorted(n for n in dir(LogBackendContract) if n.startswith("test_")):
        try:
            getattr(suite, name)(suite.make(tmp_path / name))
        except AssertionError:
            failed.add(name)
    return failed


@pytest.mark.parametrize(
    ("broken", "caught_by"),
    [
        (_DropsSyncs, "test_synced_lines_survive_a_power_cut"),
        (_ReordersLines, "test_appends_come_back_in_order_from_any_offset"),
    ],
)
def test_the_suite_fails_a_broken_backend(
    broken: type[MemoryBackend], caught_by: str, tmp_path: Path
) -> None:
    class Suite(TestMemoryBackend):
        def make(self, tmp_path: Path) -> LogBackend:
            return broken()

    assert caught_by in _failures(Suite(), tmp_path)
    assert not _failures(TestMemoryBackend(), tmp_path / "sound")
