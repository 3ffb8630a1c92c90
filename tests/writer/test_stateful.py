"""The writer against a model: appends, flushes, closes, failures, and crashes with reopen.

A crash replaces the session file by what the disk would hold: for a process crash, every byte
written so far; for a power cut, every synced byte and a random prefix of the rest. The model
says which entries each mode promised by then; the file must hold a prefix of the appends at
least that long, with no damage but one torn tail, and reopening must give back that prefix.
The file layer is the real one's, synced writes included (``pwritev2`` with ``RWF_DSYNC``:
durable for their own bytes only), with faults injected on demand.
Examples: ``SESSLOG_STATEFUL_EXAMPLES`` (default 40).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from sesslog import AutosaveConfig, AutosaveDurabilityMode, Session, WriterFailedError
from sesslog.format.diagnostics import Reason
from sesslog.format.reader import read_bytes

EXAMPLES = int(os.environ.get("SESSLOG_STATEFUL_EXAMPLES", "40"))
ALLOWED_AT_END = {Reason.TORN_TAIL.value, Reason.MISSING_NEWLINE.value}


class WriterMachine(RuleBasedStateMachine):
    """One session file, its writer, and the model of what must survive."""

    def __init__(self, kit: Any) -> None:
        super().__init__()
        self.kit = kit
        self.folder = Path(tempfile.mkdtemp(prefix="sesslog-stateful-"))
        self.path = self.folder / "s.jsonl"
        self.mode = AutosaveDurabilityMode.BALANCED
        self.delay = 0.001  # max_delay (sync_interval: twice that)
        self.session: Session | None = None
        self.ops: Any = None
        self.appended: list[str] = []  # ids, in append order
        self.written = 0  # leading appends a process crash cannot lose
        self.durable = 0  # leading appends a power cut cannot lose
        self.counter = 0
        self.failed = False
        self.size_at_open = 0  # the file as the current writer found it: all durable

    # ------------------------------------------------------------------ helpers

    def _open(self) -> Session:
        self.size_at_open = self.path.stat().st_size
        self.ops = self.kit.RealFaultyOps()
        config = AutosaveConfig.for_mode(
            self.mode, max_delay=self.delay, sync_interval=self.delay * 2
        )
        session = Session.open(self.path, durability=config)
        session.backend.ops = self.ops
        self.session = session
        self.failed = False
        return session

    def _reopen_and_check(self, floor: int) -> None:
        """Open the file as a new writer would; it must hold a prefix of at least ``floor``."""
        data = read_bytes(self.path.read_bytes())
        kept = [rec.id for rec in data.records]
        assert kept == self.appended[: len(kept)], "the file is not a prefix of the appends"
        assert len(kept) >= floor, f"lost promised entries: kept {len(kept)} of {floor}"
        reasons = [d.reason for d in data.diagnostics.diagnostics]
        assert len(reasons) <= 1 and set(reasons) <= ALLOWED_AT_END, reasons
        session = self._open()
        assert [rec.id for rec in session.tree] == kept
        self.appended = kept
        self.written = self.durable = len(kept)

    @property
    def live(self) -> Session:
        assert self.session is not None
        return self.session

    # ------------------------------------------------------------------ rules

    @initialize(
        mode=st.sampled_from(list(AutosaveDurabilityMode)),
        delay=st.sampled_from([0.001, 3600.0]),  # written behind at once, or only when flushed
    )
    def start(self, mode: AutosaveDurabilityMode, delay: float) -> None:
        self.mode = mode
        self.delay = delay
        Session.create(path=self.path, cwd="/model").close()
        self._open()

    @precondition(lambda self: not self.failed)
    @rule(count=st.integers(1, 12))
    def append(self, count: int) -> None:
        for _ in range(count):
            self.counter += 1
            rec = self.live.append_custom("model", {"n": self.counter})
            self.appended.append(rec.id)
        if self.mode is AutosaveDurabilityMode.STRICT:
            self.written = self.durable = len(self.appended)

    @precondition(lambda self: not self.failed)
    @rule(sync=st.sampled_from([None, True, False]))
    def flush(self, sync: bool | None) -> None:
        self.live.flush(sync)
        self.written = len(self.appended)
        if sync or (sync is None and self.mode is not AutosaveDurabilityMode.THROUGHPUT):
            self.durable = len(self.appended)

    @precondition(lambda self: not self.failed)
    @rule()
    def close_and_reopen(self) -> None:
        self.live.close()
        self.written = self.durable = len(self.appended)
        self._reopen_and_check(len(self.appended))

    @rule(power_cut=st.booleans(), keep=st.floats(0, 1))
    def crash(self, power_cut: bool, keep: float) -> None:
        image = self.path.read_bytes()  # what a process crash leaves: every byte written
        floor = self.written
        if power_cut:
            synced = self.ops.synced_size if self.ops.synced_size >= 0 else self.size_at_open
            image = image[: synced + int((len(image) - synced) * keep)]
            floor = self.durable
        replacement = self.folder / "image.tmp"
        replacement.write_bytes(image)
        os.replace(replacement, self.path)  # the old writer now writes to a lost file
        with contextlib.suppress(WriterFailedError):
            self.live.close()
        self._reopen_and_check(floor)

    @precondition(lambda self: not self.failed)
    @rule(op=st.sampled_from(["write", "sync"]))
    def disk_fails(self, op: str) -> None:
        self.live.handle.open_writer()  # a torn tail is repaired before the fault is armed
        self.ops.fail[op] = 5  # EIO
        with pytest.raises(WriterFailedError) as info:
            self.append(1)
            self.live.flush(sync=True)
        # a strict append that failed left its entry in the session, not durable
        self.appended += [rec.id for rec in self.live.tree][len(self.appended) :]
        pending = [rec.id for rec in self.live.pending_entries()]
        assert pending == self.appended[len(self.appended) - len(pending) :]
        assert len(self.appended) - len(pending) >= self.durable
        assert len(info.value.pending) == len(pending)
        self.failed = True

    @precondition(lambda self: self.failed)
    @rule()
    def restart_after_failure(self) -> None:
        with contextlib.suppress(WriterFailedError):
            self.live.close()
        self._reopen_and_check(self.durable)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def memory_matches_the_model(self) -> None:
        if self.session is None:
            return
        records = list(self.live.tree)
        assert [rec.id for rec in records] == self.appended
        assert [rec.parent_id for rec in records] == [None, *self.appended][: len(records)]

    @invariant()
    def promised_entries_are_synced(self) -> None:
        """What the model says a power cut cannot lose lies within the bytes the file layer
        made durable (the file as the writer found it, then syncs and synced writes)."""
        synced = self.ops.synced_size if self.ops.synced_size >= 0 else self.size_at_open
        durable = read_bytes(self.path.read_bytes()[:synced])
        kept = [rec.id for rec in durable.records]
        assert kept[: self.durable] == self.appended[: self.durable], "a promise is not synced"

    def teardown(self) -> None:
        if self.session is not None:
            with contextlib.suppress(WriterFailedError):
                self.session.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def test_writer_against_model(kit: Any) -> None:
    run_state_machine_as_test(
        lambda: WriterMachine(kit),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
