"""A simulated power cut at random points of a writer's life, in each durability mode.

The writer's calls are recorded; at a random crash point the disk keeps everything synced and,
of each later write, all, a prefix, nothing, zeros or garbage. The reader must open what is
left, report any damage, keep every entry a strict append (or a syncing flush) acknowledged,
and take only lines that were written; the next writer must be able to append.
``SESSLOG_POWER_CUTS`` sets the crash points per mode (default 150).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest

from sesslog import AutosaveConfig, Session
from sesslog.backends import fileops
from sesslog.format.diagnostics import Reason
from sesslog.format.reader import read_bytes

#: Crash tests with hundreds of kills: deselect with ``-m "not slow"`` while iterating.
pytestmark = pytest.mark.slow
CUTS = int(os.environ.get("SESSLOG_POWER_CUTS", "150"))
SEED = int(os.environ.get("SESSLOG_CRASH_SEED", str(random.randrange(1 << 30))))
TAIL_DAMAGE = {Reason.TORN_TAIL.value, Reason.MISSING_NEWLINE.value}


def workload(path: Path, mode: str, ops: Any, rng: random.Random) -> list[tuple[int, str]]:
    """Append 300 entries; return (events recorded when acknowledged durable, id) pairs."""
    config = AutosaveConfig.for_mode(mode, max_delay=0.001, sync_interval=0.005)
    session = Session.open(path, durability=config)
    session.backend.ops = ops
    acks: list[tuple[int, str]] = []
    pending: list[str] = []
    for n in range(300):
        rec = session.append_custom("cut", {"n": n, "pad": "p" * rng.randrange(20, 3000)})
        pending.append(rec.id)
        if mode == "strict":
            acks.append((ops.count(), rec.id))
            pending.clear()
        elif n % 10 == 9:
            sync = mode == "balanced" or rng.random() < 0.5
            session.flush(sync=sync)
            if sync:
                acks.extend((ops.count(), entry_id) for entry_id in pending)
                pending.clear()
    session.close()
    return acks


@pytest.mark.parametrize("mode", ["strict", "balanced", "throughput"])
def test_power_cut_at_random_points(tmp_path: Path, cut: Any, mode: str) -> None:
    rng = random.Random(f"{SEED}-{mode}")
    path = tmp_path / "s.jsonl"
    Session.create(path=path, cwd="/power").close()
    ops = cut.RecordingOps()
    acks = workload(path, mode, ops, rng)
    base, events = ops.base, ops.events
    assert base is not None and any(e.op in ("sync", "dsync") for e in events)
    if mode == "strict" and fileops._RWF_DSYNC:  # the real synced-write path is modelled
        assert sum(e.op == "dsync" for e in events) >= 250
    lines = set(cut.intended(base, events).splitlines())
    points = [len(events), *(rng.randint(0, len(events)) for _ in range(CUTS - 1))]
    damaged = 0
    for number, crash_at in enumerate(points):
        where = f"SESSLOG_CRASH_SEED={SEED} mode={mode} cut={number} at event {crash_at}"
        image = cut.power_cut(base, events, crash_at, rng)
        data = read_bytes(image)
        ids = {rec.id for rec in data.records}
        lost = [i for at, i in acks if at <= crash_at and i not in ids]
        assert not lost, f"{where}: acknowledged entries lost: {lost[:5]}"
        assert all(rec.raw in lines for rec in data.records), f"{where}: a line was made up"
        meant = cut.intended(base, cut.reached(events, crash_at))
        clean = meant.startswith(image) and image.endswith(b"\n")
        assert clean == data.diagnostics.ok, f"{where}: damage not reported"
        damaged += not clean
        # the next writer moves a torn end aside and appends after the last complete line
        # (damage inside the file stays, and stays reported)
        target = tmp_path / f"cut{number}.jsonl"
        target.write_bytes(image)
        session = Session.open(target)
        rec = session.append_custom("after the cut")
        session.close()
        again = read_bytes(target.read_bytes())
        assert [r.id for r in again.records] == [*(r.id for r in data.records), rec.id], where
        assert not {d.reason for d in again.diagnostics.diagnostics} & TAIL_DAMAGE, where
        assert target.read_bytes().endswith(b"\n" + rec.raw + b"\n"), where
        target.unlink()
    print(f"\n{mode}: {len(points)} power cuts, {damaged} left damage (SESSLOG_CRASH_SEED={SEED})")
