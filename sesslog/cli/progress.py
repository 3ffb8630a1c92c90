"""Progress of long commands (``migrate``, ``verify``, ``recover``, ``import``, ``catalog
rebuild``), drawn by `tqdm <https://tqdm.github.io>`_ on stderr, and only when stderr is a
terminal: pipes, files and ``--json`` consumers of stdout never see it.

tqdm is imported when a bar is first drawn, so ``import sesslog`` and ``sesslog --help`` stay
light.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn, TextIO

from sesslog.cli.interrupts import DeferredInterrupt
from sesslog.cli.output import Output

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["ProgressBar", "progress_bar"]


#: The size assumed when the terminal does not say it (a new pseudo-terminal says 0 x 0,
#: and tqdm draws nothing on a screen of no rows).
_DEFAULT_SIZE = (80, 24)


def _size(stream: TextIO) -> tuple[int, int]:
    """The terminal's columns and rows, each :data:`_DEFAULT_SIZE`'s when unknown."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return _DEFAULT_SIZE
    return size.columns or _DEFAULT_SIZE[0], size.lines or _DEFAULT_SIZE[1]


class ProgressBar:
    """Bytes done of a total, one tqdm bar per phase (``migrate``, ``verify``...).

    Call it with ``(phase, done, total)`` as work advances; a new phase ends the bar of the
    previous one and starts its own.

    Args:
        stream: Where to draw (stderr).
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._phase = ""
        self._bar: tqdm[NoReturn] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Show ``done`` of ``total`` bytes for ``phase`` (tqdm limits how often it redraws)."""
        bar = self._bar
        if bar is None or phase != self._phase:
            bar = self._start(phase, total)
        if bar.total != total:
            bar.total = total
        bar.update(max(0, done - bar.n))

    def _start(self, phase: str, total: int) -> tqdm[NoReturn]:
        """End the previous bar and draw the first state of a new one. Ctrl-C during that is
        held back until the new bar is known (tqdm draws it as it is made: one interrupted
        then would stay on screen with its line open, unknown to :meth:`close`)."""
        from tqdm import tqdm

        columns, rows = _size(self.stream)
        self.close()
        interrupt = DeferredInterrupt()
        with interrupt.installed(), interrupt.appending():
            self._phase = phase
            self._bar = tqdm(
                desc=phase,
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=self.stream,
                leave=True,
                ncols=columns,
                nrows=rows,
            )
        return self._bar

    def close(self) -> None:
        """End the bar being drawn, if any: its last state and a newline, so that what is
        printed next starts a line of its own. Ctrl-C during that is held back until the line
        is ended (tqdm ends a bar once: a close it interrupted would leave the line open)."""
        bar, self._bar, self._phase = self._bar, None, ""
        if bar is not None:
            interrupt = DeferredInterrupt()
            with interrupt.installed(), interrupt.appending():
                bar.close()


@contextlib.contextmanager
def progress_bar(out: Output) -> Iterator[ProgressBar | None]:
    """A progress bar on stderr when it is a terminal (else ``None``), closed at the end."""
    bar = ProgressBar(out.stderr) if out.progress_enabled else None
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()
