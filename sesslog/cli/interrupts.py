"""Ctrl-C handling for commands: ignored while something must finish, or held back until an
append under way has finished."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

__all__ = ["DeferredInterrupt", "sigint_ignored"]


@contextlib.contextmanager
def _sigint_handler(handler: Callable[[int, FrameType | None], Any] | int) -> Iterator[None]:
    """Handle SIGINT with ``handler`` for the duration (main thread only; else no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def sigint_ignored() -> contextlib.AbstractContextManager[None]:
    """Ignore Ctrl-C for the duration (while an error is reported, or appends are settled)."""
    return _sigint_handler(signal.SIG_IGN)


class DeferredInterrupt:
    """Holds Ctrl-C back while an entry is being appended, so that an append is never cut in
    the middle; anything else (reading stdin) is interrupted at once."""

    def __init__(self) -> None:
        self.busy = False
        self.pending = False

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.busy:
            self.pending = True
        else:
            raise KeyboardInterrupt

    def installed(self) -> contextlib.AbstractContextManager[None]:
        """Handle SIGINT this way for the duration."""
        return _sigint_handler(self._handler)

    @contextlib.contextmanager
    def appending(self) -> Iterator[None]:
        """One append: an interrupt during it is raised right after it (even when the append
        itself failed)."""
        self.busy = True
        try:
            yield
        finally:
            self.busy = False
            if self.pending:
                raise KeyboardInterrupt
