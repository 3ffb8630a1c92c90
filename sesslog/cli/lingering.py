"""What the ``sesslog`` program keeps until it ends.

The program ends without the interpreter's teardown once its output is flushed
(:func:`sesslog.cli.app.run_main`), so nothing it made need be freed before: freeing the
objects of a 100,000-entry session costs about 20 ms, a twentieth of its read. A command passes
what its answer was made from through :func:`keep`; when :func:`main <sesslog.cli.app.main>` is
called from Python instead, nothing is kept.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["keep", "keep_until_exit"]

T = TypeVar("T")

#: What is kept; ``None`` while the process is not known to end without teardown.
_kept: list[object] | None = None


def keep_until_exit() -> None:
    """From now on :func:`keep` holds what it is given (the program's entry calls this)."""
    global _kept
    if _kept is None:
        _kept = []


def keep(value: T) -> T:
    """``value``, held until the process ends when it ends without teardown."""
    if _kept is not None:
        _kept.append(value)
    return value
