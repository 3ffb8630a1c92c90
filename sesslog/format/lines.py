"""Framing bytes into lines, the one loop every line reader shares (the session reader, the
importers' framing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmap import mmap
    from typing import TypeAlias

    #: A whole file's bytes as a read has them: copied, or mapped read-only (a mapping
    #: finds, slices and indexes as ``bytes`` do; it has no ``startswith`` and no ``in``).
    FileBytes: TypeAlias = bytes | mmap

__all__ = ["split_lines"]


def split_lines(data: bytes, pos: int = 0) -> Iterator[tuple[int, int, int, int, bool]]:
    """Each line of ``data`` from ``pos`` on, as ``(number, line_start, start, end, terminated)``.

    Args:
        data: The bytes.
        pos: Where the first line's bytes start (past a byte order mark, say).

    Yields:
        The 1-based line number; where the line starts for diagnostics (0 for line 1, so that
        a byte order mark belongs to it); where its bytes start; where they end (its ``\\n``,
        or the end of ``data``); and whether a ``\\n`` ends it.
    """
    size = len(data)
    line = 0
    while pos < size:
        line += 1
        end = data.find(b"\n", pos)
        terminated = end != -1
        if not terminated:
            end = size
        yield line, pos if line > 1 else 0, pos, end, terminated
        pos = end + 1
