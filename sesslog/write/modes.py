"""Durability modes, autosave configuration, flush triggers and queue metrics.

These are the declarations the write-behind queue (:mod:`sesslog.write.queue`) works with and
reports in; ``docs/durability.md`` states what each mode promises.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import Any

import msgspec

__all__ = [
    "AutosaveConfig",
    "AutosaveDurabilityMode",
    "AutosaveFlushTrigger",
    "AutosaveQueueMetrics",
    "Durability",
    "QueueCounters",
    "autosave_config",
    "percentile",
]


class AutosaveDurabilityMode(str, enum.Enum):
    """What a crash can lose; see ``docs/durability.md``."""

    STRICT = "strict"
    BALANCED = "balanced"
    THROUGHPUT = "throughput"


class AutosaveFlushTrigger(str, enum.Enum):
    """Why the queue wrote or synced."""

    MANUAL = "manual"  #: ``flush()`` was called.
    INTERVAL = "interval"  #: ``max_delay`` or ``sync_interval`` ran out.
    BATCH_SIZE = "batch_size"  #: ``batch_size`` lines were queued.
    QUEUE_PRESSURE = "queue_pressure"  #: The queue was three-quarters full or an append waited.
    SHUTDOWN = "shutdown"  #: ``close()``, or the interpreter exiting.
    COMMIT = "commit"  #: An append waited for its own line (strict, or no write-behind).


class AutosaveConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How a session's appends reach the disk.

    Build one with :meth:`for_mode` to get that mode's defaults.

    Attributes:
        mode: The durability promise.
        max_delay: Seconds a queued line may wait before it is written (write-behind).
        sync_interval: Seconds between syncs of written data (``balanced`` only).
        batch_size: Lines that make a batch worth writing at once.
        max_queue: Lines that may wait unwritten; beyond it appends block or fail.
        block_when_full: Block a full queue's appender (else raise ``QueueFullError``).
        write_behind: Write from a background thread (``False``: each append writes its own
            line in the caller's thread; ``strict`` always waits for its line).
    """

    mode: AutosaveDurabilityMode = AutosaveDurabilityMode.BALANCED
    max_delay: float = 0.05
    sync_interval: float = 0.2
    batch_size: int = 1024
    max_queue: int = 16384
    block_when_full: bool = True
    write_behind: bool = True

    def __post_init__(self) -> None:
        if self.max_delay < 0 or self.sync_interval < 0:
            raise ValueError("max_delay and sync_interval must not be negative")
        if self.batch_size < 1 or self.max_queue < 1:
            raise ValueError("batch_size and max_queue must be at least 1")

    @classmethod
    def for_mode(cls, mode: AutosaveDurabilityMode | str, **changes: Any) -> AutosaveConfig:
        """The defaults of ``mode``, with ``changes`` applied.

        Raises:
            ValueError: Unknown mode or bad value.
        """
        mode = AutosaveDurabilityMode(mode)
        base: dict[str, Any] = {"mode": mode}
        if mode is AutosaveDurabilityMode.THROUGHPUT:
            base.update(max_delay=0.2, batch_size=4096, max_queue=65536)
        base.update(changes)
        return cls(**base)


#: What ``durability=`` accepts: a mode (or its name) or a full configuration.
Durability = AutosaveDurabilityMode | str | AutosaveConfig


def autosave_config(durability: Durability) -> AutosaveConfig:
    """Turn a ``durability=`` argument into a configuration."""
    if isinstance(durability, AutosaveConfig):
        return durability
    return AutosaveConfig.for_mode(durability)


class AutosaveQueueMetrics(msgspec.Struct, frozen=True):
    """A snapshot of what an autosave queue did.

    Attributes:
        mode: The durability mode.
        enqueued: Lines appended.
        written: Lines written to the file.
        synced: Lines known durable (written and synced).
        batches: ``write()`` calls of batches.
        syncs: Syncs made.
        depth: Lines appended and not yet written, now (a batch counts until its write,
            and the sync made with it, returned).
        peak_depth: The largest ``depth`` seen.
        backpressure_waits: Appends that found the queue full.
        flush_latency_p50_ms: Median time from a batch's oldest line being queued to the batch
            being written (and synced, when that write synced), over recent batches; for a
            strict appender alone, from its write to its sync's return.
        flush_latency_p99_ms: The 99th percentile of the same.
        flush_latency_max_ms: The largest such time seen.
        last_error: The failure that stopped the writer, or ``None``.
        triggers: Writes and syncs per :class:`AutosaveFlushTrigger` value.
    """

    mode: str
    enqueued: int
    written: int
    synced: int
    batches: int
    syncs: int
    depth: int
    peak_depth: int
    backpressure_waits: int
    flush_latency_p50_ms: float
    flush_latency_p99_ms: float
    flush_latency_max_ms: float
    last_error: str | None
    triggers: dict[str, int]


def percentile(ordered: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0 to 1) of sorted samples (0 when there are none)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


#: Flush latencies kept for the percentiles.
LATENCY_SAMPLES = 4096


class QueueCounters:
    """What an autosave queue counts for :class:`AutosaveQueueMetrics` (changed under the
    queue's lock).

    Attributes:
        batches: Batches written (lines written alone are counted in ``alone`` instead).
        syncs: Syncs made (likewise).
        alone: Lines a strict appender wrote and synced alone: one batch, one sync and one
            commit each, added up only when :meth:`metrics` is asked.
        peak: The largest depth seen.
        backpressure: Appends that found the queue full.
        latencies: Recent flush latencies, in seconds.
        latency_max: The largest flush latency seen.
        triggers: Writes and syncs per trigger.
    """

    __slots__ = (
        "alone",
        "backpressure",
        "batches",
        "latencies",
        "latency_max",
        "peak",
        "syncs",
        "triggers",
    )

    def __init__(self) -> None:
        self.batches = 0
        self.syncs = 0
        self.alone = 0
        self.peak = 0
        self.backpressure = 0
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.latency_max = 0.0
        self.triggers = dict.fromkeys(AutosaveFlushTrigger, 0)

    def metrics(
        self,
        mode: AutosaveDurabilityMode,
        enqueued: int,
        written: int,
        synced: int,
        last_error: str | None,
    ) -> AutosaveQueueMetrics:
        """The counters as metrics, with the queue's positions."""
        ordered = sorted(self.latencies)
        alone = self.alone
        triggers = self.triggers.copy()
        triggers[AutosaveFlushTrigger.COMMIT] += alone
        return AutosaveQueueMetrics(
            mode=mode.value,
            enqueued=enqueued,
            written=written,
            synced=synced,
            batches=self.batches + alone,
            syncs=self.syncs + alone,
            depth=enqueued - written,
            peak_depth=max(self.peak, enqueued - written, min(alone, 1)),
            backpressure_waits=self.backpressure,
            flush_latency_p50_ms=percentile(ordered, 0.5) * 1000,
            flush_latency_p99_ms=percentile(ordered, 0.99) * 1000,
            flush_latency_max_ms=self.latency_max * 1000,
            last_error=last_error,
            triggers={t.value: n for t, n in triggers.items()},
        )
