"""The progress bar long commands draw on stderr when it is a terminal (``migrate``,
``verify``, ``recover``, ``import``...)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import TextIO

from sesslog.cli.output import Output

__all__ = ["ProgressBar", "progress_bar"]


class ProgressBar:
    """A one-line progress bar redrawn in place on a terminal stream.

    Args:
        stream: Where to draw (stderr).
        width: Width of the bar in characters.
    """

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self._phase = ""
        self._drawn = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Show ``done`` of ``total`` bytes for ``phase`` (redrawn at most 20 times a second)."""
        now = time.monotonic()
        finished = total > 0 and done >= total
        if phase == self._phase and not finished and now - self._drawn < 0.05:
            return
        if phase != self._phase and self._phase:
            self.stream.write("\n")
        self._phase = phase
        self._drawn = now
        share = done / total if total else 1.0
        filled = int(self.width * share)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\r{phase:<9} [{bar}] {share:4.0%} {done / 1e6:8.1f}/{total / 1e6:.1f} MB"
        )
        self.stream.flush()

    def close(self) -> None:
        """End the line if anything was drawn."""
        if self._phase:
            self.stream.write("\n")
            self.stream.flush()
            self._phase = ""


@contextlib.contextmanager
def progress_bar(out: Output) -> Iterator[ProgressBar | None]:
    """A progress bar on stderr when it is a terminal (else ``None``), closed at the end."""
    bar = ProgressBar(out.stderr) if out.progress_enabled else None
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()
