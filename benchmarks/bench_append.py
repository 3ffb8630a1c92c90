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
(the final write and sync). Every rate is the best of ``--repeat`` interleaved runs (files are
deleted between runs so the page cache's writeback does not pile up). The strict ratio is the
median over short runs made back to back with the raw baseline, in alternating order (three
pairs per repeat), since fdatasync times drift on shared disks. Targets: strict single-thread at
least 0.85x raw write+fdatasync; balanced with 8 threads at least 5x strict single-thread;
throughput at least 200,000 entries/s single-thread.

Usage: ``python benchmarks/bench_append.py [--quick] [--dir FOLDER] [--repeat N]``
"""

from __future__ import annotations

import argparse
import functools
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
from sesslog.codec import encode_line
from sesslog.timestamps import ms_to_iso, now_ms

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


def raw_rate(folder: Path, count: int, sync: bool, build: bool = False) -> float:
    """``os.write`` (+ ``os.fdatasync``) per line; with ``build``, each line is first built
    and encoded from a fresh typed entry, as a bare loop written for the purpose would."""
    line = encode_line(E.MessageEntry(id="0" * 8, parent_id=None, timestamp=ISO, message=MESSAGE))
    path = folder / "raw.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
    try:
        write, fdatasync = os.write, os.fdatasync
        start = time.perf_counter()
        if build:
            parent = None
            for index in range(count):
                entry_id = f"{index:08x}"
                message = E.UserMessage(content=TEXT, timestamp=now_ms())
                entry = E.MessageEntry(
                    id=entry_id, parent_id=parent, timestamp=ms_to_iso(now_ms()), message=message
                )
                write(fd, encode_line(entry))
                fdatasync(fd)
                parent = entry_id
        elif sync:
            for _ in range(count):
                write(fd, line)
                fdatasync(fd)
        else:
            for _ in range(count):
                write(fd, line)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        path.unlink()
    return count / elapsed


def facade_worker(session: Session, count: int, _thread: int) -> None:
    append = session.append_user_message
    for _ in range(count):
        append(TEXT)


def entry_worker(session: Session, count: int, thread: int) -> None:
    append = session.append_entry
    entry = E.MessageEntry
    parent = None
    for index in range(count):
        entry_id = f"{thread:02x}{index:06x}"
        append(entry(id=entry_id, parent_id=parent, timestamp=ISO, message=MESSAGE))
        parent = entry_id


def sesslog_rate(
    folder: Path,
    mode: str,
    threads: int,
    count: int,
    worker: Callable[[Session, int, int], None],
) -> tuple[float, float]:
    """(appends/s until the last append returned, appends/s including close)."""
    session = Session.create(cwd="/bench", root=folder, durability=mode)
    share = count // threads
    pool = [
        threading.Thread(target=worker, args=(session, share, index)) for index in range(threads)
    ]
    start = time.perf_counter()
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


WORKERS = {"facade": facade_worker, "entry": entry_worker}
MODES = ("strict", "balanced", "throughput")
PAIRS = 3  # strict pairs per repeat and API


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
    best: dict[str, tuple[float, float]] = {}
    short = max(100, synced // 3)
    strict_arms: dict[str, Callable[[], tuple[float, float]]] = {
        api: functools.partial(sesslog_rate, folder, "strict", 1, short, worker)
        for api, worker in WORKERS.items()
    }
    strict_arms["bare"] = lambda: (raw_rate(folder, short, sync=True, build=True),) * 2
    arm_label = {api: f"sesslog {api} strict x1" for api in WORKERS}
    arm_label["bare"] = "bare loop build+write+fdatasync"
    pairs: dict[str, list[float]] = {arm: [] for arm in strict_arms}

    def keep(label: str, rate: tuple[float, float]) -> None:
        best[label] = max(best.get(label, (0.0, 0.0)), rate)

    try:
        for worker in WORKERS.values():  # warm up: imports, first files, allocator
            for mode in MODES:
                sesslog_rate(folder, mode, 2, 200, worker)
        for _ in range(repeat):  # interleaved, so that every figure sees the same conditions
            for pair in range(PAIRS):  # short back-to-back pairs, in alternating order
                for arm, measure in strict_arms.items():
                    if pair % 2:
                        arm_rate = measure()
                        raw = raw_rate(folder, short, sync=True)
                    else:
                        raw = raw_rate(folder, short, sync=True)
                        arm_rate = measure()
                    keep("raw write+fdatasync", (raw, raw))
                    pairs[arm].append(arm_rate[0] / raw)
                    keep(arm_label[arm], arm_rate)
            raw = raw_rate(folder, fast, sync=False)
            keep("raw write", (raw, raw))
            for api, worker in WORKERS.items():
                for mode in MODES:
                    count = synced if mode == "strict" else fast
                    for threads in (8,) if mode == "strict" else (1, 8):
                        rate = sesslog_rate(folder, mode, threads, count, worker)
                        keep(f"sesslog {api} {mode} x{threads}", rate)
        for label, (rate, with_close) in sorted(best.items(), key=lambda item: _order(item[0])):
            extra = f"   (+close {with_close:>10,.0f} /s)" if label.startswith("sesslog") else ""
            print(f"{label:<34} {rate:>12,.0f} /s{extra}")
        print()
        raw_sync, raw_write = best["raw write+fdatasync"][0], best["raw write"][0]
        print(
            f"[bare loop] build+write+fdatasync / raw write+fdatasync = "
            f"{statistics.median(pairs['bare']):.2f} (median of back-to-back pairs; the floor "
            "for any writer that builds and encodes its entries in Python)"
        )
        for api in WORKERS:
            strict1 = best[f"sesslog {api} strict x1"][0]
            balanced8 = best[f"sesslog {api} balanced x8"][0]
            throughput1 = best[f"sesslog {api} throughput x1"][0]
            ratios = " ".join(f"{r:.2f}" for r in pairs[api])
            print(
                f"[{api}] strict x1 / raw write+fdatasync = {statistics.median(pairs[api]):.2f}"
                f" (median of back-to-back pairs: {ratios}; best/best {strict1 / raw_sync:.2f})"
                "  (target >= 0.85)"
            )
            print(f"[{api}] balanced x8 / strict x1 = {balanced8 / strict1:.1f}  (target >= 5)")
            print(
                f"[{api}] throughput x1 = {throughput1:,.0f} /s = {throughput1 / raw_write:.2f}x"
                " raw write  (target >= 200,000 /s)"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
