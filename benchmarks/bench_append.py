"""Append speed of sesslog's durability modes against raw ``os.write`` on the same disk.

Baselines, measured in the same run and folder:

* ``raw write+fdatasync``: ``os.write`` of a ~1 KB line then ``os.fdatasync``, per line;
* ``raw write``: ``os.write`` of the line alone;
* ``bare loop``: build a typed entry (id, both timestamps, message), encode it, ``os.write`` +
  ``os.fdatasync``, per line, in a plain loop: a reference for the least a Python writer that
  builds its entries has to do (no index, no locks, no queue).

Then sesslog in each durability mode with 1 and 8 appending threads, through two APIs:

* ``facade``: ``Session.append_user_message(text)`` (ids, timestamps, typed message, leaf link);
* ``entry``: ``Session.append_entry(MessageEntry(...))`` with ids made by the caller (one chain
  per thread): the write path without id and timestamp generation.

Each rate counts appends until the last append returned; ``+close`` also counts ``close()``
(the final write and sync). One appender runs in the calling thread, as the baselines do.
Every rate is the best of ``--repeat`` interleaved runs (files are deleted between runs so the
page cache's writeback does not pile up). The strict ratios compare runs made in alternating
chunks of 50 appends with the raw baseline, one file each, so that both meet the same disk from
moment to moment (fdatasync times drift on shared disks). Each repeat makes
``STRICT_ROUNDS`` such runs per arm; the median ratio over all of them is reported, with its
quartiles, its range and the ratio of all runs pooled (total time against total time).
Targets: strict single-thread at least 0.85x raw write+fdatasync; balanced with 8 threads at
least 5x strict single-thread; throughput at least 200,000 entries/s single-thread.

Usage: ``python benchmarks/bench_append.py [--quick] [--dir FOLDER] [--repeat N]``
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sesslog import Session
from sesslog import entries as E
from sesslog.format.codec import encode_line
from sesslog.format.timestamps import ms_to_iso, now_ms

TEXT = "x" * 900  # a user message line of about 1 KB
MESSAGE = E.UserMessage(content=TEXT, timestamp=1767607200000)
ISO = "2026-01-05T10:00:00.000Z"


def machine() -> str:
    cpu = "unknown"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"nproc={os.cpu_count()}, CPU={cpu}, Python {platform.python_version()}"


#: Runs ``n`` more appends (or raw writes), carrying on from where the last call stopped.
Chunk = Callable[[int], None]


def raw_chunks(fd: int, sync: bool) -> Chunk:
    """``os.write`` (+ ``os.fdatasync``) of the same ~1 KB line, per line."""
    line = encode_line(E.MessageEntry(id="0" * 8, parent_id=None, timestamp=ISO, message=MESSAGE))
    write, fdatasync = os.write, os.fdatasync

    def chunk(count: int) -> None:
        if sync:
            for _ in range(count):
                write(fd, line)
                fdatasync(fd)
        else:
            for _ in range(count):
                write(fd, line)

    return chunk


def bare_chunks(fd: int) -> Chunk:
    """Build and encode a fresh typed entry per line, then ``os.write`` + ``os.fdatasync`` it,
    as a bare loop written for the purpose would."""
    write, fdatasync = os.write, os.fdatasync
    state: list[int | str | None] = [0, None]  # next index, parent id

    def chunk(count: int) -> None:
        first, parent = state
        assert isinstance(first, int)
        for index in range(first, first + count):
            entry_id = f"{index:08x}"
            message = E.UserMessage(content=TEXT, timestamp=now_ms())
            entry = E.MessageEntry(
                id=entry_id, parent_id=parent, timestamp=ms_to_iso(now_ms()), message=message
            )
            write(fd, encode_line(entry))
            fdatasync(fd)
            parent = entry_id
        state[:] = [first + count, parent]

    return chunk


def facade_chunks(session: Session, _thread: int) -> Chunk:
    """``Session.append_user_message(text)``."""
    append = session.append_user_message

    def chunk(count: int) -> None:
        for _ in range(count):
            append(TEXT)

    return chunk


def entry_chunks(session: Session, thread: int) -> Chunk:
    """``Session.append_entry(MessageEntry(...))``, ids made here, one chain per thread."""
    append = session.append_entry
    entry = E.MessageEntry
    state: list[int | str | None] = [0, None]  # next index, parent id

    def chunk(count: int) -> None:
        first, parent = state
        assert isinstance(first, int)
        for index in range(first, first + count):
            entry_id = f"{thread:02x}{index:06x}"
            append(entry(id=entry_id, parent_id=parent, timestamp=ISO, message=MESSAGE))
            parent = entry_id
        state[:] = [first + count, parent]

    return chunk


def _open_new(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)


def raw_rate(folder: Path, count: int, sync: bool) -> float:
    """Raw writes per second."""
    path = folder / "raw.jsonl"
    fd = _open_new(path)
    try:
        start = time.perf_counter()
        raw_chunks(fd, sync)(count)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        path.unlink()
    return count / elapsed


def interleaved(folder: Path, arm: str, count: int, size: int) -> tuple[float, float]:
    """(``arm``'s rate, raw write+fdatasync's rate), both in the calling thread, ``count`` of
    each in alternating chunks of ``size`` so that both see the same disk from moment to
    moment. ``arm`` is ``bare`` or an API of :data:`WORKERS` in strict mode."""
    raw_path = folder / "raw.jsonl"
    raw_fd = _open_new(raw_path)
    session: Session | None = None
    bare_fd: int | None = None
    try:
        if arm == "bare":
            bare_fd = _open_new(folder / "bare.jsonl")
            run = bare_chunks(bare_fd)
        else:
            session = Session.create(cwd="/bench", root=folder, durability="strict")
            run = WORKERS[arm](session, 0)
        raw = raw_chunks(raw_fd, sync=True)
        spent = {run: 0.0, raw: 0.0}
        for index in range(count // size):
            for chunk in (run, raw) if index % 2 else (raw, run):
                start = time.perf_counter()
                chunk(size)
                spent[chunk] += time.perf_counter() - start
        done = count // size * size
        return done / spent[run], done / spent[raw]
    finally:
        os.close(raw_fd)
        raw_path.unlink()
        if bare_fd is not None:
            os.close(bare_fd)
            (folder / "bare.jsonl").unlink()
        if session is not None:
            session.close()
            assert session.path is not None
            session.path.unlink()


def sesslog_rate(
    folder: Path,
    mode: str,
    threads: int,
    count: int,
    worker: Callable[[Session, int], Chunk],
) -> tuple[float, float]:
    """(appends/s until the last append returned, appends/s including close).

    One appender runs in the calling thread, as the baselines do; more run in new threads.
    """
    session = Session.create(cwd="/bench", root=folder, durability=mode)
    share = count // threads
    pool = [
        threading.Thread(target=worker(session, index), args=(share,))
        for index in range(threads)
        if threads > 1
    ]
    start = time.perf_counter()
    if not pool:
        worker(session, 0)(share)
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    appended = time.perf_counter()
    session.close()
    closed = time.perf_counter()
    total = share * threads
    assert len(session) == total
    assert session.path is not None
    session.path.unlink()
    return total / (appended - start), total / (closed - start)


WORKERS = {"facade": facade_chunks, "entry": entry_chunks}
MODES = ("strict", "balanced", "throughput")
CHUNK = 50  # strict appends and raw writes per turn when the two alternate
STRICT_ROUNDS = 3  # interleaved strict runs per arm in each repeat: the ratios vary most


def _order(label: str) -> tuple[int, str]:
    """Baselines first, then sesslog rows by API, mode and thread count."""
    if not label.startswith("sesslog"):
        return (0, "")
    _, api, mode, threads = label.split()
    return (1 + list(WORKERS).index(api) * 10 + MODES.index(mode) * 2 + (threads == "x8"), "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--dir", help="folder to write in (default: the system temp folder)")
    parser.add_argument("--repeat", type=int, help="runs per figure, best kept (default 3)")
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.quick else 3)
    synced = 200 if args.quick else 4000
    fast = 5000 if args.quick else 200_000
    folder = Path(tempfile.mkdtemp(prefix="sesslog-bench-", dir=args.dir))
    print(f"machine: {machine()}")
    print(f"folder: {folder}  (entries: {synced} synced, {fast} unsynced, ~1 KB each)")
    print(f"best of {repeat} interleaved run(s) per figure")
    best: dict[str, tuple[float, float | None]] = {}
    size = 20 if args.quick else CHUNK
    arms = ["bare", *WORKERS]
    arm_label = {api: f"sesslog {api} strict x1" for api in WORKERS}
    arm_label["bare"] = "bare loop build+write+fdatasync"
    pairs: dict[str, list[tuple[float, float]]] = {arm: [] for arm in arms}  # (rate, raw)

    def keep(label: str, rate: float, with_close: float | None = None) -> None:
        if rate > best.get(label, (0.0, None))[0]:
            best[label] = (rate, with_close)

    try:
        for worker in WORKERS.values():  # warm up: imports, first files, allocator
            for mode in MODES:
                sesslog_rate(folder, mode, 2, 200, worker)
        for _ in range(repeat):  # interleaved, so that every figure sees the same conditions
            for _ in range(STRICT_ROUNDS):
                for arm in arms:
                    rate, raw = interleaved(folder, arm, synced, size)
                    keep("raw write+fdatasync", raw)
                    keep(arm_label[arm], rate)
                    pairs[arm].append((rate, raw))
            keep("raw write", raw_rate(folder, fast, sync=False))
            for api, worker in WORKERS.items():
                for mode in MODES:
                    count = synced if mode == "strict" else fast
                    for threads in (8,) if mode == "strict" else (1, 8):
                        rate, with_close = sesslog_rate(folder, mode, threads, count, worker)
                        keep(f"sesslog {api} {mode} x{threads}", rate, with_close)
        for label, (rate, with_close) in sorted(best.items(), key=lambda item: _order(item[0])):
            extra = f"   (+close {with_close:>10,.0f} /s)" if with_close is not None else ""
            print(f"{label:<34} {rate:>12,.0f} /s{extra}")
        print()
        raw_write = best["raw write"][0]

        def ratio_text(arm: str) -> str:
            ratios = sorted(rate / raw for rate, raw in pairs[arm])
            quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
            # all the appends of every run against all the raw writes: total time against total time
            pooled = sum(1 / raw for _, raw in pairs[arm]) / sum(1 / rate for rate, _ in pairs[arm])
            return (
                f"{statistics.median(ratios):.2f} (median of {len(ratios)} runs; quartiles "
                f"{quartiles[0]:.2f}-{quartiles[2]:.2f}, range {ratios[0]:.2f}-{ratios[-1]:.2f};"
                f" all runs pooled {pooled:.2f})"
            )

        print(
            f"[bare loop] build+write+fdatasync / raw write+fdatasync = {ratio_text('bare')}"
            "  (the floor for any writer that builds and encodes its entries in Python)"
        )
        for api in WORKERS:
            strict1 = best[f"sesslog {api} strict x1"][0]
            balanced8 = best[f"sesslog {api} balanced x8"][0]
            throughput1 = best[f"sesslog {api} throughput x1"][0]
            print(f"[{api}] strict x1 / raw write+fdatasync = {ratio_text(api)}  (target >= 0.85)")
            print(f"[{api}] balanced x8 / strict x1 = {balanced8 / strict1:.1f}  (target >= 5)")
            print(
                f"[{api}] throughput x1 = {throughput1:,.0f} /s = {throughput1 / raw_write:.2f}x"
                " raw write  (target >= 200,000 /s)"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
